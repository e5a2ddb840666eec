package advisory

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/advisory/osv"
)

// Advisory kinds (database_specific.kind in the embedded feed; MAL records
// are "malicious", everything else defaults to "vulnerable").
const (
	KindMalicious   = "malicious"   // the package exists to attack (typosquat, dependency confusion)
	KindCompromised = "compromised" // a legitimate package/action whose release or tag was hijacked
	KindVulnerable  = "vulnerable"  // an ordinary vulnerability
)

// Entry is the compact, per-package view of one OSV record that matching
// needs. The on-disk index stores these (short JSON keys); details,
// references and credits are dropped.
type Entry struct {
	ID         string   `json:"i"`
	Aliases    []string `json:"a,omitempty"`
	Summary    string   `json:"s,omitempty"`
	Kind       string   `json:"k,omitempty"`
	Confidence string   `json:"c,omitempty"`
	Severity   string   `json:"v,omitempty"` // critical|high|medium|low, "" when unknown
	Score      float64  `json:"sc,omitempty"`
	Ecosystem  string   `json:"e"`
	Name       string   `json:"n"`
	Ranges     []Range  `json:"r,omitempty"`
	Versions   []string `json:"vs,omitempty"`
	Fix        string   `json:"f,omitempty"`
	NextClean  string   `json:"nc,omitempty"`
	LastSafe   string   `json:"ls,omitempty"`
	Incident   string   `json:"in,omitempty"`
	IOCs       []string `json:"io,omitempty"`
	Window     *Window  `json:"w,omitempty"`
	SafeRefs   []string `json:"sr,omitempty"`
	Via        string   `json:"via,omitempty"`
	Published  string   `json:"p,omitempty"`
	// Source names where the entry came from ("embedded", a --db path).
	Source string `json:"-"`
}

// Range is an OSV range of type SEMVER or ECOSYSTEM (GIT ranges carry
// commits, not versions, and are dropped).
type Range struct {
	Type   string      `json:"t"`
	Events []osv.Event `json:"e"`
}

// Window is the time a tag pointed at malicious code.
type Window struct {
	Start string `json:"s"`
	End   string `json:"e"`
}

// IsBad reports a malicious or compromised advisory (rule ASSAY-DEP-001).
func (e *Entry) IsBad() bool { return e.Kind == KindMalicious || e.Kind == KindCompromised }

// IDs returns id and aliases.
func (e *Entry) IDs() []string { return append([]string{e.ID}, e.Aliases...) }

var ghsaSeverity = map[string]string{"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "MEDIUM": "medium", "LOW": "low"}

// FromOSV converts a record into one Entry per affected package. Withdrawn
// records yield nothing. For malicious-package records whose affected entry
// lists explicit versions next to an "introduced: 0" range, only the
// explicit versions are kept (OpenSSF adds that range even when a
// legitimate package had a few bad releases, e.g. @ctrl/tinycolor).
func FromOSV(v *osv.Vulnerability, source string) []Entry {
	if v.Withdrawn != "" {
		return nil
	}
	ds := v.DatabaseSpecific
	kind := str(ds, "kind")
	if kind != KindMalicious && kind != KindCompromised && kind != KindVulnerable {
		kind = KindVulnerable
		if v.IsMalicious() {
			kind = KindMalicious
		}
	}
	score, sev := bestSeverity(v.Severity)
	if sev == "" {
		sev = ghsaSeverity[strings.ToUpper(str(ds, "severity"))]
	}
	base := Entry{
		ID:         v.ID,
		Aliases:    dedupe(v.Aliases),
		Summary:    clipLine(v.Summary, 200),
		Kind:       kind,
		Confidence: str(ds, "confidence"),
		Severity:   sev,
		Score:      score,
		Fix:        str(ds, "fix"),
		NextClean:  str(ds, "next_clean"),
		LastSafe:   str(ds, "last_safe"),
		Incident:   str(ds, "incident"),
		IOCs:       flattenIOCs(ds["iocs"]),
		Published:  v.Published,
		Source:     source,
	}
	if base.Summary == "" {
		base.Summary = clipLine(v.Details, 200)
	}
	if w := window(ds); w != nil {
		base.Window = w
	}
	merged := map[string]int{}
	var out []Entry
	for _, a := range v.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}
		e := base
		e.Ecosystem, e.Name = a.Package.Ecosystem, a.Package.Name
		for _, r := range a.Ranges {
			if r.Type == "GIT" {
				continue
			}
			e.Ranges = append(e.Ranges, Range{Type: r.Type, Events: r.Events})
		}
		e.Versions = a.Versions
		if kind == KindMalicious && len(e.Versions) > 0 && onlyIntroducedZero(e.Ranges) {
			e.Ranges = nil
		}
		if len(e.Ranges) == 0 && len(e.Versions) == 0 {
			continue
		}
		if s, sv := bestSeverity(a.Severity); sv != "" && s > e.Score {
			e.Score, e.Severity = s, sv
		}
		ads := a.DatabaseSpecific
		if f := str(ads, "fix"); f != "" {
			e.Fix = f
		}
		if c := str(ads, "confidence"); c != "" {
			e.Confidence = c
		}
		if w := window(ads); w != nil {
			e.Window = w
		}
		e.SafeRefs = strs(ads["safe_refs"])
		e.Via = str(ads, "via")
		k := NormEcosystem(e.Ecosystem) + "\x00" + NormName(e.Ecosystem, e.Name)
		if i, ok := merged[k]; ok { // same package listed twice: union
			out[i].Ranges = append(out[i].Ranges, e.Ranges...)
			out[i].Versions = append(out[i].Versions, e.Versions...)
			continue
		}
		merged[k] = len(out)
		out = append(out, e)
	}
	return out
}

