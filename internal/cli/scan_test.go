package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// uxRun runs the CLI with a chosen terminal state and environment, the way
// Main would on a real terminal.
func uxRun(t *testing.T, ttyOut, ttyErr bool, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), ttyOut: ttyOut, ttyErr: ttyErr,
		getenv: func(k string) string { return env[k] }}
	code := a.run(context.Background(), args)
	return code, out.String(), errb.String()
}

// uxProject has findings of several severities.
func uxProject(t *testing.T) string {
	return polTree(t, map[string]string{
		"requirements.txt": "litellm==1.82.8\nnumpy==2.1.0\n",
		".github/workflows/ci.yml": "on: [push]\npermissions: {}\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n" +
			"      - uses: docker/login-action@v3\n      - uses: actions/checkout@v4\n",
	})
}

func TestColourOnlyOnATerminalAndNeverWithNO_COLOR(t *testing.T) {
	dir := uxProject(t)
	tests := []struct {
		name   string
		tty    bool
		env    map[string]string
		colour bool
	}{
		{"terminal", true, nil, true},
		{"pipe", false, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := uxRun(t, tc.tty, false, tc.env, "scan", dir)
			if code != 1 {
				t.Fatalf("exit %d", code)
			}
			if got := strings.Contains(out, "\x1b["); got != tc.colour {
				t.Errorf("colour = %v, want %v:\n%q", got, tc.colour, out)
			}
		})
	}
}

func TestProgressBarOnlyOnATerminalOutsideCI(t *testing.T) {
	dir := uxProject(t)
	saved := progressDelay
	progressDelay = 0 // draw from the first file, whatever the machine's speed
	defer func() { progressDelay = saved }()
	tests := []struct {
		name   string
		ttyErr bool
		env    map[string]string
		args   []string
		bar    bool
	}{
		{"terminal", true, nil, nil, true},
		{"stderr piped", false, nil, nil, false},
		{"CI set", true, map[string]string{"CI": "true"}, nil, false},
		{"quiet", true, nil, []string{"-q"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", dir}, tc.args...)
			_, out, errb := uxRun(t, false, tc.ttyErr, tc.env, args...)
			if got := strings.Contains(errb, "scanning ["); got != tc.bar {
				t.Errorf("progress bar = %v, want %v; stderr %q", got, tc.bar, errb)
			}
			if tc.bar && !strings.HasSuffix(errb, "\r\x1b[K") {
				t.Errorf("progress bar not cleared before the report: %q", errb)
			}
			if strings.Contains(out, "scanning [") {
				t.Error("progress bar on stdout")
			}
		})
	}
}

func TestSummaryLineLastAndQuiet(t *testing.T) {
	dir := uxProject(t)
	code, out, _ := polRun(t, "scan", dir)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 1 || !strings.HasPrefix(lines[len(lines)-1], "FAIL: ") || !strings.Contains(lines[len(lines)-1], "fail-on high") {
		t.Errorf("exit %d, last line %q", code, lines[len(lines)-1])
	}
	code, out, errb := polRun(t, "scan", dir, "--quiet")
	if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.HasPrefix(out, "FAIL: ") || errb != "" {
		t.Errorf("--quiet: exit %d stdout %q stderr %q", code, out, errb)
	}
	// Machine formats to a file: the summary goes to stderr, last.
	file := filepath.Join(t.TempDir(), "r.sarif")
	code, out, errb = polRun(t, "scan", dir, "-f", "sarif", "-o", file)
	if code != 1 || out != "" || !strings.HasPrefix(errb, "FAIL: ") {
		t.Errorf("-o: exit %d stdout %q stderr %q", code, out, errb)
	}
}

func TestScanRendersEveryReportFormat(t *testing.T) {
	dir := uxProject(t)
	checks := map[string]func(string) bool{
		"sarif": func(s string) bool {
			var m map[string]any
			return json.Unmarshal([]byte(s), &m) == nil && m["version"] == "2.1.0" && strings.Contains(s, `"ruleId": "ASSAY-DEP-001"`)
		},
		"html": func(s string) bool {
			return strings.HasPrefix(s, "<!DOCTYPE html>") && strings.Contains(s, "ASSAY-DEP-001") && strings.Contains(s, "</html>")
		},
		"markdown": func(s string) bool {
			return strings.HasPrefix(s, "## ❌ **FAIL**") && strings.Contains(s, "`ASSAY-DEP-001`")
		},
	}
	for format, ok := range checks {
		t.Run(format, func(t *testing.T) {
			code, out, errb := polRun(t, "scan", dir, "-f", format)
			if code != 1 || !ok(out) {
				t.Errorf("-f %s: exit %d\n%.600s\nstderr: %s", format, code, out, errb)
			}
		})
	}
	// -o writes the file, nothing else to stdout.
	p := filepath.Join(t.TempDir(), "report.html")
	if code, out, _ := polRun(t, "scan", dir, "-f", "html", "-o", p); code != 1 || out != "" {
		t.Fatalf("-o html: exit %d stdout %q", code, out)
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Contains(b, []byte("</html>")) {
		t.Errorf("report file: %v", err)
	}
}

func TestFailOnFlagValidation(t *testing.T) {
	dir := uxProject(t)
	code, _, errb := polRun(t, "scan", dir, "--fail-on", "severe")
	if code != 2 || !strings.Contains(errb, "--fail-on") {
		t.Errorf("bad --fail-on: exit %d %q", code, errb)
	}
	if code, _, _ := polRun(t, "scan", dir, "--fail-on", "none", "-q"); code != 0 {
		t.Errorf("--fail-on none: exit %d", code)
	}
}

// TestCorpusReportsAreValid is an evaluation over the shared corpus (skipped
// when it is absent): the SARIF of a real scan validates against the SARIF
// 2.1.0 schema and the Markdown stays under GitHub's comment limit.
func TestCorpusReportsAreValid(t *testing.T) {
	corpus := os.Getenv("ASSAY_CORPUS")
	if corpus == "" {
		corpus = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not present (%v)", err)
	}
	code, out, errb := polRun(t, "scan", corpus, "-f", "sarif", "--fail-on", "none")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	raw, err := os.ReadFile(filepath.Join("..", "report", "testdata", "schemas-sarif", "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("corpus SARIF does not validate: %v", err)
	}
	_, md, _ := polRun(t, "scan", corpus, "-f", "markdown", "--fail-on", "none")
	if len(md) > 65536 || !strings.Contains(md, "assay supply-chain check") {
		t.Errorf("corpus markdown: %d bytes", len(md))
	}
	t.Logf("corpus: SARIF %d bytes, Markdown %d bytes", len(out), len(md))
}
