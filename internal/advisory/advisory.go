// Package advisory matches components against an embedded feed of AI
// supply-chain incidents and against full OSV data, offline.
//
// Sources, all merged per scan: the embedded feed (always), OSV exports
// cached by `assay db update` in the user cache dir, and --db paths (an
// all.zip, a directory of OSV JSON/YAML, or one record). Zip exports and
// directories are indexed once into a compact on-disk index keyed by their
// content, so a repeat scan reads only the entries of the packages it has.
//
// Bounds: one OSV record <= 8 MiB; an all.zip <= 2M entries and 16 GiB
// uncompressed; a --db directory <= 2M record files; version and
// requirement strings <= 256/1024 bytes. Records beyond a bound, or that do
// not validate, are counted and reported as errors naming the source.
package advisory

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/assay-dev/assay/internal/core"
)

// Options configures advisory matching.
type Options struct {
	// DBPaths are extra OSV sources: directories, all.zip exports, single JSON files.
	DBPaths []string
	// Offline forbids any network access (the default scan never uses the network).
	Offline bool
	// CacheDir overrides the user cache dir where `assay db update` stores data.
	CacheDir string
}

// NewAnalyzer returns the analyzer that matches report components against
// the embedded feed, the cached DB and opts.DBPaths. Missing --db paths are
// an error; loading and indexing happen in the background while the walk
// runs, and problems inside a source become report errors.
func NewAnalyzer(opts Options) (core.Analyzer, error) {
	feed, err := Feed()
	if err != nil {
		return nil, err
	}
	for _, p := range opts.DBPaths {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("--db %s: %w", p, err)
		}
	}
	a := &analyzer{feed: feed, opts: opts, cacheDir: ResolveCacheDir(opts.CacheDir)}
	a.startLoad()
	return a, nil
}

// startLoad opens the cached exports and --db sources in the background.
func (a *analyzer) startLoad() {
	a.done = make(chan struct{})
	a.sources = []Source{a.feed}
	a.loadErrs = nil
	go func() {
		defer close(a.done)
		for _, db := range CachedDBs(a.cacheDir) {
			s, err := Open(db.Path, "cache", a.cacheDir)
			if err != nil {
				a.loadErrs = append(a.loadErrs, core.Error{Path: db.Path, Scanner: a.Name(), Reason: "cached advisory DB unusable (run `assay db update`): " + err.Error()})
				continue
			}
			a.add(s)
		}
		for _, p := range a.opts.DBPaths {
			s, err := Open(p, "db", a.cacheDir)
			if err != nil {
				a.loadErrs = append(a.loadErrs, core.Error{Path: p, Scanner: a.Name(), Reason: "advisory data not loaded: " + err.Error()})
				continue
			}
			a.add(s)
		}
	}()
}

type analyzer struct {
	feed     Source
	opts     Options
	cacheDir string
	mu       sync.Mutex
	sources  []Source
	loadErrs []core.Error
	done     chan struct{}
	// closed is set once Analyze has released the disk sources; a second
	// Analyze (a long-running caller reusing the analyzer) reopens them.
	closed bool
}

func (a *analyzer) add(s Source) {
	a.mu.Lock()
	a.sources = append(a.sources, s)
	a.mu.Unlock()
	info := s.Info()
	if info.Invalid > 0 {
		reason := fmt.Sprintf("%d OSV records skipped as invalid", info.Invalid)
		if len(info.Errors) > 0 {
			reason += " (first: " + info.Errors[0] + ")"
		}
		a.loadErrs = append(a.loadErrs, core.Error{Path: info.Path, Scanner: a.Name(), Reason: reason})
	}
}

// Name implements core.Analyzer.
func (a *analyzer) Name() string { return "advisory" }

// release closes the disk-backed sources (index files) after a run, so a
// long-running process does not keep one open file per scan.
func (a *analyzer) release() {
	for _, s := range a.sources {
		s.Close()
	}
	a.closed = true
}

