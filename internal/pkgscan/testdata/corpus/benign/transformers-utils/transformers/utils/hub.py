import os, socket, subprocess
import requests
HF_ENDPOINT = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
HF_TOKEN_PATH = os.path.expanduser("~/.cache/huggingface/token")
def get_free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("", 0))
    port = s.getsockname()[1]
    s.close()
    return port
def git_commit_hash(folder):
    return subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=folder).decode().strip()
def http_get(url, headers=None):
    return requests.get(url, headers=headers, stream=True, timeout=10)
