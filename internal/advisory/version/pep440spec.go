package version

import (
	"fmt"
	"strings"
)

// PEPSpecifier is one clause of a PEP 440 specifier set (">=1.80").
type PEPSpecifier struct {
	Op       string // ==, !=, <=, >=, <, >, ~=, ===
	Raw      string // the version text as written
	Wildcard bool   // "==1.2.*" / "!=1.2.*"
	V        *PEPVersion
}

// PEPSpecifierSet is a comma-separated conjunction of specifiers. The empty
// set allows every version.
type PEPSpecifierSet []PEPSpecifier

var pepOps = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// ParsePEP440Specifiers parses a specifier set such as ">=1.80,<2",
// "~=1.4", "==1.2.*" or "(>=1.0)". An environment marker after ";" is
// ignored. A bare version ("1.2.3") is read as "==1.2.3".
func ParsePEP440Specifiers(s string) (PEPSpecifierSet, error) {
	if len(s) > MaxLen*4 {
		return nil, fmt.Errorf("%w: specifier longer than %d bytes", ErrInvalid, MaxLen*4)
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "(")
	s = strings.TrimSuffix(s, ")")
	var set PEPSpecifierSet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		op := ""
		for _, o := range pepOps {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		raw := strings.TrimSpace(part[len(op):])
		if op == "" {
			op = "=="
		}
		sp := PEPSpecifier{Op: op, Raw: raw}
		if op == "===" {
			set = append(set, sp)
			continue
		}
		vs := raw
		if strings.HasSuffix(vs, ".*") {
			if op != "==" && op != "!=" {
				return nil, fmt.Errorf("%w: wildcard only allowed with == and != in %q", ErrInvalid, part)
			}
			sp.Wildcard = true
			vs = strings.TrimSuffix(vs, ".*")
		}
		v, err := ParsePEP440(vs)
		if err != nil {
			return nil, err
		}
		if op == "~=" && len(v.Release) < 2 {
			return nil, fmt.Errorf("%w: ~= needs at least two release segments in %q", ErrInvalid, part)
		}
		if len(v.Local) > 0 && op != "==" && op != "!=" {
			return nil, fmt.Errorf("%w: local version not allowed with %s in %q", ErrInvalid, op, part)
		}
		sp.V = v
		set = append(set, sp)
	}
	return set, nil
}

// AllowsPrereleases reports whether any clause names a pre-release, which
// (as in pip) is what lets a set select pre-releases.
func (set PEPSpecifierSet) AllowsPrereleases() bool {
	for _, sp := range set {
		if sp.V != nil && sp.V.IsPrerelease() && sp.Op != "!=" {
			return true
		}
	}
	return false
}

// Contains reports whether v satisfies every clause. Pre-releases are only
// admitted when a clause names one (pip's default).
func (set PEPSpecifierSet) Contains(v *PEPVersion) bool {
	if v.IsPrerelease() && !set.AllowsPrereleases() {
		return false
	}
	for _, sp := range set {
		if !sp.Contains(v) {
			return false
		}
	}
	return true
}

// HasUpperBound reports whether the set caps versions from above (<, <=,
// ==, ~=, ===); a set without one lets any future release in.
func (set PEPSpecifierSet) HasUpperBound() bool {
	for _, sp := range set {
		switch sp.Op {
		case "<", "<=", "==", "~=", "===":
			return true
		}
	}
	return false
}

// Contains reports whether v satisfies this clause.
func (sp PEPSpecifier) Contains(v *PEPVersion) bool {
	switch sp.Op {
	case "===":
		return strings.EqualFold(strings.TrimSpace(sp.Raw), v.String())
	case "==":
		return sp.equal(v)
	case "!=":
		return !sp.equal(v)
	case "~=":
		if comparePEP(v.Public(), sp.V) < 0 {
			return false
		}
		prefix := &PEPVersion{Epoch: sp.V.Epoch, Release: sp.V.Release[:len(sp.V.Release)-1]}
		return prefixMatch(prefix, v)
	case ">=":
		return comparePEP(v.Public(), sp.V) >= 0
	case "<=":
		return comparePEP(v.Public(), sp.V) <= 0
	case "<":
		if comparePEP(v.Public(), sp.V) >= 0 {
			return false
		}
		if !sp.V.IsPrerelease() && v.IsPrerelease() && comparePEP(v.Base(), sp.V.Base()) == 0 {
			return false
		}
		return true
	case ">":
		if comparePEP(v.Public(), sp.V) <= 0 {
			return false
		}
		if !sp.V.IsPostrelease() && v.IsPostrelease() && comparePEP(v.Base(), sp.V.Base()) == 0 {
			return false
		}
		if len(v.Local) > 0 && comparePEP(v.Base(), sp.V.Base()) == 0 {
			return false
		}
		return true
	}
	return false
}

func (sp PEPSpecifier) equal(v *PEPVersion) bool {
	if sp.Wildcard {
		return prefixMatch(sp.V, v)
	}
	if len(sp.V.Local) == 0 {
		return comparePEP(v.Public(), sp.V) == 0
	}
	return comparePEP(v, sp.V) == 0
}

// prefixMatch implements "==P.*": v's public version, padded with zeros,
// starts with P's epoch, release and (when P has them) pre/post/dev parts.
func prefixMatch(p, v *PEPVersion) bool {
	if cmpDigits(epochOf(p), epochOf(v)) != 0 {
		return false
	}
	for i, seg := range p.Release {
		x := "0"
		if i < len(v.Release) {
			x = v.Release[i]
		}
		if cmpDigits(seg, x) != 0 {
			return false
		}
	}
	if p.PreL != "" || p.HasPost || p.HasDev {
		// "==1.0rc1.*": the remaining parts must match exactly as far as given.
		if len(v.Release) > len(p.Release) && cmpRelease(v.Release[len(p.Release):], nil) != 0 {
			return false
		}
		if p.PreL != "" && (p.PreL != v.PreL || cmpDigits(p.PreN, v.PreN) != 0) {
			return false
		}
		if p.HasPost && (!v.HasPost || cmpDigits(p.Post, v.Post) != 0) {
			return false
		}
		if p.HasDev && (!v.HasDev || cmpDigits(p.Dev, v.Dev) != 0) {
			return false
		}
	}
	return true
}
