package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const pin = "8b3219a92973c328a8e22fadcfa821b5dc75636a"

func bomTree(t *testing.T, files map[string]string) string {
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

func runBomCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var oldProject = map[string]string{
	"app/model.py": `import torch
from transformers import AutoModel
from openai import OpenAI
m = AutoModel.from_pretrained("acme/encoder", revision="` + pin + `")
c = OpenAI()
c.chat.completions.create(model="gpt-4o", messages=[])
w = torch.load("w.pt")
`,
	"data/train.csv": "text,label\nhi,ham\n",
}

func cdxSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	dir := filepath.Join("..", "report", "testdata", "schemas")
	for _, n := range []string{"spdx.schema.json", "jsf-0.82.schema.json", "bom-1.6.schema.json"} {
		raw, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("http://cyclonedx.org/schema/"+n, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBomCycloneDX(t *testing.T) {
	dir := bomTree(t, oldProject)
	code, out, errOut := runBomCLI(t, "bom", dir)
	// High findings (torch.load) do not fail `bom` without --fail-on.
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := cdxSchema(t).Validate(inst); err != nil {
		t.Fatalf("not a valid CycloneDX 1.6 BOM: %v", err)
	}
	for _, want := range []string{`"type": "machine-learning-model"`, `"purl": "pkg:huggingface/acme/encoder@` + pin + `"`, `"type": "data"`, `"name": "openai"`, `"value": "gpt-4o"`} {
		if !strings.Contains(out, want) {
			t.Errorf("BOM lacks %s", want)
		}
	}
	if code, _, _ := runBomCLI(t, "bom", "--fail-on", "high", dir); code != ExitFindings {
		t.Errorf("--fail-on high: exit %d, want 1", code)
	}
}

func TestBomSPDX(t *testing.T) {
	dir := bomTree(t, oldProject)
	for _, args := range [][]string{{"bom", "--spdx", dir}, {"bom", "-f", "spdx", dir}} {
		code, out, errOut := runBomCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc["spdxVersion"] != "SPDX-2.3" {
			t.Fatalf("%v: not SPDX 2.3 JSON: %v", args, err)
		}
	}
	if code, _, _ := runBomCLI(t, "bom", "--spdx", "-f", "cyclonedx", dir); code != ExitError {
		t.Errorf("--spdx with -f cyclonedx: exit %d, want 2", code)
	}
}

func TestBomDiff(t *testing.T) {
	newProject := map[string]string{
		"app/model.py": `from transformers import AutoModel
from openai import OpenAI
import anthropic
m = AutoModel.from_pretrained("acme/encoder", revision="main")
c = OpenAI()
c.chat.completions.create(model="gpt-4.1", messages=[])
anthropic.Anthropic().messages.create(model="claude-sonnet-4-20250514", max_tokens=1)
`,
		"data/train.csv": "text,label\nhi,spam\n",
	}
	work := t.TempDir()
	write := func(name string, files map[string]string, spdx bool) string {
		p := filepath.Join(work, name)
		args := []string{"bom", "-o", p, bomTree(t, files)}
		if spdx {
			args = append([]string{"bom", "--spdx"}, args[1:]...)
		}
		if code, _, e := runBomCLI(t, args...); code != 0 {
			t.Fatalf("bom: %d %s", code, e)
		}
		return p
	}
	oldC, newC := write("old.json", oldProject, false), write("new.json", newProject, false)
	code, out, _ := runBomCLI(t, "bom", "--diff", oldC, newC)
	if code != ExitFindings {
		t.Errorf("diff of changed BOMs: exit %d, want 1", code)
	}
	want := []string{
		"+ service  anthropic",
		"~ data     data/train.csv: hashes changed",
		"~ machine-learning-model acme/encoder: version " + pin + " -> main",
		"~ service  openai: models +gpt-4.1 -gpt-4o",
		"1 added, 0 removed, 3 changed",
	}
	if d := cmp.Diff(want, strings.Split(strings.TrimSpace(out), "\n")); d != "" {
		t.Errorf("diff output (-want +got):\n%s", d)
	}
	// Same BOM: nothing changed, exit 0.
	if code, out, _ := runBomCLI(t, "bom", "--diff", oldC, oldC); code != 0 || !strings.Contains(out, "0 added, 0 removed, 0 changed") {
		t.Errorf("self diff: %d %q", code, out)
	}
	// SPDX documents diff the same way, JSON output on request.
	oldS, newS := write("old.spdx.json", oldProject, true), write("new.spdx.json", newProject, true)
	code, out, _ = runBomCLI(t, "bom", "--diff", "-f", "json", oldS, newS)
	var res bomDiffResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != ExitFindings || len(res.Added) != 1 || len(res.Changed) != 3 || len(res.Removed) != 0 {
		t.Errorf("spdx diff: exit %d %+v", code, res)
	}
	// Bad inputs are usage errors.
	bad := filepath.Join(work, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"hello": 1}`), 0o644)
	for _, args := range [][]string{{"bom", "--diff", oldC}, {"bom", "--diff", oldC, bad}, {"bom", "--diff", oldC, filepath.Join(work, "missing.json")}} {
		if code, _, _ := runBomCLI(t, args...); code != ExitError {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
