import os, requests, tempfile, shutil
HUGGINGFACE_CO_URL_TEMPLATE = "https://huggingface.co/{repo_id}/resolve/{revision}/{filename}"
def hf_hub_download(repo_id, filename, revision="main", cache_dir=None):
    url = HUGGINGFACE_CO_URL_TEMPLATE.format(repo_id=repo_id, revision=revision, filename=filename)
    r = requests.get(url, stream=True, timeout=10)
    with tempfile.NamedTemporaryFile(delete=False) as f:
        shutil.copyfileobj(r.raw, f)
    return f.name
