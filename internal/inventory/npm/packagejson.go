package npm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// depSections maps package.json dependency sections to component scopes.
var depSections = map[string]string{
	"dependencies":         "",
	"devDependencies":      "dev",
	"optionalDependencies": "optional",
	"peerDependencies":     "peer",
}

// sectionOrder is the order sections are emitted in.
var sectionOrder = []string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}

// depDecl is one declared dependency with the position of its key.
type depDecl struct {
	name, spec, section string
	line, col           int
}

// manifest is what assay reads from a package.json.
type manifest struct {
	name, version string
	nameLine      int
	pkgManager    string // "packageManager": "pnpm@9.1.0+sha512.<hex>" (corepack)
	pkgMgrLine    int
	pkgMgrCol     int
	license       string
	integrity     string // _integrity of old installed packages
	resolved      string // _resolved of old installed packages
	deps          []depDecl
	bundled       map[string]bool
	overrides     map[string]string // dependency name -> override spec
	workspaces    []string
	typeErrs      []string
}

// decodeManifest parses a package.json with key positions.
func decodeManifest(data []byte) (*manifest, error) {
	d := newJSONDoc(data)
	m := &manifest{}
	err := d.objectEach(func(key string, line, col int) error {
		if _, ok := depSections[key]; ok {
			return d.depObject(m, key)
		}
		switch key {
		case "name":
			m.nameLine = line
			return d.str(&m.name)
		case "version":
			return d.str(&m.version)
		case "packageManager":
			m.pkgMgrLine, m.pkgMgrCol = line, col
			return d.str(&m.pkgManager)
		case "license":
			return d.str(&m.license)
		case "_integrity":
			return d.str(&m.integrity)
		case "_resolved":
			return d.str(&m.resolved)
		case "bundledDependencies", "bundleDependencies":
			var raw json.RawMessage
			if err := d.decode(&raw); err != nil {
				return err
			}
			var names []string
			if json.Unmarshal(raw, &names) == nil {
				if m.bundled == nil {
					m.bundled = map[string]bool{}
				}
				for _, n := range names {
					m.bundled[n] = true
				}
			}
			return nil
		case "overrides", "resolutions":
			return d.overrides(m, key)
		case "pnpm":
			return d.objectEachOrSkip(func(k string, _, _ int) error {
				if k == "overrides" {
					return d.overrides(m, "pnpm.overrides")
				}
				return d.skip()
			})
		case "workspaces":
			var raw json.RawMessage
			if err := d.decode(&raw); err != nil {
				return err
			}
			var list []string
			if json.Unmarshal(raw, &list) != nil {
				var obj struct {
					Packages []string `json:"packages"`
				}
				if json.Unmarshal(raw, &obj) == nil {
					list = obj.Packages
				}
			}
			m.workspaces = list
			return nil
		}
		return d.skip()
	})
	if err == errNotObject {
		return nil, fmt.Errorf("package.json is not a JSON object")
	}
	if err != nil {
		return nil, err
	}
	if d.dec.More() {
		return nil, fmt.Errorf("malformed JSON: trailing data after the top-level object")
	}
	return m, nil
}

// str decodes a string value, ignoring other types.
func (d *jsonDoc) str(dst *string) error {
	var s lenientString
	if err := d.decode(&s); err != nil && !isTypeErr(err) {
		return err
	}
	*dst = string(s)
	return nil
}

// objectEachOrSkip is objectEach that tolerates a non-object value.
func (d *jsonDoc) objectEachOrSkip(fn func(key string, line, col int) error) error {
	err := d.objectEach(fn)
	if err == errNotObject {
		return nil
	}
	return err
}

func (d *jsonDoc) depObject(m *manifest, section string) error {
	return d.objectEachOrSkip(func(name string, line, col int) error {
		var spec lenientString
		raw := json.RawMessage{}
		if err := d.decode(&raw); err != nil {
			return err
		}
		if json.Unmarshal(raw, &spec) != nil || (len(raw) > 0 && raw[0] != '"') {
			m.typeErrs = append(m.typeErrs, fmt.Sprintf("%s.%s at line %d is not a string", section, name, line))
			return nil
		}
		m.deps = append(m.deps, depDecl{name: name, spec: string(spec), section: section, line: line, col: col})
		return nil
	})
}

