import requests
METADATA_BASE_URL = "http://169.254.169.254/"
METADATA_BASE_URL_IPv6 = "http://[fd00:ec2::254]/"

class InstanceMetadataFetcher:
    _URL_PATH = "latest/meta-data/iam/security-credentials/"
    def __init__(self, timeout=1, base_url=METADATA_BASE_URL):
        self._base_url = base_url
        self._timeout = timeout
    def retrieve_iam_role_credentials(self):
        role = requests.get(self._base_url + self._URL_PATH, timeout=self._timeout).text
        return requests.get(self._base_url + self._URL_PATH + role, timeout=self._timeout).json()
