// Package policy loads assay.yaml policies and .assayignore.yaml baselines
// and applies them to a report before it is finalized: zero-trust switches
// that raise the severity of chosen rules, per-rule enable/disable and
// re-grading (by id or glob), allow/deny lists of packages, hosts and model
// publishers, paths never to read, and accepted risks with a reason and an
// optional expiry.
//
// Bounds: a policy or baseline file is at most MaxFileSize bytes, YAML
// anchors/aliases are refused (no expansion bombs), nesting is limited to 32
// levels, patterns to 1,024 characters. Every problem is an *Error naming
// the file, line and column; a file that cannot be read or parsed is never
// silently ignored.
package policy

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// DefaultFile is the policy file looked for at the scanned root.
const DefaultFile = "assay.yaml"

// Rule ids this capability reports.
const (
	RuleDeniedPackage     = "ASSAY-POL-001"
	RuleUnapprovedPackage = "ASSAY-POL-002"
	RuleUnsignedModel     = "ASSAY-POL-003"
	RuleUnapprovedModel   = "ASSAY-POL-004"
	RuleDeniedHost        = "ASSAY-POL-005"
	RuleUnapprovedHost    = "ASSAY-POL-006"
	RuleExpiredAcceptance = "ASSAY-POL-010"
	RuleStaleBaseline     = "ASSAY-POL-011"
)

var rules = []core.Rule{
	{ID: RuleDeniedPackage, Title: "Package is on the policy deny list", Severity: core.SeverityCritical, Category: "policy",
		Description: "The project's policy (packages.deny) forbids this package or this version of it. Deny lists record packages an organisation has decided never to ship: known-compromised releases it tracks itself, abandoned or typo-squatted names, or licences it cannot accept.",
		Fix:         "Remove the dependency or move to a version outside the denied range, then regenerate the lockfile.",
		Tags:        []string{"zero-trust", "supply-chain"}},
	{ID: RuleUnapprovedPackage, Title: "Direct dependency is not on the policy allow list", Severity: core.SeverityHigh, Category: "policy",
		Description: "The policy sets packages.allow, so every direct dependency must be approved by name. Anything else was added without review; an allow list is the zero-trust answer to typo-squats and dependency confusion.",
		Fix:         "Replace the dependency with an approved one, or have it reviewed and add it to packages.allow in assay.yaml.",
		Tags:        []string{"zero-trust", "supply-chain"}},
	{ID: RuleUnsignedModel, Title: "Model file is not covered by a verified signature", Severity: core.SeverityHigh, Category: "policy",
		Description: "The policy sets require_signed_models: true, so every model file must be covered by a signature that assay verified (assay sign / assay verify, or a Sigstore bundle). An unsigned model can be swapped on disk, in a cache or on a hub without anyone noticing.",
		Fix:         "Sign the model files (assay manifest && assay sign) and commit the signature bundle, or obtain a signed release from the publisher.",
		Tags:        []string{"zero-trust", "model", "provenance"}},
	{ID: RuleUnapprovedModel, Title: "Model comes from a publisher that is not on the allow list", Severity: core.SeverityHigh, Category: "policy",
		Description: "The policy sets models.publishers.allow, so hub models may only come from approved organisations. Model hubs let anyone publish look-alike names; a model from an unreviewed publisher may carry executable payloads or poisoned weights.",
		Fix:         "Use a model from an approved publisher, or review this publisher and add it to models.publishers.allow in assay.yaml.",
		Tags:        []string{"zero-trust", "model"}},
	{ID: RuleDeniedHost, Title: "Component points at a host on the policy deny list", Severity: core.SeverityHigh, Category: "policy",
		Description: "The policy (hosts.deny) forbids this host: a service endpoint, a model or dataset URL points at it. Deny lists carry exfiltration endpoints, paste and tunnel services and unapproved vendors.",
		Fix:         "Remove the reference to the denied host or replace it with an approved endpoint.",
		Tags:        []string{"zero-trust", "network"}},
	{ID: RuleUnapprovedHost, Title: "Service endpoint is not on the policy allow list", Severity: core.SeverityHigh, Category: "policy",
		Description: "The policy sets hosts.allow, so every LLM or API service the code talks to must be approved. Data sent to an unreviewed endpoint leaves the organisation's control.",
		Fix:         "Use an approved endpoint, or review this host and add it to hosts.allow in assay.yaml.",
		Tags:        []string{"zero-trust", "network"}},
	{ID: RuleExpiredAcceptance, Title: "Accepted risk has expired", Severity: core.SeverityMedium, Category: "policy",
		Description: "A baseline or policy ignore entry accepted this risk until a date that has passed. The entry no longer suppresses anything: the findings it covered are reported again, so that accepted risks are revisited rather than forgotten.",
		Fix:         "Fix the underlying findings and delete the entry, or review the risk again and move its expires date forward with an updated reason.",
		Tags:        []string{"baseline"}},
	{ID: RuleStaleBaseline, Title: "Baseline entry matches nothing", Severity: core.SeverityInfo, Category: "policy",
		Description: "An ignore entry no longer matches any finding: the problem was fixed, the file moved, or the entry was mistyped. Stale entries could silently hide a future finding that happens to match them.",
		Fix:         "Delete the entry (or correct its rule, path or fingerprint).",
		Tags:        []string{"baseline"}},
}

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return append([]core.Rule(nil), rules...) }

