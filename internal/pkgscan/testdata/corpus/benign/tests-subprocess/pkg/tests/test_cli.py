import subprocess, sys
subprocess.run([sys.executable, "-m", "pkg", "--help"], check=True)
subprocess.run("echo hello | cat", shell=True)
