package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// MarkdownLimit is the most bytes Markdown writes: GitHub refuses comments
// longer than 65,536 characters, and a byte count never undercounts them.
const MarkdownLimit = 65536

// markdownTop is how many findings the summary table lists.
const markdownTop = 15

// Markdown renders a pull-request comment: the verdict, a counts table, the
// top findings with file:line, and collapsible details (evidence, advisories,
// fix), accepted risks and errors. It stays under MarkdownLimit, saying so
// when findings had to be left out. Untrusted text is escaped so it cannot
// break the table, open HTML or inject links.
func Markdown(w io.Writer, r *core.Report, opts Options) error {
	_, err := io.WriteString(w, markdownString(r, MarkdownLimit))
	return err
}

func markdownString(r *core.Report, limit int) string {
	s := r.Summary
	var b strings.Builder

	verdict := "✅ **PASS**"
	if s.Failed {
		verdict = "❌ **FAIL**"
	}
	fmt.Fprintf(&b, "## %s · assay supply-chain check\n\n", verdict)
	atOrAbove := 0
	if sev, err := core.ParseSeverity(s.FailOn); err == nil {
		for i := range r.Findings {
			if r.Findings[i].Severity >= sev {
				atOrAbove++
			}
		}
		fmt.Fprintf(&b, "**%d finding(s) at or above `%s`** · ", atOrAbove, s.FailOn)
	} else {
		b.WriteString("fail-on `none` · ")
	}
	fmt.Fprintf(&b, "%d components · %d files scanned", s.Components, s.FilesWalked)
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, " · %d accepted risk(s) suppressed", s.Suppressed)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, " · %d input(s) could not be scanned", s.Errors)
	}
	b.WriteString("\n\n")

	b.WriteString("| Severity | Findings |\n|:--|--:|\n")
	for _, sev := range []string{"critical", "high", "medium", "low", "info"} {
		fmt.Fprintf(&b, "| %s | %d |\n", sev, s.BySeverity[sev])
	}
	b.WriteString("\n")

	footer := fmt.Sprintf("\n<sub>%s %s · run <code>assay explain RULE_ID</code> for any rule's rationale and fix</sub>\n", mdText(r.Tool.Name), mdText(r.Tool.Version))

	if len(r.Findings) > 0 {
		n := min(len(r.Findings), markdownTop)
		if n < len(r.Findings) {
			fmt.Fprintf(&b, "### Top %d of %d findings\n\n", n, len(r.Findings))
		} else {
			b.WriteString("### Findings\n\n")
		}
		b.WriteString("| Severity | Rule | Location | Finding |\n|:--|:--|:--|:--|\n")
		for i := range n {
			f := &r.Findings[i]
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Severity, mdCode(f.RuleID), mdCode(f.Location.String()), cell(headline(f), 300))
		}
		b.WriteString("\n")
	}

	// Sections below are added while they fit; each is closed on its own.
	reserve := len(footer) + 400
	left := func() int { return limit - reserve - b.Len() }

	if len(r.Findings) > 0 {
		shown := 0
		var sec strings.Builder
		for i := range r.Findings {
			blk := findingBlock(&r.Findings[i])
			if sec.Len()+len(blk)+200 > left() {
				break
			}
			sec.WriteString(blk)
			shown++
		}
		if shown > 0 {
			fmt.Fprintf(&b, "<details>\n<summary>Details of %d finding(s)</summary>\n\n%s", shown, sec.String())
			if shown < len(r.Findings) {
				fmt.Fprintf(&b, "_%d more finding(s) not shown: a GitHub comment holds at most %d characters. The SARIF, HTML or JSON report has them all._\n\n", len(r.Findings)-shown, limit)
			}
			b.WriteString("</details>\n\n")
		} else {
			fmt.Fprintf(&b, "_Details of %d finding(s) not shown: a GitHub comment holds at most %d characters. The SARIF, HTML or JSON report has them all._\n\n", len(r.Findings), limit)
		}
	}

	if len(r.Suppressed) > 0 {
		var sec strings.Builder
		shown := 0
		for i := range r.Suppressed {
			f := &r.Suppressed[i]
			line := fmt.Sprintf("- %s %s at %s: %s", f.Severity, mdCode(f.RuleID), mdCode(f.Location.String()), cell(f.Title, 200))
			if sp := f.Suppression; sp != nil {
				line += " — accepted: " + cell(sp.Reason, 300)
				if sp.Expires != "" {
					line += " (until " + mdText(sp.Expires) + ")"
				}
				if sp.Source != "" {
					line += " " + mdCode(sp.Source)
				}
			}
			line += "\n"
			if sec.Len()+len(line)+200 > left() {
				break
			}
			sec.WriteString(line)
			shown++
		}
		if shown > 0 {
			fmt.Fprintf(&b, "<details>\n<summary>%d accepted risk(s) (suppressed)</summary>\n\n%s", len(r.Suppressed), sec.String())
			if shown < len(r.Suppressed) {
				fmt.Fprintf(&b, "- … %d more\n", len(r.Suppressed)-shown)
			}
			b.WriteString("\n</details>\n\n")
		}
	}

	if len(r.Errors) > 0 {
		var sec strings.Builder
		shown := 0
		for _, e := range r.Errors {
			p := e.Path
			if e.Member != "" {
				p += "!" + e.Member
			}
			line := fmt.Sprintf("- %s: %s\n", mdCode(p), cell(e.Reason, 300))
			if sec.Len()+len(line)+200 > left() {
				break
			}
			sec.WriteString(line)
			shown++
		}
		if shown > 0 {
			fmt.Fprintf(&b, "<details>\n<summary>%d input(s) could not be scanned</summary>\n\n%s", len(r.Errors), sec.String())
			if shown < len(r.Errors) {
				fmt.Fprintf(&b, "- … %d more\n", len(r.Errors)-shown)
			}
			b.WriteString("\n</details>\n\n")
		}
	}
	b.WriteString(footer)
	return b.String()
}

