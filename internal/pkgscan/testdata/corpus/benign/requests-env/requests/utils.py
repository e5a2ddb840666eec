import os
from netrc import netrc, NetrcParseError
NETRC_FILES = (".netrc", "_netrc")
DEFAULT_CA_BUNDLE_PATH = os.environ.get("REQUESTS_CA_BUNDLE")

def get_netrc_auth(url, raise_errors=False):
    netrc_file = os.environ.get("NETRC")
    if netrc_file is not None:
        netrc_locations = (netrc_file,)
    else:
        netrc_locations = (f"~/{f}" for f in NETRC_FILES)
    for f in netrc_locations:
        loc = os.path.expanduser(f)
        if os.path.exists(loc):
            return netrc(loc).authenticators(url)

def should_bypass_proxies(url):
    no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY")
    return bool(no_proxy)
