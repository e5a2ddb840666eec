// Package version implements the version orderings and requirement
// languages of the ecosystems assay matches advisories in: PEP 440 (PyPI),
// npm SemVer, Go module versions (with pseudo-versions and +incompatible),
// and GitHub Actions refs (SemVer tags with an optional "v"; commit SHAs are
// never ordered, only compared for equality).
//
// Every parser here works on untrusted strings: inputs longer than MaxLen are
// rejected, numeric components are compared as digit strings (no overflow),
// and nothing allocates more than a small multiple of the input.
package version

import (
	"errors"
	"strings"
)

// MaxLen bounds the length of a version or requirement string.
const MaxLen = 256

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid version")

// Version is a parsed version of one ecosystem. Compare is only meaningful
// between versions of the same System.
type Version interface {
	// Compare returns -1, 0 or +1.
	Compare(o Version) int
	// String returns the canonical form.
	String() string
}

// System is an ecosystem's version ordering.
type System interface {
	// Name is the OSV ecosystem name.
	Name() string
	// Parse parses a version.
	Parse(s string) (Version, error)
}

// For returns the version system of an OSV ecosystem name, or nil when
// assay has no ordering for it (matching then falls back to exact
// equality with explicitly listed versions).
func For(ecosystem string) System {
	switch ecoBase(ecosystem) {
	case "pypi":
		return PEP440{}
	case "npm":
		return NPM{}
	case "go":
		return Go{}
	case "github actions":
		return Actions{}
	}
	return nil
}

// ecoBase strips an OSV ecosystem suffix (":version") and lower-cases.
func ecoBase(e string) string {
	if i := strings.IndexByte(e, ':'); i >= 0 {
		e = e[:i]
	}
	return strings.ToLower(strings.TrimSpace(e))
}

// cmpDigits compares two non-empty ASCII digit strings numerically without
// converting them (no overflow on absurdly long numbers).
func cmpDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
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

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
