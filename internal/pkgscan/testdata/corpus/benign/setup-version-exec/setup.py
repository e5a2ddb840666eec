from setuptools import setup, find_packages
version = {}
exec(open("pkg/version.py").read(), version)
with open("README.md") as f:
    long_description = f.read()
setup(name="pkg", version=version["__version__"], packages=find_packages(), long_description=long_description)
