import json, os
DOCKER_CONFIG_FILENAME = os.path.join(".docker", "config.json")
def find_config_file(config_path=None):
    paths = [config_path, os.path.join(os.path.expanduser("~"), ".docker/config.json")]
    for p in paths:
        if p and os.path.exists(p):
            return p
def load_config(config_path=None):
    p = find_config_file(config_path)
    if p:
        with open(p) as f:
            return json.load(f)
    return {}
