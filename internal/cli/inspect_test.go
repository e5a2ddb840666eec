package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePkgTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runPkgCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestInspectMalicious(t *testing.T) {
	dir := writePkgTree(t, map[string]string{
		"litellm_init.pth":    "import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n",
		"litellm/__init__.py": "from .main import completion\n",
	})
	code, out, _ := runPkgCLI(t, "inspect", dir, "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	var rep struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Severity string `json:"severity"`
			Location struct {
				Path string `json:"path"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == "ASSAY-PKG-010" && f.Severity == "critical" && f.Location.Path == "litellm_init.pth" && f.Location.Line == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no critical ASSAY-PKG-010 at litellm_init.pth:1 in %s", out)
	}
}

func TestInspectBenign(t *testing.T) {
	dir := writePkgTree(t, map[string]string{
		"requests/__init__.py": "from .api import get\n",
		"requests/api.py":      "import os\nimport urllib3\ndef get(url):\n    return os.environ.get('REQUESTS_CA_BUNDLE')\n",
		"project.pth":          "/opt/project/src\n",
	})
	code, out, errs := runPkgCLI(t, "inspect", dir)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "PASS") {
		t.Errorf("summary: %s", out)
	}
}

func TestInspectUsage(t *testing.T) {
	if code, _, _ := runPkgCLI(t, "inspect", filepath.Join(t.TempDir(), "missing")); code != 2 {
		t.Errorf("missing target: exit %d, want 2", code)
	}
}
