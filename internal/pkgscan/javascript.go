package pkgscan

import (
	"strings"
)

var jsSpawnFns = map[string]bool{"exec": true, "execSync": true, "spawn": true, "spawnSync": true, "execFile": true, "execFileSync": true, "fork": true}

var jsExec = map[string]bool{
	"eval": true, "Function": true, "vm.runInThisContext": true, "vm.runInNewContext": true, "vm.runInContext": true,
	"vm.Script": true, "vm.compileFunction": true, "vm.SourceTextModule": true, "window.eval": true, "globalThis.eval": true, "global.eval": true,
}

var jsNet = map[string]op{
	"https.get": opDownload, "http.get": opDownload, "https.request": opNet, "http.request": opNet, "fetch": opDownload,
	"axios": opNet, "axios.get": opDownload, "axios.post": opNet, "axios.put": opNet, "axios.request": opDownload, "axios.create": opNet,
	"net.connect": opNet, "net.createConnection": opNet, "net.Socket": opNet, "tls.connect": opNet, "dgram.createSocket": opNet,
	"XMLHttpRequest": opNet, "WebSocket": opNet, "got": opDownload, "got.get": opDownload, "got.post": opNet, "needle": opNet,
	"needle.get": opDownload, "needle.post": opNet, "request": opNet, "request.get": opDownload, "request.post": opNet,
	"node-fetch": opDownload, "undici.request": opDownload, "undici.fetch": opDownload, "superagent.get": opDownload, "superagent.post": opNet,
	"dns.resolve": opDNS, "dns.resolve4": opDNS, "dns.resolveTxt": opDNS, "dns.lookup": opDNS, "dns.promises.resolve": opDNS,
	"dns.promises.lookup": opDNS, "dns.promises.resolveTxt": opDNS,
}