func ruleByID(id string) core.Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	panic("policy: unknown rule " + id)
}

// Policy is a parsed assay.yaml.
type Policy struct {
	// Source is the file the policy came from (as given, for messages).
	Source string
	// FailOn is the policy's threshold; FailOnSet says whether the file set
	// it (nil with FailOnSet means "none": never fail).
	FailOn    *core.Severity
	FailOnSet bool

	Rules []RuleOverride

	RequirePinnedActions        bool
	RequireLockfileHashes       bool
	AllowPickleModels           bool // default true: pickle models keep their default grade
	RequireSignedModels         bool
	RequirePinnedModelRevisions bool

	DenyPackages    []PackageMatcher
	AllowPackages   []PackageMatcher
	DenyHosts       []*glob
	AllowHosts      []*glob
	AllowPublishers []*glob
	SkipPaths       []*glob

	// Ignore holds accepted risks written in the policy itself.
	Ignore []*Entry

	// DataTextField and DataLabelField (the `data:` section) name the text
	// and label fields of training batches for `assay data screen`; empty
	// when not set. The command's flags win over them.
	DataTextField  string
	DataLabelField string
}

// RuleOverride changes one rule or a glob of rules.
type RuleOverride struct {
	Pattern  string
	Disabled bool
	Severity *core.Severity
	Line     int
	glob     *glob
}

// PackageMatcher selects packages by name or purl glob, optional ecosystem
// and optional version spec.
type PackageMatcher struct {
	Pattern   string // name glob or purl glob ("pkg:pypi/litellm")
	Ecosystem string
	Versions  string
	Reason    string
	Line      int
	glob      *glob
	purl      bool
	specs     []versionSpec // any may match; none means every version
}

// Load reads and parses a policy file. A missing or unreadable file is an
// error: the caller decides whether the file was optional.
func Load(path string) (*Policy, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + err.Error()}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{File: path, Msg: "not a regular file"}
	}
	b, err := core.ReadLimited(f, MaxFileSize)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + err.Error()}
	}
	return b, nil
}