func onlyIntroducedZero(rs []Range) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range rs {
		if len(r.Events) != 1 || r.Events[0].Introduced != "0" {
			return false
		}
	}
	return true
}

func bestSeverity(ss []osv.Severity) (float64, string) {
	best, band := -1.0, ""
	for _, s := range ss {
		if sc, ok := osv.BaseScore(s.Score); ok && sc > best {
			best, band = sc, osv.Band(sc)
		}
	}
	if band == "none" {
		band = "low"
	}
	if best < 0 {
		best = 0
	}
	return best, band
}

func str(m map[string]any, k string) string {
	if m == nil {
		return ""
	}
	switch v := m[k].(type) {
	case string:
		return v
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

func strs(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func window(m map[string]any) *Window {
	w, ok := m["tag_rewrite_window"].(map[string]any)
	if !ok {
		return nil
	}
	return &Window{Start: str(w, "start"), End: str(w, "end")}
}

// flattenIOCs turns database_specific.iocs ({"domains": [...], ...}) into
// "domain litellm.cloud" strings, sorted.
func flattenIOCs(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k, list := range m {
		label := strings.TrimSuffix(k, "s")
		if k == "sha256" {
			label = "sha256"
		}
		for _, s := range strs(list) {
			out = append(out, label+" "+s)
		}
	}
	sort.Strings(out)
	if len(out) > 32 {
		out = out[:32]
	}
	return out
}

func dedupe(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func clipLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

var pep503Re = regexp.MustCompile(`[-_.]+`)

// ecosystems maps lower-case names to OSV's spelling.
var ecosystems = map[string]string{
	"pypi": "PyPI", "npm": "npm", "go": "Go", "github actions": "GitHub Actions", "githubactions": "GitHub Actions",
	"hugging face": "Hugging Face", "huggingface": "Hugging Face", "crates.io": "crates.io", "maven": "Maven",
	"nuget": "NuGet", "rubygems": "RubyGems", "packagist": "Packagist", "conda": "conda",
}

// NormEcosystem returns OSV's spelling of an ecosystem name (suffixes such
// as "Debian:12" are kept).
func NormEcosystem(e string) string {
	e = strings.TrimSpace(e)
	base, suffix, has := strings.Cut(e, ":")
	if c, ok := ecosystems[strings.ToLower(base)]; ok {
		base = c
	}
	if has {
		return base + ":" + suffix
	}
	return base
}

// NormName normalises a package name for lookup: PEP 503 for PyPI,
// lower-case for npm, GitHub Actions (owner/repo, sub-paths dropped) and
// Hugging Face; Go module paths as written.
func NormName(eco, name string) string {
	name = strings.TrimSpace(name)
	switch NormEcosystem(eco) {
	case "PyPI":
		return pep503Re.ReplaceAllString(strings.ToLower(name), "-")
	case "GitHub Actions":
		parts := strings.SplitN(name, "/", 3)
		if len(parts) >= 2 {
			name = parts[0] + "/" + parts[1]
		}
		return strings.ToLower(name)
	case "Go":
		return name
	default:
		return strings.ToLower(name)
	}
}

// key is the index key of a package.
func key(eco, name string) string {
	return NormEcosystem(eco) + "\x00" + NormName(eco, name)
}
