package provenance

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// pinAnalyzer reports requirements files and lockfiles whose packages are
// not hash-pinned (ASSAY-PRV-001), one finding per file.
type pinAnalyzer struct{}

func (pinAnalyzer) Name() string { return "provenance/hash-pins" }

// isRequirementsFile says whether a manifest path is a pip requirements
// file (the only manifest format that carries hashes).
func isRequirementsFile(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".txt" || ext == ".in"
}

// exempt says whether a package cannot carry an index hash: local paths,
// editables, VCS/URL sources, bundled npm packages, Go modules (go.sum +
// the checksum database pin them by construction).
func exempt(c *core.Component) bool {
	if c.Kind != core.KindPackage || c.Ecosystem == core.EcosystemGo || c.Ecosystem == "" {
		return true
	}
	for _, k := range []string{"editable", "path", "url", "npm_resolved", "npm_bundled"} {
		if c.Properties[k] != "" {
			return true
		}
	}
	return false
}

type pinFile struct {
	path             string
	lock             bool
	hashed, unhashed []string
	firstLine        int
}

func (pinAnalyzer) Analyze(ctx context.Context, r *core.Report) error {
	files := map[string]*pinFile{}
	for i := range r.Components {
		c := &r.Components[i]
		src := c.Properties[core.PropSource]
		if (src != core.SourceManifest && src != core.SourceLockfile) || exempt(c) {
			continue
		}
		for _, l := range c.Locations {
			if l.Member != "" || l.Path == "" {
				continue
			}
			if src == core.SourceManifest && !isRequirementsFile(l.Path) {
				continue
			}
			pf := files[l.Path]
			if pf == nil {
				pf = &pinFile{path: l.Path, lock: src == core.SourceLockfile && !isRequirementsFile(l.Path)}
				files[l.Path] = pf
			}
			label := c.Name
			if c.Version != "" {
				label += "@" + c.Version
			}
			if len(c.Hashes) > 0 {
				pf.hashed = append(pf.hashed, label)
			} else {
				pf.unhashed = append(pf.unhashed, label)
				if pf.firstLine == 0 || (l.Line > 0 && l.Line < pf.firstLine) {
					pf.firstLine = l.Line
				}
			}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		pf := files[p]
		if len(pf.unhashed) == 0 {
			continue
		}
		sort.Strings(pf.unhashed)
		list := strings.Join(pf.unhashed, ", ")
		var f core.Finding
		loc := core.Location{Path: p, Line: pf.firstLine}
		switch {
		case len(pf.hashed) > 0:
			f = RuleUnpinned.New(loc, fmt.Sprintf("%s hash-pins %d package(s) but not %d others (%s): a --require-hashes gap", p, len(pf.hashed), len(pf.unhashed), core.Clip(list, 300)), core.Clip(list, 500))
			f.Severity = core.SeverityMedium
		case pf.lock:
			f = RuleUnpinned.New(loc, fmt.Sprintf("lockfile %s records no hash for %d package(s) (%s)", p, len(pf.unhashed), core.Clip(list, 300)), core.Clip(list, 500))
			f.Severity = core.SeverityLow
		default:
			f = RuleUnpinned.New(loc, fmt.Sprintf("%s installs %d package(s) without --hash (%s)", p, len(pf.unhashed), core.Clip(list, 300)), core.Clip(list, 500))
		}
		r.Findings = append(r.Findings, f)
	}
	return nil
}
