package npm

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/assay-dev/assay/internal/core"
)

// pkg is one locked/declared package while a file is parsed; deps are the
// internal keys of the packages it depends on, resolved to purls at the end.
type pkg struct {
	name        string
	version     string
	requirement string
	loc         core.Location
	hashes      []core.Hash
	licenses    []string
	direct      bool
	scope       string
	scopeKnown  bool // the lockfile said dev/optional/peer (or not) explicitly
	deps        []string
	props       map[string]string
	purl        string // cached by emit
}

func (p *pkg) setProp(k, v string) {
	if v == "" {
		return
	}
	if p.props == nil {
		p.props = map[string]string{}
	}
	p.props[k] = v
}

// purlFor builds pkg:npm/[%40scope/]name[@version].
func purlFor(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, n = name[:i], name[i+1:]
		}
	}
	if n == "" {
		return ""
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

// component converts p into a core.Component from source.
func (p *pkg) component(source string) core.Component {
	if p.purl == "" {
		p.purl = purlFor(p.name, p.version)
	}
	c := core.Component{
		Kind:        core.KindPackage,
		Name:        p.name,
		Version:     p.version,
		Ecosystem:   core.EcosystemNPM,
		PURL:        p.purl,
		Requirement: p.requirement,
		Hashes:      p.hashes,
		Licenses:    p.licenses,
		Direct:      p.direct,
		Scope:       p.scope,
		Properties:  map[string]string{core.PropSource: source},
	}
	if p.loc.Path != "" {
		c.Locations = []core.Location{p.loc}
	}
	for k, v := range p.props {
		c.Properties[k] = v
	}
	return c
}

// parseIntegrity turns an SRI string ("sha512-<base64> sha1-<base64>") into
// hex hashes; unknown algorithms and bad base64 are skipped.
func parseIntegrity(s string) []core.Hash {
	var out []core.Hash
	for _, tok := range strings.Fields(s) {
		i := strings.IndexByte(tok, '-')
		if i <= 0 {
			continue
		}
		alg := strings.ToLower(tok[:i])
		switch alg {
		case "sha1", "sha256", "sha384", "sha512":
		default:
			continue
		}
		b64 := tok[i+1:]
		if j := strings.IndexByte(b64, '?'); j >= 0 { // SRI options
			b64 = b64[:j]
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "="))
			if err != nil {
				continue
			}
		}
		if len(raw) != hashLen(alg) {
			continue
		}
		out = append(out, core.Hash{Algorithm: alg, Value: hex.EncodeToString(raw)})
	}
	return out
}

func hashLen(alg string) int {
	switch alg {
	case "sha1":
		return 20
	case "sha256":
		return 32
	case "sha384":
		return 48
	case "sha512":
		return 64
	}
	return 0
}

var (
	exactVersionRe = regexp.MustCompile(`^[=v]*\s*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)
	hexCommitRe    = regexp.MustCompile(`^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$`)
	semverish      = regexp.MustCompile(`^\d+\.\d+\.\d+`)
	shortcutRe     = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(#.*)?$`)
)

