import os
import yaml
KUBE_CONFIG_DEFAULT_LOCATION = os.environ.get("KUBECONFIG", "~/.kube/config")
def load_kube_config(config_file=None, context=None):
    if config_file is None:
        config_file = os.path.expanduser(KUBE_CONFIG_DEFAULT_LOCATION)
    with open(config_file) as f:
        return yaml.safe_load(f)