// Parse parses policy YAML. source names the file in errors and in
// suppression records. An empty document is a valid, empty policy.
func Parse(data []byte, source string) (*Policy, error) {
	d := &decoder{file: source}
	p := &Policy{Source: source, AllowPickleModels: true}
	root := d.parseDocument(data)
	if err := d.err(); err != nil {
		return nil, err
	}
	if root == nil {
		return p, nil
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return p, nil
	}
	d.mapping(root, "policy", map[string]func(*yaml.Node){
		"version": func(v *yaml.Node) { d.version(v) },
		"fail_on": func(v *yaml.Node) {
			s, ok := d.nonEmpty(v, "fail_on")
			if !ok {
				return
			}
			p.FailOnSet = true
			if strings.EqualFold(s, "none") || strings.EqualFold(s, "never") {
				return
			}
			sev, err := core.ParseSeverity(s)
			if err != nil {
				d.errorf(v, "fail_on: %v", err)
				return
			}
			p.FailOn = &sev
		},
		"rules":                          func(v *yaml.Node) { p.Rules = d.ruleOverrides(v) },
		"require_pinned_actions":         func(v *yaml.Node) { p.RequirePinnedActions, _ = d.boolean(v, "require_pinned_actions") },
		"require_lockfile_hashes":        func(v *yaml.Node) { p.RequireLockfileHashes, _ = d.boolean(v, "require_lockfile_hashes") },
		"allow_pickle_models":            func(v *yaml.Node) { p.AllowPickleModels, _ = d.boolean(v, "allow_pickle_models") },
		"require_signed_models":          func(v *yaml.Node) { p.RequireSignedModels, _ = d.boolean(v, "require_signed_models") },
		"require_pinned_model_revisions": func(v *yaml.Node) { p.RequirePinnedModelRevisions, _ = d.boolean(v, "require_pinned_model_revisions") },
		"packages": func(v *yaml.Node) {
			d.mapping(v, "packages", map[string]func(*yaml.Node){
				"deny":  func(v *yaml.Node) { p.DenyPackages = d.packageList(v, "packages.deny") },
				"allow": func(v *yaml.Node) { p.AllowPackages = d.packageList(v, "packages.allow") },
			})
		},
		"hosts": func(v *yaml.Node) {
			d.mapping(v, "hosts", map[string]func(*yaml.Node){
				"deny":  func(v *yaml.Node) { p.DenyHosts = d.globList(v, "hosts.deny", globHost) },
				"allow": func(v *yaml.Node) { p.AllowHosts = d.globList(v, "hosts.allow", globHost) },
			})
		},
		"models": func(v *yaml.Node) {
			d.mapping(v, "models", map[string]func(*yaml.Node){
				"publishers": func(v *yaml.Node) {
					d.mapping(v, "models.publishers", map[string]func(*yaml.Node){
						"allow": func(v *yaml.Node) { p.AllowPublishers = d.globList(v, "models.publishers.allow", globName) },
					})
				},
			})
		},
		"paths": func(v *yaml.Node) {
			d.mapping(v, "paths", map[string]func(*yaml.Node){
				"skip": func(v *yaml.Node) { p.SkipPaths = d.globList(v, "paths.skip", globPath) },
			})
		},
		"ignore": func(v *yaml.Node) { p.Ignore = d.entries(v, "ignore") },
		"data": func(v *yaml.Node) {
			d.mapping(v, "data", map[string]func(*yaml.Node){
				"text_field":  func(v *yaml.Node) { p.DataTextField, _ = d.nonEmpty(v, "data.text_field") },
				"label_field": func(v *yaml.Node) { p.DataLabelField, _ = d.nonEmpty(v, "data.label_field") },
			})
		},
	})
	if err := d.err(); err != nil {
		return nil, err
	}
	return p, nil
}

func (d *decoder) version(v *yaml.Node) {
	if s, ok := d.str(v, "version"); ok && s != "1" {
		d.errorf(v, "version: unsupported version %q (this assay reads version 1)", s)
	}
}

