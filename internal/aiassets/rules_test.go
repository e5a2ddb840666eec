package aiassets

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

// Fake keys, assembled so the source holds no key-shaped literal.
var (
	fakeOpenAI    = "sk-" + "proj-" + "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj"
	fakeAnthropic = "sk-" + "ant-api03-" + "IhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtHF4vUCsMehGAkWvj7FAc9QeWJKY40uvSwMFLZAA"
	fakeHF        = "hf_" + "DefrESQedUStPKRCsTyQwbDwkNhFdnXsiV"
	fakeGoogle    = "AIza" + "pzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoa"
)

const sha = "8b3219a92973c328a8e22fadcfa821b5dc75636a"

// writeTree writes files (path -> content) under a temp dir.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// findingLines renders findings as "RULE path:line severity".
func findingLines(r *core.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, fmt.Sprintf("%s %s:%d %s", f.RuleID, f.Location.Path, f.Location.Line, f.Severity))
	}
	sort.Strings(out)
	return out
}

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{
			name: "AI-001 trust_remote_code (malicious)",
			files: map[string]string{"m.py": `from transformers import AutoModel, pipeline
m = AutoModel.from_pretrained("acme/reranker", revision="` + sha + `", trust_remote_code=True)
p = pipeline("text-generation", model="acme/gen", revision="` + sha + `", model_kwargs={"trust_remote_code": True})
`},
			want: []string{"ASSAY-AI-001 m.py:2 high", "ASSAY-AI-001 m.py:3 high"},
		},
		{
			name: "AI-001 benign twin",
			files: map[string]string{"m.py": `from transformers import AutoModel
m = AutoModel.from_pretrained("acme/reranker", revision="` + sha + `", trust_remote_code=False)
n = AutoModel.from_pretrained("acme/reranker", revision="` + sha + `", trust_remote_code=args.trust)
`},
		},
		{
			name: "AI-002 unpinned (malicious)",
			files: map[string]string{"m.py": `import torch
from transformers import AutoTokenizer
from datasets import load_dataset
from huggingface_hub import snapshot_download
MODEL_ID = "acme/encoder"
tok = AutoTokenizer.from_pretrained(MODEL_ID)
tok2 = AutoTokenizer.from_pretrained("acme/encoder", revision="main")
ds = load_dataset("acme/qa", split="train")
snapshot_download(repo_id="acme/weights", revision="v1.0")
net = torch.hub.load("pytorch/vision", "resnet50", pretrained=True)
`},
			want: []string{"ASSAY-AI-002 m.py:10 medium", "ASSAY-AI-002 m.py:6 medium", "ASSAY-AI-002 m.py:7 medium", "ASSAY-AI-002 m.py:8 medium", "ASSAY-AI-002 m.py:9 medium"},
		},
		{
			name: "AI-002 benign twin: commit pins, local paths, unknown names",
			files: map[string]string{
				"checkpoints/finetuned/config.json": "{}",
				"m.py": `import torch
from transformers import AutoTokenizer, AutoModel
from datasets import load_dataset
tok = AutoTokenizer.from_pretrained("acme/encoder", revision="` + sha + `")
local = AutoModel.from_pretrained("./out/model")
local2 = AutoModel.from_pretrained("checkpoints/finetuned")
plain = AutoModel.from_pretrained("model")
dyn = AutoModel.from_pretrained(args.model_name)
rev = AutoModel.from_pretrained("acme/encoder", revision=REVISION)
csv = load_dataset("csv", data_files="train.csv")
net = torch.hub.load("pytorch/vision:` + sha + `", "resnet50")
here = torch.hub.load("./hub", "model", source="local")
`},
		},
		{
			name: "AI-003 torch.load (malicious)",
			files: map[string]string{"m.py": `import torch
a = torch.load("head.pt")
b = torch.load(path, weights_only=False, map_location="cpu")
`},
			want: []string{"ASSAY-AI-003 m.py:2 high", "ASSAY-AI-003 m.py:3 high"},
		},
		{
			name: "AI-003 benign twin",
			files: map[string]string{"m.py": `import torch
a = torch.load("head.pt", weights_only=True)
torch.save(a, "out.pt")
load = lambda p: p
load("x")
`},
		},
		{
			name: "AI-004 pickle on downloads (malicious)",
			files: map[string]string{"m.py": `import pickle, joblib
import numpy as np
import pandas as pd
from huggingface_hub import hf_hub_download
from urllib.request import urlretrieve
import requests
path = hf_hub_download(repo_id="acme/clf", filename="model.joblib", revision="` + sha + `")
clf = joblib.load(path)
with open(hf_hub_download("acme/clf", "vec.pkl", revision="` + sha + `"), "rb") as f:
    vec = pickle.load(f)
local_file, _ = urlretrieve("https://example.org/x.pkl")
obj = pickle.loads(requests.get("https://example.org/y.pkl").content)
df = pd.read_pickle("https://example.org/frame.pkl")
arr = np.load("cache.npy", allow_pickle=True)
`},
			want: []string{"ASSAY-AI-004 m.py:10 high", "ASSAY-AI-004 m.py:12 high", "ASSAY-AI-004 m.py:13 high", "ASSAY-AI-004 m.py:14 medium", "ASSAY-AI-004 m.py:8 high"},
		},
		{
			name: "AI-004 benign twin",
			files: map[string]string{"m.py": `import pickle, json
import numpy as np
pickle.dump(obj, open("out.pkl", "wb"))
data = pickle.dumps(obj)
arr = np.load("weights.npy")
cfg = json.load(open("cfg.json"))
`},
		},
		{
			name: "AI-005 allow_dangerous_deserialization (malicious)",
			files: map[string]string{"m.py": `from langchain_community.vectorstores import FAISS
db = FAISS.load_local("index", embeddings, allow_dangerous_deserialization=True)
`},
			want: []string{"ASSAY-AI-005 m.py:2 high"},
		},
		{
			name: "AI-005 benign twin",
			files: map[string]string{"m.py": `from langchain_community.vectorstores import FAISS
db = FAISS.from_documents(docs, embeddings)
db2 = FAISS.load_local("index", embeddings, allow_dangerous_deserialization=False)
`},
		},
		{
			name: "AI-006 key literals (malicious)",
			files: map[string]string{
				"m.py": "import openai\nclient = openai.OpenAI(api_key=\"" + fakeOpenAI + "\")\nANTHROPIC = '" + fakeAnthropic + "'\n# token: " + fakeHF + "\n",
				"w.js": "import OpenAI from 'openai';\nconst k = \"" + fakeGoogle + "\";\n",
			},
			want: []string{"ASSAY-AI-006 m.py:2 high", "ASSAY-AI-006 m.py:3 high", "ASSAY-AI-006 m.py:4 high", "ASSAY-AI-006 w.js:2 high"},
		},
		{
			name: "AI-006 benign twin: environment, placeholders, look-alikes",
			files: map[string]string{"m.py": `"""Set OPENAI_API_KEY to your key (it looks like sk-...)."""
import os
import openai
client = openai.OpenAI(api_key=os.environ["OPENAI_API_KEY"])
EXAMPLE = "sk-your-api-key-here-xxxxxxxxxxxxxxxxxxxx"
HF = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
task = "mask-fill-task-classification-long-name-0123"
disk_sk = "disk-abcdefghijklmnopqrstuvwxyz012345"
`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanTree(t, writeTree(t, tc.files))
			if d := cmp.Diff(tc.want, findingLines(rep)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			for _, f := range rep.Findings {
				if f.RuleID == RuleAPIKeyLiteral.ID {
					for _, k := range []string{fakeOpenAI, fakeAnthropic, fakeHF, fakeGoogle} {
						if strings.Contains(f.Evidence, k) || strings.Contains(f.Message, k) {
							t.Errorf("key leaked into the report: %q", f.Evidence)
						}
					}
				}
			}
		})
	}
}

func TestRulesHaveMetadata(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category != "aiasset" {
			t.Errorf("incomplete rule %+v", r)
		}
		if ids[r.ID] {
			t.Errorf("duplicate %s", r.ID)
		}
		ids[r.ID] = true
	}
	for i := 1; i <= 6; i++ {
		if !ids[fmt.Sprintf("ASSAY-AI-%03d", i)] {
			t.Errorf("ASSAY-AI-%03d missing", i)
		}
	}
}
