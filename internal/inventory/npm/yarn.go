package npm

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// parseYarnLock dispatches on the yarn.lock flavour: berry (YAML with
// __metadata) or classic (yarn lockfile v1). sibs are the package.json files
// of the project (root first, then workspaces) used to mark direct deps.
func parseYarnLock(rel string, data []byte, sibs []*manifest) (core.Result, error) {
	if isBerry(data) {
		return parseYarnBerry(rel, data, sibs)
	}
	return parseYarnClassic(rel, data, sibs)
}

func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

// yarnEntry is one entry of a classic yarn.lock.
type yarnEntry struct {
	specs     []string // "name@range" descriptors
	line      int
	fields    map[string]string
	deps      [][2]string // name, range (dependencies + optionalDependencies)
	optDeps   map[string]bool
	integrity string
}

// parseYarnClassic parses the yarn v1 lockfile format: unindented headers of
// comma-separated descriptors ending in ':', two-space indented "key value"
// fields, and four-space indented dependency lists.
func parseYarnClassic(rel string, data []byte, sibs []*manifest) (core.Result, error) {
	var (
		entries []*yarnEntry
		cur     *yarnEntry
		section string
	)
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		line = bytes.TrimRight(line, "\r \t")
		if len(line) == 0 {
			continue
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		body := string(line[indent:])
		if body[0] == '#' {
			continue
		}
		if len(line) > indent && line[indent] == '\t' {
			return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: tab indentation", lineNo)
		}
		switch {
		case indent == 0:
			if !strings.HasSuffix(body, ":") {
				return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: expected an entry header ending in ':'", lineNo)
			}
			specs, err := yarnHeader(body[:len(body)-1])
			if err != nil {
				return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: %v", lineNo, err)
			}
			cur = &yarnEntry{specs: specs, line: lineNo, fields: map[string]string{}}
			entries = append(entries, cur)
			section = ""
		case cur == nil:
			return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: indented line outside an entry", lineNo)
		case indent == 2:
			toks, err := yarnTokens(body)
			if err != nil {
				return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: %v", lineNo, err)
			}
			if len(toks) == 1 && strings.HasSuffix(body, ":") {
				section = strings.TrimSuffix(toks[0], ":")
				continue
			}
			section = ""
			if len(toks) >= 2 {
				cur.fields[toks[0]] = toks[1]
			}
		case indent >= 4 && section != "":
			toks, err := yarnTokens(body)
			if err != nil {
				return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: %v", lineNo, err)
			}
			if len(toks) < 2 {
				continue
			}
			switch section {
			case "dependencies":
				cur.deps = append(cur.deps, [2]string{toks[0], toks[1]})
			case "optionalDependencies":
				cur.deps = append(cur.deps, [2]string{toks[0], toks[1]})
				if cur.optDeps == nil {
					cur.optDeps = map[string]bool{}
				}
				cur.optDeps[toks[0]] = true
			}
		default:
			return core.Result{}, fmt.Errorf("malformed yarn.lock at line %d: unexpected indentation", lineNo)
		}
	}
	if len(entries) == 0 {
		return core.Result{}, nil // a valid lockfile of a project with no dependencies
	}

	var res core.Result
	pkgs := make(map[string]*pkg, len(entries))
	byDesc := make(map[string]string, len(entries)*2)
	for _, e := range entries {
		key := strings.Join(e.specs, ", ")
		for _, s := range e.specs {
			byDesc[s] = key
		}
		local, spec := splitNameSpec(e.specs[0])
		name := local
		if classifySpec(spec) == specAlias {
			if real, _ := parseAlias(spec); real != "" {
				name = real
			}
		}
		q := &pkg{name: name, loc: core.Location{Path: rel, Line: e.line, Column: 1}}
		if name != local {
			q.setProp(PropAlias, local)
		}
		v := e.fields["version"]
		if ev, ok := exactVersion(v); ok {
			q.version = ev
		} else {
			q.version = v
		}
		integrity := e.fields["integrity"]
		q.hashes = parseIntegrity(integrity)
		r := e.fields["resolved"]
		kind := resolvedKind(r)
		hasHash := integrity != ""
		if frag := fragment(r); kind != specGit && len(frag) == 40 && isHex(frag) {
			hasHash = true
			if len(q.hashes) == 0 {
				q.hashes = []core.Hash{{Algorithm: "sha1", Value: strings.ToLower(frag)}}
			}
		}
		if kind == specGit || kind == specURL || kind == specLocal {
			q.setProp(PropResolved, r)
			if unpinnedResolved(r, hasHash) {
				res.Findings = append(res.Findings, unpinnedFinding(q.loc, name, q.version, r,
					"a git/URL source with neither a commit nor an integrity hash in the lockfile"))
			}
		}
		if kind == specLocal {
			continue
		}
		for _, d := range e.deps {
			q.deps = append(q.deps, d[0]+"@"+d[1])
		}
		pkgs[key] = q
	}
	// Dependencies were recorded as descriptors; map them to entry keys.
	for _, q := range pkgs {
		for i, d := range q.deps {
			if k, ok := byDesc[d]; ok {
				q.deps[i] = k
			} else if name, rng := splitNameSpec(d); rng != "" {
				q.deps[i] = byDesc[name+"@npm:"+rng]
			}
		}
	}
	markDirect(pkgs, byDesc, sibs)
	resolveGraph(pkgs, true)
	for _, p := range pkgs {
		p.setProp(PropLockfile, "yarn-v1")
	}
	emit(rel, "npm/yarn-lock", pkgs, core.SourceLockfile, &res)
	return res, nil
}