// exactVersion returns the version when spec pins exactly one version.
func exactVersion(spec string) (string, bool) {
	m := exactVersionRe.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// specKind classifies a package.json dependency spec.
type specKind int

const (
	specRange specKind = iota // semver range, tag, "*", "latest"
	specExact
	specAlias     // npm:real@range
	specGit       // git+..., github:..., user/repo
	specURL       // http(s)://...tgz
	specLocal     // file:, link:
	specWorkspace // workspace:
)

func classifySpec(spec string) specKind {
	s := strings.TrimSpace(spec)
	ls := strings.ToLower(s)
	switch {
	case strings.HasPrefix(ls, "npm:"):
		return specAlias
	case strings.HasPrefix(ls, "workspace:"):
		return specWorkspace
	case strings.HasPrefix(ls, "file:"), strings.HasPrefix(ls, "link:"), strings.HasPrefix(ls, "portal:"),
		strings.HasPrefix(ls, "./"), strings.HasPrefix(ls, "../"), strings.HasPrefix(ls, "/"), strings.HasPrefix(ls, "~/"):
		return specLocal
	case strings.HasPrefix(ls, "git+"), strings.HasPrefix(ls, "git:"), strings.HasPrefix(ls, "git@"),
		strings.HasPrefix(ls, "github:"), strings.HasPrefix(ls, "gitlab:"), strings.HasPrefix(ls, "bitbucket:"),
		strings.HasPrefix(ls, "gist:"):
		return specGit
	case strings.HasPrefix(ls, "http://"), strings.HasPrefix(ls, "https://"):
		if isGitURL(ls) {
			return specGit
		}
		return specURL
	}
	if _, ok := exactVersion(s); ok {
		return specExact
	}
	if shortcutRe.MatchString(s) && !strings.Contains(s, " ") {
		return specGit // GitHub "owner/repo[#ref]" shorthand
	}
	return specRange
}

// isGitURL reports whether an http(s) URL names a git repository rather than
// a tarball (ends in .git, optionally with a #ref).
func isGitURL(u string) bool {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	return strings.HasSuffix(u, ".git")
}

// gitCommitPinned reports whether a git spec or resolved URL names a full
// commit: "#<sha>", "#commit=<sha>" (yarn berry), or a codeload/archive path
// segment that is a sha.
func gitCommitPinned(spec string) bool {
	if i := strings.IndexByte(spec, '#'); i >= 0 {
		frag := spec[i+1:]
		for _, part := range strings.FieldsFunc(frag, func(r rune) bool { return r == '&' || r == ':' }) {
			part = strings.TrimPrefix(part, "commit=")
			if hexCommitRe.MatchString(part) {
				return true
			}
		}
		return false
	}
	return urlHasCommit(spec)
}

// urlHasCommit reports whether a URL path carries a 40-hex commit segment
// (codeload.github.com/o/r/tar.gz/<sha>, github.com/o/r/archive/<sha>.tar.gz).
func urlHasCommit(u string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	for _, seg := range strings.Split(u, "/") {
		seg = strings.TrimSuffix(strings.TrimSuffix(seg, ".tar.gz"), ".tgz")
		seg = strings.TrimSuffix(seg, ".zip")
		if hexCommitRe.MatchString(seg) {
			return true
		}
	}
	return false
}

// splitNameSpec splits "name@spec" (the name may be "@scope/name").
func splitNameSpec(s string) (name, spec string) {
	i := strings.IndexByte(s[min(1, len(s)):], '@')
	if i < 0 {
		return s, ""
	}
	i++
	return s[:i], s[i+1:]
}

// parseAlias splits "npm:real@range" into the real name and range.
func parseAlias(spec string) (name, rng string) {
	s := strings.TrimSpace(spec)
	if len(s) >= 4 && strings.EqualFold(s[:4], "npm:") {
		s = s[4:]
	}
	return splitNameSpec(s)
}

// isRegistryURL reports whether a resolved URL looks like an npm registry
// tarball (…/<name>/-/<name>-<version>.tgz).
func isRegistryURL(u string) bool {
	return strings.Contains(u, "/-/") && (strings.HasSuffix(stripFragment(u), ".tgz"))
}

func stripFragment(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		return u[:i]
	}
	return u
}

// sourceKind classifies a lockfile "resolved" value.
func resolvedKind(r string) specKind {
	lr := strings.ToLower(r)
	switch {
	case r == "":
		return specRange
	case strings.HasPrefix(lr, "git+"), strings.HasPrefix(lr, "git:"), strings.HasPrefix(lr, "git@"),
		strings.HasPrefix(lr, "github:"), strings.HasPrefix(lr, "gitlab:"), strings.HasPrefix(lr, "bitbucket:"),
		strings.HasPrefix(lr, "ssh://"):
		return specGit
	case strings.HasPrefix(lr, "http://"), strings.HasPrefix(lr, "https://"):
		if isGitURL(lr) {
			return specGit
		}
		if isRegistryURL(lr) {
			return specExact
		}
		return specURL
	case strings.HasPrefix(lr, "file:"), strings.HasPrefix(lr, "link:"):
		return specLocal
	}
	return specRange
}

// unpinnedResolved reports whether a lockfile entry fetched from git or a
// non-registry URL is pinned neither to a commit nor by an integrity hash.
func unpinnedResolved(resolved string, hasIntegrity bool) bool {
	switch resolvedKind(resolved) {
	case specGit:
		return !gitCommitPinned(resolved) && !hasIntegrity
	case specURL:
		return !hasIntegrity && !urlHasCommit(resolved)
	}
	return false
}