// ruleOverrides parses
//
//	rules:
//	  ASSAY-GHA-*: high          # re-grade
//	  ASSAY-INV-003: off         # disable
//	  ASSAY-MDL-002: {severity: critical}
//	  ASSAY-DEP-002: {enabled: false}
func (d *decoder) ruleOverrides(n *yaml.Node) []RuleOverride {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "rules must be a mapping of rule id (or glob) to a severity, on/off, or {severity, enabled}, got %s", kindName(n))
		return nil
	}
	var out []RuleOverride
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		id, ok := d.nonEmpty(k, "rules key")
		if !ok {
			continue
		}
		if !validRulePattern(id) {
			d.errorf(k, "rules: %q is not a rule id or glob (e.g. ASSAY-GHA-001, ASSAY-GHA-*)", id)
			continue
		}
		if seen[strings.ToUpper(id)] {
			d.errorf(k, "rules: duplicate key %q", id)
			continue
		}
		seen[strings.ToUpper(id)] = true
		g, err := compileGlob(id, globID)
		if err != nil {
			d.errorf(k, "rules: %v", err)
			continue
		}
		o := RuleOverride{Pattern: id, Line: k.Line, glob: g}
		switch v.Kind {
		case yaml.ScalarNode:
			d.ruleValue(v, id, &o)
		case yaml.MappingNode:
			d.mapping(v, "rules."+id, map[string]func(*yaml.Node){
				"enabled": func(v *yaml.Node) {
					if b, ok := d.boolean(v, "rules."+id+".enabled"); ok {
						o.Disabled = !b
					}
				},
				"severity": func(v *yaml.Node) {
					if s, ok := d.nonEmpty(v, "rules."+id+".severity"); ok {
						sev, err := core.ParseSeverity(s)
						if err != nil {
							d.errorf(v, "rules.%s.severity: %v", id, err)
							return
						}
						o.Severity = &sev
					}
				},
			})
		default:
			d.errorf(v, "rules.%s must be a severity, on/off, or a mapping {severity, enabled}, got %s", id, kindName(v))
			continue
		}
		out = append(out, o)
	}
	return out
}

func (d *decoder) ruleValue(v *yaml.Node, id string, o *RuleOverride) {
	if v.Tag == "!!bool" {
		b, _ := d.boolean(v, "rules."+id)
		o.Disabled = !b
		return
	}
	s := strings.ToLower(strings.TrimSpace(v.Value))
	switch s {
	case "off", "disable", "disabled", "ignore":
		o.Disabled = true
	case "on", "enable", "enabled":
	default:
		sev, err := core.ParseSeverity(s)
		if err != nil {
			d.errorf(v, "rules.%s: %q is not a severity (critical, high, medium, low, info) nor on/off", id, v.Value)
			return
		}
		o.Severity = &sev
	}
}

// validRulePattern accepts ids like ASSAY-GHA-001 and globs like ASSAY-GHA-*.
func validRulePattern(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '*' || c == '?') {
			return false
		}
	}
	return s != ""
}

func (d *decoder) globList(n *yaml.Node, what string, kind globKind) []*glob {
	var nodes []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		nodes = []*yaml.Node{n}
	case yaml.SequenceNode:
		nodes = n.Content
	default:
		d.errorf(n, "%s must be a list of patterns, got %s", what, kindName(n))
		return nil
	}
	var out []*glob
	for _, c := range nodes {
		s, ok := d.nonEmpty(c, what+" entry")
		if !ok {
			continue
		}
		g, err := compileGlob(s, kind)
		if err != nil {
			d.errorf(c, "%s: %v", what, err)
			continue
		}
		out = append(out, g)
	}
	return out
}

