package policy

import (
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// DefaultBaselineFile is the baseline looked for at the scanned root.
const DefaultBaselineFile = ".assayignore.yaml"

// Entry is one accepted risk: what it matches (rule and/or advisory and/or
// fingerprint, narrowed by path and package), why, and until when.
type Entry struct {
	Rule        string // rule id or glob
	Advisory    string // advisory id or glob (OSV, GHSA, CVE, MAL, PYSEC …)
	Fingerprint string // core.Finding.Fingerprint
	Path        string // path glob
	Package     string // package/component name, name@version or purl glob
	Reason      string
	Expires     string // YYYY-MM-DD, last day the acceptance holds
	File        string
	Line        int

	rule, advisory, path, pkg *glob
	matched                   int
}

// Source is "file:line".
func (e *Entry) Source() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// LoadBaseline reads and parses a baseline file.
func LoadBaseline(path string) ([]*Entry, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	return ParseBaseline(data, path)
}

// ParseBaseline parses a baseline: a mapping {version: 1, ignore: [...]} or
// a bare list of entries.
func ParseBaseline(data []byte, source string) ([]*Entry, error) {
	d := &decoder{file: source}
	root := d.parseDocument(data)
	if root == nil {
		return nil, d.err()
	}
	var out []*Entry
	switch {
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
	case root.Kind == yaml.SequenceNode:
		out = d.entries(root, "ignore")
	default:
		d.mapping(root, "baseline", map[string]func(*yaml.Node){
			"version": func(v *yaml.Node) { d.version(v) },
			"ignore":  func(v *yaml.Node) { out = d.entries(v, "ignore") },
		})
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *decoder) entries(n *yaml.Node, what string) []*Entry {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of entries, got %s", what, kindName(n))
		return nil
	}
	var out []*Entry
	for _, c := range n.Content {
		if e := d.entry(c, what); e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (d *decoder) entry(n *yaml.Node, what string) *Entry {
	e := &Entry{File: d.file, Line: n.Line}
	before := len(d.errs)
	pattern := func(dst *string, g **glob, key string, kind globKind) func(*yaml.Node) {
		return func(v *yaml.Node) {
			s, ok := d.nonEmpty(v, what+"."+key)
			if !ok {
				return
			}
			cg, err := compileGlob(s, kind)
			if err != nil {
				d.errorf(v, "%s.%s: %v", what, key, err)
				return
			}
			*dst, *g = s, cg
		}
	}
	d.mapping(n, what+" entry", map[string]func(*yaml.Node){
		"rule":     pattern(&e.Rule, &e.rule, "rule", globID),
		"advisory": pattern(&e.Advisory, &e.advisory, "advisory", globID),
		"path":     pattern(&e.Path, &e.path, "path", globPath),
		"package":  packagePattern(d, e, what, "package"),
		"component": func(v *yaml.Node) {
			if e.pkg != nil {
				d.errorf(v, "%s entry: give package or component, not both", what)
				return
			}
			packagePattern(d, e, what, "component")(v)
		},
		"fingerprint": func(v *yaml.Node) {
			s, ok := d.nonEmpty(v, what+".fingerprint")
			if !ok {
				return
			}
			if len(s) < 8 || len(s) > 128 || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
				d.errorf(v, "%s.fingerprint: %q is not a hex fingerprint", what, s)
				return
			}
			e.Fingerprint = strings.ToLower(s)
		},
		"reason": func(v *yaml.Node) { e.Reason, _ = d.nonEmpty(v, what+".reason") },
		"expires": func(v *yaml.Node) {
			s, ok := d.nonEmpty(v, what+".expires")
			if !ok {
				return
			}
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				d.errorf(v, "%s.expires: %q is not a date (want YYYY-MM-DD)", what, s)
				return
			}
			e.Expires = s
		},
	})
	if n.Kind != yaml.MappingNode || len(d.errs) > before {
		return nil
	}
	if e.Rule == "" && e.Advisory == "" && e.Fingerprint == "" {
		d.errorf(n, "%s entry needs a rule, an advisory or a fingerprint", what)
		return nil
	}
	if e.Reason == "" {
		d.errorf(n, "%s entry needs a reason: say why this risk is accepted", what)
		return nil
	}
	return e
}

// packagePattern parses a package scope: a purl glob, or a name glob
// (optionally name@version) compared in normalized form.
func packagePattern(d *decoder, e *Entry, what, key string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		s, ok := d.nonEmpty(v, what+"."+key)
		if !ok {
			return
		}
		g, err := compilePackagePattern(s)
		if err != nil {
			d.errorf(v, "%s.%s: %v", what, key, err)
			return
		}
		e.Package, e.pkg = s, g
	}
}

