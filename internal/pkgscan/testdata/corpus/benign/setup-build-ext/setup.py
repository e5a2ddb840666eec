import os, subprocess, sys
from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext

class CMakeBuild(build_ext):
    def build_extension(self, ext):
        cfg = "Debug" if self.debug else "Release"
        subprocess.check_call(["cmake", ext.sourcedir, "-DCMAKE_BUILD_TYPE=" + cfg], cwd=self.build_temp)
        subprocess.check_call(["cmake", "--build", ".", "--config", cfg], cwd=self.build_temp)

setup(name="llama_cpp_python", version="0.3.0", ext_modules=[Extension("llama_cpp", [])], cmdclass={"build_ext": CMakeBuild})
