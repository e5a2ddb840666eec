package advisory

import (
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/advisory/version"
)

// parser caches parsed versions per (system, text): a scan compares the
// same boundary versions many times.
type parser struct {
	cache map[string]version.Version
}

func newParser() *parser { return &parser{cache: map[string]version.Version{}} }

func (p *parser) parse(sys version.System, s string) version.Version {
	if sys == nil {
		return nil
	}
	k := sys.Name() + "\x00" + s
	if v, ok := p.cache[k]; ok {
		return v
	}
	v, err := sys.Parse(s)
	if err != nil {
		v = nil
	}
	p.cache[k] = v
	return v
}

// rangeSystem returns the ordering of an OSV range.
func rangeSystem(rangeType, eco string) version.System {
	if rangeType == "SEMVER" {
		if NormEcosystem(eco) == "GitHub Actions" {
			return version.Actions{}
		}
		return version.SemVerType{}
	}
	return version.For(NormEcosystem(eco))
}

// sameVersion compares a component version with an explicitly listed one:
// by the ecosystem's ordering when both parse, else as normalised text
// (case-insensitive, "v" prefix ignored for Go and Actions).
func (p *parser) sameVersion(eco, a, b string) bool {
	if a == b {
		return true
	}
	sys := version.For(NormEcosystem(eco))
	if NormEcosystem(eco) == "GitHub Actions" {
		// Commit SHAs and tags: exact (case-insensitive), "v" optional for tags.
		if version.IsCommitSHA(a) || version.IsCommitSHA(b) {
			return strings.EqualFold(a, b)
		}
		return strings.EqualFold(strings.TrimPrefix(strings.ToLower(a), "v"), strings.TrimPrefix(strings.ToLower(b), "v"))
	}
	if va, vb := p.parse(sys, a), p.parse(sys, b); va != nil && vb != nil {
		return va.Compare(vb) == 0
	}
	trim := func(s string) string { return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "v") }
	return trim(a) == trim(b)
}

// componentVersion parses the component's version for range comparison.
// For GitHub Actions a partial tag floats ("v4" = newest 4.x.y); SHAs and
// branches return nil (they only match explicit lists).
func (p *parser) componentVersion(sys version.System, eco, ver string) version.Version {
	if NormEcosystem(eco) == "GitHub Actions" {
		if version.IsCommitSHA(ver) {
			return nil
		}
		k := "ref\x00" + ver
		if v, ok := p.cache[k]; ok {
			return v
		}
		v, err := version.Actions{}.ParseRef(ver)
		if err != nil {
			v = nil
		}
		p.cache[k] = v
		return v
	}
	return p.parse(sys, ver)
}

// Affects reports whether e covers version ver of its package: an explicit
// version listed, or inside a SEMVER/ECOSYSTEM range (introduced inclusive,
// fixed and limit exclusive, last_affected inclusive).
func (p *parser) Affects(e *Entry, ver string) bool {
	for _, v := range e.Versions {
		if p.sameVersion(e.Ecosystem, ver, v) {
			return true
		}
	}
	for _, r := range e.Ranges {
		if p.inRange(r, e.Ecosystem, ver) {
			return true
		}
	}
	return false
}

type event struct {
	kind string // introduced, fixed, last_affected, limit
	v    version.Version
	zero bool
}

func (p *parser) events(r Range, eco string) (version.System, []event) {
	sys := rangeSystem(r.Type, eco)
	if sys == nil {
		return nil, nil
	}
	var evs []event
	for _, ev := range r.Events {
		var kind, s string
		switch {
		case ev.Introduced != "":
			kind, s = "introduced", ev.Introduced
		case ev.Fixed != "":
			kind, s = "fixed", ev.Fixed
		case ev.LastAffected != "":
			kind, s = "last_affected", ev.LastAffected
		case ev.Limit != "":
			kind, s = "limit", ev.Limit
		default:
			continue
		}
		if kind == "introduced" && s == "0" {
			evs = append(evs, event{kind: kind, zero: true})
			continue
		}
		if kind == "limit" && s == "*" {
			continue
		}
		v := p.parse(sys, s)
		if v == nil {
			continue // unparseable boundary: ignored rather than guessed
		}
		evs = append(evs, event{kind: kind, v: v})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.zero || b.zero {
			return a.zero && !b.zero
		}
		return a.v.Compare(b.v) < 0
	})
	return sys, evs
}

