import os
import httpx
class OpenAI:
    def __init__(self, api_key=None, base_url=None):
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
        self._client = httpx.Client(base_url=self.base_url, timeout=600)
    def post(self, path, body):
        return self._client.post(path, json=body, headers={"Authorization": f"Bearer {self.api_key}"})
