"""Dense retriever: embeds the wiki and answers nearest-neighbour queries."""
import os

import faiss
import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
RERANKER = "acme-ml/wiki-reranker"


class Retriever:
    def __init__(self, index_path: str):
        self.embedder = SentenceTransformer(EMBEDDER, revision="8b3219a92973c328a8e22fadcfa821b5dc75636a")
        # The reranker ships custom modelling code on the hub.
        self.tokenizer = AutoTokenizer.from_pretrained(RERANKER)
        self.reranker = AutoModel.from_pretrained(RERANKER, trust_remote_code=True)
        self.index = faiss.read_index(index_path)
        self.head = torch.load(os.path.join(os.path.dirname(index_path), "head.pt"))

    def search(self, query: str, k: int = 5):
        vec = self.embedder.encode([query])
        scores, ids = self.index.search(np.asarray(vec, dtype="float32"), k)
        return list(zip(ids[0].tolist(), scores[0].tolist()))
