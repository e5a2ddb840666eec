package python

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

type fileHash struct {
	File string `toml:"file"`
	Hash string `toml:"hash"`
}

type poetryLock struct {
	Package  []poetryPkg `toml:"package"`
	Metadata struct {
		LockVersion string                `toml:"lock-version"`
		Files       map[string][]fileHash `toml:"files"` // lock format 1.x
	} `toml:"metadata"`
}

type poetryPkg struct {
	Name         string         `toml:"name"`
	Version      string         `toml:"version"`
	Optional     bool           `toml:"optional"`
	Category     string         `toml:"category"` // lock format 1.x: main|dev
	Groups       []string       `toml:"groups"`   // lock format 2.x
	Files        []fileHash     `toml:"files"`
	Dependencies map[string]any `toml:"dependencies"`
	Source       *struct {
		Type              string `toml:"type"`
		URL               string `toml:"url"`
		Reference         string `toml:"reference"`
		ResolvedReference string `toml:"resolved_reference"`
	} `toml:"source"`
}

func mergePoetry(dst, src *poetryLock) {
	dst.Package = append(dst.Package, src.Package...)
	// In a valid document [metadata] is in one piece only (the last).
	if src.Metadata.LockVersion != "" {
		dst.Metadata.LockVersion = src.Metadata.LockVersion
	}
	if src.Metadata.Files != nil {
		dst.Metadata.Files = src.Metadata.Files
	}
}

func scanPoetryLock(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parsePoetryLock(s, in.Root, in.Path, data)
}

// manifestNames returns the normalised names a pyproject.toml beside p
// declares, to mark lockfile entries direct when the lockfile does not say
// (poetry.lock, pdm.lock). nil when there is none.
func manifestNames(root *os.Root, p, manifest string) map[string]bool {
	if root == nil {
		return nil
	}
	mp := path.Join(path.Dir(p), manifest)
	data, _, err := readTreeFile(root, mp)
	if err != nil {
		return nil
	}
	data, err = decodeText(data)
	if err != nil {
		return nil
	}
	var res core.Result
	if manifest == "Pipfile" {
		res, err = parsePipfile(mp, data)
	} else {
		res, err = parsePyproject(&fileScanner{name: "pypi/pyproject"}, nil, mp, data)
	}
	if err != nil {
		return nil
	}
	names := map[string]bool{}
	for _, c := range res.Components {
		if c.Scope != "build" {
			names[normalizeName(c.Name)] = true
		}
	}
	return names
}

func parsePoetryLock(s *fileScanner, root *os.Root, p string, data []byte) (core.Result, error) {
	offs, lines := packageHeaderLines(data)
	lock, err := decodeLock(data, offs, mergePoetry)
	if err != nil {
		return core.Result{}, err
	}
	var res core.Result
	pk := lock.Package
	g, purls := lockIndex(len(pk), func(i int) (string, string) { return pk[i].Name, pk[i].Version })
	ver := func(i int) string { return pk[i].Version }
	declared := manifestNames(root, p, "pyproject.toml")
	res.Components = make([]core.Component, 0, len(pk))
	for i := range pk {
		x := &pk[i]
		line := 0
		if len(lines) == len(pk) {
			line = lines[i] + 1
		}
		if !validName(x.Name) {
			res.Errors = append(res.Errors, posError{line: line, reason: fmt.Sprintf("invalid package name %q", clip(x.Name))}.toCore(p, s.name))
			continue
		}
		c := core.Component{
			Kind: core.KindPackage, Name: x.Name, Version: x.Version, Ecosystem: core.EcosystemPyPI,
			PURL: purls[i], Locations: []core.Location{{Path: p, Line: line, Column: 1}},
			Direct: declared[normalizeName(x.Name)], Properties: map[string]string{core.PropSource: core.SourceLockfile},
		}
		c.Scope = poetryScope(x)
		if len(x.Groups) > 0 {
			setProp(&c, propGroup, strings.Join(x.Groups, ","))
		}
		files := x.Files
		if len(files) == 0 && lock.Metadata.Files != nil {
			files = lock.Metadata.Files[x.Name]
		}
		for _, f := range files {
			if h, ok := parseHash(f.Hash); ok {
				c.Hashes = append(c.Hashes, h)
			}
		}
		if src := x.Source; src != nil {
			switch src.Type {
			case "git":
				shown := redactURL(src.URL)
				if src.ResolvedReference != "" {
					shown += "@" + src.ResolvedReference
				} else if src.Reference != "" {
					shown += "@" + src.Reference
				}
				setProp(&c, propURL, shown)
				if !isFullCommit(src.ResolvedReference) && !isFullCommit(src.Reference) {
					f := RuleMutableRef.New(c.Locations[0], fmt.Sprintf("%s is locked to git source %s without a resolved commit", x.Name, shown), "url = "+core.Clip(shown, 200))
					f.Component = c.ID()
					res.Findings = append(res.Findings, f)
				}
			case "url":
				setProp(&c, propURL, redactURL(src.URL))
			case "directory", "file":
				setProp(&c, propPath, src.URL)
			case "legacy":
				if !isPyPIIndex(src.URL) {
					setProp(&c, "index", redactURL(src.URL))
				}
			}
		}
		var deps []string
		for _, dn := range sortedKeys(x.Dependencies) {
			for _, j := range g.resolve(dn, "", ver) {
				deps = append(deps, purls[j])
			}
		}
		c.DependsOn = dedupeStrings(deps)
		res.Components = append(res.Components, c)
	}
	return res, nil
}

// poetryScope maps groups/category/optional to a scope: runtime when the
// package is in the main group.
func poetryScope(x *poetryPkg) string {
	main := x.Category == "main" || (x.Category == "" && len(x.Groups) == 0)
	for _, g := range x.Groups {
		if g == "main" {
			main = true
		}
	}
	switch {
	case main && x.Optional:
		return "optional"
	case main:
		return ""
	case x.Category == "dev":
		return "dev"
	case len(x.Groups) > 0:
		return scopeForGroup(x.Groups[0])
	}
	return ""
}
