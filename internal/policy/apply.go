package policy

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/assay-dev/assay/internal/core"
)

// Options tune Enforce.
type Options struct {
	// Today is the date expiries are checked against (zero: time.Now()).
	Today time.Time
	// ReportStale adds an ASSAY-POL-011 finding for each ignore entry that
	// matched nothing. Only a full scan can tell: focused verbs leave it off.
	ReportStale bool
}

func (o Options) today() string {
	t := o.Today
	if t.IsZero() {
		t = time.Now()
	}
	return t.Format(time.DateOnly)
}

// DisabledReason is the suppression reason of findings of rules the policy
// switched off.
const DisabledReason = "rule disabled by policy"

// zeroTrust maps each switch to the rules it raises to high.
var zeroTrust = []struct {
	key string
	on  func(*Policy) bool
	ids []string
}{
	{"require_pinned_actions", func(p *Policy) bool { return p.RequirePinnedActions }, []string{"ASSAY-GHA-001", "ASSAY-GHA-002"}},
	{"require_lockfile_hashes", func(p *Policy) bool { return p.RequireLockfileHashes }, []string{"ASSAY-PRV-001"}},
	{"allow_pickle_models", func(p *Policy) bool { return !p.AllowPickleModels }, []string{"ASSAY-MDL-001"}},
	{"require_pinned_model_revisions", func(p *Policy) bool { return p.RequirePinnedModelRevisions }, []string{"ASSAY-AI-002"}},
}

// Enforce applies the policy p (may be nil) and the accepted risks in
// entries (the baseline file's, plus p.Ignore) to r, before r.Finalize:
//
//  1. every finding gets its fingerprint;
//  2. the policy adds its own findings (deny/allow lists, unsigned models)
//     and raises findings that name a denied host to at least high;
//  3. findings matching a live ignore entry move to r.Suppressed; expired
//     entries suppress nothing and are reported (ASSAY-POL-010), entries that
//     matched nothing too when opts.ReportStale (ASSAY-POL-011);
//  4. zero-trust switches and `rules:` re-grade findings; findings of
//     disabled rules move to r.Suppressed.
func Enforce(r *core.Report, p *Policy, entries []*Entry, opts Options) {
	fillFingerprints(r.Findings)
	fillFingerprints(r.Suppressed)
	if p != nil {
		r.Components = core.MergeComponents(r.Components)
		p.componentFindings(r)
		fillFingerprints(r.Findings)
		p.escalateHosts(r.Findings)
		entries = append(append([]*Entry(nil), p.Ignore...), entries...)
	}
	applyEntries(r, entries, opts, true)
	if p != nil {
		p.grade(r)
	}
}

// ApplyBaseline suppresses the findings that live entries match, without
// policy or stale-entry reporting (used right after writing a baseline).
func ApplyBaseline(r *core.Report, entries []*Entry, opts Options) {
	fillFingerprints(r.Findings)
	opts.ReportStale = false
	applyEntries(r, entries, opts, false)
}

func fillFingerprints(fs []core.Finding) {
	for i := range fs {
		if fs[i].Fingerprint == "" {
			fs[i].Fingerprint = fs[i].ComputeFingerprint()
		}
	}
}

// componentFindings adds the findings that come from the policy's lists.
func (p *Policy) componentFindings(r *core.Report) {
	var add []core.Finding
	for i := range r.Components {
		c := &r.Components[i]
		loc := componentLocation(c)
		switch c.Kind {
		case core.KindPackage, core.KindAction:
			if m := firstMatch(p.DenyPackages, c); m != nil {
				f := ruleByID(RuleDeniedPackage).New(loc, fmt.Sprintf("%s is denied by %s:%d", describeComponent(c), p.Source, m.Line), c.ID())
				if m.Reason != "" {
					f.Message += ": " + m.Reason
				}
				f.Component = c.ID()
				add = append(add, f)
				continue // a denied package needs no allow-list finding too
			}
			if c.Kind == core.KindPackage && len(p.AllowPackages) > 0 && c.Direct && !anyAllows(p.AllowPackages, c) {
				f := ruleByID(RuleUnapprovedPackage).New(loc, fmt.Sprintf("%s is a direct dependency but not on packages.allow in %s", describeComponent(c), p.Source), c.ID())
				f.Component = c.ID()
				add = append(add, f)
			}
		case core.KindModel:
			if p.RequireSignedModels && c.Properties[core.PropFormat] != "" && c.Properties[core.PropSignature] != "verified" {
				state := c.Properties[core.PropSignature]
				if state == "" {
					state = "no signature"
				}
				f := ruleByID(RuleUnsignedModel).New(loc, fmt.Sprintf("model file %s (%s) is not covered by a verified signature (%s); %s requires signed models", c.Name, c.Properties[core.PropFormat], state, p.Source), "signature: "+state)
				f.Component = c.ID()
				add = append(add, f)
			}
			if len(p.AllowPublishers) > 0 && strings.EqualFold(c.Ecosystem, core.EcosystemHuggingFace) {
				pub := publisher(c.Name)
				allowed := false
				for _, g := range p.AllowPublishers {
					if g.match(pub) {
						allowed = true
						break
					}
				}
				if !allowed {
					f := ruleByID(RuleUnapprovedModel).New(loc, fmt.Sprintf("hub model %s is published by %q, which is not on models.publishers.allow in %s", c.Name, pub, p.Source), c.Name)
					f.Component = c.ID()
					add = append(add, f)
				}
			}
		}
		hosts := componentHosts(c)
		denied := ""
		for _, h := range hosts {
			if matchHost(p.DenyHosts, h) {
				denied = h
				break
			}
		}
		if denied != "" {
			f := ruleByID(RuleDeniedHost).New(loc, fmt.Sprintf("%s points at %s, which is on hosts.deny in %s", describeComponent(c), denied, p.Source), denied)
			f.Component = c.ID()
			add = append(add, f)
			continue
		}
		if c.Kind == core.KindService && len(p.AllowHosts) > 0 {
			for _, h := range hosts {
				if !matchHost(p.AllowHosts, h) {
					f := ruleByID(RuleUnapprovedHost).New(loc, fmt.Sprintf("service %s talks to %s, which is not on hosts.allow in %s", c.Name, h, p.Source), h)
					f.Component = c.ID()
					add = append(add, f)
					break
				}
			}
		}
	}
	r.Findings = append(r.Findings, add...)
}