// resolveGraph turns internal dep keys into purls (sorted, unique) and, when
// the format lacks dev/optional flags, derives transitive scopes from
// reachability: runtime if reachable from a runtime direct dependency, else
// optional, else dev, else peer.
func resolveGraph(pkgs map[string]*pkg, deriveScopes bool) {
	if deriveScopes {
		rank := map[string]int{"": 0, "optional": 1, "dev": 2, "peer": 3}
		best := map[string]int{}
		type item struct {
			key string
			r   int
		}
		var queue []item
		for k, p := range pkgs {
			if p.direct {
				r, ok := rank[p.scope]
				if !ok {
					r = 0
				}
				best[k] = r
				queue = append(queue, item{k, r})
			}
		}
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			if best[it.key] < it.r {
				continue
			}
			p := pkgs[it.key]
			if p == nil {
				continue
			}
			for _, d := range p.deps {
				if _, ok := pkgs[d]; !ok {
					continue
				}
				if r, ok := best[d]; !ok || it.r < r {
					best[d] = it.r
					queue = append(queue, item{d, it.r})
				}
			}
		}
		names := []string{"", "optional", "dev", "peer"}
		for k, p := range pkgs {
			if p.direct || p.scopeKnown {
				continue
			}
			if r, ok := best[k]; ok {
				p.scope = names[r]
			}
		}
	}
	for _, p := range pkgs {
		p.deps = uniqueSorted(p.deps)
	}
}

func dependsOnPurls(pkgs map[string]*pkg, p *pkg) []string {
	if len(p.deps) == 0 {
		return nil
	}
	out := make([]string, 0, len(p.deps))
	seen := map[string]bool{}
	for _, d := range p.deps {
		q := pkgs[d]
		if q == nil {
			continue
		}
		pu := q.purl
		if pu == "" || seen[pu] {
			continue
		}
		seen[pu] = true
		out = append(out, pu)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func uniqueSorted(s []string) []string {
	if len(s) < 2 {
		return s
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// Field bounds: npm names are at most 214 bytes; versions and specs beyond
// these lengths are not real and are refused rather than copied into reports.
const (
	maxNameLen    = 214
	maxVersionLen = 256
	maxSpecLen    = 2048
)

// invalidReason says why a package cannot become a component ("" when it can).
func (p *pkg) invalidReason() string {
	switch {
	case p.name == "":
		return "empty package name"
	case len(p.name) > maxNameLen:
		return fmt.Sprintf("package name longer than %d bytes", maxNameLen)
	case strings.IndexFunc(p.name, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Sprintf("package name %q contains whitespace or control characters", core.Clip(p.name, 60))
	case len(p.version) > maxVersionLen:
		return fmt.Sprintf("version of %s longer than %d bytes", core.Clip(p.name, 60), maxVersionLen)
	case len(p.requirement) > maxSpecLen:
		return fmt.Sprintf("specifier of %s longer than %d bytes", core.Clip(p.name, 60), maxSpecLen)
	}
	return ""
}

// maxErrorsPerFile bounds how many per-entry Errors one file may produce.
const maxErrorsPerFile = 20

// addError appends a per-entry error, keeping at most maxErrorsPerFile.
func addError(res *core.Result, rel, scanner, reason string) {
	n := 0
	for _, e := range res.Errors {
		if e.Path == rel {
			n++
		}
	}
	if n < maxErrorsPerFile {
		res.Errors = append(res.Errors, core.Error{Path: rel, Scanner: scanner, Reason: reason})
	}
}

// emit appends the parsed packages to res as components in a stable order;
// packages with invalid fields become Errors instead.
func emit(rel, scanner string, pkgs map[string]*pkg, source string, res *core.Result) {
	keys := make([]string, 0, len(pkgs))
	dropped := map[int]bool{}
	for k, p := range pkgs {
		if why := p.invalidReason(); why != "" {
			addError(res, rel, scanner, fmt.Sprintf("entry at line %d: %s; not recorded", p.loc.Line, why))
			dropped[p.loc.Line] = true
			delete(pkgs, k)
			continue
		}
		keys = append(keys, k)
	}
	if len(dropped) > 0 { // no findings about entries that are not recorded
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if f.Location.Path != rel || !dropped[f.Location.Line] {
				kept = append(kept, f)
			}
		}
		res.Findings = kept
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := pkgs[k]
		p.purl = purlFor(p.name, p.version)
	}
	for _, k := range keys {
		p := pkgs[k]
		c := p.component(source)
		c.DependsOn = dependsOnPurls(pkgs, p)
		res.Components = append(res.Components, c)
	}
}

// unpinnedFinding builds an ASSAY-INV-101 finding.
func unpinnedFinding(loc core.Location, name, version, spec, why string) core.Finding {
	f := RuleUnpinnedSource.New(loc, "npm dependency "+name+" is fetched from "+why, core.Clip(name+"@"+spec, 200))
	f.Component = purlFor(name, version)
	return f
}
