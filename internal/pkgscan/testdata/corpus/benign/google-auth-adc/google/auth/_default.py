import os, json
_CLOUD_SDK_CREDENTIALS_FILE = "application_default_credentials.json"
def get_application_default_credentials_path():
    config_dir = os.environ.get("CLOUDSDK_CONFIG") or os.path.join(os.path.expanduser("~"), ".config", "gcloud")
    return os.path.join(config_dir, _CLOUD_SDK_CREDENTIALS_FILE)
def load_credentials_from_file(filename):
    with open(filename) as f:
        return json.load(f)
