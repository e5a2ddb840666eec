package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// TestInspectWheelComponent is QA B9: inspecting a valid wheel reported
// "0 components"; the wheel itself is a package component.
func TestInspectWheelComponent(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	var record []string
	for _, m := range [][2]string{
		{"demo/__init__.py", "VERSION = '1.0'\n"},
		{"demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n"},
		{"demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	} {
		w, _ := zw.Create(m[0])
		w.Write([]byte(m[1]))
		h := sha256.Sum256([]byte(m[1]))
		record = append(record, fmt.Sprintf("%s,sha256=%s,%d", m[0], base64.RawURLEncoding.EncodeToString(h[:]), len(m[1])))
	}
	w, _ := zw.Create("demo-1.0.dist-info/RECORD")
	w.Write([]byte(strings.Join(append(record, "demo-1.0.dist-info/RECORD,,"), "\n") + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "demo-1.0-py3-none-any.whl")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())

	code, out, errs := runPkgCLI(t, "inspect", p, "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
	}
	var rep struct {
		Components []struct {
			Kind, Name, Version, Ecosystem, PURL string
			Hashes                               []struct{ Algorithm, Value string }
			Locations                            []struct{ Path string }
			Properties                           map[string]string
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Components) != 1 {
		t.Fatalf("%d components, want 1:\n%s", len(rep.Components), out)
	}
	c := rep.Components[0]
	if c.Kind != "package" || c.Name != "demo" || c.Version != "1.0" || c.Ecosystem != "PyPI" || c.PURL != "pkg:pypi/demo@1.0" ||
		len(c.Hashes) != 1 || c.Hashes[0].Algorithm != "sha256" || c.Hashes[0].Value != hex.EncodeToString(sum[:]) ||
		len(c.Locations) != 1 || c.Locations[0].Path != "demo-1.0-py3-none-any.whl" || c.Properties["source"] != "artifact" {
		t.Errorf("component: %+v", c)
	}
	if _, out, _ := runPkgCLI(t, "inspect", p); !strings.Contains(out, "· 1 component") {
		t.Errorf("table summary does not count the wheel:\n%s", out)
	}
}
