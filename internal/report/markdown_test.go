package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

func renderMarkdown(t *testing.T, r *core.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, r, Options{Rules: renderRules()}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestMarkdownGolden(t *testing.T) {
	checkGolden(t, "markdown/sample.md", []byte(renderMarkdown(t, renderSample())))
}

func TestMarkdownContent(t *testing.T) {
	out := renderMarkdown(t, renderSample())
	for _, want := range []string{
		"## ❌ **FAIL**",
		"**3 finding(s) at or above `high`**",
		"| critical | 2 |", "| info | 1 |",
		"| critical | `ASSAY-DEP-001` | `requirements.txt:5:1` |",
		"<summary>Details of 5 finding(s)</summary>",
		"- **Advisories:** `MAL-2026-2144`, `PYSEC-2026-2`",
		"<summary>1 accepted risk(s) (suppressed)</summary>",
		"accepted: release job reviewed (until 2027-01-01) `.assayignore.yaml:4`",
		"<summary>1 input(s) could not be scanned</summary>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q\n%s", want, out)
		}
	}
	// Untrusted text cannot open HTML or break a table row.
	if strings.Contains(out, "<script>") {
		t.Error("raw <script> in markdown")
	}
	if !strings.Contains(out, `no location at all \| pipes \| \`+"`ticks\\`") {
		t.Errorf("pipes/backticks not escaped:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Contains(line, "ASSAY-") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 5 {
				t.Errorf("findings row has %d cell separators, want 5: %q", n, line)
			}
		}
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("unbalanced <details>")
	}
	pass := renderMarkdown(t, emptyReport())
	if !strings.Contains(pass, "✅ **PASS**") || strings.Contains(pass, "<details>") || !strings.Contains(pass, "fail-on `none`") {
		t.Errorf("empty report:\n%s", pass)
	}
}

func TestMarkdownStaysUnderGitHubLimit(t *testing.T) {
	r := core.NewReport(".")
	for i := range 5000 {
		r.Findings = append(r.Findings, core.Finding{
			RuleID: fmt.Sprintf("ASSAY-DEP-%03d", i%7), Severity: core.Severity(i % 5), Title: "Known-vulnerable release",
			Message:  strings.Repeat("a long message ", 40),
			Location: core.Location{Path: fmt.Sprintf("pkgs/p%d/requirements.txt", i), Line: i + 1}, Evidence: strings.Repeat("x", 2000),
			Advisories: []string{"GHSA-xxxx-yyyy-zzzz"}, Fix: "upgrade",
		})
		r.Suppressed = append(r.Suppressed, core.Finding{RuleID: "ASSAY-GHA-001", Title: "t", Location: core.Location{Path: "a.yml", Line: i}, Suppression: &core.Suppression{Reason: "ok"}})
		r.Errors = append(r.Errors, core.Error{Path: fmt.Sprintf("broken%d.lock", i), Reason: "bad"})
	}
	sev := core.SeverityHigh
	r.Finalize(&sev)
	out := renderMarkdown(t, r)
	if len(out) > MarkdownLimit {
		t.Fatalf("markdown is %d bytes > %d", len(out), MarkdownLimit)
	}
	if !strings.Contains(out, "more finding(s) not shown: a GitHub comment holds at most 65536 characters") {
		t.Error("no truncation note")
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Error("unbalanced <details> after truncation")
	}
	if !strings.Contains(out, "Top 15 of 5000 findings") || !strings.HasSuffix(strings.TrimSpace(out), "</sub>") {
		t.Error("summary table or footer missing after truncation")
	}
	// Tight limits still produce a well-formed document.
	for _, limit := range []int{2000, 6000, 20000} {
		s := markdownString(r, limit)
		if strings.Count(s, "<details>") != strings.Count(s, "</details>") {
			t.Errorf("limit %d: unbalanced details", limit)
		}
	}
}

func TestMDCode(t *testing.T) {
	for in, want := range map[string]string{"a.py:3": "`a.py:3`", "a`b": "``a`b``", "`x": "`` `x ``", "a|b": "`a\\|b`"} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkMarkdown(b *testing.B) { benchRender(b, Markdown) }

// Control characters in file names cannot forge lines or colour a terminal.
func TestMarkdownControlCharacters(t *testing.T) {
	r := core.NewReport(".")
	r.Findings = []core.Finding{{RuleID: "ASSAY-X-001", Severity: core.SeverityHigh, Title: "t\x1b[31mred", Message: "m\rCRITICAL (9)",
		Location: core.Location{Path: "x\r\nCRITICAL (9)\n\x1b[31m.pkl", Line: 1}, Evidence: "a\x1b]0;title\x07\nb"}}
	r.Finalize(nil)
	out := renderMarkdown(t, r)
	if strings.ContainsAny(out, "\x1b\r\x07") {
		t.Errorf("control characters in markdown: %q", out)
	}
	if !strings.Contains(out, `\x1b[31m`) {
		t.Errorf("escape not made visible:\n%s", out)
	}
}
