import subprocess
from setuptools import setup
try:
    sha = subprocess.check_output(["git", "rev-parse", "HEAD"]).decode("ascii").strip()
except Exception:
    sha = "unknown"
setup(name="torchish", version="2.6.0+" + sha[:7])
