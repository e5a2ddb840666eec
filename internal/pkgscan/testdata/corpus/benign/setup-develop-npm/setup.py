import subprocess
from setuptools import setup
from setuptools.command.develop import develop
class DevelopWithFrontend(develop):
    def run(self):
        subprocess.check_call(["npm", "run", "build"], cwd="frontend")
        develop.run(self)
setup(name="gradio-ish", cmdclass={"develop": DevelopWithFrontend})
