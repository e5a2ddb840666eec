import subprocess, sys, os
def launch_kernel(cmd, env=None, cwd=None):
    env = env or os.environ.copy()
    return subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.PIPE)
