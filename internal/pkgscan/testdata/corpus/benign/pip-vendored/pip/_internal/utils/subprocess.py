import os, subprocess
def call_subprocess(cmd, cwd=None, extra_environ=None, stdout_only=False):
    env = os.environ.copy()
    if extra_environ:
        env.update(extra_environ)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    out, _ = proc.communicate()
    return out.decode()
