from setuptools import setup
from setuptools.command.build_py import build_py
class BuildPyWithAssets(build_py):
    def run(self):
        self.copy_tree("assets", "build/lib/pkg/assets")
        super().run()
setup(name="pkg", cmdclass={"build_py": BuildPyWithAssets})
