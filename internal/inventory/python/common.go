package python

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"

	"github.com/assay-dev/assay/internal/core"
)

// Component property keys this package sets besides core.PropSource.
const (
	propMarker   = "marker"
	propExtras   = "extras"
	propURL      = "url"
	propGroup    = "group"
	propEditable = "editable"
	// propPath is a local path dependency (poetry/uv/pdm path or directory source).
	propPath = "path"
	// propDeclared keeps a Poetry constraint as written ("^1.2") when
	// Requirement holds its PEP 440 translation (">=1.2,<2.0").
	propDeclared = "declared"
	// propConstraint is the specifier a -c constraints file applies to a
	// requirement that is not pinned itself.
	propConstraint = "constraint"
	// propNameInferred is "true" when a URL/VCS requirement gave no name and
	// the name was taken from the repository or file name.
	propNameInferred = "name_inferred"
	// propChannel is a conda channel ("conda-forge").
	propChannel = "channel"
)

// EcosystemConda is the ecosystem name used for conda channel packages.
const EcosystemConda = "conda"

// normalizeName applies PEP 503: lower-case, runs of -_. become one "-".
func normalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteByte(c)
	}
	return b.String()
}

// pypiPURL returns pkg:pypi/<normalised name>[@version].
func pypiPURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", normalizeName(name), version, nil, "").ToString()
}

// qualifyURLPURL gives a package fetched from a URL or VCS its own purl
// (qualifier vcs_url or download_url, as the purl spec defines them), so it
// is never merged with — or mistaken for — the registry release of the same
// name in the AI-BOM.
func qualifyURLPURL(c *core.Component) {
	u := c.Properties[propURL]
	if u == "" || c.Ecosystem != core.EcosystemPyPI || c.PURL == "" {
		return
	}
	p, err := packageurl.FromString(c.PURL)
	if err != nil {
		return
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i] // "#egg=name", "#subdirectory=...": not part of the location
	}
	key := "download_url"
	lu := strings.ToLower(u)
	for _, vcs := range []string{"git+", "hg+", "svn+", "bzr+", "git://"} {
		if strings.HasPrefix(lu, vcs) {
			key = "vcs_url"
		}
	}
	for _, q := range p.Qualifiers {
		if q.Key == key {
			return
		}
	}
	p.Qualifiers = append(p.Qualifiers, packageurl.Qualifier{Key: key, Value: u})
	c.PURL = p.ToString()
}

// condaPURL returns pkg:conda/<name>[@version][?build=..&channel=..].
func condaPURL(name, version, build, channel string) string {
	var q packageurl.Qualifiers
	if build != "" {
		q = append(q, packageurl.Qualifier{Key: "build", Value: build})
	}
	if channel != "" {
		q = append(q, packageurl.Qualifier{Key: "channel", Value: channel})
	}
	return packageurl.NewPackageURL(packageurl.TypeConda, "", strings.ToLower(name), version, q, "").ToString()
}

// newPyPI builds a PyPI package component.
func newPyPI(name, version, requirement, source string, loc core.Location, direct bool) core.Component {
	return core.Component{
		Kind:        core.KindPackage,
		Name:        name,
		Version:     version,
		Ecosystem:   core.EcosystemPyPI,
		PURL:        pypiPURL(name, version),
		Requirement: requirement,
		Locations:   []core.Location{loc},
		Direct:      direct,
		Properties:  map[string]string{core.PropSource: source},
	}
}

// setProp sets a property when the value is not empty.
func setProp(c *core.Component, k, v string) {
	if v == "" {
		return
	}
	if c.Properties == nil {
		c.Properties = map[string]string{}
	}
	c.Properties[k] = v
}

// parseHash turns "sha256:abc..." (or "sha256=abc...") into a core.Hash; ok
// is false when the algorithm is unknown or the digest is not hex of the
// right length.
func parseHash(s string) (core.Hash, bool) {
	i := strings.IndexAny(s, ":=")
	if i <= 0 {
		return core.Hash{}, false
	}
	alg := s[:i]
	var want int
	switch strings.ToLower(alg) {
	case "sha256":
		alg, want = "sha256", 64
	case "sha512":
		alg, want = "sha512", 128
	case "sha384":
		alg, want = "sha384", 96
	case "sha224":
		alg, want = "sha224", 56
	case "sha1":
		alg, want = "sha1", 40
	case "md5":
		alg, want = "md5", 32
	default:
		return core.Hash{}, false
	}
	val := strings.TrimSpace(s[i+1:])
	if len(val) != want || !isHex(val) {
		return core.Hash{}, false
	}
	return core.Hash{Algorithm: alg, Value: lowerHex(val)}, true
}

