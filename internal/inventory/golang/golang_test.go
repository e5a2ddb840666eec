package golang

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func byName(cs []core.Component) map[string]core.Component {
	m := map[string]core.Component{}
	for _, c := range cs {
		m[c.Name] = c
	}
	return m
}

func TestOllamaGoMod(t *testing.T) {
	res, err := ParseGoMod("go.mod", readFile(t, "ollama/go.mod"), readFile(t, "ollama/go.sum"), "go.sum")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 || len(res.Findings) != 0 {
		t.Fatalf("errors %v findings %v", res.Errors, res.Findings)
	}
	if got, want := len(res.Components), 94; got != want {
		t.Errorf("components = %d, want %d", got, want)
	}
	direct, hashed := 0, 0
	for _, c := range res.Components {
		if c.Direct {
			direct++
		}
		if len(c.Hashes) == 1 {
			hashed++
		}
	}
	if direct != 94-55 {
		t.Errorf("direct = %d, want %d", direct, 94-55)
	}
	if hashed != len(res.Components) {
		t.Errorf("hashed = %d, want all %d", hashed, len(res.Components))
	}
	m := byName(res.Components)
	want := []core.Component{
		{
			Kind: core.KindPackage, Name: "github.com/gin-gonic/gin", Version: "v1.10.0", Ecosystem: "Go",
			PURL:      "pkg:golang/github.com/gin-gonic/gin@v1.10.0",
			Locations: []core.Location{{Path: "go.mod", Line: 8, Column: 2}},
			Hashes:    []core.Hash{{Algorithm: HashAlgorithm, Value: "nTuyha1TYqgedzytsKYqna+DfLos46nTv2ygFy86HFU="}},
			Direct:    true, Properties: map[string]string{"source": "manifest"},
		},
		{
			Kind: core.KindPackage, Name: "github.com/golang/protobuf", Version: "v1.5.4", Ecosystem: "Go",
			PURL:      "pkg:golang/github.com/golang/protobuf@v1.5.4",
			Locations: []core.Location{{Path: "go.mod", Line: 9, Column: 2}},
			Hashes:    []core.Hash{{Algorithm: HashAlgorithm, Value: m["github.com/golang/protobuf"].Hashes[0].Value}},
			Direct:    false, Properties: map[string]string{"source": "manifest"},
		},
		{
			// pseudo-version kept verbatim
			Kind: core.KindPackage, Name: "github.com/ledongthuc/pdf", Version: "v0.0.0-20250511090121-5959a4027728", Ecosystem: "Go",
			PURL:      "pkg:golang/github.com/ledongthuc/pdf@v0.0.0-20250511090121-5959a4027728",
			Locations: []core.Location{{Path: "go.mod", Line: 12, Column: 2}},
			Hashes:    m["github.com/ledongthuc/pdf"].Hashes,
			Direct:    true, Properties: map[string]string{"source": "manifest"},
		},
		{
			Kind: core.KindPackage, Name: "gopkg.in/yaml.v3", Version: "v3.0.1", Ecosystem: "Go",
			PURL:      "pkg:golang/gopkg.in/yaml.v3@v3.0.1",
			Locations: m["gopkg.in/yaml.v3"].Locations,
			Hashes:    m["gopkg.in/yaml.v3"].Hashes,
			Direct:    true, Properties: map[string]string{"source": "manifest"},
		},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, m[w.Name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.Name, diff)
		}
	}
	if !strings.Contains(string(readFile(t, "ollama/go.sum")), "github.com/gin-gonic/gin v1.10.0 h1:nTuyha1TYqgedzytsKYqna+DfLos46nTv2ygFy86HFU=") {
		t.Error("fixture go.sum changed; update the expected hash")
	}
	if len(m["gopkg.in/yaml.v3"].Hashes) != 1 || len(m["github.com/ledongthuc/pdf"].Hashes) != 1 {
		t.Error("missing go.sum hashes")
	}
}