// Analyze implements core.Analyzer.
func (a *analyzer) Analyze(ctx context.Context, r *core.Report) error {
	if a.closed {
		a.startLoad()
		a.closed = false
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer a.release()
	r.Errors = append(r.Errors, a.loadErrs...)
	if r.Meta == nil {
		r.Meta = map[string]string{}
	}
	var desc []string
	for _, s := range a.sources {
		in := s.Info()
		desc = append(desc, fmt.Sprintf("%s (%d records)", in.Path, in.Records))
	}
	r.Meta["advisory_db"] = strings.Join(desc, "; ")

	// Look up every distinct package key once per source.
	keys := map[string][]Entry{}
	for i := range r.Components {
		c := &r.Components[i]
		if c.Ecosystem == "" || c.Name == "" {
			continue
		}
		keys[key(c.Ecosystem, c.Name)] = nil
	}
	for _, s := range a.sources {
		if err := ctx.Err(); err != nil {
			return err
		}
		for k := range keys {
			es, err := s.Lookup(k)
			if err != nil {
				r.Errors = append(r.Errors, core.Error{Path: s.Info().Path, Scanner: a.Name(), Reason: err.Error()})
				break
			}
			keys[k] = append(keys[k], es...)
		}
	}
	m := newMatcher(r.Components)
	// The same package found in several files is one component with several
	// locations (the report merges them only when it is finalized).
	cs := make([]core.Component, 0, len(r.Components))
	for _, c := range r.Components {
		if c.Ecosystem == "" || c.Name == "" {
			continue
		}
		c.Locations = append([]core.Location(nil), c.Locations...)
		cs = append(cs, c)
	}
	cs = core.MergeComponents(cs)
	for i := range cs {
		c := &cs[i]
		fs := m.component(c, keys[key(c.Ecosystem, c.Name)])
		r.Findings = append(r.Findings, fs...)
	}
	return nil
}

// lockInfo is a version pinned by a lockfile (or installed) in a directory.
type lockInfo struct {
	dir     string
	version string
	path    string
	what    string // "lockfile" or "installed package"
}

// matcher evaluates components against entries.
type matcher struct {
	p *parser
	// lockDirs: ecosystem -> directories holding a lockfile of it.
	lockDirs map[string][]string
	// locked: package key -> versions pinned by lockfiles/installs.
	locked map[string][]lockInfo
}

func dirOf(p string) string {
	d := path.Dir(p)
	if d == "" {
		return "."
	}
	return d
}

// covers reports whether a lockfile in dir applies to a file at p (same
// directory or a parent of it).
func covers(dir, p string) bool {
	fd := dirOf(p)
	return dir == "." || fd == dir || strings.HasPrefix(fd, dir+"/")
}

func newMatcher(cs []core.Component) *matcher {
	m := &matcher{p: newParser(), lockDirs: map[string][]string{}, locked: map[string][]lockInfo{}}
	for i := range cs {
		c := &cs[i]
		src := c.Properties[core.PropSource]
		if src != core.SourceLockfile && src != core.SourceInstalled {
			continue
		}
		eco := NormEcosystem(c.Ecosystem)
		for _, l := range c.Locations {
			d := dirOf(l.Path)
			if src == core.SourceLockfile && !contains(m.lockDirs[eco], d) {
				m.lockDirs[eco] = append(m.lockDirs[eco], d)
			}
			if c.Version != "" {
				k := key(c.Ecosystem, c.Name)
				what := "lockfile"
				if src == core.SourceInstalled {
					what = "installed package"
				}
				m.locked[k] = append(m.locked[k], lockInfo{dir: d, version: c.Version, path: l.String(), what: what})
			}
		}
	}
	return m
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// hit is one entry matching one component.
type hit struct {
	e   *Entry
	how string   // "version", "all", "range"
	bad []string // for "range": the bad versions the requirement admits
}

func (m *matcher) component(c *core.Component, entries []Entry) []core.Finding {
	eco := NormEcosystem(c.Ecosystem)
	var hits []hit
	for i := range entries {
		e := &entries[i]
		if NormEcosystem(e.Ecosystem) != eco {
			continue
		}
		switch {
		case c.Version != "":
			if contains(lowerAll(e.SafeRefs), strings.ToLower(c.Version)) {
				continue
			}
			if m.p.Affects(e, c.Version) {
				hits = append(hits, hit{e: e, how: "version"})
			}
		case e.IsBad() && e.AllVersions():
			hits = append(hits, hit{e: e, how: "all"})
		case e.IsBad() && c.Kind == core.KindPackage:
			req := parseRequirement(eco, c.Requirement)
			if req == nil {
				continue
			}
			var bad []string
			for _, v := range e.namedVersions() {
				if req.contains(v) {
					bad = append(bad, v)
				}
			}
			if len(bad) > 0 {
				hits = append(hits, hit{e: e, how: "range", bad: bad})
			}
		}
	}
	var out []core.Finding
	for _, g := range groupHits(hits) {
		if f, ok := m.finding(c, g); ok {
			out = append(out, f)
		}
	}
	if f, ok := m.unpinned(c, len(out) > 0); ok {
		out = append(out, f)
	}
	return out
}

func lowerAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(s)
	}
	return out
}

