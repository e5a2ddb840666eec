package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// glob is a compiled wildcard pattern. Patterns are translated to anchored
// regular expressions once, at load time.
type glob struct {
	pattern string
	re      *regexp.Regexp
	literal bool // no wildcard at all: compare strings directly
	fold    bool // case-insensitive
	// litPath is set for a path pattern without wildcards: it matches the
	// path itself or anything beneath it, and, when anyDepth, at any depth.
	litPath  string
	anyDepth bool
}

// globKind selects the wildcard dialect.
type globKind int

const (
	// globPath: slash-separated paths relative to the scan root. `*` and `?`
	// stay within one path segment, `**` spans segments, `[abc]` is a class.
	// A pattern without a slash matches at any depth ("*.pkl", "vendor"); a
	// leading "/" anchors it at the root. A pattern also matches everything
	// beneath a matching directory.
	globPath globKind = iota
	// globID: rule and advisory ids, case-insensitive, `*` matches anything.
	globID
	// globName: package names and purls, case-insensitive; `*` stays within
	// one `/`-separated segment.
	globName
	// globHost: host names, case-insensitive; `*` matches any run of
	// characters including dots. A pattern without wildcards matches the host
	// itself and every subdomain of it.
	globHost
)

// maxPatternLen bounds one pattern.
const maxPatternLen = 1024

func compileGlob(pattern string, kind globKind) (*glob, error) {
	if len(pattern) > maxPatternLen {
		return nil, fmt.Errorf("pattern longer than %d characters", maxPatternLen)
	}
	p := pattern
	anchored := false
	if kind == globPath {
		p = strings.TrimPrefix(p, "./")
		if strings.HasPrefix(p, "/") {
			anchored = true
			p = strings.TrimLeft(p, "/")
		}
		p = strings.TrimRight(p, "/")
		if p == "" {
			return nil, fmt.Errorf("empty path pattern")
		}
	}
	fold := kind == globID || kind == globName || kind == globHost
	g := &glob{pattern: pattern, fold: fold}
	if kind == globPath && !strings.ContainsAny(p, "*?[") {
		g.litPath, g.anyDepth = p, !anchored && !strings.Contains(p, "/")
		return g, nil
	}
	if !strings.ContainsAny(p, "*?[") && kind != globPath && kind != globHost {
		g.literal = true
		g.pattern = p
		return g, nil
	}
	var b strings.Builder
	b.WriteString("^")
	if kind == globPath && !anchored && !strings.Contains(p, "/") {
		b.WriteString("(?:.*/)?")
	}
	if kind == globHost && !strings.ContainsAny(p, "*?[") {
		b.WriteString("(?:.*\\.)?")
	}
	oneSeg := "[^/]"
	if kind == globID || kind == globHost {
		oneSeg = "."
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			if i+1 < len(p) && p[i+1] == '*' {
				// "**/" matches zero or more whole segments; "**" elsewhere anything.
				if i+2 < len(p) && p[i+2] == '/' {
					b.WriteString("(?:.*/)?")
					i += 2
				} else {
					b.WriteString(".*")
					i++
				}
				continue
			}
			b.WriteString(oneSeg + "*")
		case '?':
			b.WriteString(oneSeg)
		case '[':
			j := strings.IndexByte(p[i+1:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in pattern %q", pattern)
			}
			class := p[i+1 : i+1+j]
			if class == "" || class == "!" || class == "^" {
				return nil, fmt.Errorf("empty character class in pattern %q", pattern)
			}
			b.WriteString("[")
			if class[0] == '!' || class[0] == '^' {
				b.WriteString("^")
				class = class[1:]
			}
			for k := 0; k < len(class); k++ {
				ch := class[k]
				if ch == '-' && k > 0 && k < len(class)-1 {
					b.WriteByte('-')
					continue
				}
				b.WriteString(regexp.QuoteMeta(string(ch)))
			}
			b.WriteString("]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if kind == globPath {
		b.WriteString("(?:/.*)?")
	}
	b.WriteString("$")
	expr := b.String()
	if kind != globPath {
		expr = "(?s)" + expr
	}
	if fold {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("bad pattern %q: %v", pattern, err)
	}
	g.re = re
	return g, nil
}

// match reports whether s matches (case-insensitively for ids, names and
// hosts).
func (g *glob) match(s string) bool {
	if g.literal {
		if g.fold {
			return strings.EqualFold(g.pattern, s)
		}
		return g.pattern == s
	}
	if g.litPath != "" {
		p := g.litPath
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
		return g.anyDepth && (strings.HasSuffix(s, "/"+p) || strings.Contains(s, "/"+p+"/"))
	}
	return g.re.MatchString(s)
}

// specificity ranks patterns for "most specific wins": exact ids beat globs,
// and among globs the one with more literal characters wins.
func (g *glob) specificity() int {
	if g.literal {
		return 1 << 20
	}
	n := 0
	for _, c := range g.pattern {
		if c != '*' && c != '?' && c != '[' && c != ']' {
			n++
		}
	}
	return n
}
