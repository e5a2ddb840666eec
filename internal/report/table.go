package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
	ansiMag    = "\x1b[35m"
)

func sevColor(s core.Severity) string {
	switch s {
	case core.SeverityCritical:
		return ansiBold + ansiMag
	case core.SeverityHigh:
		return ansiBold + ansiRed
	case core.SeverityMedium:
		return ansiYellow
	case core.SeverityLow:
		return ansiBlue
	default:
		return ansiDim
	}
}

// Table writes the human report: findings grouped by severity (most severe
// first), then errors, then a one-line summary last.
func Table(w io.Writer, r *core.Report, opts Options) error {
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	bw := &errWriter{w: w}
	if !opts.Quiet {
		for sev := core.SeverityCritical; sev >= core.SeverityInfo; sev-- {
			if sev == core.SeverityInfo && !opts.Verbose {
				break
			}
			var group []*core.Finding
			for i := range r.Findings {
				if r.Findings[i].Severity == sev {
					group = append(group, &r.Findings[i])
				}
			}
			if len(group) == 0 {
				continue
			}
			bw.printf("%s (%d)\n", paint(sevColor(sev), strings.ToUpper(sev.String())), len(group))
			for _, f := range group {
				bw.printf("  %s %s  %s\n", paint(sevColor(sev), "●"), paint(ansiBold, safe(f.RuleID, false)), safe(f.Title, false))
				bw.printf("    %s %s\n", paint(ansiDim, "at"), paint(ansiCyan, safe(f.Location.String(), false)))
				if f.Component != "" {
					bw.printf("    %s %s\n", paint(ansiDim, "component"), safe(f.Component, false))
				}
				if f.Message != "" {
					bw.printf("    %s\n", indentCont(safe(f.Message, true), "    "))
				}
				if f.Evidence != "" {
					bw.printf("    %s %s\n", paint(ansiDim, "evidence"), safe(core.Clip(oneLine(f.Evidence), 240), false))
				}
				if len(f.Advisories) > 0 {
					bw.printf("    %s %s\n", paint(ansiDim, "advisories"), safe(strings.Join(f.Advisories, ", "), false))
				}
				if f.Fix != "" {
					bw.printf("    %s %s\n", paint(ansiDim, "fix"), indentCont(safe(f.Fix, true), "        "))
				}
			}
			bw.printf("\n")
		}
		if len(r.Errors) > 0 {
			bw.printf("%s (%d)\n", paint(ansiYellow, "ERRORS"), len(r.Errors))
			limit := 20
			if opts.Verbose {
				limit = len(r.Errors)
			}
			for i, e := range r.Errors {
				if i == limit {
					bw.printf("  … %d more (use -v)\n", len(r.Errors)-limit)
					break
				}
				p := e.Path
				if e.Member != "" {
					p += "!" + e.Member
				}
				bw.printf("  %s: %s\n", safe(p, false), safe(e.Reason, false))
			}
			bw.printf("\n")
		}
	}
	bw.printf("%s\n", SummaryLine(r, opts.Color))
	return bw.err
}

// SummaryLine is the one-line verdict printed last.
func SummaryLine(r *core.Report, color bool) string {
	s := r.Summary
	var parts []string
	for _, sev := range []string{"critical", "high", "medium", "low", "info"} {
		if n := s.BySeverity[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	counts := "no findings"
	if len(parts) > 0 {
		counts = strings.Join(parts, ", ")
	}
	verdict := "PASS"
	if s.Failed {
		verdict = "FAIL"
	}
	if color {
		if s.Failed {
			verdict = ansiBold + ansiRed + verdict + ansiReset
		} else {
			verdict = ansiBold + "\x1b[32m" + verdict + ansiReset
		}
	}
	line := fmt.Sprintf("%s: %s · %d components · %d files · %d errors", verdict, counts, s.Components, s.FilesWalked, s.Errors)
	if s.Suppressed > 0 {
		line += fmt.Sprintf(" · %d suppressed", s.Suppressed)
	}
	line += fmt.Sprintf(" · fail-on %s", s.FailOn)
	return line
}

// safe escapes what must never reach a terminal raw from scanned input:
// C0/C1 control characters (ESC sequences could recolour or rewrite the
// screen, CR/LF could forge report lines) and Unicode bidi overrides
// ("Trojan Source"). keepNewlines keeps \n (and \t) for multi-line messages.
func safe(s string, keepNewlines bool) string {
	clean := true
	for _, r := range s {
		if needsEscape(r, keepNewlines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if needsEscape(r, keepNewlines) {
			if r < 0x100 {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsEscape(r rune, keepNewlines bool) bool {
	switch {
	case keepNewlines && (r == '\n' || r == '\t'):
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
		return true
	}
	return false
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func indentCont(s, ind string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+ind)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, a...)
}