func componentLocation(c *core.Component) core.Location {
	if len(c.Locations) > 0 {
		return c.Locations[0]
	}
	return core.Location{}
}

func describeComponent(c *core.Component) string {
	s := string(c.Kind) + " " + c.Name
	switch {
	case c.Version != "":
		s += "@" + c.Version
	case c.Requirement != "":
		s += " (" + c.Requirement + ")"
	}
	if c.Ecosystem != "" {
		s += " [" + c.Ecosystem + "]"
	}
	return s
}

// publisher is the organisation of a hub model ("meta-llama/Llama-3" →
// "meta-llama"); a legacy name without an organisation is its own publisher.
func publisher(name string) string {
	if i := strings.IndexByte(name, '/'); i > 0 {
		return name[:i]
	}
	return name
}

// firstMatch returns the first deny matcher that selects c.
func firstMatch(ms []PackageMatcher, c *core.Component) *PackageMatcher {
	if len(ms) == 0 {
		return nil
	}
	norm := normalizeName(c.Name)
	for i := range ms {
		if ms[i].matches(c, norm) {
			return &ms[i]
		}
	}
	return nil
}

// anyAllows reports whether an allow matcher approves c.
func anyAllows(ms []PackageMatcher, c *core.Component) bool {
	norm := normalizeName(c.Name)
	for i := range ms {
		if ms[i].allows(c, norm) {
			return true
		}
	}
	return false
}

// matches is the deny-list test: the name matches and, when the entry has a
// version spec, the component is pinned to a version inside it (an unpinned
// declaration is judged through its locked component, when there is one).
func (m *PackageMatcher) matches(c *core.Component, norm string) bool {
	if !m.nameMatches(c, norm) {
		return false
	}
	return len(m.specs) == 0 || (c.Version != "" && m.versionMatches(c.Ecosystem, c.Version))
}

// allows is the allow-list test: the name matches and a known version
// satisfies the spec; an unpinned declaration is allowed by name.
func (m *PackageMatcher) allows(c *core.Component, norm string) bool {
	if !m.nameMatches(c, norm) {
		return false
	}
	return len(m.specs) == 0 || c.Version == "" || m.versionMatches(c.Ecosystem, c.Version)
}

func (m *PackageMatcher) versionMatches(eco, v string) bool {
	for _, s := range m.specs {
		if s.matches(eco, v) {
			return true
		}
	}
	return false
}

// nameMatches tests the name (norm is normalizeName(c.Name)) or the purl.
func (m *PackageMatcher) nameMatches(c *core.Component, norm string) bool {
	if m.Ecosystem != "" && !strings.EqualFold(m.Ecosystem, c.Ecosystem) {
		return false
	}
	if !m.purl {
		return m.glob.match(norm)
	}
	if c.PURL == "" {
		return false
	}
	pu := strings.ToLower(c.PURL)
	if i := strings.IndexAny(pu, "?#"); i >= 0 {
		pu = pu[:i]
	}
	if !strings.Contains(m.glob.pattern, "@") {
		if i := strings.LastIndexByte(pu, '@'); i > 0 {
			pu = pu[:i]
		}
	}
	return m.glob.match(pu)
}

// hostProps are the component properties that may carry an endpoint.
var hostProps = []string{"host", "url", "endpoint", "base_url", "api_base", "uri"}

