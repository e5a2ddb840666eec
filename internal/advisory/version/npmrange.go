package version

import (
	"fmt"
	"regexp"
	"strings"
)

// NPMRange is a parsed node-semver range: a disjunction ("||") of
// comparator sets, each a conjunction of primitive comparators.
type NPMRange struct {
	Sets [][]Comparator
	// Any is true for ranges that accept every release ("*", "", "x",
	// "latest" and other dist-tags).
	Any bool
}

// Comparator is one primitive bound: Op is one of <, <=, >, >=, =.
type Comparator struct {
	Op string
	V  *SemVer
}

var (
	hyphenRe  = regexp.MustCompile(`^\s*([^\s]+)\s+-\s+([^\s]+)\s*$`)
	opSpaceRe = regexp.MustCompile(`(<=|>=|<|>|=|~>|~|\^)\s+`)
)

// ErrNotRange marks requirement strings that are not registry version
// ranges at all (git/URL/file/workspace specs); they allow no registry
// version and cannot be evaluated.
var ErrNotRange = fmt.Errorf("%w: not a registry version range", ErrInvalid)

// ParseNPMRange parses an npm dependency range: "^21.0.0", "~1.2",
// ">=1 <2", "1.x", "*", "1.2.3 - 2.3.4", "a || b", "latest", "npm:pkg@^1".
func ParseNPMRange(s string) (*NPMRange, error) {
	if len(s) > MaxLen*4 {
		return nil, fmt.Errorf("%w: range longer than %d bytes", ErrInvalid, MaxLen*4)
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "npm:") { // alias: npm:name@range
		if i := strings.LastIndexByte(s, '@'); i > len("npm:") {
			s = s[i+1:]
		} else {
			s = ""
		}
	}
	if strings.Contains(s, ":") || strings.Contains(s, "/") {
		return nil, ErrNotRange
	}
	r := &NPMRange{}
	for _, alt := range strings.Split(s, "||") {
		alt = strings.TrimSpace(alt)
		set, any, err := parseCompSet(alt)
		if err != nil {
			return nil, err
		}
		if any {
			r.Any = true
			r.Sets = append(r.Sets, nil)
			continue
		}
		r.Sets = append(r.Sets, set)
	}
	return r, nil
}

func isDistTag(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c >= '0' && c <= '9' || c == 'v' && len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "x" && s != "X"
}

// parseCompSet returns the comparators of one set, or any=true for "*".
func parseCompSet(s string) (cs []Comparator, any bool, err error) {
	if s == "" || s == "*" || s == "x" || s == "X" || isDistTag(s) {
		return nil, true, nil
	}
	if m := hyphenRe.FindStringSubmatch(s); m != nil {
		lo, err := parsePartial(m[1])
		if err != nil {
			return nil, false, err
		}
		hi, err := parsePartial(m[2])
		if err != nil {
			return nil, false, err
		}
		if !lo.any {
			cs = append(cs, Comparator{">=", lo.floor()})
		}
		if !hi.any {
			if hi.n == 3 {
				cs = append(cs, Comparator{"<=", hi.v})
			} else {
				cs = append(cs, Comparator{"<", hi.bump(hi.n - 1)})
			}
		}
		return cs, len(cs) == 0, nil
	}
	s = opSpaceRe.ReplaceAllString(s, "$1")
	for _, tok := range strings.Fields(s) {
		c, err := desugar(tok)
		if err != nil {
			return nil, false, err
		}
		cs = append(cs, c...)
	}
	return cs, len(cs) == 0, nil
}

// partial is an X-range version: n numeric parts given (0..3).
type partial struct {
	v   *SemVer
	n   int
	any bool
}

func parsePartial(s string) (partial, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "=")
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	if s == "" || s == "*" || s == "x" || s == "X" {
		return partial{any: true}, nil
	}
	build := ""
	if i := strings.IndexByte(s, '+'); i >= 0 {
		s, build = s[:i], s[i:]
	}
	pre := ""
	if i := strings.IndexByte(s, '-'); i >= 0 {
		s, pre = s[:i], s[i:]
	}
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return partial{}, fmt.Errorf("%w: %q has more than three parts", ErrInvalid, s)
	}
	n := 0
	nums := []string{"0", "0", "0"}
	for i, p := range parts {
		if p == "x" || p == "X" || p == "*" {
			break
		}
		if !isDigits(p) {
			return partial{}, fmt.Errorf("%w: %q is not a version", ErrInvalid, s)
		}
		nums[i] = p
		n = i + 1
	}
	if n == 0 {
		return partial{any: true}, nil
	}
	if n < 3 {
		pre = "" // pre-release on an X-range is meaningless
	}
	v, err := parseSemVer(strings.Join(nums, ".")+pre+build, false, false)
	if err != nil {
		return partial{}, err
	}
	return partial{v: v, n: n}, nil
}