// groupHits merges hits whose advisories share an id or alias (a MAL and
// the PYSEC/GHSA/CVE for the same event become one group).
func groupHits(hits []hit) [][]hit {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, h := range hits {
		for _, id := range h.e.IDs() {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	groups := map[int][]hit{}
	var order []int
	for i, h := range hits {
		r := find(i)
		if _, ok := groups[r]; !ok {
			order = append(order, r)
		}
		groups[r] = append(groups[r], h)
	}
	out := make([][]hit, 0, len(order))
	for _, r := range order {
		out = append(out, groups[r])
	}
	return out
}

// primary picks the entry that speaks for a group: bad before vulnerable,
// then higher confidence, then MAL ids, then the lowest id.
func primary(g []hit) hit {
	best := g[0]
	rank := func(h hit) (int, int, int) {
		b := 0
		if h.e.IsBad() {
			b = 1
		}
		conf := map[string]int{"low": 0, "medium": 1, "": 2, "high": 2}[h.e.Confidence]
		mal := 0
		if strings.HasPrefix(h.e.ID, "MAL-") {
			mal = 1
		}
		return b, conf, mal
	}
	for _, h := range g[1:] {
		b1, c1, m1 := rank(h)
		b0, c0, m0 := rank(best)
		if b1 != b0 {
			if b1 > b0 {
				best = h
			}
			continue
		}
		if c1 != c0 {
			if c1 > c0 {
				best = h
			}
			continue
		}
		if m1 != m0 {
			if m1 > m0 {
				best = h
			}
			continue
		}
		if h.e.ID < best.e.ID {
			best = h
		}
	}
	return best
}

func groupIDs(g []hit, first string) []string {
	seen := map[string]bool{first: true}
	var rest []string
	for _, h := range g {
		for _, id := range h.e.IDs() {
			if !seen[id] {
				seen[id] = true
				rest = append(rest, id)
			}
		}
	}
	sort.Strings(rest)
	return append([]string{first}, rest...)
}

func location(c *core.Component) (core.Location, string) {
	if len(c.Locations) == 0 {
		return core.Location{}, ""
	}
	if len(c.Locations) == 1 {
		return c.Locations[0], ""
	}
	var others []string
	for i, l := range c.Locations[1:] {
		if i == 5 {
			others = append(others, fmt.Sprintf("and %d more", len(c.Locations)-6))
			break
		}
		others = append(others, l.String())
	}
	return c.Locations[0], " Also declared at " + strings.Join(others, ", ") + "."
}

func evidence(c *core.Component) string {
	switch {
	case c.Kind == core.KindAction:
		return "uses: " + c.Name + "@" + c.Version
	case c.Version != "" && NormEcosystem(c.Ecosystem) == "PyPI":
		return c.Name + "==" + c.Version
	case c.Version != "":
		return c.Name + "@" + c.Version
	case c.Requirement != "" && NormEcosystem(c.Ecosystem) == "PyPI":
		return c.Name + c.Requirement
	case c.Requirement != "":
		return c.Name + "@" + c.Requirement
	}
	return c.Name
}

func displayRef(c *core.Component) string {
	switch {
	case c.Kind == core.KindAction:
		return c.Name + "@" + c.Version
	case c.Version != "":
		return c.Name + " " + c.Version
	}
	return c.Name
}

func (m *matcher) finding(c *core.Component, g []hit) (core.Finding, bool) {
	p := primary(g)
	e := p.e
	loc, also := location(c)
	ids := groupIDs(g, e.ID)
	what := e.Incident
	if what == "" {
		what = e.Summary
	}
	var (
		f   core.Finding
		msg strings.Builder
	)
	switch {
	case e.IsBad() && (p.how == "version" || p.how == "all"):
		f = ruleCompromised.New(loc, "", core.Clip(evidence(c), 200))
		m.describeBad(&msg, c, p, what)
		f.Fix = m.badFix(c, e)
		if e.Confidence == "low" {
			f.Severity = core.SeverityHigh
		}
	case e.IsBad() && p.how == "range":
		f = ruleRange.New(loc, "", core.Clip(evidence(c), 200))
		bad := unionBad(g)
		fmt.Fprintf(&msg, "The requirement %s allows known-%s versions %s (%s).", evidence(c), e.Kind, strings.Join(bad, ", "), what)
		if li, ok := m.safeLock(c, g); ok {
			f.Severity = core.SeverityLow
			fmt.Fprintf(&msg, " The %s at %s pins %s, which is not affected: installs from it are protected, a fresh resolve from this manifest is not.", li.what, li.path, li.version)
		}
		f.Fix = m.rangeFix(c, e, bad)
	case !e.IsBad() && p.how == "version":
		f = ruleVulnerable.New(loc, "", core.Clip(evidence(c), 200))
		sev, score := groupSeverity(g)
		f.Severity = sev
		fmt.Fprintf(&msg, "%s is affected by %s: %s", displayRef(c), e.ID, strings.TrimRight(strings.TrimSpace(e.Summary), "."))
		if score > 0 {
			fmt.Fprintf(&msg, " (CVSS %.1f)", score)
		}
		msg.WriteString(".")
		if fix := m.lowestFix(g, c.Version); fix != "" {
			f.Fix = fmt.Sprintf("Upgrade %s to %s or later.", c.Name, fix)
		} else {
			f.Fix = fmt.Sprintf("No fixed version of %s is known; replace it or mitigate per %s.", c.Name, e.ID)
		}
	default:
		return core.Finding{}, false
	}
	msg.WriteString(also)
	f.Message = msg.String()
	f.Component = c.ID()
	f.Advisories = ids
	if e.Confidence != "" {
		f.Confidence = e.Confidence
	}
	return f, true
}

func (m *matcher) describeBad(msg *strings.Builder, c *core.Component, p hit, what string) {
	e := p.e
	if e.Confidence == "low" {
		msg.WriteString("UNVERIFIED report (low confidence): ")
	}
	switch {
	case c.Kind == core.KindAction && p.how == "version" && isSHA(c.Version):
		fmt.Fprintf(msg, "%s is pinned to a known-malicious commit (%s).", displayRef(c), what)
	case c.Kind == core.KindAction:
		fmt.Fprintf(msg, "%s: %s.", displayRef(c), what)
		if e.Window != nil {
			fmt.Fprintf(msg, " Tags were force-pushed to malicious code %s; any workflow run using this ref in that window exposed its secrets — rotate them.", windowText(e.Window))
		}
		if e.Via != "" {
			fmt.Fprintf(msg, " Affected through %s.", e.Via)
		}
		if tc := c.Properties["tag_comment"]; tc != "" {
			fmt.Fprintf(msg, " (pin comment says %s.)", tc)
		}
	case p.how == "all" && (c.Kind == core.KindModel || c.Kind == core.KindDataset):
		fmt.Fprintf(msg, "%s is a known-malicious %s: every revision is affected (%s).", c.Name, c.Kind, what)
	case p.how == "all":
		fmt.Fprintf(msg, "%s is a malicious package: every version is affected (%s).", c.Name, what)
	default:
		fmt.Fprintf(msg, "%s is a known-%s release (%s).", displayRef(c), e.Kind, what)
	}
	if len(e.IOCs) > 0 {
		iocs := e.IOCs
		if len(iocs) > 6 {
			iocs = iocs[:6]
		}
		fmt.Fprintf(msg, " Indicators: %s.", strings.Join(iocs, "; "))
	}
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i] | 0x20
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			return false
		}
	}
	return true
}

