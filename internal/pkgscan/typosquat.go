package pkgscan

import (
	"regexp"
	"strings"
)

// popular AI/ML package names per ecosystem (normalised), the targets
// typosquats imitate. Embedded; extend with care: every name here is also
// exempt from being flagged.
var popularPyPI = []string{
	"torch", "torchvision", "torchaudio", "pytorch-triton", "triton", "tensorflow", "tensorflow-gpu", "keras", "jax", "jaxlib", "flax", "optax",
	"transformers", "tokenizers", "datasets", "accelerate", "diffusers", "peft", "trl", "safetensors", "huggingface-hub", "sentence-transformers",
	"evaluate", "timm", "openai", "anthropic", "langchain", "langchain-core", "langchain-community", "langchain-openai", "langchain-anthropic",
	"langgraph", "langsmith", "llama-index", "llama-cpp-python", "litellm", "vllm", "ollama", "deepseek", "mistralai", "cohere", "google-generativeai",
	"google-genai", "groq", "together", "replicate", "tiktoken", "sentencepiece", "onnx", "onnxruntime", "onnxruntime-gpu", "xgboost", "lightgbm",
	"catboost", "scikit-learn", "numpy", "scipy", "pandas", "matplotlib", "einops", "bitsandbytes", "deepspeed", "xformers", "flash-attn",
	"ultralytics", "opencv-python", "pillow", "gradio", "streamlit", "chromadb", "pinecone", "pinecone-client", "weaviate-client", "qdrant-client",
	"faiss-cpu", "faiss-gpu", "instructor", "pydantic-ai", "crewai", "autogen", "pyautogen", "dspy", "dspy-ai", "mlflow", "wandb", "ray",
	"lightning", "pytorch-lightning", "spacy", "nltk", "gensim", "fastai", "keras-nlp", "jupyter", "notebook", "requests", "boto3", "pydantic",
	"fastapi", "gguf", "modelscope", "openai-agents", "mcp", "fastmcp", "semantic-kernel", "haystack-ai", "unsloth", "guidance", "outlines",
}

var popularNPM = []string{
	"openai", "@anthropic-ai/sdk", "ai", "@ai-sdk/openai", "@ai-sdk/anthropic", "langchain", "@langchain/core", "@langchain/openai",
	"@huggingface/inference", "@huggingface/transformers", "@xenova/transformers", "onnxruntime-node", "onnxruntime-web", "@tensorflow/tfjs",
	"@tensorflow/tfjs-node", "ollama", "@google/generative-ai", "@google/genai", "cohere-ai", "@mistralai/mistralai", "replicate", "llamaindex",
	"groq-sdk", "@modelcontextprotocol/sdk", "tiktoken", "js-tiktoken", "gpt-3-encoder", "@pinecone-database/pinecone", "chromadb",
}

// nearMisses are real, unrelated packages that sit close to a popular name.
var nearMisses = map[string]bool{
	"openapi": true, "dataset": true, "torchx": true, "torchdata": true, "torchtext": true, "numba": true, "panda": true, "pandas-gbq": true,
	"transformer": true, "tokenizer": true, "keras-cv": true, "lightgbm-ray": true, "jaxtyping": true, "trio": true, "rsa": true, "tox": true,
	"scipy2": false, "pillow-heif": true, "flask": true, "fastapi-cli": true, "request": true, "spacy-legacy": true, "nose": true, "raylib": true,
	"groq-sdk": true, "gradio-client": true, "wandb-core": true, "mlflow-skinny": true, "tensorboard": true, "evaluator": true, "pydantic-core": true,
	"triton-nightly": true, "aiofiles": true, "cohere-ai": true, "openai-whisper": true, "tiktoken-rs": true, "replicate-py": true, "optuna": true,
	"gdown": true, "coloredlogs": true, "six": true, "joblib": true, "attrs": true, "pytz": true, "idna": true, "click": true, "jinja2": true,
	"regex": true, "docker": true, "moto": true, "sympy": true, "mpmath": true, "boto": true, "botocore": true, "jedi": true, "parso": true,
}

var nameSep = regexp.MustCompile(`[-_.]+`)

func normName(n string) string {
	return nameSep.ReplaceAllString(strings.ToLower(strings.TrimSpace(n)), "-")
}

func squash(n string) string {
	return strings.NewReplacer("-", "", "_", "", ".", "", "/", "", "@", "").Replace(n)
}

// homoglyph folds look-alike characters an attacker swaps in.
var homoglyph = strings.NewReplacer("0", "o", "1", "l", "i", "l", "rn", "m", "vv", "w", "5", "s", "3", "e", "ı", "l", "а", "a", "е", "e", "о", "o", "р", "p", "с", "c", "х", "x")

// typosquatOf returns the popular name that name imitates and how, or "".
func typosquatOf(name, ecosystem string) (string, string) {
	pop := popularPyPI
	if ecosystem == "npm" {
		pop = popularNPM
	}
	n := normName(name)
	if nearMisses[n] || len(squash(n)) < 5 {
		return "", ""
	}
	for _, p := range pop {
		if n == normName(p) {
			return "", ""
		}
	}
	sn := squash(n)
	for _, p := range pop {
		pn := normName(p)
		sp := squash(pn)
		if len(sp) < 4 {
			continue
		}
		switch {
		case sn == sp:
			return p, "separators differ"
		case homoglyph.Replace(sn) == homoglyph.Replace(sp):
			return p, "look-alike characters"
		}
		d := damerau(sn, sp, 3)
		if d == 1 && len(sp) >= 5 {
			return p, "one character away"
		}
		if d == 2 && len(sp) >= 9 {
			return p, "two characters away"
		}
		// prefix/suffix games on AI brands: "py"+name, name+"ai" of a long name
		if len(sp) >= 8 && (sn == "py"+sp || sn == sp+"py") {
			return p, "prefix/suffix added"
		}
	}
	return "", ""
}

// damerau is the optimal-string-alignment distance, capped at max+1.
func damerau(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