func TestReplace(t *testing.T) {
	res, err := ParseGoMod("svc/go.mod", readFile(t, "replace.go.mod"), readFile(t, "replace.go.sum"), "svc/go.sum")
	if err != nil {
		t.Fatal(err)
	}
	m := byName(res.Components)
	type comp struct {
		Name, Version string
		Direct        bool
		Props         map[string]string
		Hashes        int
	}
	got := map[string]comp{}
	for n, c := range m {
		got[n] = comp{c.Name, c.Version, c.Direct, c.Properties, len(c.Hashes)}
	}
	want := map[string]comp{
		// fork: the component is what is built, with what it replaced
		"github.com/evil-fork/bar": {"github.com/evil-fork/bar", "v1.2.4", true, map[string]string{
			"source": "manifest", PropReplace: "github.com/evil-fork/bar v1.2.4", PropReplaces: "github.com/foo/bar v1.2.3"}, 1},
		// same module, newer version: the effective version, with the required one kept
		"golang.org/x/net": {"golang.org/x/net", "v0.38.0", false, map[string]string{
			"source": "manifest", PropReplace: "golang.org/x/net v0.38.0", PropRequiredVersion: "v0.20.0"}, 1},
		"example.com/inner":     {"example.com/inner", "v0.0.0", true, map[string]string{"source": "manifest", PropReplace: "./internal/inner"}, 0},
		"example.com/outside":   {"example.com/outside", "v0.0.0", true, map[string]string{"source": "manifest", PropReplace: "../../outside"}, 0},
		"github.com/pkg/errors": {"github.com/pkg/errors", "v0.9.1", true, map[string]string{"source": "manifest"}, 0}, // only a /go.mod hash
		"github.com/old/lib": {"github.com/old/lib", "v0.0.0-20230101000000-abcdefabcdef", true, map[string]string{
			"source": "manifest", PropReplace: "/home/dev/lib"}, 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	type fnd struct {
		Line     int
		Severity core.Severity
		Evidence string
	}
	var gotF []fnd
	for _, f := range res.Findings {
		if f.RuleID != "ASSAY-INV-201" || f.Location.Path != "svc/go.mod" || f.Fix == "" {
			t.Errorf("bad finding %+v", f)
		}
		gotF = append(gotF, fnd{f.Location.Line, f.Severity, f.Evidence})
	}
	wantF := []fnd{
		{16, core.SeverityMedium, "replace github.com/foo/bar => github.com/evil-fork/bar v1.2.4"},
		// line 18 (same module bump) and line 20 (./internal/inner, inside the tree) are benign
		{22, core.SeverityLow, "replace example.com/outside => ../../outside"},
		{24, core.SeverityLow, "replace github.com/old/lib => /home/dev/lib"},
	}
	if diff := cmp.Diff(wantF, gotF); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestReplaceBenign is the benign twin of ASSAY-INV-201: a version bump of
// the same module and a folder inside the repository are not findings.
func TestReplaceBenign(t *testing.T) {
	res, err := ParseGoMod("go.mod", readFile(t, "benign.go.mod"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings on a benign go.mod: %+v", res.Findings)
	}
	if got := byName(res.Components)["golang.org/x/net"].Version; got != "v0.38.0" {
		t.Errorf("x/net version = %q, want the replacement v0.38.0", got)
	}
	// A relative path escaping a nested module's folder but staying in the tree is benign too.
	res, err = ParseGoMod("a/b/go.mod", []byte("module m\nrequire x.io/y v1.0.0\nreplace x.io/y => ../y\n"), nil, "")
	if err != nil || len(res.Findings) != 0 {
		t.Errorf("replace to a sibling folder inside the tree: err %v findings %+v", err, res.Findings)
	}
}

func TestCorrupt(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"noncanonical.go.mod", "malformed go.mod"},
		{"unterminated.go.mod", "malformed go.mod"},
		{"unknown-directive.go.mod", "unknown directive"},
		{"nonutf8.go.mod", "not valid UTF-8"},
		{"binary.go.mod", "binary content"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, err := ParseGoMod("go.mod", readFile(t, "corrupt/"+tc.file), nil, "")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestGoSumErrors(t *testing.T) {
	sum := []byte("a.io/b v1.0.0 h1:x=\ngarbage line here too\nc.io/d v1.0.0 md5:zz\n\n")
	h, errs := ParseGoSum("go.sum", sum)
	if h["a.io/b v1.0.0"] != "x=" {
		t.Errorf("hash = %q", h["a.io/b v1.0.0"])
	}
	if len(errs) != 2 || !strings.Contains(errs[0].Reason, "line 2") || errs[0].Path != "go.sum" {
		t.Errorf("errors = %+v", errs)
	}
	_, errs = ParseGoSum("go.sum", []byte("a b h1:\xff\n"))
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "UTF-8") {
		t.Errorf("non-UTF-8 go.sum errors = %+v", errs)
	}
}

// TestScanThroughEngine runs the scanner in the real walk: go.sum is found
// beside go.mod through the root, a nested module too, and a too-large
// go.mod is refused with an Error.
func TestScanThroughEngine(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", readFile(t, "replace.go.mod"))
	write("go.sum", readFile(t, "replace.go.sum"))
	write("tools/go.mod", []byte("module example.com/tools\n\ngo 1.22\n\nrequire golang.org/x/tools v0.30.0\n"))
	write("broken/go.mod", readFile(t, "corrupt/binary.go.mod"))
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Components) != 7 {
		t.Errorf("components = %d, want 7", len(rep.Components))
	}
	hashed := 0
	for _, c := range rep.Components {
		hashed += len(c.Hashes)
		if c.Name == "golang.org/x/tools" && (c.Locations[0].Path != "tools/go.mod" || c.Locations[0].Line != 5) {
			t.Errorf("tools location = %+v", c.Locations)
		}
	}
	if hashed != 2 {
		t.Errorf("hashes attached = %d, want 2", hashed)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Path != "broken/go.mod" || !strings.Contains(rep.Errors[0].Reason, "binary") {
		t.Errorf("errors = %+v", rep.Errors)
	}
	if len(rep.Findings) != 3 {
		t.Errorf("findings = %d, want 3", len(rep.Findings))
	}
}

func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "go.mod")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxGoModSize + 1); err != nil { // sparse: no real disk use
		t.Fatal(err)
	}
	f.Close()
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "larger than the 16 MiB bound") {
		t.Errorf("errors = %+v", rep.Errors)
	}
}

func TestRules(t *testing.T) {
	for _, r := range Rules() {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
}

// TestOtherDirectives: toolchain, godebug, ignore and tool lines are not
// dependencies (a tool's module is required like any other).
func TestOtherDirectives(t *testing.T) {
	res, err := ParseGoMod("go.mod", readFile(t, "directives.go.mod"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || res.Components[0].Name != "golang.org/x/tools" || res.Components[0].Direct {
		t.Errorf("components = %+v", res.Components)
	}
}
