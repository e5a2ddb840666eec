package python

import (
	"strings"
	"unicode/utf8"
)

// logLine is one logical line of a requirements file: physical lines joined
// at a trailing backslash, with the comment removed.
type logLine struct {
	line int    // 1-based line of the first physical line
	col  int    // 1-based byte column of the first non-blank character
	text string // comment-free, trimmed
	// comment is the text after '#' of a comment-only line (for "# via"
	// annotations written by pip-compile and uv export).
	comment   string
	isComment bool
	badUTF8   bool
}

// isCommentLine mirrors pip's COMMENT_RE.match: optional blanks then '#'.
func isCommentLine(s string) bool {
	t := strings.TrimLeft(s, " \t")
	return strings.HasPrefix(t, "#")
}

// stripComment mirrors pip's COMMENT_RE.sub: '#' at the start or after
// whitespace starts a comment ("pkg @ https://x#egg=y" keeps its fragment).
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || isSpace(s[i-1])) {
			return s[:i]
		}
	}
	return s
}

// splitLogical splits requirements text the way pip's join_lines +
// ignore_comments do, keeping line numbers.
func splitLogical(text string) []logLine {
	var (
		out     []logLine
		pending strings.Builder
		start   int
		startC  int
		joining bool
		bad     bool
	)
	lineNo := 0
	emit := func(ln, col int, s string, badUTF bool) {
		t := strings.TrimSpace(stripComment(s))
		if t == "" {
			return
		}
		out = append(out, logLine{line: ln, col: col, text: t, badUTF8: badUTF})
	}
	for len(text) > 0 {
		nl := strings.IndexByte(text, '\n')
		var raw string
		if nl < 0 {
			raw, text = text, ""
		} else {
			raw, text = text[:nl], text[nl+1:]
		}
		lineNo++
		raw = strings.TrimSuffix(raw, "\r")
		badLine := !utf8.ValidString(raw)
		if isCommentLine(raw) {
			if joining {
				emit(start, startC, pending.String(), bad)
				pending.Reset()
				joining = false
				bad = false
			}
			c := strings.TrimLeft(raw, " \t")
			out = append(out, logLine{line: lineNo, isComment: true, comment: strings.TrimSpace(c[1:]), badUTF8: badLine})
			continue
		}
		if strings.HasSuffix(raw, "\\") {
			if !joining {
				joining = true
				start = lineNo
				startC = firstCol(raw)
			}
			pending.WriteString(strings.TrimSuffix(raw, "\\"))
			bad = bad || badLine
			continue
		}
		if joining {
			pending.WriteString(raw)
			emit(start, startC, pending.String(), bad || badLine)
			pending.Reset()
			joining = false
			bad = false
			continue
		}
		emit(lineNo, firstCol(raw), raw, badLine)
	}
	if joining {
		emit(start, startC, pending.String(), bad)
	}
	return out
}

func firstCol(s string) int {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return i + 1
		}
	}
	return 1
}

// option is a parsed pip option ("-r", "--hash") with its value.
type option struct {
	name  string // canonical long name without dashes: "requirement", "hash", ...
	value string
}

// pip's short options and the long names they stand for.
var shortOpts = map[string]string{
	"-r": "requirement", "-c": "constraint", "-e": "editable", "-i": "index-url",
	"-f": "find-links", "-Z": "always-unzip", "-C": "config-settings",
}

// Options that take a value.
var valueOpts = map[string]bool{
	"requirement": true, "constraint": true, "editable": true, "index-url": true,
	"extra-index-url": true, "find-links": true, "hash": true, "trusted-host": true,
	"no-binary": true, "only-binary": true, "use-feature": true, "global-option": true,
	"config-settings": true, "install-option": true,
}

// splitArgsOptions separates the requirement part of a line from its
// options, like pip's break_args_options: the requirement is every token
// before the first one that starts with '-'.
func splitArgsOptions(line string) (string, []string) {
	toks := strings.Fields(line)
	for i, t := range toks {
		if strings.HasPrefix(t, "-") {
			return strings.Join(toks[:i], " "), toks[i:]
		}
	}
	return strings.Join(toks, " "), nil
}

// parseOptions parses option tokens. Unknown options are returned with an
// empty value and the "unknown" flag so the caller can report them.
func parseOptions(toks []string) (opts []option, unknown []string) {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		var name, val string
		hasVal := false
		switch {
		case strings.HasPrefix(t, "--"):
			name = t[2:]
			if j := strings.IndexByte(name, '='); j >= 0 {
				name, val, hasVal = name[:j], name[j+1:], true
			}
		case len(t) >= 2 && t[0] == '-':
			long, ok := shortOpts[t[:2]]
			if !ok {
				unknown = append(unknown, t)
				continue
			}
			name = long
			if len(t) > 2 {
				val, hasVal = strings.TrimPrefix(t[2:], "="), true
			}
		default:
			unknown = append(unknown, t)
			continue
		}
		if valueOpts[name] && !hasVal {
			if i+1 < len(toks) {
				i++
				val = toks[i]
			}
		}
		opts = append(opts, option{name: name, value: val})
	}
	return opts, unknown
}