// overrides flattens npm overrides (nested objects, "." for the package
// itself), yarn resolutions ("**/a/b") and pnpm.overrides ("a>b", "a@1") to
// dependency name -> spec.
func (d *jsonDoc) overrides(m *manifest, key string) error {
	var raw json.RawMessage
	if err := d.decode(&raw); err != nil {
		return err
	}
	if m.overrides == nil {
		m.overrides = map[string]string{}
	}
	flattenOverrides(raw, "", m.overrides, 0)
	return nil
}

func flattenOverrides(raw json.RawMessage, parent string, out map[string]string, depth int) {
	if depth > 16 {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil {
			name := k
			if k == "." {
				name = parent
			}
			name = overrideTarget(name)
			if name != "" {
				out[name] = s
			}
			continue
		}
		flattenOverrides(v, k, out, depth+1)
	}
}

// overrideTarget extracts the package name an override key applies to:
// "**/foo" -> foo, "a/b" (yarn) -> b, "a>b" (pnpm) -> b, "foo@1" -> foo.
func overrideTarget(k string) string {
	if i := strings.LastIndexByte(k, '>'); i >= 0 {
		k = k[i+1:]
	}
	k = strings.TrimPrefix(k, "**/")
	// yarn "parent/child" paths; keep "@scope/name" whole.
	parts := strings.Split(k, "/")
	if len(parts) >= 2 {
		if strings.HasPrefix(parts[len(parts)-2], "@") {
			k = parts[len(parts)-2] + "/" + parts[len(parts)-1]
		} else {
			k = parts[len(parts)-1]
		}
	}
	name, _ := splitNameSpec(k)
	return name
}

// parsePackageJSON turns a project package.json into direct components.
func parsePackageJSON(rel string, data []byte, hasLockfile bool) (core.Result, error) {
	if inNodeModules(rel) {
		return core.Result{}, nil // a file inside an installed package, not a manifest
	}
	m, err := decodeManifest(data)
	if err != nil {
		return core.Result{}, err
	}
	var res core.Result
	for _, e := range m.typeErrs {
		res.Errors = append(res.Errors, core.Error{Path: rel, Scanner: "npm/package-json", Reason: e})
	}
	sort.SliceStable(m.deps, func(i, j int) bool { return m.deps[i].line < m.deps[j].line })
	if c, ok := packageManagerComponent(rel, m); ok {
		res.Components = append(res.Components, c)
	}
	for _, dd := range m.deps {
		loc := core.Location{Path: rel, Line: dd.line, Column: dd.col}
		if pre := (&pkg{name: dd.name, requirement: dd.spec}); pre.invalidReason() != "" {
			addError(&res, rel, "npm/package-json", fmt.Sprintf("%s at line %d: %s; not recorded", dd.section, dd.line, pre.invalidReason()))
			continue
		}
		p := &pkg{name: dd.name, direct: true, scope: depSections[dd.section], loc: loc}
		spec := strings.TrimSpace(dd.spec)
		switch classifySpec(spec) {
		case specWorkspace:
			continue // the project's own workspace package
		case specExact:
			p.version, _ = exactVersion(spec)
		case specRange:
			p.requirement = spec
			if spec == "" {
				p.requirement = "*"
			}
			if !semverish.MatchString(spec) && !strings.ContainsAny(spec, "<>=^~*|xX") && spec != "" && !strings.HasPrefix(spec, "v") {
				p.setProp(PropSpecType, "tag")
			}
		case specAlias:
			real, rng := parseAlias(spec)
			if real == "" {
				real = dd.name
			}
			p.name = real
			p.setProp(PropAlias, dd.name)
			p.setProp(PropSpecType, "alias")
			if v, ok := exactVersion(rng); ok {
				p.version = v
			} else {
				p.requirement = rng
				if rng == "" {
					p.requirement = "*"
				}
			}
		case specGit:
			p.requirement = spec
			p.setProp(PropSpecType, "git")
			if !gitCommitPinned(spec) {
				res.Findings = append(res.Findings, unpinnedFinding(loc, dd.name, "", spec,
					"git by a movable reference ("+gitRefDesc(spec)+"), not a commit"))
			}
		case specURL:
			p.requirement = spec
			p.setProp(PropSpecType, "url")
			if !hasLockfile && !urlHasCommit(spec) {
				res.Findings = append(res.Findings, unpinnedFinding(loc, dd.name, "", spec,
					"a tarball URL with no lockfile beside package.json to pin its integrity"))
			}
		case specLocal:
			p.requirement = spec
			p.setProp(PropSpecType, "file")
		}
		if m.bundled[dd.name] {
			p.setProp(PropBundled, "true")
		}
		if o, ok := m.overrides[dd.name]; ok {
			p.setProp(PropOverride, o)
		}
		if why := p.invalidReason(); why != "" {
			addError(&res, rel, "npm/package-json", fmt.Sprintf("%s at line %d: %s; not recorded", dd.section, dd.line, why))
			continue
		}
		res.Components = append(res.Components, p.component(core.SourceManifest))
	}
	return res, nil
}

