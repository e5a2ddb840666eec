package aiassets

import (
	"context"

	ts "github.com/tree-sitter/go-tree-sitter"
)

// jsFront extracts calls from one JavaScript (or TypeScript, parsed with the
// JavaScript grammar: type annotations become small ERROR nodes the walk
// steps around) syntax tree.
type jsFront struct {
	g       *grammar
	src     []byte
	loc     locator
	imports map[string]string // local name -> module path (+ ".export" for named imports)
	consts  map[string][]ts.Node
	targets map[uintptr]string
	sites   []site
}

func analyzeJS(ctx context.Context, src []byte, loc locator) *fileFacts {
	g := javascript()
	tree := g.parse(ctx, src)
	if tree == nil {
		return &fileFacts{lang: "javascript"}
	}
	defer tree.Close()
	f := &jsFront{g: g, src: src, loc: loc, imports: map[string]string{}, consts: map[string][]ts.Node{}, targets: map[uintptr]string{}}
	walkTree(g, tree.RootNode(), f.visit)
	facts := &fileFacts{lang: "javascript", imports: map[string]bool{}}
	for _, q := range f.imports {
		facts.imports[q] = true
	}
	for i := range f.sites {
		if c, ok := f.call(&f.sites[i].node); ok {
			c.inErr = f.sites[i].inErr
			facts.calls = append(facts.calls, c)
		}
	}
	return facts
}

func (f *jsFront) visit(n *ts.Node, kind string, inErr bool) bool {
	switch kind {
	case "comment":
		return false
	case "import_statement":
		if !inErr {
			f.importStmt(n)
		}
		return false
	case "lexical_declaration", "variable_declaration":
		if !inErr {
			f.typedDeclarations(n)
		}
	case "variable_declarator":
		if inErr {
			return true
		}
		name, val := n.ChildByFieldName("name"), n.ChildByFieldName("value")
		if name == nil || val == nil {
			return true
		}
		val = f.unwrap(val)
		if mod, ok := f.requireOf(val); ok {
			f.bindRequire(name, mod)
			return false
		}
		switch f.g.kind(name) {
		case "identifier":
			nm := text(name, f.src)
			f.consts[nm] = append(f.consts[nm], *val)
			if k := f.g.kind(val); k == "call_expression" || k == "new_expression" {
				f.targets[val.Id()] = nm
			}
		}
	case "assignment_expression":
		if inErr {
			return true
		}
		left, right := n.ChildByFieldName("left"), n.ChildByFieldName("right")
		if left == nil || right == nil {
			return true
		}
		right = f.unwrap(right)
		if nm := f.dotted(left); nm != "" {
			f.consts[nm] = append(f.consts[nm], *right)
			if k := f.g.kind(right); k == "call_expression" || k == "new_expression" {
				f.targets[right.Id()] = nm
			}
		}
	case "call_expression", "new_expression":
		f.sites = append(f.sites, site{*n, inErr})
	}
	return true
}

// typedDeclarations recovers TypeScript's "const X: T = v", which the
// JavaScript grammar parses as ERROR(X) followed by the declarator "T = v":
// X is bound to v.
func (f *jsFront) typedDeclarations(n *ts.Node) {
	pending := ""
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		switch f.g.kind(c) {
		case "ERROR":
			pending = ""
			if c.NamedChildCount() == 1 && f.g.kind(c.NamedChild(0)) == "identifier" {
				pending = text(c.NamedChild(0), f.src)
			}
		case "variable_declarator":
			if pending == "" {
				continue
			}
			if val := c.ChildByFieldName("value"); val != nil {
				val = f.unwrap(val)
				f.consts[pending] = append(f.consts[pending], *val)
				if k := f.g.kind(val); k == "call_expression" || k == "new_expression" {
					f.targets[val.Id()] = pending
				}
			}
			pending = ""
		}
	}
}