// jsFacts extracts facts from a JavaScript tree (see pythonFacts).
func jsFacts(g *gtree, base Context, flat bool) *codeFacts {
	cf := &codeFacts{g: g, ctx: make([]Context, len(g.nodes))}
	alias := map[string]string{} // local name → module or module.member
	topCalled := map[string]bool{}
	for i := range g.nodes {
		n := &g.nodes[i]
		idx := int32(i)
		switch n.kind {
		case "variable_declarator":
			name, val := g.child(idx, "name"), g.child(idx, "value")
			if name < 0 || val < 0 {
				continue
			}
			mod := jsRequired(g, val)
			if mod == "" {
				// const x = require('a').b
				if g.nodes[val].kind == "member_expression" {
					if o := g.child(val, "object"); o >= 0 {
						if m := jsRequired(g, o); m != "" {
							if p := g.child(val, "property"); p >= 0 {
								mod = m + "." + g.text(p)
							}
						}
					}
				}
			}
			if mod == "" {
				continue
			}
			switch g.nodes[name].kind {
			case "identifier":
				alias[g.text(name)] = mod
			case "object_pattern":
				for c := g.nodes[name].firstChild; c >= 0; c = g.nodes[c].nextSibling {
					switch g.nodes[c].kind {
					case "shorthand_property_identifier_pattern":
						alias[g.text(c)] = mod + "." + g.text(c)
					case "pair_pattern":
						k, v := g.child(c, "key"), g.child(c, "value")
						if k >= 0 && v >= 0 {
							alias[g.text(v)] = mod + "." + g.text(k)
						}
					}
				}
			}
		case "import_statement":
			src := g.child(idx, "source")
			if src < 0 {
				continue
			}
			mod := jsModName(stripQuotes(g.text(src)))
			lo, hi := g.subtree(idx)
			for j := lo; j < hi; j++ {
				switch g.nodes[j].kind {
				case "import_specifier":
					nm, al := g.child(j, "name"), g.child(j, "alias")
					if nm < 0 {
						continue
					}
					local := g.text(nm)
					if al >= 0 {
						local = g.text(al)
					}
					alias[local] = mod + "." + g.text(nm)
				case "namespace_import":
					if id := g.firstNamed(j); id >= 0 {
						alias[g.text(id)] = mod
					}
				case "import_clause":
					if id := g.firstNamed(j); id >= 0 && g.nodes[id].kind == "identifier" {
						alias[g.text(id)] = mod
					}
				}
			}
		case "call_expression":
			p := n.parent
			if p >= 0 && g.nodes[p].kind == "expression_statement" && g.nodes[p].parent >= 0 && g.nodes[g.nodes[p].parent].kind == "program" {
				if f := g.child(idx, "function"); f >= 0 && g.nodes[f].kind == "identifier" {
					topCalled[g.text(f)] = true
				}
			}
		}
	}

	for i := range g.nodes {
		n := &g.nodes[i]
		if n.parent < 0 {
			cf.ctx[i] = base
			continue
		}
		cf.ctx[i] = cf.ctx[n.parent]
		if flat || n.field != "body" {
			continue
		}
		p := n.parent
		switch g.nodes[p].kind {
		case "function_declaration", "generator_function_declaration":
			name := g.child(p, "name")
			if name >= 0 && topCalled[g.text(name)] && g.nodes[p].parent >= 0 && g.nodes[g.nodes[p].parent].kind == "program" {
				continue
			}
			cf.ctx[i] = CtxFunc
		case "function_expression", "arrow_function", "generator_function":
			if jsRunsNow(g, p) {
				continue
			}
			cf.ctx[i] = CtxFunc
		case "method_definition", "class_static_block":
			cf.ctx[i] = CtxFunc
		}
	}

	for i := range g.nodes {
		n := &g.nodes[i]
		idx := int32(i)
		switch n.kind {
		case "identifier":
			cf.identNodes = append(cf.identNodes, idx)
		case "call_expression", "new_expression":
			fn := g.child(idx, "function")
			if n.kind == "new_expression" {
				fn = g.child(idx, "constructor")
			}
			args := g.child(idx, "arguments")
			if fn < 0 {
				continue
			}
			callee := jsCallee(g, fn, alias, 0)
			cf.calls = append(cf.calls, callFact{callee: callee, node: idx, args: args, op: jsOp(g, callee, args)})
		case "string", "template_string":
			if p := n.parent; p >= 0 && (g.nodes[p].kind == "import_statement" || g.nodes[p].kind == "export_statement") {
				continue
			}
			if n.kind == "template_string" {
				// template literals with substitutions: keep the static text
				var b strings.Builder
				for c := n.firstChild; c >= 0; c = g.nodes[c].nextSibling {
					if g.nodes[c].kind == "string_fragment" {
						b.WriteString(g.text(c))
					} else if g.nodes[c].kind == "template_substitution" {
						b.WriteString(" ")
					}
				}
				cf.strs = append(cf.strs, strFact{val: b.String(), node: idx, inCallArg: inCallArgs(g, idx, "arguments")})
				continue
			}
			cf.strs = append(cf.strs, strFact{val: stripQuotes(g.text(idx)), node: idx, inCallArg: inCallArgs(g, idx, "arguments")})
		case "binary_expression":
			if op := g.child(idx, "operator"); op >= 0 && g.text(op) == "^" {
				cf.xorNodes = append(cf.xorNodes, idx)
			}
		case "variable_declarator":
			name, val := g.child(idx, "name"), g.child(idx, "value")
			if name >= 0 && val >= 0 && g.nodes[name].kind == "identifier" {
				cf.assigns = append(cf.assigns, assignFact{name: g.text(name), value: val})
			}
		case "assignment_expression":
			l, r := g.child(idx, "left"), g.child(idx, "right")
			if l >= 0 && r >= 0 && g.nodes[l].kind == "identifier" {
				cf.assigns = append(cf.assigns, assignFact{name: g.text(l), value: r})
			}
		}
	}
	return cf
}

// jsRunsNow: an IIFE, or a callback passed to a call (it runs because the
// surrounding code runs).
func jsRunsNow(g *gtree, fn int32) bool {
	p := g.nodes[fn].parent
	for p >= 0 && g.nodes[p].kind == "parenthesized_expression" {
		fn, p = p, g.nodes[p].parent
	}
	if p < 0 {
		return false
	}
	switch g.nodes[p].kind {
	case "call_expression":
		return g.nodes[fn].field == "function"
	case "arguments":
		return true
	case "unary_expression": // !function(){}()
		return true
	}
	return false
}

func jsModName(m string) string {
	m = strings.TrimPrefix(m, "node:")
	return m
}

// jsRequired returns the module of require('x') (or import('x')).
func jsRequired(g *gtree, n int32) string {
	for g.nodes[n].kind == "await_expression" || g.nodes[n].kind == "parenthesized_expression" {
		c := g.firstNamed(n)
		if c < 0 {
			return ""
		}
		n = c
	}
	if g.nodes[n].kind != "call_expression" {
		return ""
	}
	f, a := g.child(n, "function"), g.child(n, "arguments")
	if f < 0 || a < 0 {
		return ""
	}
	if t := g.text(f); t != "require" && t != "import" {
		return ""
	}
	s := g.firstNamed(a)
	if s < 0 || g.nodes[s].kind != "string" {
		return ""
	}
	return jsModName(stripQuotes(g.text(s)))
}