// markDirect marks the entries the project's package.json files declare.
func markDirect(pkgs map[string]*pkg, byDesc map[string]string, sibs []*manifest) {
	rank := map[string]int{"": 0, "optional": 1, "dev": 2, "peer": 3}
	for _, m := range sibs {
		if m == nil {
			continue
		}
		for _, dd := range m.deps {
			k, ok := byDesc[dd.name+"@"+dd.spec]
			if !ok {
				k, ok = byDesc[dd.name+"@npm:"+dd.spec]
			}
			if !ok {
				continue
			}
			q := pkgs[k]
			if q == nil {
				continue
			}
			sc := depSections[dd.section]
			if !q.direct || rank[sc] < rank[q.scope] {
				q.scope = sc
			}
			q.direct = true
		}
	}
}

func fragment(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		return u[i+1:]
	}
	return ""
}

// yarnHeader splits `"a@^1", a@^2` into descriptors.
func yarnHeader(s string) ([]string, error) {
	var out []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		var tok string
		if strings.HasPrefix(s, `"`) {
			end := closingQuote(s)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			tok = unquote(s[:end+1])
			s = s[end+1:]
		} else {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				i = len(s)
			}
			tok = strings.TrimSpace(s[:i])
			s = s[i:]
		}
		s = strings.TrimLeft(s, " ")
		if len(s) > 0 {
			if s[0] != ',' {
				return nil, fmt.Errorf("expected ',' between descriptors")
			}
			s = s[1:]
		}
		if tok != "" {
			out = append(out, tok)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty entry header")
	}
	return out, nil
}

// yarnTokens splits `key "value"` / `"key" value` / `key:` into tokens.
func yarnTokens(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return out, nil
		}
		if s[0] == '"' {
			end := closingQuote(s)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			tok := unquote(s[:end+1])
			s = s[end+1:]
			if strings.HasPrefix(s, ":") { // "key":
				tok += ":"
				s = s[1:]
			}
			out = append(out, tok)
			continue
		}
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}

