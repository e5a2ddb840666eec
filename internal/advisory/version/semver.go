package version

import (
	"fmt"
	"strings"
)

// SemVer is a parsed Semantic Version 2.0 (as npm and Go order them).
// Numeric parts are digit strings without leading zeros; Inf marks a
// missing component of a floating tag ("v4" = the newest 4.x.y).
type SemVer struct {
	Major, Minor, Patch string
	Pre                 []string
	Build               string
	// Parts is how many numeric components were written (1..3).
	Parts int
	// Floating makes missing components sort above every value (a floating
	// GitHub Actions tag such as "v4" points at the newest 4.x.y).
	Floating bool
	raw      string
}

const infDigits = "\xff" // sorts after every digit string in cmpPart

func cmpPart(a, b string) int {
	if a == infDigits || b == infDigits {
		switch {
		case a == b:
			return 0
		case a == infDigits:
			return 1
		default:
			return -1
		}
	}
	return cmpDigits(a, b)
}

// parseSemVer parses "[v|=]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]".
// partial allows missing minor/patch (filled with 0, or Inf when floating).
func parseSemVer(s string, partial, floating bool) (*SemVer, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: version longer than %d bytes", ErrInvalid, MaxLen)
	}
	raw := s
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "=")
	s = strings.TrimLeft(s, " ")
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	v := &SemVer{raw: raw, Floating: floating}
	if i := strings.IndexByte(s, '+'); i >= 0 {
		v.Build = s[i+1:]
		s = s[:i]
		if v.Build == "" {
			return nil, fmt.Errorf("%w: empty build metadata in %q", ErrInvalid, raw)
		}
	}
	core := s
	if i := strings.IndexByte(s, '-'); i >= 0 {
		core = s[:i]
		pre := s[i+1:]
		if pre == "" {
			return nil, fmt.Errorf("%w: empty pre-release in %q", ErrInvalid, raw)
		}
		v.Pre = strings.Split(pre, ".")
		for _, id := range v.Pre {
			if id == "" || !validIdent(id) {
				return nil, fmt.Errorf("%w: bad pre-release identifier in %q", ErrInvalid, raw)
			}
		}
	}
	nums := strings.Split(core, ".")
	if len(nums) > 3 || (!partial && len(nums) != 3) {
		return nil, fmt.Errorf("%w: %q is not MAJOR.MINOR.PATCH", ErrInvalid, raw)
	}
	for _, n := range nums {
		if !isDigits(n) {
			return nil, fmt.Errorf("%w: %q is not a semantic version", ErrInvalid, raw)
		}
	}
	v.Parts = len(nums)
	fill := "0"
	if floating {
		fill = infDigits
	}
	parts := []*string{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		if i < len(nums) {
			*p = trimZeros(nums[i])
		} else {
			*p = fill
		}
	}
	if floating && len(v.Pre) > 0 && v.Parts < 3 {
		return nil, fmt.Errorf("%w: pre-release on a partial version %q", ErrInvalid, raw)
	}
	return v, nil
}

func validIdent(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// String returns MAJOR.MINOR.PATCH[-PRE] (build metadata dropped).
func (v *SemVer) String() string {
	var b strings.Builder
	for i, p := range []string{v.Major, v.Minor, v.Patch} {
		if p == infDigits {
			break
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	if len(v.Pre) > 0 {
		b.WriteByte('-')
		b.WriteString(strings.Join(v.Pre, "."))
	}
	return b.String()
}

// Compare implements Version (SemVer 2.0 precedence; build ignored).
func (v *SemVer) Compare(o Version) int {
	w, ok := o.(*SemVer)
	if !ok {
		return strings.Compare(v.String(), o.String())
	}
	return compareSemVer(v, w)
}

func compareSemVer(a, b *SemVer) int {
	if c := cmpPart(a.Major, b.Major); c != 0 {
		return c
	}
	if c := cmpPart(a.Minor, b.Minor); c != 0 {
		return c
	}
	if c := cmpPart(a.Patch, b.Patch); c != 0 {
		return c
	}
	return comparePre(a.Pre, b.Pre)
}

func comparePre(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xd, yd := isDigits(x), isDigits(y)
		switch {
		case xd && yd:
			if c := cmpDigits(x, y); c != 0 {
				return c
			}
		case xd:
			return -1 // numeric identifiers have lower precedence
		case yd:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

// NPM is npm's version system (node-semver, loose about a leading "v"/"=").
type NPM struct{}

// Name implements System.
func (NPM) Name() string { return "npm" }

// Parse implements System.
func (NPM) Parse(s string) (Version, error) {
	v, err := parseSemVer(s, false, false)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Go is the Go module version system: semantic versions with a "v" (OSV
// events omit it), pseudo-versions (ordered as the pre-releases they are)
// and "+incompatible" (build metadata, ignored in ordering).
type Go struct{}

// Name implements System.
func (Go) Name() string { return "Go" }

// Parse implements System.
func (Go) Parse(s string) (Version, error) {
	v, err := parseSemVer(s, false, false)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// SemVerType orders OSV ranges of type SEMVER in any ecosystem.
type SemVerType struct{}

// Name implements System.
func (SemVerType) Name() string { return "SEMVER" }

// Parse implements System (partial versions are zero-filled).
func (SemVerType) Parse(s string) (Version, error) {
	v, err := parseSemVer(s, true, false)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Actions is the GitHub Actions ref system: tags are SemVer with an
// optional "v" and may be partial. Advisory boundaries are zero-filled
// ("v46" = 46.0.0); use ParseRef for a workflow's ref, where a partial tag
// floats to the newest release of its series. Commit SHAs and branches do
// not parse: they match only when an advisory lists them.
type Actions struct{}

// Name implements System.
func (Actions) Name() string { return "GitHub Actions" }

// Parse implements System for advisory boundaries.
func (Actions) Parse(s string) (Version, error) {
	v, err := parseSemVer(s, true, false)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// ParseRef parses a workflow's `uses:` ref; "v4" sorts as the newest 4.x.y.
func (Actions) ParseRef(s string) (Version, error) {
	v, err := parseSemVer(s, true, true)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// IsCommitSHA reports a full 40-hex (or 64-hex) commit id.
func IsCommitSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
