package npm

import (
	"os"
	"path"
	"strings"
	"sync"

	"github.com/assay-dev/assay/internal/core"
)

// maxWorkspaces bounds how many workspace folders are read per root.
const maxWorkspaces = 1000

// maxWorkspaceDepth is how many folders up from a package.json assay looks
// for the workspace root that may list it.
const maxWorkspaceDepth = 6

// siblingManifests parses the package.json beside a lockfile and, when it
// declares workspaces, the package.json of each workspace folder. They tell
// which locked packages are direct. Unreadable manifests are skipped: the
// lockfile is still inventoried, only less precisely.
func siblingManifests(in *core.Input) []*manifest {
	if in.Root == nil {
		return nil
	}
	dir := path.Dir(in.Path)
	root := readManifest(in.Root, path.Join(dir, "package.json"))
	if root == nil {
		return nil
	}
	out := []*manifest{root}
	for _, d := range expandWorkspaces(in.Root, dir, workspacePatterns(in.Root, dir, root)) {
		if m := readManifest(in.Root, path.Join(dir, d, "package.json")); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// workspacePatterns returns the workspace globs of the project rooted at dir:
// package.json "workspaces" (root may be nil: it is then read) and
// pnpm-workspace.yaml "packages".
func workspacePatterns(r *os.Root, dir string, root *manifest) []string {
	if root == nil {
		root = readManifest(r, path.Join(dir, "package.json"))
	}
	var pats []string
	if root != nil {
		pats = append(pats, root.workspaces...)
	}
	if f, err := r.Open(path.Join(dir, "pnpm-workspace.yaml")); err == nil {
		data, err := core.ReadLimited(f, MaxManifestSize)
		f.Close()
		if err == nil {
			if data, err = checkText(data); err == nil {
				if n, err := parseYAML(data); err == nil {
					if list := mapGet(n, "packages"); list != nil {
						for _, it := range list.Content {
							if s := scalar(it); s != "" {
								pats = append(pats, s)
							}
						}
					}
				}
			}
		}
	}
	return pats
}

// expandWorkspaces turns workspace globs into folders relative to dir.
// Supported: literal folders, "dir/*" and "dir/**" (one level is listed);
// negations and other globs are ignored; nothing outside dir is read.
func expandWorkspaces(r *os.Root, dir string, patterns []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, pat := range patterns {
		pat = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(pat), "./"), "/")
		if pat == "" || pat == "." || strings.HasPrefix(pat, "!") || strings.Contains(pat, "..") || strings.HasPrefix(pat, "/") {
			continue
		}
		base, ok := strings.CutSuffix(pat, "/**")
		if !ok {
			base, ok = strings.CutSuffix(pat, "/*")
		}
		if ok && !strings.ContainsAny(base, "*?[{!") {
			f, err := r.Open(path.Join(dir, base))
			if err != nil {
				continue
			}
			ents, _ := f.ReadDir(maxWorkspaces)
			f.Close()
			for _, e := range ents {
				if e.IsDir() && e.Name() != "node_modules" {
					d := path.Join(base, e.Name())
					if !seen[d] {
						seen[d] = true
						out = append(out, d)
					}
				}
			}
		} else if !strings.ContainsAny(pat, "*?[{!") && !seen[pat] {
			seen[pat] = true
			out = append(out, pat)
		}
		if len(out) >= maxWorkspaces {
			return out[:maxWorkspaces]
		}
	}
	return out
}

// wsCache remembers, per folder, the names of the workspace packages of the
// project rooted there (nil when the folder is not a workspace root), so a
// monorepo's root is read once, not once per member.
type wsCache struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

// workspaceNames returns the package names of the workspace that the
// package.json at rel belongs to (its own folder or an ancestor declaring
// workspaces), or nil.
func (c *wsCache) workspaceNames(r *os.Root, rel string) map[string]bool {
	if r == nil {
		return nil
	}
	dir := path.Dir(rel)
	for i := 0; i < maxWorkspaceDepth; i++ {
		if names := c.rootNames(r, dir); names != nil {
			return names
		}
		if dir == "." || dir == "/" || dir == "" {
			return nil
		}
		dir = path.Dir(dir)
	}
	return nil
}

func (c *wsCache) rootNames(r *os.Root, dir string) map[string]bool {
	c.mu.Lock()
	names, ok := c.m[dir]
	c.mu.Unlock()
	if ok {
		return names
	}
	pats := workspacePatterns(r, dir, nil)
	if len(pats) > 0 {
		names = map[string]bool{}
		for _, d := range expandWorkspaces(r, dir, pats) {
			if m := readManifest(r, path.Join(dir, d, "package.json")); m != nil && m.name != "" {
				names[m.name] = true
			}
		}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]map[string]bool{}
	}
	c.m[dir] = names
	c.mu.Unlock()
	return names
}