func headline(f *core.Finding) string {
	if f.Message == "" || f.Message == f.Title {
		return f.Title
	}
	return f.Title + ": " + f.Message
}

func findingBlock(f *core.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### %s %s %s\n\n", f.Severity, mdCode(f.RuleID), mdText(core.Clip(oneLine(f.Title), 200)))
	if l := f.Location.String(); l != "" {
		fmt.Fprintf(&b, "- **Location:** %s\n", mdCode(l))
	}
	if f.Message != "" && f.Message != f.Title {
		fmt.Fprintf(&b, "- **Message:** %s\n", mdText(core.Clip(oneLine(f.Message), 1000)))
	}
	if f.Component != "" {
		fmt.Fprintf(&b, "- **Component:** %s\n", mdCode(f.Component))
	}
	if len(f.Advisories) > 0 {
		codes := make([]string, len(f.Advisories))
		for i, a := range f.Advisories {
			codes[i] = mdCode(a)
		}
		fmt.Fprintf(&b, "- **Advisories:** %s\n", strings.Join(codes, ", "))
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "- **Fix:** %s\n", mdText(core.Clip(oneLine(f.Fix), 600)))
	}
	if f.Evidence != "" {
		ev := visibleControls(core.Clip(f.Evidence, 600), true)
		fence := strings.Repeat("`", max(3, longestRun(ev, '`')+1))
		fmt.Fprintf(&b, "- **Evidence:**\n\n%stext\n%s\n%s\n", fence, strings.ReplaceAll(ev, "\r", ""), fence)
	}
	b.WriteString("\n")
	return b.String()
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// mdText escapes untrusted text for Markdown prose: no markup, no raw HTML,
// no autolinked mentions.
func mdText(s string) string {
	return mdReplacer.Replace(visibleControls(s, false))
}

// visibleControls writes control characters (ESC, CR, NUL …) as \xNN text so
// that a file name cannot carry terminal escapes or forge lines into a
// comment; keepLines keeps newlines and tabs (code blocks).
func visibleControls(s string, keepLines bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c == 0x7f) && !(keepLines && (c == '\n' || c == '\t')) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 || c == 0x7f) && !(keepLines && (c == '\n' || c == '\t')) {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

var mdReplacer = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "#", "\\#", "|", "\\|", "~", "\\~", "@", "@\u200b",
)

// cell is mdText on one line, clipped, for a table cell.
func cell(s string, n int) string { return mdText(core.Clip(oneLine(s), n)) }

// mdCode renders s as inline code that survives backticks and pipes inside.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = visibleControls(core.Clip(oneLine(s), 300), false)
	// In tables a pipe ends the cell even inside code; GitHub honours \|.
	s = strings.ReplaceAll(s, "|", "\\|")
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
