package pkgscan

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// CapabilityAnalyzer folds the per-file capability evidence of the package
// scanner into one summary per package: an info finding (ASSAY-PKG-901) and a
// "capabilities" property on the package's components.
type CapabilityAnalyzer struct {
	// InspectAll: the target is package content (assay inspect); files
	// outside installed-tree markers group by top directory when the root
	// is itself a site-packages/node_modules-like directory, else as one.
	InspectAll bool
}

// Name implements core.Analyzer.
func (a *CapabilityAnalyzer) Name() string { return "package/capabilities" }

// PackageCaps is the capability summary of one package.
type PackageCaps struct {
	Root  string
	Caps  map[Capability]CapEvidence
	Hosts map[string]bool
}

// CapEvidence is where a capability was first seen.
type CapEvidence struct {
	Location core.Location
	Evidence string
	Detail   string
}

// packageRoot groups a location by package.
func packageRoot(loc core.Location, groupTop bool) string {
	if loc.Member != "" {
		return loc.Path // the artifact
	}
	p := loc.Path
	r := "/" + p
	if i := strings.LastIndex(r, "/node_modules/"); i >= 0 {
		if d := npmPackageDir(p); d != "" {
			return d
		}
		return strings.TrimPrefix(r[:i+len("/node_modules")], "/")
	}
	for _, m := range []string{"/site-packages/", "/dist-packages/"} {
		if i := strings.LastIndex(r, m); i >= 0 {
			rest := r[i+len(m):]
			first := strings.SplitN(rest, "/", 2)[0]
			first = strings.TrimSuffix(first, ".py")
			return strings.TrimPrefix(r[:i+len(m)]+first, "/")
		}
	}
	if groupTop {
		first := strings.SplitN(p, "/", 2)[0]
		return strings.TrimSuffix(first, ".py")
	}
	if strings.Contains(r, "/bin/") || strings.Contains(r, "/Scripts/") {
		return path.Dir(p)
	}
	if !strings.Contains(p, "/") {
		return p // a lone .pth or sitecustomize.py at the root
	}
	return "."
}

// rootIsPackageSet reports whether dir holds many packages side by side (a
// site-packages or node_modules directory given to assay inspect).
func rootIsPackageSet(dir string) bool {
	if dir == "" {
		return false
	}
	b := path.Base(dir)
	if b == "site-packages" || b == "dist-packages" || b == "node_modules" {
		return true
	}
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	ents, _ := f.ReadDir(5000)
	for _, e := range ents {
		if e.IsDir() && (strings.HasSuffix(e.Name(), ".dist-info") || strings.HasSuffix(e.Name(), ".egg-info")) {
			return true
		}
	}
	return false
}

// Analyze implements core.Analyzer.
func (a *CapabilityAnalyzer) Analyze(ctx context.Context, r *core.Report) error {
	groupTop := a.InspectAll && rootIsPackageSet(r.Root)
	sums := map[string]*PackageCaps{}
	kept := r.Findings[:0]
	var evidence []core.Finding
	for _, f := range r.Findings {
		if f.RuleID == ruleCapEvidence.ID {
			evidence = append(evidence, f)
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	if len(evidence) == 0 {
		return nil
	}
	sort.SliceStable(evidence, func(i, j int) bool {
		a, b := evidence[i].Location, evidence[j].Location
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Member != b.Member {
			return a.Member < b.Member
		}
		return a.Line < b.Line
	})
	for _, f := range evidence {
		root := packageRoot(f.Location, groupTop)
		s := sums[root]
		if s == nil {
			s = &PackageCaps{Root: root, Caps: map[Capability]CapEvidence{}, Hosts: map[string]bool{}}
			sums[root] = s
		}
		if f.Message == "hosts" {
			for _, h := range strings.Split(f.Evidence, ",") {
				if h != "" {
					s.Hosts[h] = true
				}
			}
			continue
		}
		c := Capability(f.Message)
		if _, ok := s.Caps[c]; !ok {
			s.Caps[c] = CapEvidence{Location: f.Location, Evidence: f.Evidence, Detail: f.Component}
		}
	}
	roots := make([]string, 0, len(sums))
	for k := range sums {
		roots = append(roots, k)
	}
	sort.Strings(roots)
	for _, root := range roots {
		s := sums[root]
		if len(s.Caps) == 0 && len(s.Hosts) == 0 {
			continue
		}
		msg, ev := s.describe()
		loc := core.Location{Path: root}
		f := RuleCapabilities.New(loc, msg, ev)
		r.Findings = append(r.Findings, f)
		list := s.list()
		for i := range r.Components {
			c := &r.Components[i]
			if c.Kind != core.KindPackage {
				continue
			}
			for _, l := range c.Locations {
				if l.Path == root || strings.HasPrefix(l.Path, root+"/") || sameDistInfo(l.Path, root) {
					if c.Properties == nil {
						c.Properties = map[string]string{}
					}
					c.Properties["capabilities"] = list
					break
				}
			}
		}
	}
	return nil
}

// sameDistInfo: a component found at site-packages/foo-1.0.dist-info/METADATA
// belongs with the package root site-packages/foo.
func sameDistInfo(p, root string) bool {
	dir := path.Dir(path.Dir(root))
	if !strings.HasPrefix(p, dir+"/") {
		return false
	}
	di := strings.SplitN(strings.TrimPrefix(p, dir+"/"), "/", 2)[0]
	if !strings.HasSuffix(di, ".dist-info") {
		return false
	}
	name := strings.TrimSuffix(di, ".dist-info")
	if j := strings.LastIndexByte(name, '-'); j > 0 {
		name = name[:j]
	}
	return normName(name) == normName(path.Base(root))
}

func (s *PackageCaps) list() string {
	var out []string
	for _, c := range AllCapabilities {
		if _, ok := s.Caps[c]; ok {
			out = append(out, string(c))
		}
	}
	return strings.Join(out, ",")
}

func (s *PackageCaps) describe() (string, string) {
	var parts, ev []string
	for _, c := range AllCapabilities {
		e, ok := s.Caps[c]
		if !ok {
			continue
		}
		p := string(c)
		if e.Detail != "" {
			p += " (" + core.Clip(e.Detail, 60) + ")"
		}
		parts = append(parts, p)
		ev = append(ev, fmt.Sprintf("%s: %s: %s", c, e.Location.String(), core.Clip(e.Evidence, 100)))
	}
	msg := "capabilities: " + strings.Join(parts, ", ")
	if len(parts) == 0 {
		msg = "capabilities: none"
	}
	if len(s.Hosts) > 0 {
		hs := make([]string, 0, len(s.Hosts))
		for h := range s.Hosts {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		if len(hs) > 12 {
			hs = append(hs[:12], fmt.Sprintf("… %d more", len(s.Hosts)-12))
		}
		msg += "; hosts: " + strings.Join(hs, ", ")
	}
	return msg, strings.Join(ev, " | ")
}