// lowerHex lower-cases a hex digest without allocating when it already is.
func lowerHex(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'F' {
			return strings.ToLower(s)
		}
	}
	return s
}

func isHex(s string) bool {
	if s == "" {
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

// errNotText is the reason given for binary content in a text format.
var errNotText = errors.New("not a text file")

// decodeText checks that b is text and returns it as UTF-8. A UTF-8 BOM is
// dropped and UTF-16 with a BOM is transcoded (pip itself reads both, and
// `pip freeze > requirements.txt` in PowerShell writes UTF-16). NUL bytes
// otherwise mean binary: errNotText with the offset. Invalid UTF-8 is left
// to the caller (line-based formats report the line and go on).
func decodeText(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		b = b[3:]
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		be := b[0] == 0xFE
		body := b[2:]
		if len(body)%2 != 0 {
			return nil, fmt.Errorf("%w: odd-length UTF-16 content", errNotText)
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			if be {
				u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			} else {
				u[i] = uint16(body[2*i+1])<<8 | uint16(body[2*i])
			}
		}
		rs := utf16.Decode(u)
		out := make([]byte, 0, len(rs))
		for _, r := range rs {
			if r == 0 {
				return nil, fmt.Errorf("%w: NUL character in UTF-16 content", errNotText)
			}
			out = utf8.AppendRune(out, r)
		}
		return out, nil
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return nil, fmt.Errorf("%w: NUL byte at offset %d", errNotText, i)
	}
	return b, nil
}

// requireUTF8 fails with the first line holding invalid UTF-8 (for formats
// whose parser would reject the whole document anyway: TOML, JSON, YAML).
func requireUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	line := 1
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("not valid UTF-8 (line %d)", line)
		}
		if r == '\n' {
			line++
		}
		b = b[n:]
	}
	return errors.New("not valid UTF-8")
}

// lineIndex maps byte offsets to 1-based lines.
type lineIndex []int

func newLineIndex(b []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range b {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the 1-based line holding byte offset off.
func (li lineIndex) line(off int) int {
	return sort.Search(len(li), func(i int) bool { return li[i] > off })
}

// redactURL removes credentials (user:token@) from a URL-like string so that
// evidence and properties never carry secrets.
func redactURL(s string) string {
	scheme := strings.Index(s, "://")
	if scheme < 0 {
		return s
	}
	rest := s[scheme+3:]
	end := strings.IndexAny(rest, "/?#")
	host := rest
	if end >= 0 {
		host = rest[:end]
	}
	at := strings.LastIndexByte(host, '@')
	if at < 0 {
		return s
	}
	return s[:scheme+3] + "***@" + rest[at+1:]
}

// hostOf returns the lower-case host of a URL ("" when none).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// scopeForGroup maps a dependency-group / extra name to a Scope.
func scopeForGroup(group string) string {
	switch normalizeName(group) {
	case "test", "tests", "testing":
		return "test"
	}
	return "dev"
}

// scopeFromFileName infers a scope from requirement file naming conventions
// (requirements-dev.txt, test-requirements.txt, requirements/dev.txt).
func scopeFromFileName(p string) string {
	base := strings.ToLower(path.Base(p))
	for _, tok := range strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		switch tok {
		case "dev", "develop", "development":
			return "dev"
		case "test", "tests", "testing":
			return "test"
		}
	}
	return ""
}

// posError is a parse problem at a line of a file.
type posError struct {
	line   int
	reason string
}

func (e posError) toCore(file, scanner string) core.Error {
	r := e.reason
	if e.line > 0 {
		r = fmt.Sprintf("line %d: %s", e.line, e.reason)
	}
	return core.Error{Path: file, Scanner: scanner, Reason: r}
}
