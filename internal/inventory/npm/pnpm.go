package npm

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// pnpmLock is the state of one pnpm-lock.yaml parse.
type pnpmLock struct {
	rel   string
	major int
	pkgs  map[string]*pkg   // canonical "name@version" -> package
	alias map[string]string // every raw/stripped key spelling -> canonical
	res   core.Result
}

// parsePnpmLock parses pnpm-lock.yaml lockfileVersion 5.x, 6.x and 9.x,
// including the two-document files of pnpm 11+ (an "env" document with
// packageManagerDependencies/configDependencies, then the project's).
func parsePnpmLock(rel string, data []byte) (core.Result, error) {
	docs, err := parseYAMLDocs(data, maxPnpmDocs)
	if err != nil {
		return core.Result{}, err
	}
	var lv string
	for _, root := range docs {
		if root.Kind != yaml.MappingNode {
			return core.Result{}, fmt.Errorf("pnpm-lock.yaml is not a YAML mapping")
		}
		if v := mapGetStr(root, "lockfileVersion"); v != "" {
			lv = v
		}
	}
	if lv == "" {
		return core.Result{}, fmt.Errorf("not a pnpm lockfile: no lockfileVersion")
	}
	majorStr, _, _ := strings.Cut(lv, ".")
	major, err := strconv.Atoi(strings.TrimSpace(majorStr))
	if err != nil || major < 1 {
		return core.Result{}, fmt.Errorf("unsupported pnpm lockfileVersion %q", core.Clip(lv, 40))
	}
	l := &pnpmLock{rel: rel, major: major, pkgs: map[string]*pkg{}, alias: map[string]string{}}

	// 1. packages: identities, resolutions, flags (and deps for < 9).
	for _, root := range docs {
		mapEach(mapGet(root, "packages"), func(k, v *yaml.Node) { l.addPackage(k, v, major < 9) })
	}
	// 2. snapshots (9.x): dependency graph of peer-resolved variants.
	for _, root := range docs {
		mapEach(mapGet(root, "snapshots"), func(k, v *yaml.Node) { l.addSnapshot(k, v) })
	}
	// Every alias is known now: resolve dependency references.
	for _, p := range l.pkgs {
		for i, d := range p.deps {
			p.deps[i] = l.lookupRaw(d)
		}
	}
	// 3. importers: the project's own (direct) dependencies.
	for _, root := range docs {
		if imps := mapGet(root, "importers"); imps != nil {
			mapEach(imps, func(_, imp *yaml.Node) { l.addImporter(imp) })
		} else {
			l.addImporter(root) // 5.x/6.x single-project layout
		}
	}
	resolveGraph(l.pkgs, true)
	for _, p := range l.pkgs {
		p.setProp(PropLockfile, "pnpm-"+core.Clip(lv, 20))
	}
	emit(rel, "npm/pnpm-lock", l.pkgs, core.SourceLockfile, &l.res)
	return l.res, nil
}

// parseKey splits a packages/snapshots key into name and version, dropping
// the leading "/" and the peer suffix ("(react@18.2.0)" or "_react@18.2.0").
func (l *pnpmLock) parseKey(k string) (name, version string) {
	s := strings.TrimPrefix(k, "/")
	if i := strings.IndexByte(s, '('); i > 0 {
		s = s[:i]
	}
	if l.major < 6 {
		// 5.x: /name/1.2.3_peer or /@scope/name/1.2.3_peer
		parts := strings.Split(s, "/")
		n := 1
		if strings.HasPrefix(s, "@") {
			n = 2
		}
		if len(parts) == n+1 && semverish.MatchString(parts[n]) {
			v := parts[n]
			if i := strings.IndexByte(v, '_'); i > 0 {
				v = v[:i]
			}
			return strings.Join(parts[:n], "/"), v
		}
	}
	return splitNameSpec(s)
}

// stripPeers removes a peer suffix from a version reference.
func (l *pnpmLock) stripPeers(ref string) string {
	if i := strings.IndexByte(ref, '('); i > 0 {
		ref = ref[:i]
	}
	if l.major < 6 && semverish.MatchString(ref) {
		if i := strings.IndexByte(ref, '_'); i > 0 {
			ref = ref[:i]
		}
	}
	return ref
}

func (l *pnpmLock) addAlias(raw, canon string) {
	l.alias[raw] = canon
	l.alias[strings.TrimPrefix(raw, "/")] = canon
	if s := l.stripPeers(strings.TrimPrefix(raw, "/")); s != "" {
		l.alias[s] = canon
	}
}

