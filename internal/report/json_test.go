package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/internal/core"
)

// sampleReport has one of everything the contract describes.
func sampleReport() *core.Report {
	r := core.NewReport("examples/rag-service")
	r.Components = []core.Component{
		{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: "litellm", Version: "1.82.8", PURL: "pkg:pypi/litellm@1.82.8",
			Locations: []core.Location{{Path: "requirements.txt", Line: 5}}, Direct: true, Properties: map[string]string{core.PropSource: core.SourceManifest},
			Hashes: []core.Hash{{Algorithm: "sha256", Value: "71e35aef03099cd1f2d6446734273025a163597de93912df321ef118bf135238"}}},
		{Kind: core.KindModel, Name: "models/reranker.pkl", ML: &core.ModelInfo{Format: "pickle"}, Locations: []core.Location{{Path: "models/reranker.pkl"}}},
	}
	sev := core.SeverityHigh
	r.Findings = []core.Finding{
		{RuleID: "ASSAY-DEP-001", Severity: core.SeverityCritical, Title: "Known-compromised release", Message: "litellm 1.82.8 shipped a credential stealer",
			Location: core.Location{Path: "requirements.txt", Line: 5, Column: 1}, Component: "pkg:pypi/litellm@1.82.8", Evidence: "litellm==1.82.8",
			Advisories: []string{"MAL-2026-2144", "PYSEC-2026-2"}, Fix: "Pin litellm 1.83.0 or later", Confidence: "high"},
		{RuleID: "ASSAY-MDL-002", Severity: core.SeverityCritical, Title: "Pickle calls os.system", Message: "…",
			Location: core.Location{Path: "models/reranker.pkl", Offset: 12, Member: "archive/data.pkl"}},
	}
	r.Suppressed = []core.Finding{{RuleID: "ASSAY-GHA-002", Severity: core.SeverityLow, Title: "t", Message: "m", Location: core.Location{Path: "a.yml", Line: 3},
		Suppression: &core.Suppression{Reason: "accepted", Expires: "2027-01-01", Source: ".assayignore.yaml:4"}}}
	r.Errors = []core.Error{{Path: "broken.lock", Scanner: "python/poetry-lock", Reason: "toml: line 3: unexpected EOF"}}
	r.Finalize(&sev)
	return r
}

func TestJSONMatchesSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	schemaPath := filepath.Join("..", "..", "docs", "assay-report.schema.json")
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("assay-report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("assay-report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("report does not match docs/assay-report.schema.json: %v\n%s", err, buf.String())
	}
	// And a broken document must fail, so the check can fail.
	var m map[string]any
	_ = json.Unmarshal(buf.Bytes(), &m)
	delete(m, "summary")
	if err := sch.Validate(m); err == nil {
		t.Error("schema accepted a report without summary")
	}
}

func TestTableGroupsBySeverityAndEndsWithSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := Table(&buf, sampleReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"CRITICAL (2)", "ASSAY-DEP-001", "requirements.txt:5:1", "MAL-2026-2144, PYSEC-2026-2", "models/reranker.pkl!archive/data.pkl@12", "ERRORS (1)", "broken.lock"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "FAIL: 2 critical") {
		t.Errorf("last line = %q, want the FAIL summary", last)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour escape codes without Color option")
	}
	buf.Reset()
	_ = Table(&buf, sampleReport(), Options{Color: true})
	if !strings.Contains(buf.String(), "\x1b[") {
		t.Error("no colour with Color option")
	}
	buf.Reset()
	_ = Table(&buf, sampleReport(), Options{Quiet: true})
	if n := strings.Count(strings.TrimSpace(buf.String()), "\n"); n != 0 {
		t.Errorf("quiet output has %d extra lines: %q", n, buf.String())
	}
}

func TestTableEscapesControlCharacters(t *testing.T) {
	r := core.NewReport(".")
	r.Findings = []core.Finding{{RuleID: "ASSAY-X-1", Severity: core.SeverityHigh, Title: "t",
		Message:  "line one\nline two \x1b[2J",
		Location: core.Location{Path: "evil\r\nCRITICAL (9)\x1b[31m.txt", Line: 1}, Evidence: "a\u202eb"}}
	r.Errors = []core.Error{{Path: "x\x1b]0;title\x07", Reason: "bad\rthing"}}
	r.Finalize(nil)
	var buf bytes.Buffer
	if err := Table(&buf, r, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\r", "\u202e", "\x07", "\nCRITICAL (9)"} {
		if strings.Contains(out, bad) {
			t.Errorf("raw %q reached the terminal:\n%s", bad, out)
		}
	}
	for _, want := range []string{`evil\x0d\x0aCRITICAL (9)\x1b[31m.txt:1`, `\u202e`, "line one\n    line two"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
