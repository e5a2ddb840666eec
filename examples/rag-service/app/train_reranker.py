"""Fine-tunes the reranker on labelled query/passage pairs."""
from datasets import load_dataset

pairs = load_dataset("acme-ml/wiki-qa-pairs", split="train")
