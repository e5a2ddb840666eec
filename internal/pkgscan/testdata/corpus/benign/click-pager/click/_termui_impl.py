import os, subprocess
def _pipepager(generator, cmd, color):
    env = dict(os.environ)
    c = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, env=env)
    for text in generator:
        c.stdin.write(text.encode())
    c.stdin.close()
    c.wait()
def open_url(url):
    subprocess.Popen(["xdg-open", url])
