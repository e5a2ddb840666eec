package policy

import (
	"fmt"
	"strings"

	"github.com/assay-dev/assay/internal/advisory/version"
)

// versionSpec is a conjunction of comparisons ("==1.82.7", ">=1.0,<2").
// An empty spec matches every version.
type versionSpec struct {
	text        string
	constraints []constraint
}

type constraint struct {
	op string // ==, !=, >=, <=, >, <
	v  string
}

// parseVersionSpec parses "1.2.3" (exact), "==1.2.3", ">=1.0, <2.0", and the
// same with spaces. Versions compare generically: numeric runs numerically,
// other runs lexically, a leading "v" ignored, so the spec works for PEP 440
// releases, SemVer and Go module versions alike. Pre-release ordering is
// approximate; list exact versions when it matters.
func parseVersionSpec(s string) (versionSpec, error) {
	vs := versionSpec{text: strings.TrimSpace(s)}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return vs, fmt.Errorf("empty constraint in version spec %q", s)
		}
		op := "=="
		for _, cand := range []string{"===", "==", "!=", ">=", "<=", ">", "<", "="} {
			if strings.HasPrefix(part, cand) {
				op = cand
				part = strings.TrimSpace(part[len(cand):])
				break
			}
		}
		if op == "=" || op == "===" {
			op = "=="
		}
		if part == "" || strings.ContainsAny(part, " <>=!,") {
			return vs, fmt.Errorf("bad version %q in spec %q", part, s)
		}
		vs.constraints = append(vs.constraints, constraint{op: op, v: part})
	}
	return vs, nil
}

// matches reports whether version v of a package in ecosystem eco
// satisfies every constraint. Versions compare with the ecosystem's own
// ordering (PEP 440, npm SemVer, Go, Actions refs: the advisory matcher's)
// when both parse, generically otherwise.
func (vs versionSpec) matches(eco, v string) bool {
	for _, c := range vs.constraints {
		cmp := compareIn(eco, v, c.v)
		ok := false
		switch c.op {
		case "==":
			ok = cmp == 0
		case "!=":
			ok = cmp != 0
		case ">=":
			ok = cmp >= 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case "<":
			ok = cmp < 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// compareIn orders a and b with eco's version system when it has one and
// both parse, else generically.
func compareIn(eco, a, b string) int {
	if sys := version.For(eco); sys != nil {
		va, errA := sys.Parse(a)
		vb, errB := sys.Parse(b)
		if errA == nil && errB == nil {
			return va.Compare(vb)
		}
	}
	return compareVersions(a, b)
}

// compareVersions orders two version strings generically.
func compareVersions(a, b string) int {
	ta, tb := versionTokens(a), versionTokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		var x, y string
		if i < len(ta) {
			x = ta[i]
		}
		if i < len(tb) {
			y = tb[i]
		}
		if c := compareToken(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareToken(x, y string) int {
	xn, yn := isDigits(x), isDigits(y)
	switch {
	case x == y:
		return 0
	case x == "":
		// 1.0 < 1.0.1, but 1.0 > 1.0rc1 (a trailing letter run is a pre-release).
		if yn {
			return compareNum("0", y)
		}
		return 1
	case y == "":
		return -compareToken(y, x)
	case xn && yn:
		return compareNum(x, y)
	case xn:
		return 1 // release numbers sort after pre-release tags
	case yn:
		return -1
	default:
		return strings.Compare(x, y)
	}
}

func compareNum(x, y string) int {
	x = strings.TrimLeft(x, "0")
	y = strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// versionTokens splits "v1.2.3rc1" into ["1","2","3","rc","1"].
func versionTokens(v string) []string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i] // build metadata never orders
	}
	var out []string
	start := -1
	digit := false
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' || v[i] == '-' || v[i] == '_' {
			if start >= 0 {
				out = append(out, v[start:i])
				start = -1
			}
			continue
		}
		d := v[i] >= '0' && v[i] <= '9'
		if start >= 0 && d != digit {
			out = append(out, v[start:i])
			start = -1
		}
		if start < 0 {
			start, digit = i, d
		}
	}
	return out
}