func (p *parser) inRange(r Range, eco, ver string) bool {
	if len(r.Events) == 1 && r.Events[0].Introduced == "0" && NormEcosystem(eco) != "GitHub Actions" {
		// Every version: no ordering needed (a model revision, a conda
		// build string). Actions refs still need a parseable tag, so a
		// commit SHA or branch only matches when listed.
		return true
	}
	sys, evs := p.events(r, eco)
	if len(evs) == 0 {
		return false
	}
	v := p.componentVersion(sys, eco, ver)
	if v == nil {
		return false
	}
	affected := false
	for _, ev := range evs {
		switch ev.kind {
		case "introduced":
			if ev.zero || v.Compare(ev.v) >= 0 {
				affected = true
			}
		case "fixed", "limit":
			if v.Compare(ev.v) >= 0 {
				affected = false
			}
		case "last_affected":
			if v.Compare(ev.v) > 0 {
				affected = false
			}
		}
	}
	return affected
}

// AllVersions reports an entry that covers every version of its package
// (a range that is only "introduced: 0").
func (e *Entry) AllVersions() bool {
	for _, r := range e.Ranges {
		if len(r.Events) == 1 && r.Events[0].Introduced == "0" {
			return true
		}
	}
	return false
}

// namedVersions are the concrete versions an entry names as bad: explicit
// versions plus introduced/last_affected boundaries of its ranges.
func (e *Entry) namedVersions() []string {
	out := append([]string(nil), e.Versions...)
	for _, r := range e.Ranges {
		for _, ev := range r.Events {
			if ev.Introduced != "" && ev.Introduced != "0" {
				out = append(out, ev.Introduced)
			}
			if ev.LastAffected != "" {
				out = append(out, ev.LastAffected)
			}
		}
	}
	return dedupe(out)
}

// LowestFixedAbove returns the smallest "fixed" boundary above ver, or "".
func (p *parser) LowestFixedAbove(e *Entry, ver string) string {
	var (
		best  version.Version
		bestS string
	)
	for _, r := range e.Ranges {
		sys, _ := p.events(r, e.Ecosystem)
		if sys == nil {
			continue
		}
		cur := p.componentVersion(sys, e.Ecosystem, ver)
		for _, ev := range r.Events {
			if ev.Fixed == "" {
				continue
			}
			fv := p.parse(sys, ev.Fixed)
			if fv == nil || (cur != nil && fv.Compare(cur) <= 0) {
				continue
			}
			if best == nil || fv.Compare(best) < 0 {
				best, bestS = fv, ev.Fixed
			}
		}
	}
	return bestS
}

// requirement is a parsed declared specifier of one ecosystem.
type requirement interface {
	contains(ver string) bool
	hasUpperBound() bool
}

type pepReq struct{ set version.PEPSpecifierSet }

func (r pepReq) contains(ver string) bool {
	v, err := version.ParsePEP440(ver)
	return err == nil && r.set.Contains(v)
}
func (r pepReq) hasUpperBound() bool { return r.set.HasUpperBound() }

type npmReq struct{ r *version.NPMRange }

func (r npmReq) contains(ver string) bool {
	v, err := version.NPM{}.Parse(ver)
	if err != nil {
		return false
	}
	return r.r.Contains(v.(*version.SemVer))
}
func (r npmReq) hasUpperBound() bool { return r.r.HasUpperBound() }

// parseRequirement parses a component's Requirement for its ecosystem; nil
// when the ecosystem has no requirement language here or it does not
// parse (git/URL/path specs).
func parseRequirement(eco, req string) requirement {
	switch NormEcosystem(eco) {
	case "PyPI":
		set, err := version.ParsePEP440Specifiers(req)
		if err != nil {
			return nil
		}
		return pepReq{set}
	case "npm":
		r, err := version.ParseNPMRange(req)
		if err != nil {
			return nil
		}
		return npmReq{r}
	}
	return nil
}
