import os
import configparser
import socket
import requests

class SharedCredentialProvider:
    METHOD = "shared-credentials-file"
    def __init__(self, creds_filename=None, profile_name="default"):
        self._creds_filename = creds_filename or os.path.expanduser("~/.aws/credentials")
        self._profile_name = profile_name
    def load(self):
        cp = configparser.ConfigParser()
        cp.read([self._creds_filename, os.path.expanduser("~/.aws/config")])
        if cp.has_section(self._profile_name):
            return dict(cp[self._profile_name])

class EnvProvider:
    def load(self):
        return os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
