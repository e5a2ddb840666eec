import subprocess, sys
subprocess.Popen([sys.executable, "-m", "pkg._agent"])
