package aiassets

import (
	"context"
	"strings"

	ts "github.com/tree-sitter/go-tree-sitter"

	"github.com/assay-dev/assay/internal/core"
)

// locator turns a 0-based tree-sitter position into a report location
// (plain files: line+1/col+1; notebooks: the line in the .ipynb file).
type locator func(row, col uint) core.Location

// pyFront extracts calls from one Python syntax tree.
type pyFront struct {
	g       *grammar
	src     []byte
	loc     locator
	imports map[string]string    // local name -> qualified module path
	assigns map[string][]ts.Node // name -> every value assigned to it
	targets map[uintptr]string   // call node id -> assignment target
	sites   []site
	flags   []flagPair // "trust_remote_code": True in dict literals
}

// flagPair is a dangerous flag written as a dict entry rather than a keyword.
type flagPair struct {
	key string
	loc core.Location
	txt string
}

// analyzePython parses src and returns its calls.
func analyzePython(ctx context.Context, src []byte, loc locator) (*fileFacts, []flagPair) {
	g := python()
	tree := g.parse(ctx, src)
	if tree == nil {
		return &fileFacts{lang: "python"}, nil
	}
	defer tree.Close()
	f := &pyFront{g: g, src: src, loc: loc, imports: map[string]string{}, assigns: map[string][]ts.Node{}, targets: map[uintptr]string{}}
	root := tree.RootNode()
	walkTree(g, root, f.visit)
	facts := &fileFacts{lang: "python", imports: map[string]bool{}}
	for _, q := range f.imports {
		facts.imports[q] = true
	}
	for i := range f.sites {
		if c, ok := f.call(&f.sites[i].node); ok {
			c.inErr = f.sites[i].inErr
			facts.calls = append(facts.calls, c)
		}
	}
	return facts, f.flags
}

func (f *pyFront) visit(n *ts.Node, kind string, inErr bool) bool {
	switch kind {
	case "import_statement":
		if !inErr {
			f.importStmt(n)
		}
		return false
	case "import_from_statement":
		if !inErr {
			f.importFrom(n)
		}
		return false
	case "comment", "string":
		return false
	case "assignment", "augmented_assignment":
		if inErr {
			return true
		}
		left, right := n.ChildByFieldName("left"), n.ChildByFieldName("right")
		if left == nil || right == nil {
			return true
		}
		name := f.dotted(left)
		if name == "" {
			return true
		}
		f.assigns[name] = append(f.assigns[name], *right)
		if v := unwrapAwait(f.g, right); f.g.kind(v) == "call" {
			f.targets[v.Id()] = name
		}
	case "as_pattern":
		if inErr {
			return true
		}
		alias := n.ChildByFieldName("alias")
		if alias == nil || n.NamedChildCount() == 0 {
			return true
		}
		val := n.NamedChild(0)
		name := strings.TrimSpace(strings.Trim(text(alias, f.src), "()"))
		if isIdent(name) && val != nil {
			f.assigns[name] = append(f.assigns[name], *val)
		}
	case "call":
		f.sites = append(f.sites, site{*n, inErr})
	case "pair":
		if inErr {
			return true
		}
		k, v := n.ChildByFieldName("key"), n.ChildByFieldName("value")
		if k != nil && v != nil && f.g.kind(v) == "true" && f.g.kind(k) == "string" {
			if s, ok := f.stringLit(k); ok && (s == "trust_remote_code" || s == "allow_dangerous_deserialization") {
				p := n.StartPosition()
				f.flags = append(f.flags, flagPair{key: s, loc: f.loc(p.Row, p.Column), txt: core.Clip(text(n, f.src), 160)})
			}
		}
	}
	return true
}

func unwrapAwait(g *grammar, n *ts.Node) *ts.Node {
	for i := 0; i < 4 && n != nil; i++ {
		switch g.kind(n) {
		case "await", "parenthesized_expression":
			if n.NamedChildCount() == 0 {
				return n
			}
			n = n.NamedChild(0)
		default:
			return n
		}
	}
	return n
}

