package python

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

type uvLock struct {
	Version  int `toml:"version"`
	Manifest struct {
		Members []string `toml:"members"`
	} `toml:"manifest"`
	Package []uvPkg `toml:"package"`
}

type uvSource struct {
	Registry  string `toml:"registry"`
	Git       string `toml:"git"`
	URL       string `toml:"url"`
	Path      string `toml:"path"`
	Directory string `toml:"directory"`
	Editable  string `toml:"editable"`
	Virtual   string `toml:"virtual"`
}

type uvDep struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Marker  string   `toml:"marker"`
	Extra   []string `toml:"extra"`
}

type uvArtifact struct {
	URL  string `toml:"url"`
	Path string `toml:"path"`
	Hash string `toml:"hash"`
}

type uvPkg struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               uvSource           `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
	Sdist                *uvArtifact        `toml:"sdist"`
	Wheels               []uvArtifact       `toml:"wheels"`
}

func mergeUV(dst, src *uvLock) {
	dst.Package = append(dst.Package, src.Package...)
	// In a valid document each top-level key or table is in one piece only.
	if src.Version != 0 {
		dst.Version = src.Version
	}
	if src.Manifest.Members != nil {
		dst.Manifest.Members = src.Manifest.Members
	}
}

func scanUVLock(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parseUVLock(s, in.Path, data)
}

// lockGraph resolves dependency names of a lockfile to packages and
// computes direct/scope by reachability from the project's roots.
type lockGraph struct {
	byName map[string][]int
}

// lockIndex builds the dependency graph over a lockfile's n packages and
// their purls, from each package's name and version.
func lockIndex(n int, at func(i int) (name, version string)) (*lockGraph, []string) {
	names := make([]string, n)
	purls := make([]string, n)
	for i := 0; i < n; i++ {
		name, version := at(i)
		names[i] = name
		purls[i] = pypiPURL(name, version)
	}
	return newLockGraph(names), purls
}

func newLockGraph(names []string) *lockGraph {
	g := &lockGraph{byName: make(map[string][]int, len(names))}
	for i, n := range names {
		k := normalizeName(n)
		g.byName[k] = append(g.byName[k], i)
	}
	return g
}

// resolve returns the package indexes a dependency on name (at version, if
// the lockfile says which) refers to.
func (g *lockGraph) resolve(name, version string, versions func(int) string) []int {
	c := g.byName[normalizeName(name)]
	if version == "" || len(c) <= 1 {
		return c
	}
	for _, i := range c {
		if versions(i) == version {
			return []int{i}
		}
	}
	return c
}

func parseUVLock(s *fileScanner, p string, data []byte) (core.Result, error) {
	offs, lines := packageHeaderLines(data)
	lock, err := decodeLock(data, offs, mergeUV)
	if err != nil {
		return core.Result{}, err
	}
	var res core.Result
	pk := lock.Package
	g, purls := lockIndex(len(pk), func(i int) (string, string) { return pk[i].Name, pk[i].Version })
	ver := func(i int) string { return pk[i].Version }
	lineOf := func(i int) int {
		if len(lines) == len(pk) {
			return lines[i] + 1 // the "name = " line under the header
		}
		return 0
	}

	// Roots: the workspace members, else the project at ".".
	roots := map[int]bool{}
	for _, m := range lock.Manifest.Members {
		for _, i := range g.byName[normalizeName(m)] {
			roots[i] = true
		}
	}
	if len(roots) == 0 {
		for i := range pk {
			if pk[i].Source.Editable == "." || pk[i].Source.Virtual == "." {
				roots[i] = true
			}
		}
	}
	const (
		reachRuntime = 1 << iota
		reachOptional
		reachDev
	)
	reach := make([]uint8, len(pk))
	direct := make([]bool, len(pk))
	groups := make([]map[string]bool, len(pk))
	type item struct {
		i      int
		extras []string
	}
	walk := func(start []uvDep, bit uint8, group string, markDirect bool) {
		var queue []item
		for _, d := range start {
			for _, j := range g.resolve(d.Name, d.Version, ver) {
				if markDirect && !roots[j] {
					direct[j] = true
					if group != "" {
						if groups[j] == nil {
							groups[j] = map[string]bool{}
						}
						groups[j][group] = true
					}
				}
				queue = append(queue, item{j, d.Extra})
			}
		}
		seenExtra := map[int]map[string]bool{}
		for len(queue) > 0 {
			it := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			var next []uvDep
			if reach[it.i]&bit == 0 {
				reach[it.i] |= bit
				next = pk[it.i].Dependencies
			}
			for _, e := range it.extras {
				if seenExtra[it.i][e] {
					continue
				}
				if seenExtra[it.i] == nil {
					seenExtra[it.i] = map[string]bool{}
				}
				seenExtra[it.i][e] = true
				next = append(next[:len(next):len(next)], pk[it.i].OptionalDependencies[e]...)
			}
			for _, d := range next {
				for _, j := range g.resolve(d.Name, d.Version, ver) {
					if reach[j]&bit == 0 || len(d.Extra) > 0 {
						queue = append(queue, item{j, d.Extra})
					}
				}
			}
		}
	}
	for r := range roots {
		walk(pk[r].Dependencies, reachRuntime, "", true)
		for _, grp := range sortedDepKeys(pk[r].OptionalDependencies) {
			walk(pk[r].OptionalDependencies[grp], reachOptional, grp, true)
		}
		for _, grp := range sortedDepKeys(pk[r].DevDependencies) {
			walk(pk[r].DevDependencies[grp], reachDev, grp, true)
		}
	}

	res.Components = make([]core.Component, 0, len(pk))
	for i := range pk {
		if roots[i] {
			continue // the project itself
		}
		x := &pk[i]
		if !validName(x.Name) {
			res.Errors = append(res.Errors, posError{line: lineOf(i), reason: fmt.Sprintf("invalid package name %q", clip(x.Name))}.toCore(p, s.name))
			continue
		}
		c := core.Component{
			Kind: core.KindPackage, Name: x.Name, Version: x.Version, Ecosystem: core.EcosystemPyPI,
			PURL: purls[i], Locations: []core.Location{{Path: p, Line: lineOf(i), Column: 1}},
			Direct: direct[i], Properties: map[string]string{core.PropSource: core.SourceLockfile},
		}
		switch {
		case reach[i]&reachRuntime != 0:
		case reach[i]&reachOptional != 0:
			c.Scope = "optional"
		case reach[i]&reachDev != 0:
			c.Scope = "dev"
		}
		if len(groups[i]) > 0 {
			gs := make([]string, 0, len(groups[i]))
			for k := range groups[i] {
				gs = append(gs, k)
			}
			sort.Strings(gs)
			setProp(&c, propGroup, strings.Join(gs, ","))
			if c.Scope == "dev" && len(gs) == 1 {
				c.Scope = scopeForGroup(gs[0])
			}
		}
		n := len(x.Wheels)
		if x.Sdist != nil {
			n++
		}
		if n > 0 {
			c.Hashes = make([]core.Hash, 0, n)
		}
		if x.Sdist != nil {
			if h, ok := parseHash(x.Sdist.Hash); ok {
				c.Hashes = append(c.Hashes, h)
			}
		}
		for _, w := range x.Wheels {
			if h, ok := parseHash(w.Hash); ok {
				c.Hashes = append(c.Hashes, h)
			}
		}
		src := x.Source
		switch {
		case src.Registry != "" && !isPyPIIndex(src.Registry):
			setProp(&c, "index", redactURL(src.Registry))
		case src.Git != "":
			setProp(&c, propURL, redactURL(src.Git))
			if _, commit, _ := strings.Cut(src.Git, "#"); !isFullCommit(commit) {
				f := RuleMutableRef.New(c.Locations[0], fmt.Sprintf("%s is locked to git source %s without a resolved commit", x.Name, redactURL(src.Git)), "git = "+core.Clip(redactURL(src.Git), 200))
				f.Component = c.ID()
				res.Findings = append(res.Findings, f)
			}
		case src.URL != "":
			setProp(&c, propURL, redactURL(src.URL))
		case src.Editable != "" || src.Path != "" || src.Directory != "" || src.Virtual != "":
			setProp(&c, propPath, firstNonEmpty(src.Editable, src.Path, src.Directory, src.Virtual))
			if src.Editable != "" {
				setProp(&c, propEditable, "true")
			}
		}
		var deps []string
		addDeps := func(ds []uvDep) {
			for _, d := range ds {
				for _, j := range g.resolve(d.Name, d.Version, ver) {
					deps = append(deps, purls[j])
				}
			}
		}
		addDeps(x.Dependencies)
		for _, grp := range sortedDepKeys(x.OptionalDependencies) {
			addDeps(x.OptionalDependencies[grp])
		}
		c.DependsOn = dedupeStrings(deps)
		res.Components = append(res.Components, c)
	}
	return res, nil
}

func isPyPIIndex(u string) bool {
	u = strings.TrimRight(strings.ToLower(u), "/")
	return u == "https://pypi.org/simple" || u == "https://pypi.python.org/simple"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func sortedDepKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func dedupeStrings(ss []string) []string {
	if len(ss) < 2 {
		return ss
	}
	seen := make(map[string]bool, len(ss))
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
