import os
import torch
_model_path = os.path.join(os.path.dirname(__file__), "model.pt")
_model = torch.load(_model_path)