func (f *pyFront) importStmt(n *ts.Node) {
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		switch f.g.kind(c) {
		case "dotted_name":
			full := text(c, f.src)
			root := full
			if j := strings.IndexByte(full, '.'); j >= 0 {
				root = full[:j]
			}
			f.imports[root] = root
			f.imports["\x00"+full] = full // remember the full path too
		case "aliased_import":
			name, alias := c.ChildByFieldName("name"), c.ChildByFieldName("alias")
			if name != nil && alias != nil {
				f.imports[text(alias, f.src)] = text(name, f.src)
			}
		}
	}
}

func (f *pyFront) importFrom(n *ts.Node) {
	mod := n.ChildByFieldName("module_name")
	if mod == nil {
		return
	}
	m := strings.TrimLeft(text(mod, f.src), ".")
	f.imports["\x00"+m] = m
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		if c.Id() == mod.Id() {
			continue
		}
		switch f.g.kind(c) {
		case "dotted_name":
			nm := text(c, f.src)
			f.imports[nm] = join(m, nm)
		case "aliased_import":
			name, alias := c.ChildByFieldName("name"), c.ChildByFieldName("alias")
			if name != nil && alias != nil {
				f.imports[text(alias, f.src)] = join(m, text(name, f.src))
			}
		}
	}
}

func join(mod, name string) string {
	if mod == "" {
		return name
	}
	return mod + "." + name
}

// dotted renders identifier/attribute chains ("self.client.chat"); a call in
// the chain becomes "name()". Anything else yields "".
func (f *pyFront) dotted(n *ts.Node) string {
	switch f.g.kind(n) {
	case "identifier":
		return text(n, f.src)
	case "attribute":
		obj, attr := n.ChildByFieldName("object"), n.ChildByFieldName("attribute")
		if obj == nil || attr == nil {
			return ""
		}
		o := f.dotted(obj)
		if o == "" {
			return ""
		}
		return o + "." + text(attr, f.src)
	case "call":
		fn := n.ChildByFieldName("function")
		if fn == nil {
			return ""
		}
		if s := f.dotted(fn); s != "" {
			return s + "()"
		}
	}
	return ""
}

// resolve qualifies raw's root through the imports.
func resolveName(imports map[string]string, raw string) (string, bool) {
	root := raw
	if i := strings.IndexAny(raw, ".("); i >= 0 {
		root = raw[:i]
	}
	if q, ok := imports[root]; ok {
		return q + raw[len(root):], true
	}
	return raw, false
}

func (f *pyFront) call(n *ts.Node) (call, bool) {
	fn := n.ChildByFieldName("function")
	if fn == nil {
		return call{}, false
	}
	raw := f.dotted(fn)
	if raw == "" {
		return call{}, false
	}
	c := call{raw: raw, kw: map[string]value{}, target: f.targets[n.Id()]}
	c.name, c.resolved = resolveName(f.imports, raw)
	p := n.StartPosition()
	c.loc = f.loc(p.Row, p.Column)
	c.text = clipCall(text(n, f.src))
	args := n.ChildByFieldName("arguments")
	if args == nil || f.g.kind(args) != "argument_list" {
		return c, true
	}
	for i := uint(0); i < args.NamedChildCount(); i++ {
		a := args.NamedChild(i)
		switch f.g.kind(a) {
		case "keyword_argument":
			name, val := a.ChildByFieldName("name"), a.ChildByFieldName("value")
			if name != nil && val != nil {
				c.kw[text(name, f.src)] = f.value(val, 0)
			}
		case "comment":
		case "list_splat", "dictionary_splat":
			c.args = append(c.args, value{unresolved: true})
		default:
			c.args = append(c.args, f.value(a, 0))
		}
	}
	return c, true
}

// clipCall keeps the first line-ish of a call for evidence.
func clipCall(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return core.Clip(s, 160)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return !(s[0] >= '0' && s[0] <= '9')
}

