package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeWorkflowTree(t *testing.T, files map[string]string) string {
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

const vulnerableWorkflow = `name: triage
on:
  issues:
    types: [opened]
permissions:
  issues: write
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - uses: tj-actions/changed-files@v45
      - run: echo "${{ github.event.issue.title }}"
`

const benignWorkflow = `name: ci
on: [push, pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
`

func TestWorkflowVerbFindings(t *testing.T) {
	dir := writeWorkflowTree(t, map[string]string{
		".github/workflows/triage.yml": vulnerableWorkflow,
		"README.md":                    "not a workflow",
	})
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"workflow", dir, "-f", "json"}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (critical finding); stderr: %s", code, errb.String())
	}
	var rep struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Severity string `json:"severity"`
			Location struct {
				Path   string `json:"path"`
				Line   int    `json:"line"`
				Column int    `json:"column"`
			} `json:"location"`
		} `json:"findings"`
		Components []struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			Version   string `json:"version"`
			Ecosystem string `json:"ecosystem"`
			PURL      string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	found := map[string]string{}
	for _, f := range rep.Findings {
		found[f.RuleID] = f.Severity
		if f.RuleID == "ASSAY-GHA-020" && (f.Location.Path != ".github/workflows/triage.yml" || f.Location.Line != 12 || f.Location.Column != 20) {
			t.Errorf("injection at %+v, want .github/workflows/triage.yml:12:20", f.Location)
		}
	}
	if found["ASSAY-GHA-020"] != "critical" || found["ASSAY-GHA-001"] != "medium" || found["ASSAY-GHA-002"] != "" {
		t.Errorf("findings %v", found)
	}
	if len(rep.Components) != 1 || rep.Components[0].Ecosystem != "GitHub Actions" || rep.Components[0].Name != "tj-actions/changed-files" ||
		rep.Components[0].Version != "v45" || rep.Components[0].PURL != "pkg:githubactions/tj-actions/changed-files@v45" {
		t.Errorf("components %+v", rep.Components)
	}
}

func TestWorkflowVerbBenign(t *testing.T) {
	dir := writeWorkflowTree(t, map[string]string{".github/workflows/ci.yml": benignWorkflow})
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"workflow", dir, "--fail-on", "low"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, want 0; output:\n%s%s", code, out.String(), errb.String())
	}
}

func TestWorkflowVerbBadInput(t *testing.T) {
	dir := writeWorkflowTree(t, map[string]string{
		".github/workflows/broken.yml": "on: push\njobs:\n  j: [\n",
		".gitlab-ci.yml":               "image: python:3.12\n",
	})
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"workflow", dir, "-f", "json", "--fail-on", "none"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d; %s", code, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, `"path":".github/workflows/broken.yml"`) && !strings.Contains(s, `"path": ".github/workflows/broken.yml"`) {
		t.Errorf("no error naming the broken file:\n%s", s)
	}
	if !strings.Contains(s, "ASSAY-GL-002") {
		t.Errorf("GitLab file not audited:\n%s", s)
	}
}

func TestWorkflowVerbUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"workflow", filepath.Join(t.TempDir(), "missing")}, nil, &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2 for a missing path", code)
	}
}

func TestWorkflowVerbSingleFile(t *testing.T) {
	dir := writeWorkflowTree(t, map[string]string{"release.yml": vulnerableWorkflow})
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"workflow", filepath.Join(dir, "release.yml"), "-f", "json"}, nil, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "ASSAY-GHA-020") {
		t.Fatalf("exit %d, want 1 with ASSAY-GHA-020 for an explicitly named file:\n%s%s", code, out.String(), errb.String())
	}
}
