import os, platform, sys
def runtime_info():
    return {"python": sys.version, "platform": platform.platform(), "cuda": os.environ.get("CUDA_VISIBLE_DEVICES")}
def tracking_uri():
    return os.environ.get("MLFLOW_TRACKING_URI", "http://localhost:5000")
