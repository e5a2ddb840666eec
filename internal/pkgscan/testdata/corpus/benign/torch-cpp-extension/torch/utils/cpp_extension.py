import os, subprocess, sys, shutil
CUDA_HOME = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
def _find_cuda_home():
    nvcc = shutil.which("nvcc")
    if nvcc is not None:
        return os.path.dirname(os.path.dirname(nvcc))
def _get_cuda_version():
    out = subprocess.check_output([os.path.join(CUDA_HOME or "", "bin", "nvcc"), "--version"])
    return out.decode()
def _run_ninja_build(build_directory, verbose):
    subprocess.run(["ninja", "-v"], cwd=build_directory, check=True, env=os.environ.copy())