// closingQuote returns the index of the quote closing s[0]'s quote, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unquote(q string) string {
	if !strings.Contains(q, `\`) {
		return q[1 : len(q)-1]
	}
	if s, err := strconv.Unquote(q); err == nil {
		return s
	}
	return q[1 : len(q)-1]
}

// ---- berry ----

// parseYarnBerry parses a yarn 2+ lockfile (YAML).
func parseYarnBerry(rel string, data []byte, sibs []*manifest) (core.Result, error) {
	root, err := parseYAML(data)
	if err != nil {
		return core.Result{}, err
	}
	if root.Kind != yaml.MappingNode {
		return core.Result{}, fmt.Errorf("yarn.lock (berry) is not a YAML mapping")
	}
	var res core.Result
	pkgs := map[string]*pkg{}
	byDesc := map[string]string{}
	type wsDeps struct{ deps [][2]string }
	var workspaces []wsDeps
	meta := mapGet(root, "__metadata")
	cacheKey := mapGetStr(meta, "cacheKey")
	mapEach(root, func(k, v *yaml.Node) {
		if k.Value == "__metadata" || v.Kind != yaml.MappingNode {
			return
		}
		specs := strings.Split(k.Value, ",")
		for i := range specs {
			specs[i] = strings.TrimSpace(specs[i])
			byDesc[specs[i]] = k.Value
		}
		resolution := mapGetStr(v, "resolution")
		if resolution == "" {
			resolution = specs[0]
		}
		name, ref := splitNameSpec(resolution)
		var deps [][2]string
		for _, sec := range []string{"dependencies", "optionalDependencies"} {
			mapEach(mapGet(v, sec), func(dk, dv *yaml.Node) {
				deps = append(deps, [2]string{dk.Value, scalar(dv)})
			})
		}
		lref := strings.ToLower(ref)
		switch {
		case strings.HasPrefix(lref, "workspace:"):
			workspaces = append(workspaces, wsDeps{deps})
			return
		case strings.HasPrefix(lref, "link:"), strings.HasPrefix(lref, "portal:"):
			return
		}
		q := &pkg{name: name, loc: core.Location{Path: rel, Line: k.Line, Column: k.Column}}
		version := mapGetStr(v, "version")
		if ev, ok := exactVersion(version); ok {
			version = ev
		}
		q.version = version
		checksum := mapGetStr(v, "checksum")
		if h := berryChecksum(checksum); h != "" {
			q.hashes = []core.Hash{{Algorithm: "yarn-zip-sha512", Value: h}}
		}
		_ = cacheKey
		switch {
		case strings.HasPrefix(lref, "npm:"):
			if version == "" {
				q.version = ref[4:]
			}
		case strings.HasPrefix(lref, "patch:"):
			q.setProp(PropPatched, core.Clip(ref, 300))
		default:
			src := ref
			q.setProp(PropResolved, src)
			kind := resolvedKind(src)
			if strings.HasPrefix(lref, "file:") {
				kind = specLocal
			}
			if (kind == specGit || kind == specURL) && unpinnedResolved(src, checksum != "") {
				res.Findings = append(res.Findings, unpinnedFinding(q.loc, name, q.version, src,
					"a git/URL source with neither a commit nor a checksum in the lockfile"))
			}
		}
		for _, d := range deps {
			q.deps = append(q.deps, d[0]+"@"+d[1])
		}
		pkgs[k.Value] = q
	})
	resolveDesc := func(d string) string {
		if k, ok := byDesc[d]; ok {
			return k
		}
		if name, rng := splitNameSpec(d); rng != "" {
			return byDesc[name+"@npm:"+rng]
		}
		return ""
	}
	for _, q := range pkgs {
		for i, d := range q.deps {
			q.deps[i] = resolveDesc(d)
		}
	}
	// Workspace entries list the project's own declared dependencies.
	for _, ws := range workspaces {
		for _, d := range ws.deps {
			if q := pkgs[resolveDesc(d[0]+"@"+d[1])]; q != nil {
				q.direct = true
			}
		}
	}
	// package.json gives the dev/optional/peer scope of direct deps.
	markDirect(pkgs, byDesc, sibs)
	resolveGraph(pkgs, true)
	ver := mapGetStr(meta, "version")
	for _, p := range pkgs {
		p.setProp(PropLockfile, "yarn-berry-"+core.Clip(ver, 20))
	}
	emit(rel, "npm/yarn-lock", pkgs, core.SourceLockfile, &res)
	return res, nil
}

// berryChecksum returns the hex sha512 of a berry checksum ("<hex>" or
// "<cacheKey>/<hex>"), or "".
func berryChecksum(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) == 128 && isHex(s) {
		return strings.ToLower(s)
	}
	return ""
}