func (p partial) floor() *SemVer { return p.v }

// bump returns the smallest version above the series fixed by the first
// k+1 parts, as a "-0" pre-release floor (node-semver's upper bounds).
func (p partial) bump(k int) *SemVer {
	nums := []string{p.v.Major, p.v.Minor, p.v.Patch}
	nums[k] = incDigits(nums[k])
	for i := k + 1; i < 3; i++ {
		nums[i] = "0"
	}
	return &SemVer{Major: nums[0], Minor: nums[1], Patch: nums[2], Pre: []string{"0"}, Parts: 3}
}

func incDigits(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

func desugar(tok string) ([]Comparator, error) {
	op := ""
	for _, o := range []string{"<=", ">=", "~>", "<", ">", "=", "~", "^"} {
		if strings.HasPrefix(tok, o) {
			op = o
			break
		}
	}
	p, err := parsePartial(tok[len(op):])
	if err != nil {
		return nil, err
	}
	if p.any {
		if op == "<" || op == ">" {
			return []Comparator{{"<", &SemVer{Major: "0", Minor: "0", Patch: "0", Pre: []string{"0"}, Parts: 3}}}, nil // matches nothing
		}
		return nil, nil
	}
	switch op {
	case "", "=":
		if p.n == 3 {
			return []Comparator{{"=", p.v}}, nil
		}
		return []Comparator{{">=", p.v}, {"<", p.bump(p.n - 1)}}, nil
	case "~", "~>":
		k := 1
		if p.n == 1 {
			k = 0
		}
		return []Comparator{{">=", p.v}, {"<", p.bump(k)}}, nil
	case "^":
		k := 0
		switch {
		case p.v.Major != "0":
			k = 0
		case p.n == 1:
			k = 0
		case p.v.Minor != "0" || p.n == 2:
			k = 1
		default:
			k = 2
		}
		return []Comparator{{">=", p.v}, {"<", p.bump(k)}}, nil
	case ">":
		if p.n == 3 {
			return []Comparator{{">", p.v}}, nil
		}
		return []Comparator{{">=", p.bump(p.n - 1).release()}}, nil
	case ">=":
		return []Comparator{{">=", p.v}}, nil
	case "<":
		if p.n == 3 {
			return []Comparator{{"<", p.v}}, nil
		}
		return []Comparator{{"<", withPre0(p.v)}}, nil
	case "<=":
		if p.n == 3 {
			return []Comparator{{"<=", p.v}}, nil
		}
		return []Comparator{{"<", p.bump(p.n - 1)}}, nil
	}
	return nil, fmt.Errorf("%w: unknown operator in %q", ErrInvalid, tok)
}

func (v *SemVer) release() *SemVer {
	return &SemVer{Major: v.Major, Minor: v.Minor, Patch: v.Patch, Parts: 3}
}

func withPre0(v *SemVer) *SemVer {
	c := v.release()
	c.Pre = []string{"0"}
	return c
}

func (c Comparator) test(v *SemVer) bool {
	d := compareSemVer(v, c.V)
	switch c.Op {
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	default:
		return d == 0
	}
}

// Contains reports whether v satisfies the range. As in npm, a pre-release
// satisfies a set only when one of its comparators names a pre-release of
// the same MAJOR.MINOR.PATCH.
func (r *NPMRange) Contains(v *SemVer) bool {
	for _, set := range r.Sets {
		if setContains(set, v) {
			return true
		}
	}
	return false
}

func setContains(set []Comparator, v *SemVer) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if len(v.Pre) == 0 {
		return true
	}
	for _, c := range set {
		if len(c.V.Pre) > 0 && !(len(c.V.Pre) == 1 && c.V.Pre[0] == "0" && c.Op == "<") &&
			c.V.Major == v.Major && c.V.Minor == v.Minor && c.V.Patch == v.Patch {
			return true
		}
	}
	return false
}

// HasUpperBound reports whether every alternative caps versions from above.
func (r *NPMRange) HasUpperBound() bool {
	if r.Any || len(r.Sets) == 0 {
		return false
	}
	for _, set := range r.Sets {
		capped := false
		for _, c := range set {
			if c.Op == "<" || c.Op == "<=" || c.Op == "=" {
				capped = true
			}
		}
		if !capped {
			return false
		}
	}
	return true
}
