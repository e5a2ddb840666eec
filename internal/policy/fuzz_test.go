package policy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	corrupt, _ := filepath.Glob("testdata/corrupt/*")
	for _, p := range append(files, corrupt...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("rules:\n  '*': off\npaths:\n  skip: ['**', '[a-']\n"))
	f.Add([]byte("- rule: X\n  reason: r\n"))
}

// fuzzReport is a small report that exercises every Enforce path.
func fuzzReport() *core.Report {
	r := core.NewReport(".")
	r.Components = []core.Component{
		{Kind: core.KindPackage, Ecosystem: "PyPI", Name: "litellm", Version: "1.82.8", Direct: true, PURL: "pkg:pypi/litellm@1.82.8"},
		{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "org/m", Properties: map[string]string{"format": "pickle"}},
		{Kind: core.KindService, Name: "api.example.com", Properties: map[string]string{"url": "https://x.example.com"}},
	}
	r.Findings = []core.Finding{
		{RuleID: "ASSAY-GHA-001", Location: core.Location{Path: ".github/workflows/ci.yml", Line: 3}, Evidence: "https://webhook.site/x", Component: "pkg:pypi/torch@2.5.1", Advisories: []string{"GHSA-1"}},
	}
	return r
}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "assay.yaml")
		if err != nil {
			if p != nil {
				t.Fatalf("policy and error both returned")
			}
			_ = err.Error()
			return
		}
		_ = p.Skip("a/b/c.py", false)
		_ = p.CheckRules(Rules())
		Enforce(fuzzReport(), p, nil, Options{ReportStale: true})
	})
}

func FuzzParseBaseline(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseBaseline(data, ".assayignore.yaml")
		if err != nil {
			_ = err.Error()
			return
		}
		for _, e := range entries {
			if e.Reason == "" || (e.Rule == "" && e.Advisory == "" && e.Fingerprint == "") {
				t.Fatalf("accepted an entry without reason or selector: %+v", e)
			}
		}
		Enforce(fuzzReport(), nil, entries, Options{ReportStale: true})
	})
}