func (l *pnpmLock) addPackage(k, v *yaml.Node, withDeps bool) {
	name, ver := l.parseKey(k.Value)
	if n := mapGetStr(v, "name"); n != "" {
		name = n
	}
	if vv := mapGetStr(v, "version"); vv != "" {
		ver = vv
	}
	resolution := mapGet(v, "resolution")
	if mapGetStr(resolution, "directory") != "" || mapGetStr(resolution, "type") == "directory" {
		return // a local folder: the project's own code
	}
	if name == "" {
		return
	}
	canon := name + "@" + ver
	l.addAlias(k.Value, canon)
	p := l.pkgs[canon]
	if p == nil {
		p = &pkg{name: name, loc: core.Location{Path: l.rel, Line: k.Line, Column: k.Column}}
		if ev, ok := exactVersion(ver); ok {
			p.version = ev
		} else if semverish.MatchString(ver) {
			p.version = ver
		} else {
			p.requirement = ver
		}
		integrity := mapGetStr(resolution, "integrity")
		p.hashes = parseIntegrity(integrity)
		src := mapGetStr(resolution, "tarball")
		if mapGetStr(resolution, "type") == "git" {
			src = mapGetStr(resolution, "repo")
			if c := mapGetStr(resolution, "commit"); c != "" {
				src += "#" + c
			}
			if !strings.HasPrefix(src, "git") && !strings.HasSuffix(stripFragment(src), ".git") {
				src = "git+" + src
			}
		}
		if src != "" && resolvedKind(src) != specExact {
			p.setProp(PropResolved, src)
			if unpinnedResolved(src, integrity != "") {
				l.res.Findings = append(l.res.Findings, unpinnedFinding(p.loc, name, p.version, src,
					"a git/URL source with neither a commit nor an integrity hash in the lockfile"))
			}
		}
		if dev := mapGet(v, "dev"); dev != nil {
			p.scopeKnown = true
			if scalar(dev) == "true" {
				p.scope = "dev"
			}
		}
		if mapGetStr(v, "optional") == "true" {
			p.scope = "optional"
			p.scopeKnown = true
		}
		l.pkgs[canon] = p
	}
	if withDeps {
		l.addDeps(p, v)
	}
}

func (l *pnpmLock) addSnapshot(k, v *yaml.Node) {
	canon, ok := l.alias[k.Value]
	if !ok {
		name, ver := l.parseKey(k.Value)
		canon, ok = l.alias[name+"@"+ver]
		if !ok {
			return
		}
	}
	l.addAlias(k.Value, canon)
	p := l.pkgs[canon]
	if p == nil {
		return
	}
	if mapGetStr(v, "optional") == "true" && !p.scopeKnown {
		p.scope = "optional"
	}
	l.addDeps(p, v)
}

// addDeps records the raw dependency references of a package; they are
// turned into canonical keys by lookupRaw once every alias is known.
func (l *pnpmLock) addDeps(p *pkg, v *yaml.Node) {
	for _, sec := range []string{"dependencies", "optionalDependencies"} {
		mapEach(mapGet(v, sec), func(dk, dv *yaml.Node) {
			if r := l.refCandidates(dk.Value, scalar(dv)); r != "" {
				p.deps = append(p.deps, r)
			}
		})
	}
}

// refCandidates encodes a (name, reference) pair for lookupRaw.
func (l *pnpmLock) refCandidates(name, ref string) string {
	if ref == "" || strings.HasPrefix(ref, "link:") || strings.HasPrefix(ref, "file:") && !strings.Contains(ref, ".tgz") {
		return ""
	}
	return name + "\x00" + ref
}

// lookupRaw resolves an encoded (name, reference) to a canonical key.
func (l *pnpmLock) lookupRaw(enc string) string {
	name, ref, ok := strings.Cut(enc, "\x00")
	if !ok {
		return enc
	}
	return l.resolveRef(name, ref)
}

func (l *pnpmLock) resolveRef(name, ref string) string {
	stripped := l.stripPeers(ref)
	for _, c := range []string{
		ref, stripped,
		name + "@" + ref, name + "@" + stripped,
		"/" + name + "/" + ref, "/" + name + "@" + ref,
	} {
		if canon, ok := l.alias[c]; ok {
			return canon
		}
	}
	// An alias ("string-width@4.2.3", "/string-width/4.2.3"): parse as a key.
	if an, av := l.parseKey(ref); an != "" && av != "" {
		if canon, ok := l.alias[an+"@"+av]; ok {
			return canon
		}
	}
	return ""
}

// addImporter marks the dependencies an importer (workspace project)
// declares as direct, with the scope of the section declaring them.
func (l *pnpmLock) addImporter(imp *yaml.Node) {
	rank := map[string]int{"": 0, "optional": 1, "dev": 2, "peer": 3}
	for _, sec := range []string{"dependencies", "devDependencies", "optionalDependencies",
		"configDependencies", "packageManagerDependencies"} {
		scope, ok := depSections[sec]
		if !ok {
			scope = "dev" // pnpm 11+ env document: the package manager and config deps, build tooling
		}
		mapEach(mapGet(imp, sec), func(dk, dv *yaml.Node) {
			ref := scalar(dv)
			if dv.Kind == yaml.MappingNode {
				ref = mapGetStr(dv, "version")
			}
			canon := l.resolveRef(dk.Value, ref)
			p := l.pkgs[canon]
			if p == nil {
				return
			}
			if !p.direct || rank[scope] < rank[p.scope] {
				p.scope = scope
			}
			p.direct = true
			if p.name != dk.Value {
				p.setProp(PropAlias, dk.Value)
			}
		})
	}
}
