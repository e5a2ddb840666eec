package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/internal/core"
)

func init() {
	// Other renderers' tests may register -update too; share one flag.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// bomReport has one component of every kind the AI-BOM maps, a dependency
// edge, and an advisory finding.
func bomReport() *core.Report {
	r := core.NewReport("examples/rag-service")
	r.Tool.Version = "0.0.0-test"
	r.Components = []core.Component{
		{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: "litellm", Version: "1.82.8", PURL: "pkg:pypi/litellm@1.82.8",
			Locations: []core.Location{{Path: "requirements.txt", Line: 5}}, Direct: true, Licenses: []string{"MIT"},
			Properties: map[string]string{core.PropSource: core.SourceManifest}, DependsOn: []string{"pkg:pypi/openai@1.52.0", "pkg:pypi/missing@1"},
			Hashes: []core.Hash{{Algorithm: "sha256", Value: "71e35aef03099cd1f2d6446734273025a163597de93912df321ef118bf135238"}}},
		{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: "openai", Version: "1.52.0", PURL: "pkg:pypi/openai@1.52.0",
			Licenses: []string{"Apache-2.0 OR MIT", "Custom License"}, Scope: "dev"},
		{Kind: core.KindPackage, Ecosystem: core.EcosystemNPM, Name: "@ctrl/tinycolor", Requirement: "^4.1.0", Direct: true,
			Locations: []core.Location{{Path: "web/package.json", Line: 6}}},
		{Kind: core.KindModel, Ecosystem: core.EcosystemHuggingFace, Name: "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
			PURL: "pkg:huggingface/distilbert/distilbert-base-uncased-finetuned-sst-2-english", Direct: true,
			Locations: []core.Location{{Path: "notebooks/explore.ipynb", Line: 15}},
			ML:        &core.ModelInfo{Source: "hub", Task: "text-classification", Framework: "transformers", Architecture: "DistilBertForSequenceClassification"}},
		{Kind: core.KindModel, Name: "models/reranker.pkl", Locations: []core.Location{{Path: "models/reranker.pkl"}},
			Hashes:     []core.Hash{{Algorithm: "sha256", Value: "ab" + strings.Repeat("0", 62)}},
			Properties: map[string]string{core.PropFormat: "pickle"}, ML: &core.ModelInfo{Format: "pickle", Source: "file"}},
		{Kind: core.KindDataset, Ecosystem: core.EcosystemHuggingFace, Name: "acme-ml/wiki-qa-pairs", PURL: "pkg:huggingface/datasets/acme-ml/wiki-qa-pairs",
			Version: "8b3219a92973c328a8e22fadcfa821b5dc75636a", Direct: true, ML: &core.ModelInfo{Source: "hub", Revision: "8b3219a92973c328a8e22fadcfa821b5dc75636a"}},
		{Kind: core.KindDataset, Name: "data/eval.jsonl", Direct: true, Locations: []core.Location{{Path: "data/eval.jsonl"}},
			Hashes: []core.Hash{{Algorithm: "sha256", Value: "2dcb84e0dc4efac53d013006292adde6c0838ab0a06b8111f92879ec69f51207"}},
			ML:     &core.ModelInfo{Format: "jsonl", Source: "file"}, Properties: map[string]string{core.PropFormat: "jsonl"}},
		{Kind: core.KindDataset, Name: "https://example.org/data/train.csv", Direct: true,
			ML: &core.ModelInfo{Format: "csv", Source: "url", URL: "https://example.org/data/train.csv"}},
		{Kind: core.KindService, Name: "openai", Direct: true, Locations: []core.Location{{Path: "app/generate.py", Line: 8, Column: 17}},
			Properties: map[string]string{"models": "gpt-4o,gpt-4o-mini", "via": "litellm"}},
		{Kind: core.KindService, Name: "anthropic", Direct: true, Properties: map[string]string{"models": "claude-3-5-sonnet-20241022", "endpoint": "https://llm-gw.internal.example/v1"}},
		{Kind: core.KindAction, Ecosystem: core.EcosystemGitHubActions, Name: "tj-actions/changed-files", Version: "v45",
			PURL: "pkg:githubactions/tj-actions/changed-files@v45", Direct: true, Locations: []core.Location{{Path: ".github/workflows/ci.yml", Line: 12}}},
	}
	r.Findings = []core.Finding{
		{RuleID: "ASSAY-DEP-001", Severity: core.SeverityCritical, Title: "Known-compromised release", Message: "litellm 1.82.8 shipped a credential stealer",
			Location: core.Location{Path: "requirements.txt", Line: 5}, Component: "pkg:pypi/litellm@1.82.8", Advisories: []string{"MAL-2026-2144", "PYSEC-2026-2"},
			Fix: "Pin litellm 1.83.0 or later"},
		{RuleID: "ASSAY-AI-002", Severity: core.SeverityMedium, Title: "Hub model without pinned revision", Message: "m",
			Location: core.Location{Path: "notebooks/explore.ipynb", Line: 15}, Component: "pkg:huggingface/distilbert/distilbert-base-uncased-finetuned-sst-2-english"},
	}
	r.Finalize(nil)
	return r
}

// compileSchema loads a vendored schema (and the schemas it references).
func compileSchema(t *testing.T, main string, extra ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for _, name := range append([]string{main}, extra...) {
		raw, err := os.ReadFile(filepath.Join("testdata", "schemas", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		id := name
		if m, ok := doc.(map[string]any); ok {
			if s, ok := m["$id"].(string); ok && s != "" {
				id = s
			}
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		if name == main {
			main = id
		}
	}
	sch, err := c.Compile(main)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateJSON(t *testing.T, sch *jsonschema.Schema, b []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("output does not match the schema: %v\n%s", err, b)
	}
}

func renderCDX(t *testing.T, r *core.Report, xml bool) []byte {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01T00:00:00Z
	var buf bytes.Buffer
	if err := CycloneDX(&buf, r, Options{XML: xml}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCycloneDXMatchesSchema(t *testing.T) {
	sch := compileSchema(t, "bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json")
	for name, r := range map[string]*core.Report{"full": bomReport(), "empty": func() *core.Report {
		r := core.NewReport(".")
		r.Finalize(nil)
		return r
	}()} {
		t.Run(name, func(t *testing.T) { validateJSON(t, sch, renderCDX(t, r, false)) })
	}
}

func TestCycloneDXContent(t *testing.T) {
	var bom cdx.BOM
	if err := json.Unmarshal(renderCDX(t, bomReport(), false), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != cdx.SpecVersion1_6 || bom.Metadata.Timestamp != "2026-01-01T00:00:00Z" {
		t.Errorf("spec %v timestamp %q", bom.SpecVersion, bom.Metadata.Timestamp)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serial %q", bom.SerialNumber)
	}
	types := map[string]cdx.ComponentType{}
	for _, c := range *bom.Components {
		types[c.Name] = c.Type
		if c.Name == "distilbert/distilbert-base-uncased-finetuned-sst-2-english" {
			if c.ModelCard == nil || c.ModelCard.ModelParameters.Task != "text-classification" {
				t.Errorf("model card: %+v", c.ModelCard)
			}
		}
	}
	want := map[string]cdx.ComponentType{
		"litellm": cdx.ComponentTypeLibrary, "openai": cdx.ComponentTypeLibrary, "@ctrl/tinycolor": cdx.ComponentTypeLibrary,
		"distilbert/distilbert-base-uncased-finetuned-sst-2-english": cdx.ComponentTypeMachineLearningModel,
		"models/reranker.pkl": cdx.ComponentTypeMachineLearningModel, "acme-ml/wiki-qa-pairs": cdx.ComponentTypeData,
		"data/eval.jsonl": cdx.ComponentTypeData, "https://example.org/data/train.csv": cdx.ComponentTypeData,
		"tj-actions/changed-files": cdx.ComponentTypeApplication,
	}
	if d := cmp.Diff(want, types); d != "" {
		t.Errorf("component types (-want +got):\n%s", d)
	}
	var svcs []string
	for _, s := range *bom.Services {
		svcs = append(svcs, s.Name)
		if s.Name == "anthropic" && (s.Endpoints == nil || (*s.Endpoints)[0] != "https://llm-gw.internal.example/v1") {
			t.Errorf("anthropic endpoints %v", s.Endpoints)
		}
	}
	if d := cmp.Diff([]string{"anthropic", "openai"}, svcs); d != "" {
		t.Errorf("services (-want +got):\n%s", d)
	}
	// litellm depends on openai; the unknown dependency is dropped.
	found := false
	for _, d := range *bom.Dependencies {
		if d.Ref == "pkg:pypi/litellm@1.82.8" {
			found = d.Dependencies != nil && cmp.Equal(*d.Dependencies, []string{"pkg:pypi/openai@1.52.0"})
		}
	}
	if !found {
		t.Errorf("dependency edge litellm -> openai missing: %+v", *bom.Dependencies)
	}
	if bom.Vulnerabilities == nil || len(*bom.Vulnerabilities) != 1 || (*bom.Vulnerabilities)[0].ID != "MAL-2026-2144" {
		t.Errorf("vulnerabilities: %+v", bom.Vulnerabilities)
	}
	// Same report, same serial; a different report, a different serial.
	var again cdx.BOM
	_ = json.Unmarshal(renderCDX(t, bomReport(), false), &again)
	other := bomReport()
	other.Components = other.Components[:3]
	var diff cdx.BOM
	_ = json.Unmarshal(renderCDX(t, other, false), &diff)
	if again.SerialNumber != bom.SerialNumber || diff.SerialNumber == bom.SerialNumber {
		t.Errorf("serials: %s %s %s", bom.SerialNumber, again.SerialNumber, diff.SerialNumber)
	}
}

func TestCycloneDXXML(t *testing.T) {
	out := renderCDX(t, bomReport(), true)
	if !bytes.Contains(out, []byte(`xmlns="http://cyclonedx.org/schema/bom/1.6"`)) {
		t.Fatalf("not a CycloneDX 1.6 XML document:\n%s", out[:min(len(out), 400)])
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(out), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	if bom.Components == nil || len(*bom.Components) != 9 || bom.Services == nil || len(*bom.Services) != 2 {
		t.Errorf("XML round trip lost components/services")
	}
	golden(t, filepath.Join("testdata", "cyclonedx", "sample.xml"), out)
}

func TestCycloneDXGolden(t *testing.T) {
	golden(t, filepath.Join("testdata", "cyclonedx", "sample.json"), renderCDX(t, bomReport(), false))
}

// golden compares got with the file (rewritten under -update). Rendering is
// deterministic (fixed SOURCE_DATE_EPOCH, content-derived serial); the tool
// version is fixed in the fixture.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -run %s ./internal/report -update)", err, t.Name())
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", file, d)
	}
}

func TestBomTimeDefault(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if d := time.Since(bomTime()); d < 0 || d > time.Minute {
		t.Errorf("bomTime = now? off by %v", d)
	}
}
