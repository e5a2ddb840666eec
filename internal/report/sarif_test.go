package report

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/assay-dev/assay/internal/core"
)

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("testdata/schemas-sarif/sarif-2.1.0-rtm.5.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func renderSARIF(t *testing.T, r *core.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := SARIF(&buf, r, Options{Rules: renderRules()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := sarifSchema(t)
	for name, r := range map[string]*core.Report{"sample": renderSample(), "empty": emptyReport()} {
		out := renderSARIF(t, r)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: SARIF does not validate: %v\n%s", name, err, out)
		}
	}
	// The check can fail: a result with a bad level is refused.
	var m map[string]any
	_ = json.Unmarshal(renderSARIF(t, renderSample()), &m)
	res := m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
	res["level"] = "fatal"
	if err := sch.Validate(m); err == nil {
		t.Error("schema accepted level \"fatal\"")
	}
}

// Hostile file names still give schema-valid SARIF (relative URI references).
func TestSARIFHostilePaths(t *testing.T) {
	sch := sarifSchema(t)
	r := core.NewReport(".")
	for i, p := range []string{"run-2024-01-01T10:00.pkl", "`](http:--evil)`.pkl", "a b/c%d.py", "x\r\nCRITICAL (9)\n.pkl", "d\n\x1b[31mRED/m.pkl", "ü/ñ.py", "//double//slash"} {
		r.Findings = append(r.Findings, core.Finding{RuleID: "ASSAY-X-001", Title: "t", Location: core.Location{Path: p, Line: i + 1}})
	}
	r.Finalize(nil)
	out := renderSARIF(t, r)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("SARIF with hostile paths does not validate: %v\n%s", err, out)
	}
}

func emptyReport() *core.Report {
	r := core.NewReport(".")
	r.Tool.Version = "0.0.0-test"
	r.Finalize(nil)
	return r
}

func TestSARIFGolden(t *testing.T) {
	checkGolden(t, "sarif/sample.sarif.json", renderSARIF(t, renderSample()))
}

// sarifDoc is the slice of SARIF the assertions below read.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID                   string `json:"id"`
					ShortDescription     struct{ Text string }
					Help                 struct{ Text, Markdown string }
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
						ByteOffset  int `json:"byteOffset"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind, Status, Justification string
			} `json:"suppressions"`
		} `json:"results"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Message struct{ Text string }
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

