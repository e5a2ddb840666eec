package advisory

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

func pkg(eco, name, ver, req, path string, line int, src string) core.Component {
	return core.Component{Kind: core.KindPackage, Ecosystem: eco, Name: name, Version: ver, Requirement: req,
		Locations: []core.Location{{Path: path, Line: line}}, Direct: true, Properties: map[string]string{core.PropSource: src}}
}

func action(name, ref string, props map[string]string) core.Component {
	return core.Component{Kind: core.KindAction, Ecosystem: core.EcosystemGitHubActions, Name: name, Version: ref,
		Locations: []core.Location{{Path: ".github/workflows/ci.yml", Line: 12, Column: 15}}, Properties: props}
}

// run analyzes components with the embedded feed plus dbs, in a temp cache.
func run(t *testing.T, dbs []string, cs ...core.Component) *core.Report {
	t.Helper()
	a, err := NewAnalyzer(Options{DBPaths: dbs, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewReport(".")
	r.Components = cs
	if err := a.Analyze(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

type brief struct {
	Rule       string
	Severity   string
	Component  string
	Advisories string
}

func briefs(r *core.Report) []brief {
	var out []brief
	core.SortFindings(r.Findings)
	for _, f := range r.Findings {
		out = append(out, brief{f.RuleID, f.Severity.String(), f.Component, strings.Join(f.Advisories, ",")})
	}
	return out
}

func TestFindings(t *testing.T) {
	lock := func(eco, name, ver, path string) core.Component {
		c := pkg(eco, name, ver, "", path, 0, core.SourceLockfile)
		c.Direct = false
		return c
	}
	tests := []struct {
		name string
		cs   []core.Component
		want []brief
	}{
		{"DEP-001 litellm compromised release", []core.Component{pkg("PyPI", "litellm", "1.82.8", "", "requirements.txt", 3, "manifest")},
			[]brief{{"ASSAY-DEP-001", "critical", "PyPI/litellm@1.82.8", "MAL-2026-2144,PYSEC-2026-2"}}},
		{"DEP-001 name normalised (PEP 503) and version normalised", []core.Component{pkg("pypi", "LiteLLM", "1.82.7.0", "", "requirements.txt", 1, "manifest")},
			[]brief{{"ASSAY-DEP-001", "critical", "pypi/LiteLLM@1.82.7.0", "MAL-2026-2144,PYSEC-2026-2"}}},
		{"benign twin: last safe and next clean litellm", []core.Component{
			pkg("PyPI", "litellm", "1.82.6", "", "requirements.txt", 3, "manifest"),
			pkg("PyPI", "litellm", "1.83.0", "", "uv.lock", 30, "lockfile")}, nil},
		{"DEP-001 ultralytics", []core.Component{pkg("PyPI", "ultralytics", "8.3.46", "", "poetry.lock", 9, "lockfile")},
			[]brief{{"ASSAY-DEP-001", "critical", "PyPI/ultralytics@8.3.46", "ASSAY-2024-0001"}}},
		{"benign twin: ultralytics 8.3.43 and 8.3.47", []core.Component{
			pkg("PyPI", "ultralytics", "8.3.43", "", "poetry.lock", 9, "lockfile"),
			pkg("PyPI", "ultralytics", "8.3.47", "", "poetry.lock", 19, "lockfile")}, nil},
		{"DEP-001 torchtriton, any version or none", []core.Component{
			pkg("PyPI", "torchtriton", "", "", "requirements.txt", 2, "manifest"),
			pkg("PyPI", "torchtriton", "2.0.0+git1", "", "installed/METADATA", 1, "installed")},
			[]brief{
				{"ASSAY-DEP-001", "critical", "PyPI/torchtriton@2.0.0+git1", "ASSAY-2022-0001"},
				{"ASSAY-DEP-001", "critical", "PyPI/torchtriton", "ASSAY-2022-0001"}}},
		{"benign twin: pytorch-triton", []core.Component{pkg("PyPI", "pytorch-triton", "3.0.0", "", "requirements.txt", 2, "manifest")}, nil},
		{"DEP-002 torch < 2.6.0", []core.Component{pkg("PyPI", "torch", "2.5.1+cu121", "", "requirements.txt", 4, "manifest")},
			[]brief{{"ASSAY-DEP-002", "high", "PyPI/torch@2.5.1+cu121", "GHSA-53q9-r3pm-6pq6,CVE-2025-32434"}}},
		{"benign twin: torch 2.6.0", []core.Component{pkg("PyPI", "torch", "2.6.0", "", "requirements.txt", 4, "manifest")}, nil},
		{"DEP-002 langchain-core in both advisories", []core.Component{pkg("PyPI", "langchain_core", "1.2.0", "", "uv.lock", 4, "lockfile")},
			[]brief{
				{"ASSAY-DEP-002", "high", "PyPI/langchain_core@1.2.0", "GHSA-c67j-w6g6-q2cm,CVE-2025-68664"},
				{"ASSAY-DEP-002", "high", "PyPI/langchain_core@1.2.0", "GHSA-pjwx-r37v-7724,CVE-2026-44843"}}},
		{"benign twin: langchain-core 0.3.81 and 1.3.3", []core.Component{
			pkg("PyPI", "langchain-core", "0.3.81", "", "uv.lock", 4, "lockfile"),
			pkg("PyPI", "langchain-core", "1.3.3", "", "uv.lock", 8, "lockfile")}, nil},
		{"DEP-001 nx and @nx/devkit", []core.Component{
			pkg("npm", "nx", "21.5.0", "", "package-lock.json", 100, "lockfile"),
			pkg("npm", "@nx/devkit", "20.9.0", "", "package-lock.json", 200, "lockfile")},
			[]brief{
				{"ASSAY-DEP-001", "critical", "npm/nx@21.5.0", "MAL-2025-41443,CVE-2025-10894,GHSA-cxm3-wv7p-598c"},
				{"ASSAY-DEP-001", "critical", "npm/@nx/devkit@20.9.0", "MAL-2025-41443,CVE-2025-10894,GHSA-cxm3-wv7p-598c"}}},
		{"benign twin: nx 21.4.0, @nx/devkit 21.6.0", []core.Component{
			pkg("npm", "nx", "21.4.0", "", "package-lock.json", 100, "lockfile"),
			pkg("npm", "@nx/devkit", "21.6.0", "", "package-lock.json", 200, "lockfile")}, nil},
		{"DEP-001 tinycolor explicit version", []core.Component{pkg("npm", "@ctrl/tinycolor", "4.1.2", "", "package-lock.json", 5, "lockfile")},
			[]brief{{"ASSAY-DEP-001", "critical", "npm/@ctrl/tinycolor@4.1.2", "MAL-2025-47141,GHSA-qjqf-7j6f-82c4"}}},
		{"benign twin: tinycolor 4.1.0 despite introduced:0 in the MAL record", []core.Component{pkg("npm", "@ctrl/tinycolor", "4.1.0", "", "package-lock.json", 5, "lockfile")}, nil},
		{"DEP-003 litellm>=1.80 without lockfile", []core.Component{pkg("PyPI", "litellm", "", ">=1.80", "requirements.txt", 1, "manifest")},
			[]brief{{"ASSAY-DEP-003", "high", "PyPI/litellm", "MAL-2026-2144,PYSEC-2026-2"}}},
		{"DEP-003 lowered when a lockfile pins a safe version", []core.Component{
			pkg("PyPI", "litellm", "", ">=1.80", "svc/pyproject.toml", 10, "manifest"),
			lock("PyPI", "litellm", "1.83.0", "uv.lock")},
			[]brief{{"ASSAY-DEP-003", "low", "PyPI/litellm", "MAL-2026-2144,PYSEC-2026-2"}}},
		{"DEP-003 stays high when the lockfile pins the bad version", []core.Component{
			pkg("PyPI", "litellm", "", ">=1.80", "pyproject.toml", 10, "manifest"),
			lock("PyPI", "litellm", "1.82.8", "uv.lock")},
			[]brief{
				{"ASSAY-DEP-001", "critical", "PyPI/litellm@1.82.8", "MAL-2026-2144,PYSEC-2026-2"},
				{"ASSAY-DEP-003", "high", "PyPI/litellm", "MAL-2026-2144,PYSEC-2026-2"}}},
		{"benign twin: litellm>=1.83 (and ~=1.83 has an upper bound)", []core.Component{
			pkg("PyPI", "litellm", "", "~=1.83", "requirements.txt", 1, "manifest"),
			pkg("PyPI", "litellm", "", ">=1.83,<2", "requirements-dev.txt", 1, "manifest")}, nil},
		{"DEP-003 nx ^21.0.0", []core.Component{pkg("npm", "nx", "", "^21.0.0", "package.json", 7, "manifest")},
			[]brief{{"ASSAY-DEP-003", "high", "npm/nx", "MAL-2025-41443,CVE-2025-10894,GHSA-cxm3-wv7p-598c"}}},
		{"benign twin: nx ^22.0.0", []core.Component{pkg("npm", "nx", "", "^22.0.0", "package.json", 7, "manifest")}, nil},
		{"DEP-004 unpinned without lockfile", []core.Component{
			pkg("PyPI", "requests", "", "", "requirements.txt", 1, "manifest"),
			pkg("npm", "express", "", "*", "package.json", 3, "manifest"),
			pkg("PyPI", "numpy", "", ">=1.20", "requirements.txt", 2, "manifest")},
			[]brief{
				{"ASSAY-DEP-004", "low", "npm/express", ""},
				{"ASSAY-DEP-004", "low", "PyPI/requests", ""},
				{"ASSAY-DEP-004", "low", "PyPI/numpy", ""}}},
		{"benign twin: a VCS dependency is not 'takes the newest release' (ASSAY-INV-001 covers it)", []core.Component{
			withURL(pkg("PyPI", "transformers", "", "", "examples/requirements.txt", 4, "manifest"), "git+https://github.com/huggingface/transformers")}, nil},
		{"benign twin: bounded, pinned, or covered by a lockfile", []core.Component{
			pkg("PyPI", "requests", "", "<3", "requirements.txt", 1, "manifest"),
			pkg("PyPI", "numpy", "1.26.4", "", "requirements.txt", 2, "manifest"),
			pkg("npm", "express", "", "*", "web/package.json", 3, "manifest"),
			lock("npm", "express", "4.19.2", "package-lock.json"),
			pkg("npm", "left", "", "git+https://example.invalid/x.git", "package.json", 4, "manifest")}, nil},
		{"DEP-001 tj-actions/changed-files@v45", []core.Component{action("tj-actions/changed-files", "v45", nil)},
			[]brief{{"ASSAY-DEP-001", "critical", "GitHub Actions/tj-actions/changed-files@v45", "GHSA-mrrh-fwg8-r2c3,CVE-2025-30066"}}},
		{"DEP-001 tj-actions pinned to the malicious SHA", []core.Component{action("tj-actions/changed-files", "0e58ed8671d6b60d0890c21b07f8835ace038e67", map[string]string{"tag_comment": "v45.0.7"})},
			[]brief{{"ASSAY-DEP-001", "critical", "GitHub Actions/tj-actions/changed-files@0e58ed8671d6b60d0890c21b07f8835ace038e67", "GHSA-mrrh-fwg8-r2c3,CVE-2025-30066"}}},
		{"benign twin: v46, v46.0.1 and another SHA", []core.Component{
			action("tj-actions/changed-files", "v46", nil),
			action("tj-actions/changed-files", "v46.0.1", nil),
			action("tj-actions/changed-files", "2f7c5bfce28377bc069a65ba478de0a74aa0ca32", map[string]string{"tag_comment": "v45.0.7"})}, nil},
		{"DEP-001 trivy-action tag, SHA; setup-trivy", []core.Component{
			action("aquasecurity/trivy-action", "0.34.2", nil),
			action("AquaSecurity/Trivy-Action", "ddb9da4475c1cef7d5389062bdfdfbdbd1394648", nil),
			action("aquasecurity/setup-trivy", "v0.2.5", nil)},
			[]brief{
				{"ASSAY-DEP-001", "critical", "GitHub Actions/AquaSecurity/Trivy-Action@ddb9da4475c1cef7d5389062bdfdfbdbd1394648", "GHSA-69fq-xp46-6x23,CVE-2026-33634,GO-2026-4919"},
				{"ASSAY-DEP-001", "critical", "GitHub Actions/aquasecurity/setup-trivy@v0.2.5", "GHSA-69fq-xp46-6x23,CVE-2026-33634,GO-2026-4919"},
				{"ASSAY-DEP-001", "critical", "GitHub Actions/aquasecurity/trivy-action@0.34.2", "GHSA-69fq-xp46-6x23,CVE-2026-33634,GO-2026-4919"}}},
		{"benign twin: trivy-action 0.35.0 by tag and by SHA, setup-trivy v0.2.6", []core.Component{
			action("aquasecurity/trivy-action", "0.35.0", nil),
			action("aquasecurity/trivy-action", "57a97c7e7821a5776cebc9bb87c984fa69cba8f1", map[string]string{"tag_comment": "0.35.0"}),
			action("aquasecurity/setup-trivy", "3fb12ec12f41e471780db15c232d5dd185dcb514", nil),
			action("aquasecurity/setup-trivy", "v0.2.6", nil)}, nil},
		{"DEP-001 reviewdog v1 and unverified kics (lower confidence)", []core.Component{
			action("reviewdog/action-setup", "v1", nil),
			action("checkmarx/kics-github-action", "v2.1.3", nil)},
			[]brief{
				{"ASSAY-DEP-001", "critical", "GitHub Actions/reviewdog/action-setup@v1", "CVE-2025-30154"},
				{"ASSAY-DEP-001", "high", "GitHub Actions/checkmarx/kics-github-action@v2.1.3", "ASSAY-2026-0001"}}},
		{"benign twin: reviewdog v2, kics pinned by SHA", []core.Component{
			action("reviewdog/action-setup", "v2", nil),
			action("checkmarx/kics-github-action", "0123456789abcdef0123456789abcdef01234567", nil)}, nil},
		{"DEP-001 Go trivy v0.69.4", []core.Component{pkg("Go", "github.com/aquasecurity/trivy", "v0.69.4", "", "go.mod", 5, "manifest")},
			[]brief{{"ASSAY-DEP-001", "critical", "Go/github.com/aquasecurity/trivy@v0.69.4", "GHSA-69fq-xp46-6x23,CVE-2026-33634,GO-2026-4919"}}},
		{"benign twin: Go trivy v0.69.3", []core.Component{pkg("Go", "github.com/aquasecurity/trivy", "v0.69.3", "", "go.mod", 5, "manifest")}, nil},
		{"DEP-001 malicious Hugging Face model", []core.Component{{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "baller423/goober2", Locations: []core.Location{{Path: "app.py", Line: 3}}}},
			[]brief{{"ASSAY-DEP-001", "critical", "Hugging Face/baller423/goober2", "ASSAY-2024-0002"}}},
		{"DEP-001 malicious model at a pinned revision", []core.Component{{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "glockr1/ballr7", Version: "main", Locations: []core.Location{{Path: "app.py", Line: 5}}}},
			[]brief{{"ASSAY-DEP-001", "critical", "Hugging Face/glockr1/ballr7@main", "ASSAY-2025-0001"}}},
		{"benign twin: a normal model", []core.Component{{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "bert-base-uncased", Locations: []core.Location{{Path: "app.py", Line: 3}}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, []string{"testdata/db"}, tc.cs...)
			if len(r.Errors) > 0 {
				t.Errorf("errors: %+v", r.Errors)
			}
			if diff := cmp.Diff(tc.want, briefs(r)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestMessagesAndFixes(t *testing.T) {
	c := pkg("PyPI", "litellm", "1.82.8", "", "requirements.txt", 3, "manifest")
	c.Locations = append(c.Locations, core.Location{Path: "svc/requirements.txt", Line: 7})
	r := run(t, nil, c,
		action("tj-actions/changed-files", "v45", nil),
		pkg("PyPI", "torch", "2.5.1", "", "requirements.txt", 4, "manifest"),
		pkg("PyPI", "litellm", "", ">=1.80", "pyproject.toml", 9, "manifest"),
		action("checkmarx/kics-github-action", "v2", nil),
	)
	byRule := map[string][]core.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	var lite core.Finding
	for _, f := range byRule["ASSAY-DEP-001"] {
		if strings.Contains(f.Component, "litellm") {
			lite = f
		}
	}
	for _, want := range []string{"litellm 1.82.8", "compromised", "models.litellm.cloud", "litellm_init.pth", "svc/requirements.txt:7"} {
		if !strings.Contains(lite.Message, want) {
			t.Errorf("litellm message lacks %q: %s", want, lite.Message)
		}
	}
	if !strings.Contains(lite.Fix, "1.83.0") || !strings.Contains(lite.Fix, "1.82.6") || !strings.Contains(lite.Fix, "rotate") {
		t.Errorf("litellm fix: %s", lite.Fix)
	}
	if lite.Location != (core.Location{Path: "requirements.txt", Line: 3}) || lite.Evidence != "litellm==1.82.8" {
		t.Errorf("litellm location/evidence: %+v %q", lite.Location, lite.Evidence)
	}
	var tj, kics core.Finding
	for _, f := range byRule["ASSAY-DEP-001"] {
		switch {
		case strings.Contains(f.Component, "tj-actions"):
			tj = f
		case strings.Contains(f.Component, "kics"):
			kics = f
		}
	}
	if !strings.Contains(tj.Message, "force-pushed") || !strings.Contains(tj.Message, "2025-03-14") || tj.Evidence != "uses: tj-actions/changed-files@v45" {
		t.Errorf("tj-actions: %s / %s", tj.Message, tj.Evidence)
	}
	if kics.Confidence != "low" || !strings.Contains(kics.Message, "UNVERIFIED") {
		t.Errorf("kics: %+v", kics)
	}
	torch := byRule["ASSAY-DEP-002"][0]
	if torch.Fix != "Upgrade torch to 2.6.0 or later." {
		t.Errorf("torch fix: %q", torch.Fix)
	}
	rng := byRule["ASSAY-DEP-003"][0]
	if !strings.Contains(rng.Message, "1.82.7, 1.82.8") || !strings.Contains(rng.Fix, "litellm>=1.83.0") {
		t.Errorf("range: %s / %s", rng.Message, rng.Fix)
	}
	if r.Meta["advisory_db"] == "" {
		t.Error("no advisory_db meta")
	}
}

func TestCVSSAndLowestFix(t *testing.T) {
	r := run(t, []string{"testdata/db"},
		pkg("PyPI", "werkzeug", "2.3.7", "", "requirements.txt", 1, "manifest"),
		pkg("PyPI", "Werkzeug", "3.0.0", "", "requirements.txt", 2, "manifest"),
		pkg("PyPI", "werkzeug", "2.3.8", "", "requirements.txt", 3, "manifest"),
		pkg("PyPI", "requests", "2.2.1", "", "requirements.txt", 4, "manifest"),
		pkg("PyPI", "redis", "4.5.0", "", "requirements.txt", 5, "manifest"), // withdrawn advisory
		pkg("npm", "left-pad", "1.2.0", "", "package-lock.json", 5, "lockfile"),
	)
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.Component] = f.Severity.String() + " " + f.Fix
	}
	want := map[string]string{
		"PyPI/werkzeug@2.3.7": "high Upgrade werkzeug to 2.3.8 or later.",
		"PyPI/Werkzeug@3.0.0": "high Upgrade Werkzeug to 3.0.1 or later.",
		"PyPI/requests@2.2.1": "high Upgrade requests to 2.3.0 or later.",
		"npm/left-pad@1.2.0":  "medium Upgrade left-pad to 1.3.0 or later.",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestBadDBPath(t *testing.T) {
	if _, err := NewAnalyzer(Options{DBPaths: []string{"testdata/does-not-exist"}, CacheDir: t.TempDir()}); err == nil {
		t.Fatal("missing --db path accepted")
	}
	// A file that is neither a zip nor a record: reported as a report error, scan continues.
	r := run(t, []string{"testdata/SOURCES.md"}, pkg("PyPI", "litellm", "1.82.8", "", "r.txt", 1, "manifest"))
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Reason, "advisory data not loaded") {
		t.Errorf("errors: %+v", r.Errors)
	}
	if len(r.Findings) != 1 {
		t.Errorf("embedded feed should still match: %+v", r.Findings)
	}
}

func TestRules(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category != "dependency" {
			t.Errorf("incomplete rule %+v", r)
		}
		ids[r.ID] = true
	}
	for _, id := range []string{RuleCompromised, RuleVulnerable, RuleRangeAllowsBad, RuleUnpinned} {
		if !ids[id] {
			t.Errorf("missing %s", id)
		}
	}
}

func TestAnalyzerReuse(t *testing.T) {
	a, err := NewAnalyzer(Options{DBPaths: []string{"testdata/db"}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r := core.NewReport(".")
		r.Components = []core.Component{pkg("PyPI", "requests", "2.2.0", "", "requirements.txt", 1, "manifest")}
		if err := a.Analyze(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if len(r.Findings) != 1 || len(r.Errors) != 0 {
			t.Fatalf("run %d: findings %+v errors %+v", i, r.Findings, r.Errors)
		}
	}
}

func TestDuplicateComponentsOneFinding(t *testing.T) {
	a := pkg("PyPI", "litellm", "1.82.8", "", "requirements.txt", 3, "manifest")
	b := pkg("PyPI", "litellm", "1.82.8", "", "svc/requirements.txt", 9, "manifest")
	r := run(t, nil, b, a)
	if len(r.Findings) != 1 {
		t.Fatalf("want one finding, got %+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Location.Path != "requirements.txt" || !strings.Contains(f.Message, "svc/requirements.txt:9") {
		t.Errorf("location %+v message %q", f.Location, f.Message)
	}
	if len(r.Components) != 2 || len(r.Components[0].Locations) != 1 {
		t.Error("analyzer modified the report's components")
	}
}

func TestRangeLoweredMessage(t *testing.T) {
	lockC := pkg("PyPI", "litellm", "1.83.0", "", "uv.lock", 40, core.SourceLockfile)
	r := run(t, nil, pkg("PyPI", "litellm", "", ">=1.80", "pyproject.toml", 9, "manifest"), lockC)
	if len(r.Findings) != 1 {
		t.Fatalf("%+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Severity != core.SeverityLow || !strings.Contains(f.Message, "lockfile at uv.lock:40 pins 1.83.0") {
		t.Errorf("%s %q", f.Severity, f.Message)
	}
	// A lockfile in a sibling directory does not protect this manifest.
	lockC.Locations = []core.Location{{Path: "other/uv.lock", Line: 40}}
	r = run(t, nil, pkg("PyPI", "litellm", "", ">=1.80", "svc/pyproject.toml", 9, "manifest"), lockC)
	if len(r.Findings) != 1 || r.Findings[0].Severity != core.SeverityHigh {
		t.Errorf("sibling lockfile: %+v", r.Findings)
	}
}

func withURL(c core.Component, u string) core.Component {
	if c.Properties == nil {
		c.Properties = map[string]string{}
	}
	c.Properties["url"] = u
	return c
}
