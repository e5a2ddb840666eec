package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// polRun runs the CLI in-process and returns exit code, stdout, stderr.
func polRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// polTree writes files (slash paths) under a new temp dir.
func polTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func polJSON(t *testing.T, stdout string) *core.Report {
	t.Helper()
	var r core.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	return &r
}

func ruleCount(fs []core.Finding, id string) int {
	n := 0
	for _, f := range fs {
		if f.RuleID == id {
			n++
		}
	}
	return n
}

// A project whose only problems are below the default threshold: a
// requirements pin that a policy may deny, and an unpinned third-party action
// (ASSAY-GHA-001, medium by default).
var polProject = map[string]string{
	"requirements.txt": "requests==2.32.3\nnumpy==2.1.0\n",
	".github/workflows/ci.yml": `name: ci
on: [push]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@v3
      - run: make
`,
}

func TestPolicyDrivesExitCode(t *testing.T) {
	dir := polTree(t, polProject)

	// No policy: nothing at or above high.
	code, out, errb := polRun(t, "scan", dir, "-f", "json")
	if code != 0 {
		t.Fatalf("without policy: exit %d\n%s\n%s", code, out, errb)
	}
	r := polJSON(t, out)
	if ruleCount(r.Findings, "ASSAY-GHA-001") != 1 || r.Findings[0].Severity >= core.SeverityHigh {
		t.Fatalf("expected one medium ASSAY-GHA-001 without policy: %+v", r.Findings)
	}

	// require_pinned_actions raises it to high: exit 1.
	pol := filepath.Join(dir, "assay.yaml")
	if err := os.WriteFile(pol, []byte("require_pinned_actions: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r = polJSON(t, out)
	if code != 1 || !r.Summary.Failed || r.Meta["policy"] != "assay.yaml" {
		t.Fatalf("require_pinned_actions: exit %d, summary %+v, meta %v", code, r.Summary, r.Meta)
	}
	for _, f := range r.Findings {
		if f.RuleID == "ASSAY-GHA-001" && (f.Severity != core.SeverityHigh || !strings.Contains(f.Message, "require_pinned_actions")) {
			t.Errorf("GHA-001 not re-graded visibly: %+v", f)
		}
	}

	// An explicit --fail-on wins over the policy.
	if code, _, _ = polRun(t, "scan", dir, "--fail-on", "critical", "-q"); code != 0 {
		t.Errorf("--fail-on critical: exit %d, want 0", code)
	}

	// The policy's fail_on applies when --fail-on is not given.
	if err := os.WriteFile(pol, []byte("fail_on: critical\nrequire_pinned_actions: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-q")
	if code != 0 || !strings.Contains(out, "fail-on critical") {
		t.Errorf("policy fail_on critical: exit %d, %q", code, out)
	}

	// A deny list entry is critical at the package's own line.
	if err := os.WriteFile(pol, []byte("packages:\n  deny:\n    - name: requests\n      version: \"<2.33\"\n      reason: pinned by security\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r = polJSON(t, out)
	if code != 1 || ruleCount(r.Findings, "ASSAY-POL-001") != 1 {
		t.Fatalf("deny list: exit %d findings %+v", code, r.Findings)
	}
	for _, f := range r.Findings {
		if f.RuleID == "ASSAY-POL-001" && (f.Location.Path != "requirements.txt" || f.Location.Line != 1 || f.Severity != core.SeverityCritical) {
			t.Errorf("POL-001 = %+v", f)
		}
	}

	// A rule switched off moves its findings to suppressed, visibly.
	if err := os.WriteFile(pol, []byte("rules:\n  ASSAY-GHA-*: off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json", "--fail-on", "low")
	r = polJSON(t, out)
	if ruleCount(r.Findings, "ASSAY-GHA-001") != 0 || ruleCount(r.Suppressed, "ASSAY-GHA-001") != 1 {
		t.Errorf("disabled rule: exit %d findings %+v suppressed %+v", code, r.Findings, r.Suppressed)
	}

	// --policy names a file elsewhere; it replaces assay.yaml.
	other := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(other, []byte("fail_on: medium\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ = polRun(t, "scan", dir, "--policy", other, "-q"); code != 1 || !strings.Contains(out, "fail-on medium") {
		t.Errorf("--policy: exit %d %q", code, out)
	}
}

func TestPolicyPathsSkipMeansNotRead(t *testing.T) {
	dir := polTree(t, map[string]string{
		"assay.yaml":                   "packages:\n  deny: [litellm]\npaths:\n  skip: [\"third_party/**\"]\n",
		"third_party/requirements.txt": "litellm==1.82.8\n",
		"requirements.txt":             "numpy==2.1.0\n",
	})
	code, out, errb := polRun(t, "scan", dir, "-f", "json")
	r := polJSON(t, out)
	if code != 0 || ruleCount(r.Findings, "ASSAY-POL-001") != 0 {
		t.Fatalf("skipped tree was scanned: exit %d %+v\n%s", code, r.Findings, errb)
	}
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Location.Path, "third_party/") {
			t.Errorf("finding in a skipped path: %+v", f)
		}
	}
	for _, c := range r.Components {
		if c.Name == "litellm" {
			t.Errorf("component from a skipped path: %+v", c)
		}
	}
}

func TestBaselineDrivesExitCode(t *testing.T) {
	dir := polTree(t, polProject)
	if err := os.WriteFile(filepath.Join(dir, "assay.yaml"), []byte("require_pinned_actions: true\npackages:\n  deny: [requests]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := polRun(t, "scan", dir, "-q"); code != 1 {
		t.Fatalf("before baseline: exit %d, want 1", code)
	}

	_, out, _ := polRun(t, "scan", dir, "-f", "json")
	before := len(polJSON(t, out).Findings) // POL-001, GHA-001 and whatever else the scanners report
	if before < 2 {
		t.Fatalf("want at least the deny and the pinning finding, got %d", before)
	}

	// Adopt: write a baseline accepting everything; this run and the next pass.
	bl := filepath.Join(dir, ".assayignore.yaml")
	code, out, errb := polRun(t, "scan", dir, "--write-baseline", bl, "-q")
	if code != 0 || !strings.Contains(errb, fmt.Sprintf("wrote %d accepted finding(s)", before)) || !strings.Contains(out, fmt.Sprintf("%d suppressed", before)) {
		t.Fatalf("--write-baseline: exit %d\n%s\n%s", code, out, errb)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r := polJSON(t, out)
	if code != 0 || len(r.Findings) != 0 || len(r.Suppressed) != before {
		t.Fatalf("with baseline: exit %d findings %+v suppressed %d", code, r.Findings, len(r.Suppressed))
	}
	for _, f := range r.Suppressed {
		if f.Suppression == nil || !strings.HasPrefix(f.Suppression.Reason, "accepted at baseline creation") || !strings.HasPrefix(f.Suppression.Source, ".assayignore.yaml:") {
			t.Errorf("suppression = %+v", f.Suppression)
		}
	}

	// A new problem fails again, and only it is reported.
	wf := filepath.Join(dir, ".github", "workflows", "release.yml")
	if err := os.WriteFile(wf, []byte("on: [push]\npermissions: {}\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r = polJSON(t, out)
	if code != 1 || ruleCount(r.Findings, "ASSAY-GHA-001") != 1 {
		t.Fatalf("new finding: exit %d %+v", code, r.Findings)
	}
	for _, f := range r.Findings {
		if f.Location.Path != ".github/workflows/release.yml" {
			t.Errorf("an accepted finding is reported again: %+v", f)
		}
	}
	if err := os.Remove(wf); err != nil {
		t.Fatal(err)
	}

	// An expired acceptance stops suppressing and is itself reported.
	expired := "ignore:\n  - rule: ASSAY-POL-001\n    package: requests\n    reason: migrating off it\n    expires: 2000-01-01\n  - rule: ASSAY-GHA-001\n    reason: reviewed\n"
	if err := os.WriteFile(bl, []byte(expired), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r = polJSON(t, out)
	if code != 1 || ruleCount(r.Findings, "ASSAY-POL-001") != 1 || ruleCount(r.Findings, "ASSAY-POL-010") != 1 {
		t.Fatalf("expired entry: exit %d %+v", code, r.Findings)
	}
	for _, f := range r.Findings {
		if f.RuleID == "ASSAY-POL-010" && (f.Location.Path != ".assayignore.yaml" || f.Location.Line != 2) {
			t.Errorf("POL-010 location = %+v", f.Location)
		}
	}

	// A stale entry is reported at info (full scans only).
	stale := "ignore:\n  - rule: ASSAY-POL-001\n    reason: ok\n  - rule: ASSAY-GHA-001\n    reason: ok\n  - rule: ASSAY-GHA-077\n    reason: long gone\n"
	if err := os.WriteFile(bl, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = polRun(t, "scan", dir, "-f", "json")
	r = polJSON(t, out)
	if code != 0 || ruleCount(r.Findings, "ASSAY-POL-011") != 1 {
		t.Fatalf("stale entry: exit %d %+v", code, r.Findings)
	}

	// --baseline points at another file, replacing .assayignore.yaml.
	empty := filepath.Join(t.TempDir(), "none.yaml")
	if err := os.WriteFile(empty, []byte("ignore: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ = polRun(t, "scan", dir, "--baseline", empty, "-q"); code != 1 {
		t.Errorf("--baseline with no entries: exit %d, want 1", code)
	}
}

func TestBadPolicyAndBaselineExit2(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string
	}{
		{"unknown key", map[string]string{"assay.yaml": "fail_on: high\nrequire_pined_actions: true\n"}, nil,
			[]string{"invalid policy", "assay.yaml:2:1", `unknown key "require_pined_actions"`, `did you mean "require_pinned_actions"`}},
		{"bad value", map[string]string{"assay.yaml": "allow_pickle_models: sometimes\n"}, nil,
			[]string{"assay.yaml:1:22", `must be true or false, got "sometimes"`}},
		{"yaml syntax", map[string]string{"assay.yaml": "rules: [\n"}, nil, []string{"invalid policy", "assay.yaml:"}},
		{"unknown rule id", map[string]string{"assay.yaml": "rules:\n  ASSAY-GHA-01: off\n"}, nil,
			[]string{"assay.yaml:2", `no rule has the id "ASSAY-GHA-01"`, "did you mean ASSAY-GHA-0"}},
		{"baseline without reason", map[string]string{".assayignore.yaml": "ignore:\n  - rule: ASSAY-GHA-001\n"}, nil,
			[]string{"invalid baseline", ".assayignore.yaml:2:5", "needs a reason"}},
		{"baseline bad date", map[string]string{".assayignore.yaml": "- rule: X\n  reason: r\n  expires: 2026-13-01\n"}, nil,
			[]string{".assayignore.yaml:3:12", "is not a date"}},
		{"missing --policy", nil, []string{"--policy", "does-not-exist.yaml"}, []string{"invalid policy", "does-not-exist.yaml: cannot read"}},
		{"missing --baseline", nil, []string{"--baseline", "nope.yaml"}, []string{"invalid baseline", "nope.yaml: cannot read"}},
		{"policy is a directory", map[string]string{"assay.yaml/x": ""}, nil, []string{"assay.yaml: not a regular file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"requirements.txt": "numpy==2.1.0\n"}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := polTree(t, files)
			args := append([]string{"scan", dir}, tc.args...)
			code, out, errb := polRun(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errb)
			}
			if out != "" {
				t.Errorf("a failed policy load still printed a report:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errb, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb)
				}
			}
		})
	}
}

func TestPolicyAppliesToFocusedVerbs(t *testing.T) {
	dir := polTree(t, map[string]string{
		".github/workflows/ci.yml": polProject[".github/workflows/ci.yml"],
		".assayignore.yaml":        "ignore:\n  - rule: ASSAY-DEP-999\n    reason: not a workflow rule\n",
		"assay.yaml":               "require_pinned_actions: true\n",
	})
	code, out, errb := polRun(t, "workflow", dir, "-f", "json")
	if code != 1 {
		t.Fatalf("workflow verb ignores the policy: exit %d\n%s\n%s", code, out, errb)
	}
	r := polJSON(t, out)
	if ruleCount(r.Findings, "ASSAY-POL-011") != 0 {
		t.Errorf("a focused verb reported a stale entry for a rule it never runs: %+v", r.Findings)
	}
}
