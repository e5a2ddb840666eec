package version

import (
	"fmt"
	"regexp"
	"strings"
)

// PEP440 is the PyPI version system (PEP 440, as implemented by
// pypa/packaging): epochs, pre/post/dev releases, local versions, and the
// normalisations (1.0RC1 == 1.0rc1, 1.0-1 == 1.0.post1, v1.0 == 1.0).
type PEP440 struct{}

// Name implements System.
func (PEP440) Name() string { return "PyPI" }

// Parse implements System.
func (PEP440) Parse(s string) (Version, error) {
	v, err := ParsePEP440(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// PEPVersion is a parsed PEP 440 version. Numeric fields are digit strings
// with leading zeros removed ("" means absent, "0" means zero).
type PEPVersion struct {
	Epoch   string
	Release []string
	PreL    string // "a", "b", "rc" or ""
	PreN    string
	HasPost bool
	Post    string
	HasDev  bool
	Dev     string
	Local   []string
}

var pepRe = regexp.MustCompile(`^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(alpha|beta|preview|pre|a|b|c|rc)[-_.]?([0-9]+)?)?` +
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` +
	`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`)

func trimZeros(d string) string {
	t := strings.TrimLeft(d, "0")
	if t == "" {
		return "0"
	}
	return t
}

// ParsePEP440 parses and normalises a PEP 440 version.
func ParsePEP440(s string) (*PEPVersion, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: PEP 440 version longer than %d bytes", ErrInvalid, MaxLen)
	}
	t := strings.ToLower(strings.TrimSpace(s))
	m := pepRe.FindStringSubmatch(t)
	if m == nil {
		return nil, fmt.Errorf("%w: %q is not a PEP 440 version", ErrInvalid, s)
	}
	v := &PEPVersion{}
	if m[1] != "" {
		v.Epoch = trimZeros(m[1])
	}
	for _, p := range strings.Split(m[2], ".") {
		v.Release = append(v.Release, trimZeros(p))
	}
	if m[3] != "" {
		switch m[3] {
		case "alpha", "a":
			v.PreL = "a"
		case "beta", "b":
			v.PreL = "b"
		default: // c, rc, pre, preview
			v.PreL = "rc"
		}
		v.PreN = "0"
		if m[4] != "" {
			v.PreN = trimZeros(m[4])
		}
	}
	switch {
	case m[5] != "":
		v.HasPost, v.Post = true, trimZeros(m[5])
	case m[6] != "":
		v.HasPost, v.Post = true, "0"
		if m[7] != "" {
			v.Post = trimZeros(m[7])
		}
	}
	if m[8] != "" {
		v.HasDev, v.Dev = true, "0"
		if m[9] != "" {
			v.Dev = trimZeros(m[9])
		}
	}
	if m[10] != "" {
		v.Local = strings.FieldsFunc(m[10], func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, seg := range v.Local {
			if isDigits(seg) {
				v.Local[i] = trimZeros(seg)
			}
		}
	}
	return v, nil
}

// String returns the normalised form.
func (v *PEPVersion) String() string {
	var b strings.Builder
	if v.Epoch != "" && v.Epoch != "0" {
		b.WriteString(v.Epoch)
		b.WriteByte('!')
	}
	b.WriteString(strings.Join(v.Release, "."))
	b.WriteString(v.suffix())
	if len(v.Local) > 0 {
		b.WriteByte('+')
		b.WriteString(strings.Join(v.Local, "."))
	}
	return b.String()
}

func (v *PEPVersion) suffix() string {
	var b strings.Builder
	if v.PreL != "" {
		b.WriteString(v.PreL)
		b.WriteString(v.PreN)
	}
	if v.HasPost {
		b.WriteString(".post")
		b.WriteString(v.Post)
	}
	if v.HasDev {
		b.WriteString(".dev")
		b.WriteString(v.Dev)
	}
	return b.String()
}

// Public returns the version without its local segment.
func (v *PEPVersion) Public() *PEPVersion {
	if len(v.Local) == 0 {
		return v
	}
	c := *v
	c.Local = nil
	return &c
}

// Base returns epoch and release only.
func (v *PEPVersion) Base() *PEPVersion {
	return &PEPVersion{Epoch: v.Epoch, Release: v.Release}
}

// IsPrerelease reports a pre-release or development release.
func (v *PEPVersion) IsPrerelease() bool { return v.PreL != "" || v.HasDev }

// IsPostrelease reports a post-release.
func (v *PEPVersion) IsPostrelease() bool { return v.HasPost }

// Compare implements Version.
func (v *PEPVersion) Compare(o Version) int {
	w, ok := o.(*PEPVersion)
	if !ok {
		return strings.Compare(v.String(), o.String())
	}
	return comparePEP(v, w)
}

func epochOf(v *PEPVersion) string {
	if v.Epoch == "" {
		return "0"
	}
	return v.Epoch
}

func comparePEP(a, b *PEPVersion) int {
	if c := cmpDigits(epochOf(a), epochOf(b)); c != 0 {
		return c
	}
	if c := cmpRelease(a.Release, b.Release); c != 0 {
		return c
	}
	if c := cmpPre(a, b); c != 0 {
		return c
	}
	// post: absent sorts before any post release
	if a.HasPost != b.HasPost {
		if a.HasPost {
			return 1
		}
		return -1
	}
	if a.HasPost {
		if c := cmpDigits(a.Post, b.Post); c != 0 {
			return c
		}
	}
	// dev: absent sorts after any dev release
	if a.HasDev != b.HasDev {
		if a.HasDev {
			return -1
		}
		return 1
	}
	if a.HasDev {
		if c := cmpDigits(a.Dev, b.Dev); c != 0 {
			return c
		}
	}
	return cmpLocal(a.Local, b.Local)
}

func cmpRelease(a, b []string) int {
	n := len(a)
	if len(b) > n {
		n = len(b)
	}
	for i := 0; i < n; i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpDigits(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// preRank orders the pre-release phase: a dev-only release sorts before any
// pre-release of the same release, a final (no pre) after all of them.
func preRank(v *PEPVersion) int {
	switch {
	case v.PreL == "" && !v.HasPost && v.HasDev:
		return -1
	case v.PreL == "":
		return 4
	case v.PreL == "a":
		return 1
	case v.PreL == "b":
		return 2
	default:
		return 3
	}
}

func cmpPre(a, b *PEPVersion) int {
	ra, rb := preRank(a), preRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	if ra >= 1 && ra <= 3 {
		return cmpDigits(a.PreN, b.PreN)
	}
	return 0
}

func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		xd, yd := isDigits(x), isDigits(y)
		switch {
		case xd && yd:
			if c := cmpDigits(x, y); c != 0 {
				return c
			}
		case xd:
			return 1 // numeric segments sort after alphanumeric ones
		case yd:
			return -1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}
