package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// benchReport is a large monorepo-sized report: 20,000 findings over 2,000
// files and 10,000 components.
func benchReport() *core.Report {
	r := core.NewReport(".")
	for i := range 10000 {
		r.Components = append(r.Components, core.Component{Kind: core.KindPackage, Ecosystem: "PyPI", Name: fmt.Sprintf("pkg-%d", i), Version: "1.0." + fmt.Sprint(i%50),
			Direct: i%10 == 0, Locations: []core.Location{{Path: fmt.Sprintf("svc%d/requirements.txt", i%200), Line: i%80 + 1}}})
	}
	rules := []string{"ASSAY-GHA-001", "ASSAY-DEP-001", "ASSAY-PRV-001", "ASSAY-MDL-001", "ASSAY-AI-002", "ASSAY-PKG-010"}
	for i := range 20000 {
		r.Findings = append(r.Findings, core.Finding{RuleID: rules[i%len(rules)], Severity: core.Severity(i % 5), Title: "t", Message: "m https://example.com/x",
			Location: core.Location{Path: fmt.Sprintf("dir%d/file%d.py", i%100, i%2000), Line: i%300 + 1}, Evidence: fmt.Sprintf("evidence %d", i),
			Component: fmt.Sprintf("pkg:pypi/pkg-%d@1.0.0", i%10000), Advisories: []string{fmt.Sprintf("GHSA-%04d", i%500)}})
	}
	return r
}

// benchPolicy has 40 rule overrides, deny/allow lists, hosts and a
// 5,000-entry baseline (fingerprints of a quarter of the findings, as
// --write-baseline writes them, plus 100 glob entries).
func benchPolicy(b *testing.B, r *core.Report) (*Policy, []*Entry) {
	var sb strings.Builder
	sb.WriteString("require_pinned_actions: true\nrequire_lockfile_hashes: true\nallow_pickle_models: false\nrules:\n")
	for i := range 40 {
		fmt.Fprintf(&sb, "  ASSAY-X%02d-*: low\n", i)
	}
	sb.WriteString("packages:\n  deny:\n")
	for i := range 50 {
		fmt.Fprintf(&sb, "    - pkg-%d@<1.0.10\n", i*97)
	}
	sb.WriteString("  allow:\n    - \"pkg-1*\"\n    - \"pkg-2*\"\nhosts:\n  deny: [webhook.site, \"*.ngrok.io\"]\n")
	p, err := Parse([]byte(sb.String()), "assay.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sb.Reset()
	sb.WriteString("ignore:\n")
	for i := 0; i < len(r.Findings); i += 4 {
		f := r.Findings[i]
		fmt.Fprintf(&sb, "  - rule: %s\n    path: %s\n    fingerprint: %s\n    reason: accepted\n", f.RuleID, f.Location.Path, f.ComputeFingerprint())
	}
	for i := range 100 {
		fmt.Fprintf(&sb, "  - advisory: GHSA-%04d\n    path: \"dir%d/**\"\n    reason: reviewed\n", i, i)
	}
	entries, err := ParseBaseline([]byte(sb.String()), ".assayignore.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return p, entries
}

func BenchmarkEnforce(b *testing.B) {
	base := benchReport()
	p, entries := benchPolicy(b, base)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		r := core.NewReport(".")
		r.Components = append([]core.Component(nil), base.Components...)
		r.Findings = append([]core.Finding(nil), base.Findings...)
		for _, e := range entries {
			e.matched = 0
		}
		b.StartTimer()
		Enforce(r, p, entries, Options{ReportStale: true})
	}
}

func BenchmarkParseBaseline5000(b *testing.B) {
	r := benchReport()
	_, entries := benchPolicy(b, r)
	var sb strings.Builder
	sb.WriteString("ignore:\n")
	for _, e := range entries {
		fmt.Fprintf(&sb, "  - rule: %q\n    reason: r\n", e.Rule+"x")
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseBaseline(data, "b.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
