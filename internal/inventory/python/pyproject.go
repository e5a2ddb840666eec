package python

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/assay-dev/assay/internal/core"
)

// pyproj collects the components and findings of one pyproject.toml.
type pyproj struct {
	s      *fileScanner
	path   string
	text   *tomlText
	locked bool // a lockfile sits beside it
	res    core.Result
}

func scanPyproject(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parsePyproject(s, in.Root, in.Path, data)
}

// siblingLock reports whether a lockfile sits in the same directory: mutable
// references in the manifest are then resolved to a commit in the lock.
func siblingLock(root *os.Root, p string) bool {
	if root == nil {
		return false
	}
	dir := path.Dir(p)
	for _, n := range []string{"uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock"} {
		if st, err := root.Stat(filepath.FromSlash(path.Join(dir, n))); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func parsePyproject(s *fileScanner, root *os.Root, p string, data []byte) (core.Result, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return core.Result{}, tomlError(err)
	}
	pp := &pyproj{s: s, path: p, text: newTOMLText(string(data)), locked: siblingLock(root, p)}
	project, _ := doc["project"].(map[string]any)
	tool, _ := doc["tool"].(map[string]any)

	// PEP 621.
	if project != nil {
		pp.pep508List("project", "dependencies", project["dependencies"], "", "")
		if opt, ok := project["optional-dependencies"].(map[string]any); ok {
			for _, g := range sortedKeys(opt) {
				table := "project.optional-dependencies"
				if _, _, ok := pp.text.span(table); !ok {
					table = "project"
				}
				pp.pep508List(table, g, opt[g], "optional", g)
			}
		}
	}
	// PEP 735.
	if groups, ok := doc["dependency-groups"].(map[string]any); ok {
		for _, g := range sortedKeys(groups) {
			pp.pep508List("dependency-groups", g, groups[g], scopeForGroup(g), g)
		}
	}
	// Build requirements.
	if bs, ok := doc["build-system"].(map[string]any); ok {
		pp.pep508List("build-system", "requires", bs["requires"], "build", "")
	}
	if tool != nil {
		if poetry, ok := tool["poetry"].(map[string]any); ok {
			pp.poetry(poetry)
		}
		if pdm, ok := tool["pdm"].(map[string]any); ok {
			if dd, ok := pdm["dev-dependencies"].(map[string]any); ok {
				for _, g := range sortedKeys(dd) {
					pp.pep508List("tool.pdm.dev-dependencies", g, dd[g], scopeForGroup(g), g)
				}
			}
		}
		if uv, ok := tool["uv"].(map[string]any); ok {
			pp.pep508List("tool.uv", "dev-dependencies", uv["dev-dependencies"], "dev", "dev")
			pp.uvSources(uv)
			pp.uvIndexStrategy(uv)
		}
	}
	return pp.res, nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// pep508List adds every PEP 508 string of an array value.
func (pp *pyproj) pep508List(table, key string, v any, scope, group string) {
	if v == nil {
		return
	}
	arr, ok := v.([]any)
	if !ok {
		line, _ := pp.text.locateKey(table, key)
		pp.res.Errors = append(pp.res.Errors, posError{line: line, reason: fmt.Sprintf("%s.%s is not an array", table, key)}.toCore(pp.path, pp.s.name))
		return
	}
	for _, it := range arr {
		str, ok := it.(string)
		if !ok {
			continue // PEP 735 {include-group = "..."} and other tables
		}
		line, col := pp.text.locateArrayItem(table, key, str)
		r, err := parseReq(str)
		if err != nil {
			pp.res.Errors = append(pp.res.Errors, posError{line: line, reason: fmt.Sprintf("%s: %v", clip(str), err)}.toCore(pp.path, pp.s.name))
			continue
		}
		c := pp.component(r.Name, r.Spec, core.Location{Path: pp.path, Line: line, Column: col}, scope, group)
		setProp(c, propMarker, r.Marker)
		setProp(c, propExtras, strings.Join(r.Extras, ","))
		if r.URL != "" {
			u := parseURLRef(r.URL)
			setProp(c, propURL, redactURL(r.URL))
			if u.local {
				setProp(c, propPath, r.URL)
			} else if reason := u.mutableReason(false); reason != "" && !pp.locked {
				pp.finding(c, reason, redactURL(r.URL), str)
			}
		}
	}
}

// component appends a manifest component with a PEP 440 specifier.
func (pp *pyproj) component(name, spec string, loc core.Location, scope, group string) *core.Component {
	version, pinned := pinnedVersion(spec)
	if pinned {
		spec = ""
	}
	c := newPyPI(name, version, spec, core.SourceManifest, loc, true)
	c.Scope = scope
	setProp(&c, propGroup, group)
	pp.res.Components = append(pp.res.Components, c)
	return &pp.res.Components[len(pp.res.Components)-1]
}

func (pp *pyproj) finding(c *core.Component, reason, url, evidence string) {
	loc := c.Locations[0]
	f := RuleMutableRef.New(loc, fmt.Sprintf("%s is installed from %s: %s", c.Name, url, reason), core.Clip(redactLine(evidence), 200))
	f.Component = c.ID()
	pp.res.Findings = append(pp.res.Findings, f)
}

// poetry handles [tool.poetry] dependencies, dev-dependencies and groups.
func (pp *pyproj) poetry(poetry map[string]any) {
	if deps, ok := poetry["dependencies"].(map[string]any); ok {
		pp.poetryTable("tool.poetry.dependencies", deps, "", "")
	}
	if deps, ok := poetry["dev-dependencies"].(map[string]any); ok {
		pp.poetryTable("tool.poetry.dev-dependencies", deps, "dev", "dev")
	}
	if groups, ok := poetry["group"].(map[string]any); ok {
		for _, g := range sortedKeys(groups) {
			gt, _ := groups[g].(map[string]any)
			if deps, ok := gt["dependencies"].(map[string]any); ok {
				pp.poetryTable("tool.poetry.group."+g+".dependencies", deps, scopeForGroup(g), g)
			}
		}
	}
}

func (pp *pyproj) poetryTable(table string, deps map[string]any, scope, group string) {
	for _, name := range sortedKeys(deps) {
		if strings.EqualFold(name, "python") {
			continue // the interpreter, not a dependency
		}
		line, col := pp.text.locateKey(table, name)
		loc := core.Location{Path: pp.path, Line: line, Column: col}
		if !validName(name) {
			pp.res.Errors = append(pp.res.Errors, posError{line: line, reason: fmt.Sprintf("invalid package name %q", clip(name))}.toCore(pp.path, pp.s.name))
			continue
		}
		switch v := deps[name].(type) {
		case string:
			pp.poetryDep(name, map[string]any{"version": v}, loc, scope, group)
		case map[string]any:
			pp.poetryDep(name, v, loc, scope, group)
		case []any:
			for _, it := range v {
				if m, ok := it.(map[string]any); ok {
					pp.poetryDep(name, m, loc, scope, group)
				}
			}
		default:
			pp.res.Errors = append(pp.res.Errors, posError{line: line, reason: fmt.Sprintf("dependency %q has an unsupported value", clip(name))}.toCore(pp.path, pp.s.name))
		}
	}
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func (pp *pyproj) poetryDep(name string, m map[string]any, loc core.Location, scope, group string) {
	declared := str(m, "version")
	spec, ok := poetryToPEP440(declared)
	if !ok {
		spec = strings.TrimSpace(declared)
	}
	if opt, _ := m["optional"].(bool); opt && scope == "" {
		scope = "optional"
	}
	c := pp.component(name, spec, loc, scope, group)
	if declared != "" && declared != "*" && declared != c.Requirement && c.Version == "" {
		setProp(c, propDeclared, declared)
	}
	marker := str(m, "markers")
	if py := str(m, "python"); py != "" {
		if marker != "" {
			marker += " and "
		}
		marker += "python_version " + py
	}
	setProp(c, propMarker, marker)
	if ex, ok := m["extras"].([]any); ok {
		var es []string
		for _, e := range ex {
			if s, ok := e.(string); ok {
				es = append(es, s)
			}
		}
		setProp(c, propExtras, strings.Join(es, ","))
	}
	if dev, _ := m["develop"].(bool); dev {
		setProp(c, propEditable, "true")
	}
	if p := str(m, "path"); p != "" {
		setProp(c, propPath, p)
		return
	}
	if git := str(m, "git"); git != "" {
		rev := str(m, "rev")
		kind := "rev"
		if rev == "" {
			if rev = str(m, "tag"); rev != "" {
				kind = "tag"
			} else if rev = str(m, "branch"); rev != "" {
				kind = "branch"
			}
		}
		shown := redactURL(git)
		if rev != "" {
			shown += "@" + rev
		}
		setProp(c, propURL, shown)
		reason := ""
		switch {
		case rev == "":
			reason = "git reference has no revision, so it installs whatever the default branch holds"
		case kind == "rev" && isFullCommit(rev):
		case kind == "rev":
			reason = fmt.Sprintf("rev %q is not a full commit id", rev)
		default:
			reason = fmt.Sprintf("%s %q can be moved to other code", kind, rev)
		}
		if reason != "" && !pp.locked {
			pp.finding(c, reason, shown, fmt.Sprintf("%s = { git = %q, %s = %q }", name, redactURL(git), kind, rev))
		}
		return
	}
	if u := str(m, "url"); u != "" {
		setProp(c, propURL, redactURL(u))
		ref := parseURLRef(u)
		if reason := ref.mutableReason(false); reason != "" && !pp.locked {
			pp.finding(c, reason, redactURL(u), fmt.Sprintf("%s = { url = %q }", name, redactURL(u)))
		}
	}
}

// uvSources applies [tool.uv.sources] git/url/path overrides to the
// components declared by name.
func (pp *pyproj) uvSources(uv map[string]any) {
	srcs, ok := uv["sources"].(map[string]any)
	if !ok {
		return
	}
	for _, name := range sortedKeys(srcs) {
		var entries []map[string]any
		switch v := srcs[name].(type) {
		case map[string]any:
			entries = append(entries, v)
		case []any:
			for _, it := range v {
				if m, ok := it.(map[string]any); ok {
					entries = append(entries, m)
				}
			}
		}
		for _, m := range entries {
			for i := range pp.res.Components {
				c := &pp.res.Components[i]
				if normalizeName(c.Name) != normalizeName(name) {
					continue
				}
				if p := str(m, "path"); p != "" {
					setProp(c, propPath, p)
				}
				if ed, _ := m["editable"].(bool); ed {
					setProp(c, propEditable, "true")
				}
				git, u := str(m, "git"), str(m, "url")
				if git == "" && u == "" {
					continue
				}
				var reason, shown string
				if git != "" {
					rev, kind := str(m, "rev"), "rev"
					if rev == "" {
						if rev = str(m, "tag"); rev != "" {
							kind = "tag"
						} else if rev = str(m, "branch"); rev != "" {
							kind = "branch"
						}
					}
					shown = redactURL(git)
					if rev != "" {
						shown += "@" + rev
					}
					switch {
					case rev == "":
						reason = "git source has no revision, so it installs whatever the default branch holds"
					case kind == "rev" && isFullCommit(rev):
					default:
						reason = fmt.Sprintf("%s %q can be moved to other code", kind, rev)
					}
				} else {
					shown = redactURL(u)
					reason = parseURLRef(u).mutableReason(false)
				}
				setProp(c, propURL, shown)
				if reason != "" && !pp.locked {
					line, col := pp.text.locateKey("tool.uv.sources", name)
					f := RuleMutableRef.New(core.Location{Path: pp.path, Line: line, Column: col},
						fmt.Sprintf("%s is installed from %s ([tool.uv.sources]): %s", c.Name, shown, reason), core.Clip(name+" = "+shown, 200))
					f.Component = c.ID()
					pp.res.Findings = append(pp.res.Findings, f)
				}
			}
		}
	}
}

// uvIndexStrategy reports uv's unsafe index strategies, which bring back
// pip's merge-all-indexes behaviour (ASSAY-INV-002).
func (pp *pyproj) uvIndexStrategy(uv map[string]any) {
	st := str(uv, "index-strategy")
	if st != "unsafe-best-match" && st != "unsafe-first-match" {
		return
	}
	line, col := pp.text.locateKey("tool.uv", "index-strategy")
	f := RuleExtraIndex.New(core.Location{Path: pp.path, Line: line, Column: col},
		fmt.Sprintf("[tool.uv] index-strategy = %q looks every package up on all indexes, so a public package can stand in for a private one", st),
		fmt.Sprintf("index-strategy = %q", st))
	pp.res.Findings = append(pp.res.Findings, f)
}

// poetryToPEP440 translates a Poetry constraint ("^1.2", "~1.2.3", "1.2.3",
// ">=1,<2", "*") to a PEP 440 specifier. ok is false for forms PEP 440 cannot
// express (a "||" union).
func poetryToPEP440(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return "", true
	}
	if strings.Contains(s, "||") || strings.Contains(s, "|") {
		return "", false
	}
	var out []string
	for _, cl := range strings.Split(s, ",") {
		cl = strings.TrimSpace(cl)
		// Poetry also accepts space-separated clauses (">=1.2 <2").
		for _, part := range splitSpaceClauses(cl) {
			t, ok := poetryClause(part)
			if !ok {
				return "", false
			}
			if t != "" {
				out = append(out, t)
			}
		}
	}
	return strings.Join(out, ","), true
}

// splitSpaceClauses splits ">=1.2 <2" into two clauses, keeping ">= 1.2".
func splitSpaceClauses(s string) []string {
	f := strings.Fields(s)
	var out []string
	for i := 0; i < len(f); i++ {
		t := f[i]
		if strings.Trim(t, "<>=!~^") == "" && i+1 < len(f) {
			t += f[i+1]
			i++
		}
		out = append(out, t)
	}
	return out
}

func poetryClause(c string) (string, bool) {
	switch {
	case c == "" || c == "*":
		return "", true
	case strings.HasPrefix(c, "^"):
		v := strings.TrimSpace(c[1:])
		up, ok := caretUpper(v)
		if !ok {
			return "", false
		}
		return ">=" + v + ",<" + up, true
	case strings.HasPrefix(c, "~="):
		n, err := normalizeSpec(c)
		return n, err == nil
	case strings.HasPrefix(c, "~"):
		v := strings.TrimSpace(c[1:])
		up, ok := tildeUpper(v)
		if !ok {
			return "", false
		}
		return ">=" + v + ",<" + up, true
	case c[0] >= '0' && c[0] <= '9':
		n, err := normalizeSpec("==" + c)
		return n, err == nil
	}
	n, err := normalizeSpec(c)
	if err != nil {
		// "=1.2" is Poetry's spelling of "==1.2".
		if strings.HasPrefix(c, "=") && !strings.HasPrefix(c, "==") {
			n, err = normalizeSpec("=" + c)
		}
	}
	return n, err == nil
}

// releaseParts splits the numeric release of a version ("1.2.3rc1" -> 1,2,3).
func releaseParts(v string) ([]int, bool) {
	var parts []int
	for _, p := range strings.Split(v, ".") {
		n, i := 0, 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' && i < 9 {
			n = n*10 + int(p[i]-'0')
			i++
		}
		if i == 0 {
			if p == "*" {
				break
			}
			return nil, false
		}
		parts = append(parts, n)
		if i < len(p) {
			break // pre/post/dev suffix ends the release
		}
	}
	return parts, len(parts) > 0
}

func joinParts(p []int) string {
	s := make([]string, len(p))
	for i, n := range p {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ".")
}

// caretUpper: ^1.2.3 -> 2.0.0, ^0.2.3 -> 0.3.0, ^0.0.3 -> 0.0.4, ^0 -> 1.
func caretUpper(v string) (string, bool) {
	p, ok := releaseParts(v)
	if !ok {
		return "", false
	}
	up := make([]int, len(p))
	for i, n := range p {
		if n != 0 || i == len(p)-1 {
			up[i] = n + 1
			return joinParts(up[:max(i+1, min(len(p), 2))]), true
		}
	}
	return "", false
}

// tildeUpper: ~1.2.3 -> 1.3, ~1.2 -> 1.3, ~1 -> 2.
func tildeUpper(v string) (string, bool) {
	p, ok := releaseParts(v)
	if !ok {
		return "", false
	}
	if len(p) == 1 {
		return fmt.Sprint(p[0] + 1), true
	}
	return fmt.Sprintf("%d.%d", p[0], p[1]+1), true
}
