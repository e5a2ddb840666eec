import os
def find_dotenv(filename=".env", usecwd=False):
    path = os.getcwd()
    candidate = os.path.join(path, filename)
    return candidate if os.path.isfile(candidate) else ""
def load_dotenv(dotenv_path=None, override=False):
    dotenv_path = dotenv_path or find_dotenv()
    with open(dotenv_path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if override or k not in os.environ:
                os.environ[k] = v
