import os
def _get_cache_location(name="msal.cache"):
    if os.name == "nt":
        return os.path.join(os.environ["LOCALAPPDATA"], ".IdentityService", name)
    return os.path.expanduser(os.path.join("~", ".azure", name))
