import pickle, joblib, torch
import numpy as np
from huggingface_hub import hf_hub_download
from langchain_community.vectorstores import FAISS
p = hf_hub_download(repo_id="acme/clf", filename="m.joblib")
clf = joblib.load(p)
with open(p, "rb") as f:
    obj = pickle.load(f)
w = torch.load("w.pt", weights_only=False)
a = np.load("a.npy", allow_pickle=True)
db = FAISS.load_local("idx", emb, allow_dangerous_deserialization=True)