func (f *jsFront) unwrap(n *ts.Node) *ts.Node {
	for i := 0; i < 4 && n != nil; i++ {
		switch f.g.kind(n) {
		case "await_expression", "parenthesized_expression", "as_expression", "non_null_expression":
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

// requireOf recognises require("mod") and returns mod.
func (f *jsFront) requireOf(n *ts.Node) (string, bool) {
	if f.g.kind(n) != "call_expression" {
		return "", false
	}
	fn, args := n.ChildByFieldName("function"), n.ChildByFieldName("arguments")
	if fn == nil || args == nil || text(fn, f.src) != "require" || args.NamedChildCount() == 0 {
		return "", false
	}
	return f.stringLit(args.NamedChild(0))
}

func (f *jsFront) bindRequire(name *ts.Node, mod string) {
	switch f.g.kind(name) {
	case "identifier":
		f.imports[text(name, f.src)] = mod
	case "object_pattern":
		for i := uint(0); i < name.NamedChildCount(); i++ {
			p := name.NamedChild(i)
			switch f.g.kind(p) {
			case "shorthand_property_identifier_pattern":
				nm := text(p, f.src)
				f.imports[nm] = mod + "." + nm
			case "pair_pattern":
				k, v := p.ChildByFieldName("key"), p.ChildByFieldName("value")
				if k != nil && v != nil {
					f.imports[text(v, f.src)] = mod + "." + text(k, f.src)
				}
			}
		}
	}
}

func (f *jsFront) importStmt(n *ts.Node) {
	srcNode := n.ChildByFieldName("source")
	if srcNode == nil {
		return
	}
	mod, ok := f.stringLit(srcNode)
	if !ok {
		return
	}
	f.imports["\x00"+mod] = mod
	for i := uint(0); i < n.NamedChildCount(); i++ {
		cl := n.NamedChild(i)
		if f.g.kind(cl) != "import_clause" {
			continue
		}
		for j := uint(0); j < cl.NamedChildCount(); j++ {
			c := cl.NamedChild(j)
			switch f.g.kind(c) {
			case "identifier": // default import
				f.imports[text(c, f.src)] = mod
			case "namespace_import":
				if c.NamedChildCount() > 0 {
					f.imports[text(c.NamedChild(c.NamedChildCount()-1), f.src)] = mod
				}
			case "named_imports":
				for k := uint(0); k < c.NamedChildCount(); k++ {
					s := c.NamedChild(k)
					if f.g.kind(s) != "import_specifier" {
						continue
					}
					name, alias := s.ChildByFieldName("name"), s.ChildByFieldName("alias")
					if name == nil {
						continue
					}
					local := name
					if alias != nil {
						local = alias
					}
					f.imports[text(local, f.src)] = mod + "." + text(name, f.src)
				}
			}
		}
	}
}

func (f *jsFront) dotted(n *ts.Node) string {
	switch f.g.kind(n) {
	case "identifier", "this", "property_identifier":
		return text(n, f.src)
	case "member_expression":
		obj, prop := n.ChildByFieldName("object"), n.ChildByFieldName("property")
		if obj == nil || prop == nil {
			return ""
		}
		o := f.dotted(obj)
		if o == "" {
			return ""
		}
		return o + "." + text(prop, f.src)
	case "call_expression":
		fn := n.ChildByFieldName("function")
		if fn != nil {
			if s := f.dotted(fn); s != "" {
				return s + "()"
			}
		}
	case "await_expression", "parenthesized_expression", "non_null_expression":
		if n.NamedChildCount() > 0 {
			return f.dotted(n.NamedChild(0))
		}
	}
	return ""
}

func (f *jsFront) call(n *ts.Node) (call, bool) {
	var fn *ts.Node
	if f.g.kind(n) == "new_expression" {
		fn = n.ChildByFieldName("constructor")
	} else {
		fn = n.ChildByFieldName("function")
	}
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
	if args == nil {
		return c, true
	}
	for i := uint(0); i < args.NamedChildCount(); i++ {
		a := args.NamedChild(i)
		switch f.g.kind(a) {
		case "comment":
			continue
		case "object":
			// Options objects carry what Python passes as keywords.
			for j := uint(0); j < a.NamedChildCount(); j++ {
				p := a.NamedChild(j)
				switch f.g.kind(p) {
				case "pair":
					k, v := p.ChildByFieldName("key"), p.ChildByFieldName("value")
					if k == nil || v == nil {
						continue
					}
					key := text(k, f.src)
					if s, ok := f.stringLit(k); ok {
						key = s
					}
					c.kw[key] = f.value(v, 0)
				case "shorthand_property_identifier":
					nm := text(p, f.src)
					c.kw[nm] = f.value(p, 0)
				}
			}
			c.args = append(c.args, value{})
		default:
			c.args = append(c.args, f.value(a, 0))
		}
	}
	return c, true
}

func (f *jsFront) stringLit(n *ts.Node) (string, bool) {
	switch f.g.kind(n) {
	case "string":
		s := text(n, f.src)
		if len(s) >= 2 {
			return s[1 : len(s)-1], true
		}
	case "template_string":
		for i := uint(0); i < n.NamedChildCount(); i++ {
			if f.g.kind(n.NamedChild(i)) == "template_substitution" {
				return "", false
			}
		}
		s := text(n, f.src)
		if len(s) >= 2 {
			return s[1 : len(s)-1], true
		}
	}
	return "", false
}

func (f *jsFront) value(n *ts.Node, depth int) value {
	switch f.g.kind(n) {
	case "true":
		return value{kind: vTrue}
	case "false":
		return value{kind: vFalse}
	case "null", "undefined":
		return value{kind: vNone}
	case "string", "template_string":
		if s, ok := f.stringLit(n); ok {
			return value{kind: vString, str: s, downloaded: isRemoteURL(s)}
		}
	case "identifier", "shorthand_property_identifier", "member_expression":
		name := f.dotted(n)
		if f.g.kind(n) == "shorthand_property_identifier" {
			name = text(n, f.src)
		}
		vals := f.consts[name]
		if len(vals) == 1 && depth < maxResolveDepth {
			return f.value(&vals[0], depth+1)
		}
		return value{unresolved: true}
	}
	return value{}
}

// jsLike reports whether a file extension is parsed with the JS grammar.
func jsLike(ext string) bool {
	switch ext {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx":
		return true
	}
	return false
}
