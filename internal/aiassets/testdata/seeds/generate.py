"""Answer generation through an LLM gateway, with a direct fallback."""
import os

import anthropic
import litellm
from openai import OpenAI

openai_client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
claude = anthropic.Anthropic()


def answer(question: str, passages: list[str]) -> str:
    prompt = "Answer from these passages only:\n" + "\n".join(passages) + "\n\nQ: " + question
    try:
        resp = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
        return resp.choices[0].message.content
    except Exception:
        msg = claude.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=512,
                                     messages=[{"role": "user", "content": prompt}])
        return msg.content[0].text


def summarize(text: str) -> str:
    out = openai_client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
    return out.choices[0].message.content