func TestSARIFContent(t *testing.T) {
	r := renderSample()
	var doc sarifDoc
	if err := json.Unmarshal(renderSARIF(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("version %q, %d runs", doc.Version, len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "assay" || d.Version != "0.0.0-test" || d.InformationURI == "" {
		t.Errorf("driver = %+v", d)
	}
	// Only rules that appear, sorted, with help and GitHub's security-severity.
	var ids []string
	for _, rl := range d.Rules {
		ids = append(ids, rl.ID)
		if rl.ShortDescription.Text == "" || rl.Help.Text == "" || rl.Help.Markdown == "" || rl.DefaultConfiguration.Level == "" {
			t.Errorf("rule %s incomplete: %+v", rl.ID, rl)
		}
	}
	if got := strings.Join(ids, ","); got != "ASSAY-DEP-001,ASSAY-GHA-001,ASSAY-MDL-002,ASSAY-POL-011,ASSAY-ZZZ-404" {
		t.Errorf("rules = %s", got)
	}
	if ss := d.Rules[0].Properties["security-severity"]; ss != "9.5" {
		t.Errorf("DEP-001 security-severity = %v", ss)
	}
	if _, ok := d.Rules[3].Properties["security-severity"]; ok {
		t.Error("info rule has a security-severity")
	}
	if !strings.Contains(d.Rules[2].Help.Markdown, "&lt;b&gt;") || !strings.Contains(d.Rules[2].Help.Text, "Fix: Do not load it") {
		t.Errorf("MDL-002 help = %+v", d.Rules[2].Help)
	}
	if len(run.Results) != 6 {
		t.Fatalf("%d results, want 5 findings + 1 suppressed", len(run.Results))
	}
	for _, res := range run.Results {
		if d.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("ruleIndex %d points at %s, not %s", res.RuleIndex, d.Rules[res.RuleIndex].ID, res.RuleID)
		}
		if len(res.PartialFingerprints["assayFingerprint/v1"]) != 32 {
			t.Errorf("%s: partialFingerprints = %v", res.RuleID, res.PartialFingerprints)
		}
	}
	byRule := func(id string, suppressed bool) int {
		for i, res := range run.Results {
			if res.RuleID == id && (len(res.Suppressions) > 0) == suppressed {
				return i
			}
		}
		t.Fatalf("no result for %s", id)
		return -1
	}
	dep := run.Results[byRule("ASSAY-DEP-001", false)]
	loc := dep.Locations[0].PhysicalLocation
	if dep.Level != "error" || loc.ArtifactLocation.URI != "requirements.txt" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || loc.Region.StartLine != 5 || loc.Region.StartColumn != 1 {
		t.Errorf("DEP-001 result = %+v", dep)
	}
	mdl := run.Results[byRule("ASSAY-MDL-002", false)]
	if reg := mdl.Locations[0].PhysicalLocation.Region; reg == nil || reg.ByteOffset != 112 || reg.StartLine != 0 {
		t.Errorf("binary finding region = %+v", reg)
	}
	if !strings.Contains(mdl.Message.Text, "archive member archive/data.pkl") {
		t.Errorf("member missing from message: %q", mdl.Message.Text)
	}
	if info := run.Results[byRule("ASSAY-POL-011", false)]; info.Level != "note" {
		t.Errorf("info level = %s", info.Level)
	}
	if nl := run.Results[byRule("ASSAY-ZZZ-404", false)]; len(nl.Locations) != 0 || nl.Level != "warning" {
		t.Errorf("location-less finding = %+v", nl)
	}
	sup := run.Results[byRule("ASSAY-GHA-001", true)]
	if s := sup.Suppressions[0]; s.Kind != "external" || s.Status != "accepted" || !strings.Contains(s.Justification, "release job reviewed (accepted until 2027-01-01) [.assayignore.yaml:4]") {
		t.Errorf("suppression = %+v", s)
	}
	if inv := run.Invocations[0]; !inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 || !strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "broken.lock: toml") {
		t.Errorf("invocations = %+v", run.Invocations)
	}
}

// Fingerprints survive a line shift; they change with the path.
func TestSARIFFingerprintStable(t *testing.T) {
	fp := func(line int, path string) string {
		r := core.NewReport(".")
		r.Findings = []core.Finding{{RuleID: "ASSAY-GHA-001", Title: "t", Location: core.Location{Path: path, Line: line}, Evidence: "uses: a/b@v1"}}
		r.Finalize(nil)
		var doc sarifDoc
		_ = json.Unmarshal(renderSARIF(t, r), &doc)
		return doc.Runs[0].Results[0].PartialFingerprints["assayFingerprint/v1"]
	}
	if fp(3, "a.yml") != fp(30, "a.yml") {
		t.Error("fingerprint changed with the line")
	}
	if fp(3, "a.yml") == fp(3, "b.yml") {
		t.Error("fingerprint ignores the path")
	}
}

func TestPathURI(t *testing.T) {
	for in, want := range map[string]string{"a/b c.py": "a/b%20c.py", "app/<llm>.py": "app/%3Cllm%3E.py", "x#y?.txt": "x%23y%3F.txt",
		"run-2024-01-01T10:00.pkl": "run-2024-01-01T10%3A00.pkl", "`](http:--evil)`.pkl": "%60%5D%28http%3A--evil%29%60.pkl"} {
		if got := pathURI(in); got != want {
			t.Errorf("pathURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkSARIF(b *testing.B) { benchRender(b, SARIF) }