func jsCallee(g *gtree, n int32, alias map[string]string, depth int) string {
	if depth > 12 {
		return "?"
	}
	switch g.nodes[n].kind {
	case "identifier":
		t := g.text(n)
		if a, ok := alias[t]; ok {
			return a
		}
		return t
	case "member_expression":
		obj, prop := g.child(n, "object"), g.child(n, "property")
		if obj < 0 || prop < 0 {
			return "?"
		}
		o := jsCallee(g, obj, alias, depth+1)
		p := g.text(prop)
		if o == "window" || o == "globalThis" || o == "global" || o == "self" {
			return p
		}
		return o + "." + p
	case "subscript_expression":
		obj, idx := g.child(n, "object"), g.child(n, "index")
		if obj >= 0 && idx >= 0 && g.nodes[idx].kind == "string" {
			o := jsCallee(g, obj, alias, depth+1)
			p := stripQuotes(g.text(idx))
			if o == "window" || o == "globalThis" || o == "global" || o == "self" {
				return p
			}
			return o + "." + p
		}
	case "call_expression":
		if m := jsRequired(g, n); m != "" {
			return m
		}
		if f := g.child(n, "function"); f >= 0 {
			return jsCallee(g, f, alias, depth+1) + "()"
		}
	case "parenthesized_expression":
		// (0, eval)(x) and (eval)(x)
		if c := g.firstNamed(n); c >= 0 {
			if g.nodes[c].kind == "sequence_expression" {
				var last int32 = -1
				for k := g.nodes[c].firstChild; k >= 0; k = g.nodes[k].nextSibling {
					if g.nodes[k].named {
						last = k
					}
				}
				if last >= 0 {
					return jsCallee(g, last, alias, depth+1)
				}
			}
			return jsCallee(g, c, alias, depth+1)
		}
	}
	return "?"
}

func jsOp(g *gtree, callee string, args int32) op {
	if i := strings.LastIndexByte(callee, '.'); i > 0 {
		mod, fn := callee[:i], callee[i+1:]
		if (mod == "child_process" || mod == "cross-spawn" || mod == "execa") && jsSpawnFns[fn] {
			return opSpawn
		}
		if mod == "child_process.promises" || mod == "Bun" && (fn == "spawn" || fn == "spawnSync") || mod == "Deno" && (fn == "run" || fn == "Command") || mod == "shelljs" && fn == "exec" {
			return opSpawn
		}
		if mod == "zlib" && (strings.HasPrefix(fn, "inflate") || strings.HasPrefix(fn, "gunzip") || strings.HasPrefix(fn, "unzip") || strings.HasPrefix(fn, "brotliDecompress")) {
			return opDecode
		}
		if (mod == "fs" || mod == "fs.promises" || mod == "fs/promises" || mod == "fs-extra") && (strings.HasPrefix(fn, "writeFile") || strings.HasPrefix(fn, "appendFile") || fn == "createWriteStream" || strings.HasPrefix(fn, "copyFile") || fn == "outputFile") {
			return opWrite
		}
		if (mod == "fs" || mod == "fs.promises" || mod == "fs/promises") && strings.HasPrefix(fn, "chmod") {
			return opChmod
		}
		if (mod == "vm") && (fn == "runInThisContext" || fn == "runInNewContext" || fn == "runInContext" || fn == "Script" || fn == "compileFunction") {
			return opExec
		}
	}
	if callee == "execa" || callee == "cross-spawn" || callee == "execa.execa" || callee == "execa.$" {
		return opSpawn
	}
	if jsExec[callee] {
		return opExec
	}
	if (callee == "setTimeout" || callee == "setInterval") && args >= 0 {
		if a := g.firstNamed(args); a >= 0 && (g.nodes[a].kind == "string" || g.nodes[a].kind == "identifier" && false) {
			return opExec
		}
	}
	if callee == "atob" || callee == "unescape" || callee == "Buffer.from().toString" {
		return opDecode
	}
	if callee == "Buffer.from" || callee == "String.fromCharCode" {
		if args >= 0 {
			for _, a := range g.namedChildren(args) {
				if g.nodes[a].kind == "string" {
					switch strings.ToLower(stripQuotes(g.text(a))) {
					case "base64", "hex", "base64url":
						return opDecode
					}
				}
			}
			if callee == "String.fromCharCode" {
				return opDecode
			}
		}
		return opNone
	}
	if o, ok := jsNet[callee]; ok {
		return o
	}
	if (callee == "JSON.stringify" || callee == "Object.entries" || callee == "Object.keys" || callee == "Object.values") && args >= 0 {
		if a := g.firstNamed(args); a >= 0 && strings.ReplaceAll(g.text(a), " ", "") == "process.env" {
			if callee == "JSON.stringify" {
				return opEnvSerialize // Object.entries/keys iterate to pick variables: not flagged
			}
		}
	}
	return opNone
}
