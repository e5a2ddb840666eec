package aiassets

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

// componentLines renders components as "kind ecosystem name@version purl props".
func componentLines(r *core.Report) []string {
	var out []string
	for _, c := range r.Components {
		s := fmt.Sprintf("%s|%s|%s", c.Kind, c.Ecosystem, c.Name)
		if c.Version != "" {
			s += "@" + c.Version
		}
		if c.PURL != "" {
			s += "|" + c.PURL
		}
		if c.ML != nil {
			if c.ML.Task != "" {
				s += "|task=" + c.ML.Task
			}
			if c.ML.Framework != "" {
				s += "|fw=" + c.ML.Framework
			}
		}
		var keys []string
		for k := range c.Properties {
			if k != "size" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			s += "|" + k + "=" + c.Properties[k]
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func TestDiscoverPython(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app/retriever.py": `import os
from sentence_transformers import SentenceTransformer
from transformers import AutoModelForSequenceClassification, pipeline
import timm, ollama
from vllm import LLM
from llama_cpp import Llama
from diffusers import StableDiffusionPipeline
EMBEDDER = "all-MiniLM-L6-v2"
emb = SentenceTransformer(EMBEDDER, revision="` + sha + `")
clf = AutoModelForSequenceClassification.from_pretrained("acme/clf", revision="` + sha + `")
gen = pipeline("summarization", model="facebook/bart-large-cnn", revision="` + sha + `")
vit = timm.create_model("vit_base_patch16_224.augreg_in21k", pretrained=True)
noweights = timm.create_model("resnet50")
reply = ollama.chat(model="llama3.1:8b", messages=[])
llm = LLM(model="meta-llama/Llama-3.1-8B-Instruct", revision="` + sha + `")
gguf = Llama.from_pretrained(repo_id="TheBloke/Mistral-7B-GGUF", filename="mistral-7b.Q4_K_M.gguf", revision="` + sha + `")
sd = StableDiffusionPipeline.from_pretrained("stabilityai/sd-turbo", revision="` + sha + `")
`,
		"app/llm.py": `import os, boto3
import anthropic, litellm, cohere
from openai import OpenAI, AzureOpenAI
from mistralai import Mistral
from langchain_openai import ChatOpenAI
from google import genai
import pandas as pd
client = OpenAI(base_url="https://user:secret@llm-gw.example.com/v1?token=x")
az = AzureOpenAI(azure_endpoint="https://acme.openai.azure.com")
claude = anthropic.Anthropic()
class Svc:
    def __init__(self):
        self.client = OpenAI()
        self.br = boto3.client("bedrock-runtime")
    def run(self):
        self.client.chat.completions.create(model="gpt-4o", messages=[])
        self.br.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=[])
claude.messages.create(model="claude-3-5-sonnet-20241022", max_tokens=1)
az.chat.completions.create(model="prod-gpt4o-deployment", messages=[])
litellm.completion(model="anthropic/claude-3-opus-20240229", messages=[])
co = cohere.ClientV2()
co.chat(model="command-r-plus", messages=[])
m = Mistral(api_key=os.environ["MISTRAL_API_KEY"])
lc = ChatOpenAI(model="gpt-4o-mini", temperature=0)
g = genai.Client()
g.models.generate_content(model="gemini-2.0-flash", contents="hi")
df = pd.read_csv("https://user:pw@data.example.org/train.csv?sig=abc")
`,
	})
	rep := scanTree(t, dir)
	want := []string{
		"model|Hugging Face|TheBloke/Mistral-7B-GGUF@" + sha + "|pkg:huggingface/TheBloke/Mistral-7B-GGUF@" + sha + "|fw=llama.cpp|file=mistral-7b.Q4_K_M.gguf",
		"model|Hugging Face|acme/clf@" + sha + "|pkg:huggingface/acme/clf@" + sha + "|fw=transformers",
		"model|Hugging Face|facebook/bart-large-cnn@" + sha + "|pkg:huggingface/facebook/bart-large-cnn@" + sha + "|task=summarization|fw=transformers",
		"model|Hugging Face|meta-llama/Llama-3.1-8B-Instruct@" + sha + "|pkg:huggingface/meta-llama/Llama-3.1-8B-Instruct@" + sha + "|fw=vllm",
		"model|Hugging Face|sentence-transformers/all-MiniLM-L6-v2@" + sha + "|pkg:huggingface/sentence-transformers/all-MiniLM-L6-v2@" + sha + "|fw=sentence-transformers",
		"model|Hugging Face|stabilityai/sd-turbo@" + sha + "|pkg:huggingface/stabilityai/sd-turbo@" + sha + "|fw=diffusers",
		"model|Hugging Face|timm/vit_base_patch16_224.augreg_in21k|pkg:huggingface/timm/vit_base_patch16_224.augreg_in21k|fw=timm|library=timm",
		"model|Ollama|llama3.1:8b|fw=ollama",
		"dataset||https://data.example.org/train.csv",
		"service||anthropic|models=claude-3-5-sonnet-20241022,claude-3-opus-20240229|via=litellm",
		"service||azure-openai|endpoint=https://acme.openai.azure.com|models=prod-gpt4o-deployment",
		"service||bedrock|models=anthropic.claude-3-haiku-20240307-v1:0",
		"service||cohere|models=command-r-plus",
		"service||google-genai|models=gemini-2.0-flash",
		"service||mistral",
		"service||openai|endpoint=https://llm-gw.example.com/v1|models=gpt-4o,gpt-4o-mini",
	}
	sort.Strings(want)
	if d := cmp.Diff(want, componentLines(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	if got := findingLines(rep); len(got) != 0 {
		t.Errorf("unexpected findings: %v", got)
	}
	b, _ := json.Marshal(rep.Components)
	for _, leak := range []string{"secret", "user:", "sig=", "token=x"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("credential or query %q copied into the BOM", leak)
		}
	}
}

func TestDiscoverJS(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/chat.ts": `import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { openai } from "@ai-sdk/openai";
import { generateText } from "ai";
import ollama from "ollama";
import { pipeline } from "@huggingface/transformers";
const MODEL: string = "gpt-4.1";
const client = new OpenAI({ baseURL: "https://proxy.example.com/v1" });
export async function ask(q: string): Promise<string> {
  const r = await client.chat.completions.create({ model: MODEL, messages: [] });
  const a = new Anthropic();
  await a.messages.create({ model: "claude-sonnet-4-20250514", max_tokens: 10, messages: [] });
  const { text } = await generateText({ model: openai("gpt-4o-mini"), prompt: q });
  await ollama.chat({ model: "qwen2.5:7b", messages: [] });
  const clf = await pipeline("sentiment-analysis", "Xenova/distilbert-base-uncased-finetuned-sst-2-english");
  return text;
}
`,
		"web/old.cjs": `const { OpenAI } = require("openai");
const c = new OpenAI();
c.embeddings.create({ model: "text-embedding-3-small", input: "x" });
`,
		"node_modules/openai/index.js": `const c = new OpenAI(); c.chat.completions.create({model: "gpt-3.5-turbo"});`,
	})
	rep := scanTree(t, dir)
	want := []string{
		"model|Hugging Face|Xenova/distilbert-base-uncased-finetuned-sst-2-english|pkg:huggingface/Xenova/distilbert-base-uncased-finetuned-sst-2-english|task=sentiment-analysis|fw=transformers.js",
		"model|Ollama|qwen2.5:7b|fw=ollama",
		"service||anthropic|models=claude-sonnet-4-20250514",
		"service||openai|endpoint=https://proxy.example.com/v1|models=gpt-4.1,gpt-4o-mini,text-embedding-3-small",
	}
	if d := cmp.Diff(want, componentLines(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	// The unpinned transformers.js model is reported; nothing under node_modules is read.
	if d := cmp.Diff([]string{"ASSAY-AI-002 web/chat.ts:15 medium"}, findingLines(rep)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}

func TestDataFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"data/train.csv":        "text,label\nhello,ham\n",
		"data/eval.jsonl":       `{"q": "a"}` + "\n",
		"data/fake.parquet":     "not parquet at all",
		"data/ok.parquet":       "PAR1....PAR1",
		".venv/lib/x.csv":       "a,b\n",
		"data/empty.csv":        "",
		"data/readme.md":        "# data",
		"data/bin.tsv":          "a\x00b",
		"site-packages/y.csv":   "a\n",
		"nested/venv/lib.jsonl": "{}\n",
	})
	rep := scanTree(t, dir)
	want := []string{
		"dataset||data/bin.tsv|format=unknown",
		"dataset||data/eval.jsonl|format=jsonl",
		"dataset||data/fake.parquet|format=unknown",
		"dataset||data/ok.parquet|format=parquet",
		"dataset||data/train.csv|format=csv",
	}
	if d := cmp.Diff(want, componentLines(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	for _, c := range rep.Components {
		if c.Name == "data/train.csv" {
			sum := sha256.Sum256([]byte("text,label\nhello,ham\n"))
			if len(c.Hashes) != 1 || c.Hashes[0] != (core.Hash{Algorithm: "sha256", Value: hex.EncodeToString(sum[:])}) {
				t.Errorf("hash %+v", c.Hashes)
			}
		}
	}
	if len(rep.Errors) != 2 {
		t.Errorf("want errors for the fake parquet and the binary tsv, got %+v", rep.Errors)
	}
}
