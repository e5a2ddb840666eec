package aiassets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

// genRepo writes a synthetic 10,000-file repository: ordinary Python and
// JavaScript modules (most of any real repository), AI code that the
// pre-filter must pass to tree-sitter, TypeScript, notebooks, data files,
// docs, and an installed tree that must be skipped.
func genRepo(tb testing.TB, dir string) {
	tb.Helper()
	plain := strings.Repeat(`def helper_%[1]d(items, key=None):
    """Return the items sorted by key, dropping empties."""
    out = [i for i in items if i]
    out.sort(key=key)
    return {"count": len(out), "items": out, "id": %[1]d}

`, 8)
	ai := `import os
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from openai import OpenAI
MODEL_%[1]d = "acme/model-%[1]d"
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
def load():
    tok = AutoTokenizer.from_pretrained(MODEL_%[1]d, revision="` + sha + `")
    model = AutoModelForCausalLM.from_pretrained(MODEL_%[1]d)
    head = torch.load("head.pt", weights_only=True)
    return client.chat.completions.create(model="gpt-4o", messages=[])
` + plain
	js := "export function add%[1]d(a, b) { return a + b + %[1]d; }\nexport const items%[1]d = [1, 2, 3].map((x) => x * 2);\n"
	ts := "import OpenAI from \"openai\";\nconst client%[1]d: OpenAI = new OpenAI();\nexport async function ask%[1]d(q: string): Promise<unknown> {\n  return client%[1]d.chat.completions.create({ model: \"gpt-4o-mini\", messages: [{ role: \"user\", content: q }] });\n}\n"
	nb := `{"cells": [{"cell_type": "code", "source": ["from transformers import pipeline\n", "p = pipeline(\"text-classification\", model=\"acme/clf-%[1]d\")\n"], "outputs": [{"data": {"image/png": "` + strings.Repeat("iVBORw0KGgo", 2000) + `"}}]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`
	write := func(p, content string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	n := 0
	for i := 0; i < 5000; i++ {
		write(fmt.Sprintf("src/pkg%d/mod%d.py", i%100, i), fmt.Sprintf(plain, i))
		n++
	}
	for i := 0; i < 1500; i++ {
		write(fmt.Sprintf("ml/pkg%d/model%d.py", i%50, i), fmt.Sprintf(ai, i))
		n++
	}
	for i := 0; i < 1500; i++ {
		write(fmt.Sprintf("web/src/m%d/util%d.js", i%50, i), fmt.Sprintf(js, i))
		n++
	}
	for i := 0; i < 300; i++ {
		write(fmt.Sprintf("web/app/c%d.ts", i), fmt.Sprintf(ts, i))
		n++
	}
	for i := 0; i < 100; i++ {
		write(fmt.Sprintf("notebooks/nb%d.ipynb", i), fmt.Sprintf(nb, i))
		write(fmt.Sprintf("data/part%d.csv", i), strings.Repeat("text,label\nhello world,ham\n", 200))
		n += 2
	}
	for i := 0; i < 800; i++ {
		write(fmt.Sprintf("docs/page%d.md", i), "# Page\n\nSome documentation about openai and torch.load.\n")
		n++
	}
	for i := 0; n < 10000; i++ {
		write(fmt.Sprintf(".venv/lib/python3.12/site-packages/dep%d/__init__.py", i), fmt.Sprintf(ai, i))
		n++
	}
}

// BenchmarkBOM10k measures this capability's scanners over a 10,000-file
// repository (the AI-BOM discovery pass; run with -benchtime=3x).
func BenchmarkBOM10k(b *testing.B) {
	dir := b.TempDir()
	genRepo(b, dir)
	b.ResetTimer()
	var rep *core.Report
	for i := 0; i < b.N; i++ {
		var err error
		rep, err = engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners(), Analyzers: Analyzers()})
		if err != nil {
			b.Fatal(err)
		}
		rep.Finalize(nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(rep.Summary.FilesWalked), "files")
	b.ReportMetric(float64(len(rep.Components)), "components")
	b.ReportMetric(float64(len(rep.Findings)), "findings")
}

// TestGeneratedRepo checks the benchmark's repository gives what it should,
// so the benchmark measures real work.
func TestGeneratedRepo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 files")
	}
	dir := t.TempDir()
	genRepo(t, dir)
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners(), Analyzers: Analyzers()})
	if err != nil {
		t.Fatal(err)
	}
	rep.Finalize(nil)
	kinds := map[core.ComponentKind]int{}
	for _, c := range rep.Components {
		kinds[c.Kind]++
	}
	// 1500 code models, each pinned (tokenizer) and unpinned (model), + 100
	// notebook models; 100 csv files; openai once.
	if rep.Summary.FilesWalked != 10000 || kinds[core.KindModel] != 3100 || kinds[core.KindDataset] != 100 || kinds[core.KindService] != 1 {
		t.Errorf("walked %d, kinds %v", rep.Summary.FilesWalked, kinds)
	}
	// 1500 unpinned from_pretrained + 100 unpinned notebook pipelines.
	if len(rep.Findings) != 1600 {
		t.Errorf("%d findings", len(rep.Findings))
	}
}
