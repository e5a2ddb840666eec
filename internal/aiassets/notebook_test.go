package aiassets

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nbJSON builds a notebook the way Jupyter writes it (one source line per
// array element, each on its own line of the file).
func nbJSON(t testing.TB, cells ...map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(map[string]any{"cells": cells, "metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func codeCell(lines ...string) map[string]any {
	return map[string]any{"cell_type": "code", "metadata": map[string]any{}, "outputs": []any{}, "source": lines}
}

func TestNotebook(t *testing.T) {
	huge := strings.Repeat("A", 12<<20) // a 12 MiB base64 image in an output
	nb := nbJSON(t,
		map[string]any{"cell_type": "markdown", "source": []string{"# trust_remote_code=True in prose is not code\n"}},
		codeCell("!pip install transformers\n", "%matplotlib inline\n", "from transformers import AutoModel\n", "MODEL = \"acme/encoder\"\n"),
		map[string]any{"cell_type": "code", "outputs": []any{map[string]any{"data": map[string]any{"image/png": huge}}},
			"source": "m = AutoModel.from_pretrained(MODEL,\n    trust_remote_code=True)\n"},
	)
	dir := writeTree(t, map[string]string{"nb/explore.ipynb": nb})
	rep := scanTree(t, dir)
	// Line numbers point into the .ipynb file: the single-string source starts
	// on one line of the JSON.
	lines := strings.Split(nb, "\n")
	srcLine := 0
	for i, l := range lines {
		if strings.Contains(l, `"source": "m = AutoModel`) {
			srcLine = i + 1
		}
	}
	want := []string{"ASSAY-AI-001 nb/explore.ipynb:" + strconv.Itoa(srcLine) + " high", "ASSAY-AI-002 nb/explore.ipynb:" + strconv.Itoa(srcLine) + " medium"}
	if d := cmp.Diff(want, findingLines(rep)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"model|Hugging Face|acme/encoder|pkg:huggingface/acme/encoder|fw=transformers"}, componentLines(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %+v", rep.Errors)
	}
}

func TestNotebookLineMap(t *testing.T) {
	nb := nbJSON(t, codeCell("import torch\n", "\n", "w = torch.load(\"w.pt\")\n"))
	got, err := readNotebook([]byte(nb))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.code) != "import torch\n\nw = torch.load(\"w.pt\")\n" {
		t.Fatalf("code %q", got.code)
	}
	fileLines := strings.Split(nb, "\n")
	for row, l := range []string{"import torch", "", "torch.load"} {
		ln := got.line(uint(row))
		if ln < 1 || !strings.Contains(fileLines[ln-1], l) {
			t.Errorf("code row %d maps to .ipynb line %d %q", row, ln, fileLines[ln-1])
		}
	}
}

func TestNotebookBadInput(t *testing.T) {
	valid := nbJSON(t, codeCell("from transformers import AutoModel\n", "m = AutoModel.from_pretrained(\"acme/a\")\n"), codeCell("x = 1\n"))
	truncated := valid[:strings.LastIndex(valid, "x = 1")]
	cases := map[string]struct {
		content    string
		wantErr    string
		components int
	}{
		"truncated after a cell": {truncated, "invalid notebook JSON", 1},
		"not JSON":               {"\x00\x01garbage", "invalid notebook JSON", 0},
		"JSON array":             {"[1,2,3]", "not a Jupyter notebook", 0},
		"no cells":               {`{"metadata": {}}`, "not a Jupyter notebook", 0},
		"cells not an array":     {`{"cells": {"a": 1}}`, "not a Jupyter notebook", 0},
		"odd cells":              {`{"cells": [1, "x", [], {"cell_type": ["code"], "source": {"a": 1}}, {"cell_type": "code", "source": [1, ["x"], "import openai\nopenai.OpenAI()\n"]}]}`, "", 1},
		"empty":                  {"", "invalid notebook JSON", 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rep := scanTree(t, writeTree(t, map[string]string{"n.ipynb": tc.content, "ok.py": "import openai\nopenai.OpenAI()\n"}))
			var errs []string
			for _, e := range rep.Errors {
				errs = append(errs, e.Path+": "+e.Reason)
			}
			if tc.wantErr == "" && len(errs) > 0 || tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.wantErr) || !strings.HasPrefix(errs[0], "n.ipynb")) {
				t.Errorf("errors %v, want one naming n.ipynb with %q", errs, tc.wantErr)
			}
			// The rest of the BOM is still produced: ok.py's service is there.
			n := 0
			for _, c := range rep.Components {
				for _, l := range c.Locations {
					if l.Path == "n.ipynb" {
						n++
						break
					}
				}
			}
			if n != tc.components {
				t.Errorf("%d components from the notebook, want %d", n, tc.components)
			}
			if len(rep.Components) == 0 {
				t.Errorf("ok.py's component is missing")
			}
		})
	}
}

func TestBadSources(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"bin.py":     "\x00\x01\x02ELF openai",
		"broken.py":  "def f(:\n  from transformers import AutoModel\nAutoModel.from_pretrained('acme/a', trust_remote_code=True\n",
		"latin1.py":  "# caf\xe9\nimport openai\nopenai.OpenAI()\n",
		"deep.py":    "import openai\nx = " + strings.Repeat("(", 5000) + "openai.OpenAI()" + strings.Repeat(")", 5000) + "\n",
		"ok/good.py": "from transformers import AutoModel\nAutoModel.from_pretrained('acme/b', revision='" + sha + "')\n",
	})
	rep := scanTree(t, dir)
	var errs []string
	for _, e := range rep.Errors {
		errs = append(errs, e.Path)
	}
	if d := cmp.Diff([]string{"bin.py"}, errs); d != "" {
		t.Errorf("errors (-want +got):\n%s", d)
	}
	names := map[string]bool{}
	for _, c := range rep.Components {
		names[c.Name] = true
	}
	if !names["acme/b"] || !names["openai"] {
		t.Errorf("components %v", names)
	}
	for _, f := range rep.Findings {
		if f.Location.Path == "broken.py" && f.RuleID == RuleTrustRemoteCode.ID {
			t.Logf("note: reported from broken.py (the call parsed outside the error region)")
		}
	}
}

func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "gen.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxSourceBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rep := scanTree(t, dir)
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "limit") {
		t.Errorf("errors %+v", rep.Errors)
	}
}