// gitRefDesc describes the ref of a git spec for a message.
func gitRefDesc(spec string) string {
	i := strings.IndexByte(spec, '#')
	if i < 0 {
		return "default branch"
	}
	ref := spec[i+1:]
	if strings.HasPrefix(ref, "semver:") {
		return "semver range over tags " + core.Clip(strings.TrimPrefix(ref, "semver:"), 60)
	}
	if len(ref) >= 7 && len(ref) < 40 && isHex(ref) {
		return "abbreviated commit " + ref
	}
	return "ref " + core.Clip(ref, 60)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// parseInstalledPackageJSON records node_modules/**/package.json as an
// installed component.
func parseInstalledPackageJSON(rel string, data []byte) (core.Result, error) {
	m, err := decodeManifest(data)
	if err != nil {
		return core.Result{}, err
	}
	dirName := strings.TrimSuffix(rel, "/package.json")
	i := strings.LastIndex(dirName, "node_modules/")
	dirName = dirName[i+len("node_modules/"):]
	if m.name == "" || m.version == "" {
		return core.Result{Errors: []core.Error{{Path: rel, Scanner: "npm/package-json",
			Reason: "installed package.json has no name or version; not recorded"}}}, nil
	}
	p := &pkg{name: m.name, loc: core.Location{Path: rel, Line: max(m.nameLine, 1)}}
	if v, ok := exactVersion(m.version); ok {
		p.version = v
	} else {
		p.version = m.version
	}
	if dirName != m.name {
		p.setProp(PropAlias, dirName)
	}
	if why := p.invalidReason(); why != "" {
		return core.Result{Errors: []core.Error{{Path: rel, Scanner: "npm/package-json", Reason: why + "; not recorded"}}}, nil
	}
	if m.license != "" && len(m.license) <= maxSpecLen {
		p.licenses = []string{m.license}
	}
	p.hashes = parseIntegrity(m.integrity)
	if m.resolved != "" && resolvedKind(m.resolved) != specExact {
		p.setProp(PropResolved, m.resolved)
	}
	return core.Result{Components: []core.Component{p.component(core.SourceInstalled)}}, nil
}

// dropWorkspaceDeps removes dependencies on the project's own workspace
// packages (declared by name and range, linked locally by the package
// manager): they are not registry packages and must not be matched as such.
func dropWorkspaceDeps(res core.Result, names map[string]bool) core.Result {
	kept := res.Components[:0]
	for _, c := range res.Components {
		local := c.Name
		if a := c.Properties[PropAlias]; a != "" {
			local = a
		}
		if names[local] && c.Properties[PropSpecType] == "" {
			continue
		}
		kept = append(kept, c)
	}
	res.Components = kept
	return res
}

// packageManagerComponent records the "packageManager" field (the npm, pnpm
// or yarn release corepack downloads and runs) as a direct dev component,
// with its "+sha512.<hex>" / "+sha256.<hex>" pin as a hash.
func packageManagerComponent(rel string, m *manifest) (core.Component, bool) {
	if m.pkgManager == "" {
		return core.Component{}, false
	}
	spec, hash, _ := strings.Cut(m.pkgManager, "+")
	name, ver := splitNameSpec(spec)
	p := &pkg{name: name, direct: true, scope: "dev",
		loc: core.Location{Path: rel, Line: m.pkgMgrLine, Column: m.pkgMgrCol}}
	if v, ok := exactVersion(ver); ok {
		p.version = v
	} else {
		p.requirement = ver
	}
	if alg, hexv, ok := strings.Cut(hash, "."); ok && hashLen(alg) == len(hexv)/2 && isHex(hexv) {
		p.hashes = []core.Hash{{Algorithm: alg, Value: strings.ToLower(hexv)}}
	}
	p.setProp(PropSpecType, "packageManager")
	if p.invalidReason() != "" || ver == "" {
		return core.Component{}, false
	}
	return p.component(core.SourceManifest), true
}