func compilePackagePattern(s string) (*glob, error) {
	if strings.HasPrefix(strings.ToLower(s), "pkg:") {
		return compileGlob(strings.ReplaceAll(s, "/@", "/%40"), globName)
	}
	return compileGlob(normalizeName(s), globName)
}

// expired reports whether the acceptance ended before today (YYYY-MM-DD).
func (e *Entry) expired(today string) bool { return e.Expires != "" && e.Expires < today }

func (e *Entry) matches(f *core.Finding) bool {
	if e.Fingerprint != "" && e.Fingerprint != f.Fingerprint {
		return false
	}
	if e.rule != nil && !e.rule.match(f.RuleID) {
		return false
	}
	if e.advisory != nil {
		hit := false
		for _, a := range f.Advisories {
			if e.advisory.match(a) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	if e.path != nil && !e.path.match(f.Location.Path) {
		return false
	}
	if e.pkg != nil && !componentMatches(e.pkg, f.Component) {
		return false
	}
	return true
}

// componentMatches tests a package pattern against a finding's component
// reference (a purl, or ecosystem/name@version): against the whole
// reference, the reference without its version, and the bare name with and
// without version.
func componentMatches(g *glob, ref string) bool {
	if ref == "" {
		return false
	}
	ref = strings.ToLower(ref)
	if i := strings.IndexAny(ref, "?#"); i >= 0 && strings.HasPrefix(ref, "pkg:") {
		ref = ref[:i]
	}
	cands := []string{ref}
	noVer := ref
	if i := strings.LastIndexByte(ref, '@'); i > 0 && ref[i-1] != '/' {
		noVer = ref[:i]
		cands = append(cands, noVer)
	}
	name := noVer
	if strings.HasPrefix(name, "pkg:") {
		name = name[4:]
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[i+1:] // drop the purl type
		}
		name = strings.ReplaceAll(name, "%40", "@")
	} else if i := strings.IndexByte(name, '/'); i >= 0 && !strings.ContainsAny(name[:i], ".") {
		name = name[i+1:] // drop the ecosystem ("PyPI/litellm")
	}
	cands = append(cands, name)
	if noVer != ref {
		cands = append(cands, name+ref[len(noVer):])
	}
	purlPattern := strings.HasPrefix(g.pattern, "pkg:")
	for _, c := range cands {
		if purlPattern && g.match(c) || !purlPattern && g.match(normalizeName(c)) {
			return true
		}
	}
	return false
}

// applyEntries moves findings matched by live entries to r.Suppressed and
// reports expired (and, with opts.ReportStale, unmatched) entries.
func applyEntries(r *core.Report, entries []*Entry, opts Options, report bool) {
	if len(entries) == 0 {
		return
	}
	today := opts.today()
	// Index: entries with a fingerprint (what --write-baseline writes) are
	// looked up by it; only the others are tried against every finding.
	// The first live entry in file order that matches wins.
	byFP := map[string][]int{}
	var rest []int
	for i, e := range entries {
		if e.expired(today) {
			continue
		}
		if e.Fingerprint != "" {
			byFP[e.Fingerprint] = append(byFP[e.Fingerprint], i)
		} else {
			rest = append(rest, i)
		}
	}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		var hit *Entry
		a, b := byFP[f.Fingerprint], rest
		for len(a) > 0 || len(b) > 0 {
			var i int
			if len(b) == 0 || (len(a) > 0 && a[0] < b[0]) {
				i, a = a[0], a[1:]
			} else {
				i, b = b[0], b[1:]
			}
			if entries[i].matches(&f) {
				hit = entries[i]
				break
			}
		}
		if hit == nil {
			kept = append(kept, f)
			continue
		}
		hit.matched++
		f.Suppression = &core.Suppression{Reason: hit.Reason, Expires: hit.Expires, Source: hit.Source()}
		r.Suppressed = append(r.Suppressed, f)
	}
	r.Findings = kept
	if !report {
		return
	}
	for _, e := range entries {
		loc := core.Location{Path: e.File, Line: e.Line}
		switch {
		case e.expired(today):
			f := ruleByID(RuleExpiredAcceptance).New(loc,
				fmt.Sprintf("the accepted risk %s expired on %s and suppresses nothing any more (reason given: %s)", e.describe(), e.Expires, e.Reason),
				e.describe()+" expires: "+e.Expires)
			r.Findings = append(r.Findings, f)
		case e.matched == 0 && opts.ReportStale:
			f := ruleByID(RuleStaleBaseline).New(loc, fmt.Sprintf("the ignore entry %s matches no finding; delete it so it cannot hide a future one", e.describe()), e.describe())
			r.Findings = append(r.Findings, f)
		}
	}
	fillFingerprints(r.Findings)
}