func (m *matcher) badFix(c *core.Component, e *Entry) string {
	switch {
	case e.Fix != "":
		return upperFirst(e.Fix) + "."
	case e.AllVersions():
		return fmt.Sprintf("Remove %s: every version is malicious. Rotate credentials on machines that installed it.", c.Name)
	case e.NextClean != "":
		return fmt.Sprintf("Move to %s %s or later; rotate credentials on machines that installed the bad release.", c.Name, e.NextClean)
	}
	return fmt.Sprintf("Pin a version of %s outside the affected list (%s) and rotate credentials on machines that installed it.", c.Name, strings.Join(e.Versions, ", "))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (m *matcher) rangeFix(c *core.Component, e *Entry, bad []string) string {
	eco := NormEcosystem(c.Ecosystem)
	switch {
	case eco == "PyPI" && e.NextClean != "":
		return fmt.Sprintf("Require %s>=%s (or exclude %s) and install from a committed lockfile.", c.Name, e.NextClean, pepExcl(bad))
	case eco == "PyPI":
		return fmt.Sprintf("Exclude the bad versions (%s%s) or pin a safe version, and install from a committed lockfile.", c.Name, pepExcl(bad))
	case e.NextClean != "":
		return fmt.Sprintf("Require %s >=%s and install from a committed lockfile (npm ci).", c.Name, e.NextClean)
	}
	return fmt.Sprintf("Pin %s to a version outside %s and install from a committed lockfile (npm ci).", c.Name, strings.Join(bad, ", "))
}

func pepExcl(bad []string) string {
	var parts []string
	for _, b := range bad {
		parts = append(parts, "!="+b)
	}
	return strings.Join(parts, ",")
}

func unionBad(g []hit) []string {
	var out []string
	for _, h := range g {
		out = append(out, h.bad...)
	}
	return dedupe(out)
}

// safeLock finds a lockfile pin of the same package covering the
// manifest's directory whose version no hit affects.
func (m *matcher) safeLock(c *core.Component, g []hit) (lockInfo, bool) {
	if len(c.Locations) == 0 {
		return lockInfo{}, false
	}
	for _, li := range m.locked[key(c.Ecosystem, c.Name)] {
		if !covers(li.dir, c.Locations[0].Path) {
			continue
		}
		bad := false
		for _, h := range g {
			if m.p.Affects(h.e, li.version) {
				bad = true
			}
		}
		if !bad {
			return li, true
		}
	}
	return lockInfo{}, false
}

func groupSeverity(g []hit) (core.Severity, float64) {
	sev, score, known := core.SeverityInfo, 0.0, false
	for _, h := range g {
		if h.e.IsBad() || h.how != "version" {
			continue
		}
		if h.e.Score > score {
			score = h.e.Score
		}
		if h.e.Severity == "" {
			continue
		}
		s, err := core.ParseSeverity(h.e.Severity)
		if err == nil {
			known = true
			if s > sev {
				sev = s
			}
		}
	}
	if !known {
		return core.SeverityHigh, score
	}
	return sev, score
}

func (m *matcher) lowestFix(g []hit, ver string) string {
	best := ""
	var bestEntry *Entry
	for _, h := range g {
		fx := m.p.LowestFixedAbove(h.e, ver)
		if fx == "" {
			continue
		}
		if best == "" || (bestEntry != nil && m.less(h.e.Ecosystem, best, fx)) {
			best, bestEntry = fx, h.e
		}
	}
	return best
}

// less reports a > b in the ecosystem's ordering ("fx is lower than best").
func (m *matcher) less(eco, best, fx string) bool {
	e := &Entry{Ecosystem: eco, Ranges: []Range{{Type: "ECOSYSTEM"}}}
	sys := rangeSystem("ECOSYSTEM", e.Ecosystem)
	a, b := m.p.parse(sys, fx), m.p.parse(sys, best)
	return a != nil && b != nil && a.Compare(b) < 0
}

// unpinned reports ASSAY-DEP-004 for a manifest dependency without any
// upper bound when no lockfile of its ecosystem covers its directory.
func (m *matcher) unpinned(c *core.Component, already bool) (core.Finding, bool) {
	if already || c.Kind != core.KindPackage || c.Version != "" || len(c.Locations) == 0 {
		return core.Finding{}, false
	}
	if c.Properties["url"] != "" {
		return core.Finding{}, false // fetched from a URL/VCS ref: ASSAY-INV-001/101 cover pinning
	}
	src := c.Properties[core.PropSource]
	if src == core.SourceLockfile || src == core.SourceInstalled {
		return core.Finding{}, false
	}
	eco := NormEcosystem(c.Ecosystem)
	if eco != "PyPI" && eco != "npm" {
		return core.Finding{}, false
	}
	req := parseRequirement(eco, c.Requirement)
	if req == nil || req.hasUpperBound() {
		return core.Finding{}, false
	}
	for _, d := range m.lockDirs[eco] {
		if covers(d, c.Locations[0].Path) {
			return core.Finding{}, false
		}
	}
	loc, also := location(c)
	what := "no version constraint"
	if strings.TrimSpace(c.Requirement) != "" {
		what = "only " + strings.TrimSpace(c.Requirement)
	}
	f := ruleUnpinned.New(loc, fmt.Sprintf("%s is declared with %s and no %s lockfile covers %s: every install takes the newest release.%s", c.Name, what, eco, dirOf(loc.Path), also), core.Clip(evidence(c), 200))
	f.Component = c.ID()
	return f, true
}

// windowText renders a tag-rewrite window: whole days as dates, otherwise
// minutes in UTC.
func windowText(w *Window) string {
	s, e := w.Start, w.End
	if strings.HasSuffix(s, "T00:00:00Z") && strings.HasSuffix(e, "T23:59:59Z") && len(s) >= 10 && len(e) >= 10 {
		if s[:10] == e[:10] {
			return "on " + s[:10] + " (UTC)"
		}
		return "between " + s[:10] + " and " + e[:10] + " (UTC)"
	}
	trim := func(t string) string {
		t = strings.TrimSuffix(strings.TrimSuffix(t, "Z"), ":00")
		return strings.Replace(t, "T", " ", 1)
	}
	return "between " + trim(s) + " and " + trim(e) + " UTC"
}