// stringLit returns a string literal's content (no interpolation).
func (f *pyFront) stringLit(n *ts.Node) (string, bool) {
	switch f.g.kind(n) {
	case "string":
		var b strings.Builder
		for i := uint(0); i < n.ChildCount(); i++ {
			c := n.Child(i)
			switch f.g.kind(c) {
			case "string_start", "string_end":
			case "interpolation":
				return "", false
			default:
				b.WriteString(text(c, f.src))
			}
		}
		return b.String(), true
	case "concatenated_string":
		var b strings.Builder
		for i := uint(0); i < n.NamedChildCount(); i++ {
			s, ok := f.stringLit(n.NamedChild(i))
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	case "parenthesized_expression":
		if n.NamedChildCount() == 1 {
			return f.stringLit(n.NamedChild(0))
		}
	}
	return "", false
}

const maxResolveDepth = 4

func (f *pyFront) value(n *ts.Node, depth int) value {
	switch f.g.kind(n) {
	case "true":
		return value{kind: vTrue}
	case "false":
		return value{kind: vFalse}
	case "none":
		return value{kind: vNone}
	case "string", "concatenated_string", "parenthesized_expression":
		if s, ok := f.stringLit(n); ok {
			return value{kind: vString, str: s, downloaded: isRemoteURL(s)}
		}
	case "identifier", "attribute":
		name := f.dotted(n)
		vals := f.assigns[name]
		if len(vals) == 0 || depth >= maxResolveDepth {
			return value{unresolved: true, downloaded: f.derived(n, depth)}
		}
		// A constant only when every assignment agrees.
		first := f.value(&vals[0], depth+1)
		same := first.kind == vString
		for i := 1; i < len(vals) && same; i++ {
			v := f.value(&vals[i], depth+1)
			same = v.kind == vString && v.str == first.str
		}
		if same {
			return first
		}
		return value{unresolved: true, downloaded: f.derived(n, depth)}
	}
	return value{downloaded: f.derived(n, depth)}
}

// downloadFuncs are callees whose result is remote content or a path to it.
var downloadFuncs = map[string]bool{
	"hf_hub_download": true, "snapshot_download": true, "cached_download": true, "urlretrieve": true,
	"urlopen": true, "download_url": true, "load_state_dict_from_url": true, "get_file": true,
	"download": true, "download_file": true, "cached_path": true, "hf_hub_url": true,
}

// httpModules have a get/request that returns remote content.
var httpModules = []string{"requests", "httpx", "urllib3", "aiohttp", "urllib.request", "wget", "gdown", "boto3", "s3fs", "fsspec"}

// derived reports whether the expression's value comes from a download.
func (f *pyFront) derived(n *ts.Node, depth int) bool {
	if n == nil || depth > maxResolveDepth {
		return false
	}
	switch f.g.kind(n) {
	case "string", "concatenated_string":
		s, ok := f.stringLit(n)
		return ok && isRemoteURL(s)
	case "identifier":
		for _, v := range f.assigns[text(n, f.src)] {
			if f.derived(&v, depth+1) {
				return true
			}
		}
		return false
	case "attribute":
		if vals := f.assigns[f.dotted(n)]; len(vals) > 0 {
			for _, v := range vals {
				if f.derived(&v, depth+1) {
					return true
				}
			}
			return false
		}
		return f.derived(n.ChildByFieldName("object"), depth+1)
	case "call":
		fn := n.ChildByFieldName("function")
		if fn != nil {
			raw := f.dotted(fn)
			name, resolved := resolveName(f.imports, raw)
			last := name
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				last = name[i+1:]
			}
			if downloadFuncs[last] {
				return true
			}
			if resolved {
				for _, m := range httpModules {
					if strings.HasPrefix(name, m+".") {
						return true
					}
				}
			}
		}
		args := n.ChildByFieldName("arguments")
		if args == nil {
			return false
		}
		for i := uint(0); i < args.NamedChildCount(); i++ {
			a := args.NamedChild(i)
			if f.g.kind(a) == "keyword_argument" {
				a = a.ChildByFieldName("value")
			}
			if f.derived(a, depth+1) {
				return true
			}
		}
		return f.derived(fn, depth+1) && f.g.kind(fn) == "attribute"
	case "await", "parenthesized_expression", "binary_operator", "subscript":
		for i := uint(0); i < n.NamedChildCount(); i++ {
			if f.derived(n.NamedChild(i), depth+1) {
				return true
			}
		}
	}
	return false
}

func isRemoteURL(s string) bool {
	for _, p := range []string{"http://", "https://", "s3://", "gs://", "gcs://", "hf://", "az://", "abfs://", "ftp://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}
