package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// lockEntry is one package of package-lock.json v2/v3 "packages".
type lockEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	License              json.RawMessage   `json:"license"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	DevOptional          bool              `json:"devOptional"`
	Peer                 bool              `json:"peer"`
	InBundle             bool              `json:"inBundle"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`

	// v1 only
	Requires map[string]string `json:"-"`
	Bundled  bool              `json:"-"`

	line, col int
	isDirect  bool // some declarer (root or workspace) resolves to this entry
}

func (e *lockEntry) scope() string {
	switch {
	case e.Dev:
		return "dev"
	case e.Optional, e.DevOptional:
		return "optional"
	case e.Peer:
		return "peer"
	}
	return ""
}

// parsePackageLock parses package-lock.json / npm-shrinkwrap.json (v1–v3).
// sib is the package.json beside it (may be nil), used for v1 direct deps.
func parsePackageLock(rel string, data []byte, sib *manifest) (core.Result, error) {
	d := newJSONDoc(data)
	var (
		lockVersion int
		packages    map[string]*lockEntry
		v1          map[string]*lockEntry
		res         core.Result
		typeErrs    int
	)
	err := d.objectEach(func(key string, line, col int) error {
		switch key {
		case "lockfileVersion":
			var v json.Number
			if err := d.decode(&v); err != nil && !isTypeErr(err) {
				return err
			}
			n, _ := v.Int64()
			lockVersion = int(n)
			return nil
		case "packages":
			packages = map[string]*lockEntry{}
			return d.objectEachOrSkip(func(p string, line, col int) error {
				e := &lockEntry{line: line, col: col}
				if err := d.decode(e); err != nil {
					if !isTypeErr(err) {
						return err
					}
					typeErrs++
					if typeErrs <= 10 {
						res.Errors = append(res.Errors, core.Error{Path: rel, Scanner: "npm/package-lock",
							Reason: fmt.Sprintf("packages[%q] at line %d: %s", core.Clip(p, 100), line, typeErrText(err))})
					}
				}
				packages[p] = e
				return nil
			})
		case "dependencies":
			if packages != nil {
				return d.skip() // v2 keeps v1 "dependencies" for old npm; "packages" wins
			}
			v1 = map[string]*lockEntry{}
			return d.v1Deps("", v1, 0)
		}
		return d.skip()
	})
	if err == errNotObject {
		return core.Result{}, fmt.Errorf("package-lock is not a JSON object")
	}
	if err != nil {
		return core.Result{}, err
	}
	if d.dec.More() {
		return core.Result{}, fmt.Errorf("malformed JSON: trailing data after the top-level object")
	}
	if packages == nil && v1 == nil && lockVersion == 0 {
		return core.Result{}, fmt.Errorf("not a package-lock: no lockfileVersion, packages or dependencies")
	}
	var pkgs map[string]*pkg
	if packages != nil {
		pkgs = lockV2(rel, packages, &res)
	} else {
		if lockVersion == 0 {
			lockVersion = 1
		}
		pkgs = lockV1(rel, v1, sib, &res)
	}
	resolveGraph(pkgs, false)
	for _, p := range pkgs {
		p.setProp(PropLockfile, fmt.Sprint(lockVersion))
	}
	emit(rel, "npm/package-lock", pkgs, core.SourceLockfile, &res)
	return res, nil
}

// v1Deps walks the nested "dependencies" of a v1 lockfile, keying entries by
// their node_modules path like v2 does.
func (d *jsonDoc) v1Deps(parent string, out map[string]*lockEntry, depth int) error {
	if depth > 200 {
		return fmt.Errorf("package-lock dependencies nested deeper than 200 levels")
	}
	return d.objectEachOrSkip(func(name string, line, col int) error {
		p := "node_modules/" + name
		if parent != "" {
			p = parent + "/" + p
		}
		e := &lockEntry{line: line, col: col}
		out[p] = e
		return d.objectEachOrSkip(func(k string, _, _ int) error {
			switch k {
			case "version":
				return d.decodeLenient(&e.Version)
			case "resolved":
				return d.decodeLenient(&e.Resolved)
			case "integrity":
				return d.decodeLenient(&e.Integrity)
			case "dev":
				return d.decodeLenient(&e.Dev)
			case "optional":
				return d.decodeLenient(&e.Optional)
			case "bundled":
				return d.decodeLenient(&e.Bundled)
			case "requires":
				return d.decodeLenient(&e.Requires)
			case "dependencies":
				return d.v1Deps(p, out, depth+1)
			}
			return d.skip()
		})
	})
}

func (d *jsonDoc) decodeLenient(v any) error {
	if err := d.decode(v); err != nil && !isTypeErr(err) {
		return err
	}
	return nil
}

// installName is the directory name a node_modules path installs under.
func installName(p string) string {
	i := strings.LastIndex(p, "node_modules/")
	if i < 0 {
		return ""
	}
	return p[i+len("node_modules/"):]
}

// parentPath is the path of the package (or workspace, or "" for the root)
// whose node_modules holds p.
func parentPath(p string) string {
	i := strings.LastIndex(p, "node_modules/")
	if i <= 0 {
		return ""
	}
	return strings.TrimSuffix(p[:i], "/")
}

// resolveFrom finds the entry Node's resolution would load for name when
// required from the package at path from.
func resolveFrom(entries map[string]*lockEntry, from, name string) string {
	var buf [256]byte
	p := from
	for {
		b := buf[:0]
		if p != "" {
			b = append(b, p...)
			b = append(b, '/')
		}
		b = append(b, "node_modules/"...)
		b = append(b, name...)
		if _, ok := entries[string(b)]; ok { // no allocation for the lookup
			return string(b)
		}
		if p == "" {
			return ""
		}
		if strings.Contains(p, "node_modules/") {
			p = parentPath(p)
		} else {
			p = "" // a workspace folder: next stop is the root
		}
	}
}

func lockV2(rel string, entries map[string]*lockEntry, res *core.Result) map[string]*pkg {
	pkgs := make(map[string]*pkg, len(entries))
	// Declarers: the root and every workspace/local folder entry.
	for dp, de := range entries {
		if dp != "" && strings.Contains(dp, "node_modules/") {
			continue
		}
		for _, sec := range sectionOrder {
			var m map[string]string
			switch sec {
			case "dependencies":
				m = de.Dependencies
			case "devDependencies":
				m = de.DevDependencies
			case "optionalDependencies":
				m = de.OptionalDependencies
			case "peerDependencies":
				m = de.PeerDependencies
			}
			for name := range m {
				if tp := resolveFrom(entries, dp, name); tp != "" {
					entries[tp].markDirect()
				}
			}
		}
	}
	for p, e := range entries {
		if p == "" || !strings.Contains(p, "node_modules/") || bool(e.Link) {
			continue
		}
		if e.Version == "" && e.Resolved == "" {
			res.Errors = append(res.Errors, core.Error{Path: rel, Scanner: "npm/package-lock",
				Reason: fmt.Sprintf("packages[%q] at line %d has no version; not recorded", core.Clip(p, 100), e.line)})
			continue
		}
		local := installName(p)
		name := string(e.Name)
		if name == "" {
			name = local
		}
		q := &pkg{
			name:       name,
			version:    string(e.Version),
			loc:        core.Location{Path: rel, Line: e.line, Column: e.col},
			hashes:     parseIntegrity(string(e.Integrity)),
			direct:     e.direct(),
			scope:      e.scope(),
			scopeKnown: true,
		}
		if name != local {
			q.setProp(PropAlias, local)
		}
		if lic := licenseString(e.License); lic != "" {
			q.licenses = []string{lic}
		}
		if e.InBundle {
			q.setProp(PropBundled, "true")
		}
		r := string(e.Resolved)
		if k := resolvedKind(r); k == specGit || k == specURL || k == specLocal {
			q.setProp(PropResolved, r)
			if unpinnedResolved(r, e.Integrity != "") {
				res.Findings = append(res.Findings, unpinnedFinding(q.loc, name, q.version, r,
					"a git/URL source with neither a commit nor an integrity hash in the lockfile"))
			}
		}
		if q.version == "" {
			q.requirement = r
		} else if v, ok := exactVersion(q.version); ok {
			q.version = v
		}
		for _, m := range []map[string]string{e.Dependencies, e.OptionalDependencies, e.PeerDependencies} {
			for dn := range m {
				if tp := resolveFrom(entries, p, dn); tp != "" && !bool(entries[tp].Link) {
					q.deps = append(q.deps, tp)
				}
			}
		}
		pkgs[p] = q
	}
	return pkgs
}

func (e *lockEntry) markDirect()  { e.isDirect = true }
func (e *lockEntry) direct() bool { return e.isDirect }

func lockV1(rel string, entries map[string]*lockEntry, sib *manifest, res *core.Result) map[string]*pkg {
	declared := map[string]bool{}
	if sib != nil {
		for _, dd := range sib.deps {
			declared[dd.name] = true
		}
	}
	pkgs := make(map[string]*pkg, len(entries))
	for p, e := range entries {
		local := installName(p)
		q := &pkg{
			name:       local,
			loc:        core.Location{Path: rel, Line: e.line, Column: e.col},
			hashes:     parseIntegrity(string(e.Integrity)),
			direct:     parentPath(p) == "" && declared[local],
			scope:      e.scope(),
			scopeKnown: true,
		}
		if e.Bundled {
			q.setProp(PropBundled, "true")
		}
		v := string(e.Version)
		switch classifySpec(v) {
		case specAlias:
			real, rv := parseAlias(v)
			q.name = real
			q.version = rv
			q.setProp(PropAlias, local)
		case specGit, specURL:
			q.requirement = v
			q.setProp(PropResolved, v)
		case specLocal:
			continue // a local folder or tarball: the project's own code
		default:
			if ev, ok := exactVersion(v); ok {
				q.version = ev
			} else {
				q.version = v
			}
		}
		r := string(e.Resolved)
		if r == "" && q.requirement != "" {
			r = q.requirement
		}
		if k := resolvedKind(r); k == specGit || k == specURL {
			q.setProp(PropResolved, r)
			if unpinnedResolved(r, e.Integrity != "") {
				res.Findings = append(res.Findings, unpinnedFinding(q.loc, q.name, q.version, r,
					"a git/URL source with neither a commit nor an integrity hash in the lockfile"))
			}
		}
		for dn := range e.Requires {
			if tp := resolveFrom(entries, p, dn); tp != "" {
				q.deps = append(q.deps, tp)
			}
		}
		pkgs[p] = q
	}
	return pkgs
}

// licenseString returns a "license" value that is a plain string (SPDX
// expression), or "" for objects, arrays and oversized values.
func licenseString(raw json.RawMessage) string {
	if len(raw) < 2 || raw[0] != '"' || len(raw) > maxSpecLen {
		return ""
	}
	if !bytes.ContainsRune(raw, '\\') {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
