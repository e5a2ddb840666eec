package python

import (
	"errors"
	"fmt"
	"strings"
)

// req is one parsed PEP 508 dependency specifier.
type req struct {
	Name   string
	Extras []string
	// Spec is the version specifier with whitespace removed (">=1.80,<2");
	// empty for URL requirements and bare names.
	Spec   string
	URL    string
	Marker string
}

// pinned returns the version when Spec pins exactly one version (a "==X"
// clause without wildcard, or "===X").
func (r *req) pinned() (string, bool) {
	return pinnedVersion(r.Spec)
}

// pinnedVersion reports the exact version a specifier pins, if any.
func pinnedVersion(spec string) (string, bool) {
	if spec == "" {
		return "", false
	}
	for _, cl := range strings.Split(spec, ",") {
		switch {
		case strings.HasPrefix(cl, "==="):
			if v := cl[3:]; v != "" {
				return v, true
			}
		case strings.HasPrefix(cl, "=="):
			if v := cl[2:]; v != "" && !strings.HasSuffix(v, "*") {
				return v, true
			}
		}
	}
	return "", false
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// validName reports whether s is a valid PEP 508 distribution name.
func validName(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isVersionByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '*' || c == '+' || c == '!' || c == '-' || c == '_'
}

var specOps = []string{"===", "==", "!=", "~=", "<=", ">=", "<", ">"}

// normalizeSpec validates a PEP 440 specifier set and returns it without
// whitespace, clauses joined by ",".
func normalizeSpec(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		op := ""
		for _, o := range specOps {
			if strings.HasPrefix(p, o) {
				op = o
				break
			}
		}
		if op == "" {
			return "", fmt.Errorf("invalid version specifier %q", clip(p))
		}
		v := strings.TrimSpace(p[len(op):])
		if v == "" {
			return "", fmt.Errorf("missing version after %q", op)
		}
		for i := 0; i < len(v); i++ {
			if !isVersionByte(v[i]) {
				return "", fmt.Errorf("invalid character %q in version %q", v[i], clip(v))
			}
		}
		out = append(out, op+v)
	}
	return strings.Join(out, ","), nil
}

func clip(s string) string { return strings.ToValidUTF8(trimClip(s, 60), "?") }

func trimClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

var errEmpty = errors.New("empty requirement")

// parseReq parses a PEP 508 specifier: name[extras] (spec | @ url) [; marker].
func parseReq(s string) (req, error) {
	var r req
	s = strings.TrimSpace(s)
	if s == "" {
		return r, errEmpty
	}
	i := 0
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	r.Name = s[:i]
	if !validName(r.Name) {
		if r.Name == "" {
			return r, fmt.Errorf("expected a package name at %q", clip(s))
		}
		return r, fmt.Errorf("invalid package name %q", clip(r.Name))
	}
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	skip()
	if i < len(s) && s[i] == '[' {
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			return r, errors.New("unterminated extras '['")
		}
		for _, e := range strings.Split(s[i+1:i+end], ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !validName(e) {
				return r, fmt.Errorf("invalid extra %q", clip(e))
			}
			r.Extras = append(r.Extras, e)
		}
		i += end + 1
		skip()
	}
	rest := s[i:]
	// Marker: the first ';' outside the URL. In URL form PEP 508 requires
	// whitespace before it; pip is lenient only for version specs.
	if strings.HasPrefix(rest, "@") {
		rest = strings.TrimSpace(rest[1:])
		end := 0
		for end < len(rest) && !isSpace(rest[end]) {
			end++
		}
		r.URL = rest[:end]
		if r.URL == "" {
			return r, errors.New("missing URL after '@'")
		}
		tail := strings.TrimSpace(rest[end:])
		if tail != "" {
			if tail[0] != ';' {
				return r, fmt.Errorf("unexpected text after URL: %q", clip(tail))
			}
			r.Marker = strings.TrimSpace(tail[1:])
		}
		return r, nil
	}
	spec := rest
	if j := strings.IndexByte(rest, ';'); j >= 0 {
		spec = rest[:j]
		r.Marker = strings.TrimSpace(rest[j+1:])
		if r.Marker == "" {
			return r, errors.New("empty environment marker after ';'")
		}
	}
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "(") {
		if !strings.HasSuffix(spec, ")") {
			return r, errors.New("unterminated '(' in version specifier")
		}
		spec = spec[1 : len(spec)-1]
	}
	ns, err := normalizeSpec(spec)
	if err != nil {
		return r, err
	}
	r.Spec = ns
	return r, nil
}

// looksLikeRequirement is a cheap check used to sniff generic *.in files.
func looksLikeRequirement(line string) bool {
	_, err := parseReq(line)
	return err == nil
}
