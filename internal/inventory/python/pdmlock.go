package python

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

type pdmLock struct {
	Metadata struct {
		Groups      []string `toml:"groups"`
		LockVersion string   `toml:"lock_version"`
	} `toml:"metadata"`
	Package []pdmPkg `toml:"package"`
}

type pdmPkg struct {
	Name         string     `toml:"name"`
	Version      string     `toml:"version"`
	Groups       []string   `toml:"groups"`
	Dependencies []string   `toml:"dependencies"`
	Files        []fileHash `toml:"files"`
	Git          string     `toml:"git"`
	Ref          string     `toml:"ref"`
	Revision     string     `toml:"revision"`
	URL          string     `toml:"url"`
	Path         string     `toml:"path"`
	Editable     bool       `toml:"editable"`
	Marker       string     `toml:"marker"`
}

func mergePDM(dst, src *pdmLock) {
	dst.Package = append(dst.Package, src.Package...)
	// In a valid document [metadata] is in one piece only.
	if src.Metadata.LockVersion != "" || src.Metadata.Groups != nil {
		dst.Metadata = src.Metadata
	}
}

func scanPDMLock(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parsePDMLock(s, in.Root, in.Path, data)
}

func parsePDMLock(s *fileScanner, root *os.Root, p string, data []byte) (core.Result, error) {
	offs, lines := packageHeaderLines(data)
	lock, err := decodeLock(data, offs, mergePDM)
	if err != nil {
		return core.Result{}, err
	}
	var res core.Result
	pk := lock.Package
	g, purls := lockIndex(len(pk), func(i int) (string, string) { return pk[i].Name, pk[i].Version })
	ver := func(i int) string { return pk[i].Version }
	declared := manifestNames(root, p, "pyproject.toml")
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
		runtime := len(x.Groups) == 0
		for _, gr := range x.Groups {
			if gr == "default" {
				runtime = true
			}
		}
		if !runtime {
			c.Scope = scopeForGroup(x.Groups[0])
		}
		if len(x.Groups) > 0 {
			setProp(&c, propGroup, strings.Join(x.Groups, ","))
		}
		setProp(&c, propMarker, x.Marker)
		for _, f := range x.Files {
			if h, ok := parseHash(f.Hash); ok {
				c.Hashes = append(c.Hashes, h)
			}
		}
		switch {
		case x.Git != "":
			shown := redactURL(x.Git) + "@" + firstNonEmpty(x.Revision, x.Ref)
			setProp(&c, propURL, shown)
			if !isFullCommit(x.Revision) {
				f := RuleMutableRef.New(c.Locations[0], fmt.Sprintf("%s is locked to git source %s without a resolved commit", x.Name, shown), "git = "+core.Clip(shown, 200))
				f.Component = c.ID()
				res.Findings = append(res.Findings, f)
			}
		case x.URL != "":
			setProp(&c, propURL, redactURL(x.URL))
		case x.Path != "":
			setProp(&c, propPath, x.Path)
		}
		if x.Editable {
			setProp(&c, propEditable, "true")
		}
		var deps []string
		for _, d := range x.Dependencies {
			r, err := parseReq(d)
			if err != nil {
				continue
			}
			for _, j := range g.resolve(r.Name, "", ver) {
				deps = append(deps, purls[j])
			}
		}
		c.DependsOn = dedupeStrings(deps)
		res.Components = append(res.Components, c)
	}
	return res, nil
}
