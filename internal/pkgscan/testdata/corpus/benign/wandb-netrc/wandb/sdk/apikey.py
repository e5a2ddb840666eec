import os, netrc
def get_netrc_file_path():
    return os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
def api_key(host="api.wandb.ai"):
    auth = netrc.netrc(get_netrc_file_path()).authenticators(host)
    return auth[2] if auth else os.environ.get("WANDB_API_KEY")