// packageList parses entries that are either a string (name or purl glob,
// optionally "name@version" / purl with @version) or a mapping
// {name|purl, ecosystem, version(s), reason}.
func (d *decoder) packageList(n *yaml.Node, what string) []PackageMatcher {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list, got %s", what, kindName(n))
		return nil
	}
	var out []PackageMatcher
	for _, c := range n.Content {
		m := PackageMatcher{Line: c.Line}
		switch c.Kind {
		case yaml.ScalarNode:
			s, ok := d.nonEmpty(c, what+" entry")
			if !ok {
				continue
			}
			m.Pattern = s
		case yaml.MappingNode:
			var name, purl string
			d.mapping(c, what+" entry", map[string]func(*yaml.Node){
				"name":      func(v *yaml.Node) { name, _ = d.nonEmpty(v, "name") },
				"purl":      func(v *yaml.Node) { purl, _ = d.nonEmpty(v, "purl") },
				"ecosystem": func(v *yaml.Node) { m.Ecosystem, _ = d.nonEmpty(v, "ecosystem") },
				"version":   func(v *yaml.Node) { m.Versions, _ = d.nonEmpty(v, "version") },
				"versions": func(v *yaml.Node) {
					vs := d.strList(v, "versions")
					for i := range vs {
						if !strings.ContainsAny(vs[i], "<>=!") {
							vs[i] = "==" + vs[i]
						}
					}
					// A list of exact versions is a disjunction; encode it as
					// several matchers sharing the entry.
					m.Versions = strings.Join(vs, "|")
				},
				"reason": func(v *yaml.Node) { m.Reason, _ = d.str(v, "reason") },
			})
			switch {
			case name != "" && purl != "":
				d.errorf(c, "%s entry: give name or purl, not both", what)
				continue
			case name == "" && purl == "":
				d.errorf(c, "%s entry: needs name or purl", what)
				continue
			case purl != "":
				if !strings.HasPrefix(strings.ToLower(purl), "pkg:") {
					d.errorf(c, "%s entry: purl %q must start with pkg:", what, purl)
					continue
				}
				m.Pattern = purl
			default:
				m.Pattern = name
			}
		default:
			d.errorf(c, "%s entry must be a name or a mapping, got %s", what, kindName(c))
			continue
		}
		if err := m.compile(); err != nil {
			d.errorf(c, "%s: %v", what, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

func (m *PackageMatcher) compile() error {
	pat := m.Pattern
	m.purl = strings.HasPrefix(strings.ToLower(pat), "pkg:")
	if !m.purl {
		// "name@version" and "name>=spec" shorthands (npm scopes start with
		// @, so look after index 0).
		i := strings.LastIndexByte(pat, '@')
		if j := strings.IndexAny(pat, "<>=!"); j > 0 && (i <= 0 || j < i) {
			if m.Versions != "" {
				return fmt.Errorf("%q: give the version in the pattern or in version:, not both", pat)
			}
			m.Versions = pat[j:]
			pat = pat[:j]
		} else if i > 0 {
			if m.Versions != "" {
				return fmt.Errorf("%q: give the version in the pattern or in version:, not both", pat)
			}
			m.Versions = pat[i+1:]
			pat = pat[:i]
		}
		pat = normalizeName(pat)
	} else {
		// purls percent-encode the "@" of npm scopes.
		pat = strings.ReplaceAll(pat, "/@", "/%40")
	}
	g, err := compileGlob(pat, globName)
	if err != nil {
		return err
	}
	m.glob = g
	if m.Versions != "" {
		for alt := range strings.SplitSeq(m.Versions, "|") {
			vs, err := parseVersionSpec(alt)
			if err != nil {
				return err
			}
			m.specs = append(m.specs, vs)
		}
	}
	return nil
}

// normalizeName folds case and treats runs of "-", "_" and "." alike (PEP
// 503), so "Foo_Bar" matches "foo-bar".
func normalizeName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	prevSep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '.' {
			if !prevSep {
				b.WriteByte('-')
			}
			prevSep = true
			continue
		}
		prevSep = false
		b.WriteByte(c)
	}
	return b.String()
}

// Skip reports whether rel (slash-separated, relative to the scan root) is
// excluded by paths.skip. It fits engine.Config.Skip.
func (p *Policy) Skip(rel string, _ bool) bool {
	for _, g := range p.SkipPaths {
		if g.match(rel) {
			return true
		}
	}
	return false
}

// CheckRules reports `rules:` keys that name an exact rule id no known rule
// has (typically a typo, which would otherwise silently change nothing).
// Globs are not checked: they may target rules a later version adds.
func (p *Policy) CheckRules(known []core.Rule) error {
	ids := make(map[string]bool, len(known))
	names := make([]string, 0, len(known))
	for _, r := range known {
		ids[strings.ToUpper(r.ID)] = true
		names = append(names, r.ID)
	}
	var errs ErrorList
	for _, o := range p.Rules {
		if !o.glob.literal || ids[strings.ToUpper(o.Pattern)] {
			continue
		}
		msg := fmt.Sprintf("rules: no rule has the id %q", o.Pattern)
		if s := suggest(strings.ToUpper(o.Pattern), names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		errs = append(errs, &Error{File: p.Source, Line: o.Line, Msg: msg + "; `assay explain --list` lists every rule"})
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Rename sets the name the policy (and its ignore entries) report in
// messages and suppression records, e.g. the path relative to the scan root
// instead of the path it was loaded from.
func (p *Policy) Rename(name string) {
	for _, e := range p.Ignore {
		if e.File == p.Source {
			e.File = name
		}
	}
	p.Source = name
}