// componentHosts lists the host names a component points at: service
// endpoints, model/dataset download URLs.
func componentHosts(c *core.Component) []string {
	var out []string
	add := func(s string) {
		if h := hostOf(s); h != "" {
			for _, o := range out {
				if o == h {
					return
				}
			}
			out = append(out, h)
		}
	}
	for _, k := range hostProps {
		if v := c.Properties[k]; v != "" {
			add(v)
		}
	}
	if c.ML != nil && c.ML.URL != "" {
		add(c.ML.URL)
	}
	if c.Kind == core.KindService && looksLikeHost(c.Name) {
		add(c.Name)
	}
	return out
}

// hostOf extracts the lower-case host from a URL or host[:port].
func hostOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 2048 {
		return ""
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return strings.ToLower(u.Hostname())
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	if !looksLikeHost(s) {
		return ""
	}
	return strings.ToLower(s)
}

var hostRe = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

func looksLikeHost(s string) bool { return len(s) <= 253 && hostRe.MatchString(s) }

func matchHost(gs []*glob, host string) bool {
	for _, g := range gs {
		if g.match(host) {
			return true
		}
	}
	return false
}

// urlHosts returns the hosts of http(s)/ws(s)/ftp URLs in text (at most
// 16), scanning for "://" rather than running a regular expression over
// every finding.
func urlHosts(text string) []string {
	var out []string
	for i := 0; len(out) < 16; {
		j := strings.Index(text[i:], "://")
		if j < 0 {
			break
		}
		j += i
		k := j
		for k > 0 && isAlpha(text[k-1]) {
			k--
		}
		scheme := strings.ToLower(text[k:j])
		h := j + 3
		e := h
		for e < len(text) && isHostByte(text[e]) {
			e++
		}
		switch scheme {
		case "http", "https", "ws", "wss", "ftp":
			if e > h {
				out = append(out, strings.ToLower(text[h:e]))
			}
		}
		i = max(e, j+3)
	}
	return out
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isHostByte(c byte) bool {
	return isAlpha(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// escalateHosts raises findings whose evidence or message names a URL on a
// denied host to at least high, and says so in the message.
func (p *Policy) escalateHosts(fs []core.Finding) {
	if len(p.DenyHosts) == 0 {
		return
	}
	for i := range fs {
		f := &fs[i]
		for _, text := range []string{f.Evidence, f.Message} {
			hit := ""
			for _, h := range urlHosts(text) {
				if matchHost(p.DenyHosts, h) {
					hit = h
					break
				}
			}
			if hit != "" {
				if f.Severity < core.SeverityHigh {
					f.Severity = core.SeverityHigh
				}
				f.Message += fmt.Sprintf(" [policy: %s is on hosts.deny in %s]", hit, p.Source)
				break
			}
		}
	}
}

// verdict is what the policy says about one rule id.
type verdict struct {
	disabled bool
	sev      *core.Severity
	raise    bool // zero-trust switch: at least high
	why      string
}

func (p *Policy) verdictFor(id string, cache map[string]verdict) verdict {
	if v, ok := cache[id]; ok {
		return v
	}
	var v verdict
	for _, z := range zeroTrust {
		if !z.on(p) {
			continue
		}
		for _, zid := range z.ids {
			if strings.EqualFold(zid, id) {
				v.raise, v.why = true, z.key
			}
		}
	}
	best, bestSpec := -1, -1
	for i := range p.Rules {
		o := &p.Rules[i]
		if !o.glob.match(id) {
			continue
		}
		if s := o.glob.specificity(); s >= bestSpec {
			best, bestSpec = i, s
		}
	}
	if best >= 0 {
		o := &p.Rules[best]
		v.disabled = o.Disabled
		v.sev = o.Severity
		v.why = fmt.Sprintf("rules.%s at %s:%d", o.Pattern, p.Source, o.Line)
	}
	cache[id] = v
	return v
}

// grade applies zero-trust switches and rule overrides.
func (p *Policy) grade(r *core.Report) {
	if len(p.Rules) == 0 && !p.anySwitch() {
		return
	}
	cache := map[string]verdict{}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		v := p.verdictFor(f.RuleID, cache)
		if v.disabled {
			f.Suppression = &core.Suppression{Reason: DisabledReason, Source: v.why}
			r.Suppressed = append(r.Suppressed, f)
			continue
		}
		p.regrade(&f, v)
		kept = append(kept, f)
	}
	r.Findings = kept
	for i := range r.Suppressed {
		v := p.verdictFor(r.Suppressed[i].RuleID, cache)
		if !v.disabled {
			p.regrade(&r.Suppressed[i], v)
		}
	}
}

func (p *Policy) regrade(f *core.Finding, v verdict) {
	old := f.Severity
	switch {
	case v.sev != nil:
		f.Severity = *v.sev
	case v.raise && f.Severity < core.SeverityHigh:
		f.Severity = core.SeverityHigh
	}
	if f.Severity != old {
		why := v.why
		if v.sev == nil {
			why += " in " + p.Source
		}
		f.Message += fmt.Sprintf(" [policy: %s→%s by %s]", old, f.Severity, why)
	}
}

func (p *Policy) anySwitch() bool {
	for _, z := range zeroTrust {
		if z.on(p) {
			return true
		}
	}
	return false
}