// describe summarises what an entry matches.
func (e *Entry) describe() string {
	var parts []string
	for _, kv := range [][2]string{{"rule", e.Rule}, {"advisory", e.Advisory}, {"path", e.Path}, {"package", e.Package}, {"fingerprint", e.Fingerprint}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+": "+kv[1])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// WriteBaseline writes a baseline accepting every finding of r, by
// fingerprint, rule and path, with a placeholder reason; findings already
// suppressed by an ignore entry keep that entry's reason and expiry.
// Findings about the baseline itself (expired/stale entries) are left out.
// It returns the number of entries written.
func WriteBaseline(w io.Writer, r *core.Report, today time.Time) (int, error) {
	date := today.Format(time.DateOnly)
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	seen := map[string]bool{}
	add := func(f *core.Finding, reason, expires string) {
		if f.RuleID == RuleExpiredAcceptance || f.RuleID == RuleStaleBaseline {
			return
		}
		fp := f.Fingerprint
		if fp == "" {
			fp = f.ComputeFingerprint()
		}
		if seen[fp] {
			return
		}
		seen[fp] = true
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.HeadComment = core.Clip(oneLineText(f.Title+" at "+f.Location.String()), 200)
		kv := func(k, v string) {
			if v == "" {
				return
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: v})
		}
		kv("rule", f.RuleID)
		kv("path", globEscape(f.Location.Path))
		kv("fingerprint", fp)
		kv("reason", reason)
		kv("expires", expires)
		seq.Content = append(seq.Content, m)
	}
	findings := append([]core.Finding(nil), r.Findings...)
	core.SortFindings(findings)
	suppressed := append([]core.Finding(nil), r.Suppressed...)
	core.SortFindings(suppressed)
	for i := range findings {
		add(&findings[i], "accepted at baseline creation "+date, "")
	}
	for i := range suppressed {
		f := &suppressed[i]
		if f.Suppression == nil || f.Suppression.Reason == DisabledReason {
			continue
		}
		add(f, f.Suppression.Reason, f.Suppression.Expires)
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "version"}, {Kind: yaml.ScalarNode, Value: "1", Tag: "!!int"},
		{Kind: yaml.ScalarNode, Value: "ignore"}, seq,
	}}
	if len(seq.Content) == 0 {
		seq.Style = yaml.FlowStyle
	}
	doc.HeadComment = "assay baseline: accepted findings (written " + date + " by assay scan --write-baseline).\n" +
		"Each entry suppresses the finding with that fingerprint. Replace each reason with the real\n" +
		"justification and add `expires: YYYY-MM-DD` so accepted risks are revisited. See docs/policy.md."
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
		return 0, err
	}
	return len(seq.Content), enc.Close()
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }

// globEscape makes a literal path safe to use as a path pattern.
func globEscape(p string) string {
	if !strings.ContainsAny(p, "*?[") {
		return p
	}
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '*', '?', '[':
			b.WriteString("[" + string(c) + "]")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
