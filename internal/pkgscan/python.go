package pkgscan

import (
	"strings"
)

var pySpawn = map[string]bool{
	"subprocess.run": true, "subprocess.call": true, "subprocess.check_call": true, "subprocess.check_output": true,
	"subprocess.Popen": true, "subprocess.getoutput": true, "subprocess.getstatusoutput": true,
	"os.system": true, "os.popen": true, "os.popen2": true, "os.popen3": true, "os.startfile": true,
	"os.execl": true, "os.execle": true, "os.execlp": true, "os.execlpe": true, "os.execv": true, "os.execve": true, "os.execvp": true, "os.execvpe": true,
	"os.spawnl": true, "os.spawnle": true, "os.spawnlp": true, "os.spawnlpe": true, "os.spawnv": true, "os.spawnve": true, "os.spawnvp": true, "os.spawnvpe": true,
	"os.posix_spawn": true, "os.posix_spawnp": true, "pty.spawn": true, "commands.getoutput": true, "commands.getstatusoutput": true,
	"asyncio.create_subprocess_exec": true, "asyncio.create_subprocess_shell": true, "popen2.popen2": true,
}

var pyExec = map[string]bool{
	"exec": true, "eval": true, "compile": true, "execfile": true,
	"builtins.exec": true, "builtins.eval": true, "builtins.compile": true,
	"runpy.run_path": true, "runpy.run_module": true, "types.FunctionType": true,
}

var pyDecode = map[string]bool{
	"base64.b64decode": true, "base64.b32decode": true, "base64.b16decode": true, "base64.a85decode": true, "base64.b85decode": true,
	"base64.decodebytes": true, "base64.decodestring": true, "base64.urlsafe_b64decode": true, "base64.standard_b64decode": true,
	"binascii.a2b_base64": true, "binascii.unhexlify": true, "binascii.a2b_hex": true,
	"bytes.fromhex": true, "bytearray.fromhex": true, "zlib.decompress": true, "gzip.decompress": true, "bz2.decompress": true,
	"lzma.decompress": true, "marshal.loads": true, "marshal.load": true,
}

var pyPickle = map[string]bool{
	"pickle.load": true, "pickle.loads": true, "cPickle.load": true, "cPickle.loads": true, "_pickle.load": true, "_pickle.loads": true,
	"dill.load": true, "dill.loads": true, "joblib.load": true, "torch.load": true, "cloudpickle.load": true, "cloudpickle.loads": true,
	"pandas.read_pickle": true,
}

var pyNet = map[string]op{
	"socket.socket": opNet, "socket.create_connection": opNet, "http.client.HTTPConnection": opNet, "http.client.HTTPSConnection": opNet,
	"httplib.HTTPConnection": opNet, "httplib.HTTPSConnection": opNet, "aiohttp.ClientSession": opNet, "urllib3.PoolManager": opNet,
	"smtplib.SMTP": opNet, "smtplib.SMTP_SSL": opNet, "ftplib.FTP": opNet, "telnetlib.Telnet": opNet, "paramiko.SSHClient": opNet,
	"urllib.request.urlopen": opDownload, "urllib.request.urlretrieve": opDownload, "urllib.request.Request": opNet, "urllib.urlopen": opDownload,
	"urllib.urlretrieve": opDownload, "urllib2.urlopen": opDownload, "urlopen": opDownload, "urlretrieve": opDownload,
	"requests.get": opDownload, "requests.post": opNet, "requests.put": opNet, "requests.patch": opNet, "requests.delete": opNet,
	"requests.request": opDownload, "requests.head": opNet, "requests.Session": opNet, "requests.session": opNet,
	"httpx.get": opDownload, "httpx.post": opNet, "httpx.put": opNet, "httpx.request": opDownload, "httpx.Client": opNet, "httpx.AsyncClient": opNet,
	"urllib3.request": opDownload, "pycurl.Curl": opNet, "wget.download": opDownload,
	"socket.gethostbyname": opDNS, "socket.gethostbyname_ex": opDNS, "socket.getaddrinfo": opDNS,
	"dns.resolver.resolve": opDNS, "dns.resolver.query": opDNS, "dns.resolver.Resolver": opDNS,
}

var pyNetModules = map[string]bool{"socket": true, "urllib.request": true, "urllib2": true, "http.client": true, "httplib": true, "requests": true, "httpx": true, "aiohttp": true, "urllib3": true, "pycurl": true, "smtplib": true, "ftplib": true, "paramiko": true, "websocket": true, "websockets": true}

// pythonFacts extracts calls, literals, contexts and assignments from a
// Python tree. base is the context of module-level code; flat makes every
// node run in base (start-up files).
func pythonFacts(g *gtree, base Context, flat, setupPy bool) *codeFacts {
	cf := &codeFacts{g: g, ctx: make([]Context, len(g.nodes))}
	alias := map[string]string{}
	// pass 1: imports and names of functions called at module level
	topCalled := map[string]bool{}
	for i := range g.nodes {
		n := &g.nodes[i]
		switch n.kind {
		case "import_statement":
			for c := n.firstChild; c >= 0; c = g.nodes[c].nextSibling {
				switch g.nodes[c].kind {
				case "dotted_name":
					full := g.text(c)
					first := full
					if j := strings.IndexByte(full, '.'); j >= 0 {
						first = full[:j]
					}
					alias[first] = first
				case "aliased_import":
					nm, al := g.child(c, "name"), g.child(c, "alias")
					if nm >= 0 && al >= 0 {
						alias[g.text(al)] = g.text(nm)
					}
				}
			}
		case "import_from_statement":
			mod := g.child(int32(i), "module_name")
			if mod < 0 {
				continue
			}
			m := g.text(mod)
			for c := n.firstChild; c >= 0; c = g.nodes[c].nextSibling {
				if g.nodes[c].field != "name" {
					continue
				}
				switch g.nodes[c].kind {
				case "dotted_name":
					alias[g.text(c)] = m + "." + g.text(c)
				case "aliased_import":
					nm, al := g.child(c, "name"), g.child(c, "alias")
					if nm >= 0 && al >= 0 {
						alias[g.text(al)] = m + "." + g.text(nm)
					}
				}
			}
		case "call":
			// calls directly in a module-level expression statement
			p := n.parent
			if p >= 0 && g.nodes[p].kind == "expression_statement" && g.nodes[p].parent >= 0 && g.nodes[g.nodes[p].parent].kind == "module" {
				if f := g.child(int32(i), "function"); f >= 0 && g.nodes[f].kind == "identifier" {
					topCalled[g.text(f)] = true
				}
			}
		}
	}

	// pass 2: contexts (parents precede children in pre-order)
	for i := range g.nodes {
		n := &g.nodes[i]
		if n.parent < 0 {
			cf.ctx[i] = base
			continue
		}
		pc := cf.ctx[n.parent]
		cf.ctx[i] = pc
		if flat {
			continue
		}
		p := &g.nodes[n.parent]
		switch p.kind {
		case "function_definition":
			if n.field == "body" {
				name := g.child(n.parent, "name")
				switch {
				case name >= 0 && topCalled[g.text(name)] && isModuleLevel(g, n.parent):
					// def main(): ...; main() — runs at import
				case setupPy && inInstallHookClass(g, n.parent):
					cf.ctx[i] = CtxInstall
				default:
					cf.ctx[i] = CtxFunc
				}
			}
		case "lambda":
			if n.field == "body" {
				cf.ctx[i] = CtxFunc
			}
		case "if_statement":
			if n.field == "consequence" && !setupPy && isMainGuard(g, n.parent) {
				cf.ctx[i] = CtxFunc
			}
		}
	}

	// pass 3: facts
	for i := range g.nodes {
		n := &g.nodes[i]
		idx := int32(i)
		switch n.kind {
		case "identifier":
			cf.identNodes = append(cf.identNodes, idx)
		case "call":
			fn := g.child(idx, "function")
			args := g.child(idx, "arguments")
			if fn < 0 {
				continue
			}
			callee := pyCallee(g, fn, alias, 0)
			o := pyOp(g, callee, args)
			cf.calls = append(cf.calls, callFact{callee: callee, node: idx, args: args, op: o})
		case "string":
			if p := n.parent; p >= 0 && g.nodes[p].kind == "concatenated_string" {
				continue // the concatenation is the literal
			}
			if isDocstring(g, idx) {
				continue
			}
			cf.strs = append(cf.strs, strFact{val: pyStringValue(g, idx), node: idx, inCallArg: inCallArgs(g, idx, "argument_list")})
		case "concatenated_string":
			if isDocstring(g, idx) {
				continue
			}
			var b strings.Builder
			for c := n.firstChild; c >= 0; c = g.nodes[c].nextSibling {
				if g.nodes[c].kind == "string" {
					b.WriteString(pyStringValue(g, c))
				}
			}
			cf.strs = append(cf.strs, strFact{val: b.String(), node: idx, inCallArg: inCallArgs(g, idx, "argument_list")})
		case "binary_operator":
			if op := g.child(idx, "operator"); op >= 0 && g.text(op) == "^" {
				cf.xorNodes = append(cf.xorNodes, idx)
			}
		case "assignment":
			l, r := g.child(idx, "left"), g.child(idx, "right")
			if l >= 0 && r >= 0 && g.nodes[l].kind == "identifier" {
				cf.assigns = append(cf.assigns, assignFact{name: g.text(l), value: r})
			}
		case "class_definition":
			if setupPy && isInstallHookClass(g, idx) {
				cf.installHooks = append(cf.installHooks, idx)
			}
		}
	}
	return cf
}

func isModuleLevel(g *gtree, def int32) bool {
	p := g.nodes[def].parent
	if p >= 0 && g.nodes[p].kind == "decorated_definition" {
		p = g.nodes[p].parent
	}
	return p >= 0 && g.nodes[p].kind == "module"
}

func isMainGuard(g *gtree, ifn int32) bool {
	c := g.child(ifn, "condition")
	if c < 0 {
		return false
	}
	t := strings.ReplaceAll(g.text(c), " ", "")
	return strings.Contains(t, "__name__==") || strings.Contains(t, "==__name__")
}

var installBases = []string{"install", "develop", "egg_info", "bdist_egg", "easy_install", "install_lib", "install_scripts"}

func isInstallHookClass(g *gtree, cls int32) bool {
	sup := g.child(cls, "superclasses")
	if sup < 0 {
		return false
	}
	for _, b := range g.namedChildren(sup) {
		t := g.text(b)
		if j := strings.LastIndexByte(t, '.'); j >= 0 {
			t = t[j+1:]
		}
		t = strings.TrimLeft(t, "_")
		t = strings.TrimPrefix(t, "orig_")
		t = strings.TrimSuffix(strings.TrimSuffix(t, "_orig"), "Command")
		for _, ib := range installBases {
			if strings.EqualFold(t, ib) {
				return true
			}
		}
	}
	return false
}

func inInstallHookClass(g *gtree, def int32) bool {
	for p := g.nodes[def].parent; p >= 0; p = g.nodes[p].parent {
		if g.nodes[p].kind == "class_definition" {
			return isInstallHookClass(g, p)
		}
		if g.nodes[p].kind == "function_definition" {
			return false
		}
	}
	return false
}

// isDocstring: a string that is the whole expression statement (docstrings
// and bare strings run nothing).
func isDocstring(g *gtree, s int32) bool {
	p := g.nodes[s].parent
	return p >= 0 && g.nodes[p].kind == "expression_statement" && g.firstNamed(p) == s && g.nodes[s].nextSibling < 0
}

func inCallArgs(g *gtree, s int32, argKind string) bool {
	for p, d := g.nodes[s].parent, 0; p >= 0 && d < 12; p, d = g.nodes[p].parent, d+1 {
		switch g.nodes[p].kind {
		case argKind:
			return true
		case "function_definition", "class_definition", "expression_statement", "assignment", "lexical_declaration", "variable_declaration", "module", "program", "block", "statement_block":
			return false
		}
	}
	return false
}

func pyStringValue(g *gtree, s int32) string {
	return stripQuotes(g.text(s))
}

// pyCallee normalises a callee expression to a dotted name with imports
// resolved ("sp.run" → "subprocess.run", "__import__('os').system" →
// "os.system"); calls render as "f()".
func pyCallee(g *gtree, n int32, alias map[string]string, depth int) string {
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
	case "attribute":
		obj, attr := g.child(n, "object"), g.child(n, "attribute")
		if obj < 0 || attr < 0 {
			return "?"
		}
		o := pyCallee(g, obj, alias, depth+1)
		a := g.text(attr)
		if o == "__builtins__" || o == "builtins" {
			return a
		}
		return o + "." + a
	case "call":
		fn, args := g.child(n, "function"), g.child(n, "arguments")
		if fn < 0 {
			return "?"
		}
		f := pyCallee(g, fn, alias, depth+1)
		if (f == "__import__" || f == "importlib.import_module") && args >= 0 {
			if a := g.firstNamed(args); a >= 0 && g.nodes[a].kind == "string" {
				return pyStringValue(g, a)
			}
		}
		if f == "getattr" && args >= 0 {
			kids := g.namedChildren(args)
			if len(kids) >= 2 && g.nodes[kids[1]].kind == "string" {
				o := pyCallee(g, kids[0], alias, depth+1)
				a := pyStringValue(g, kids[1])
				if o == "__builtins__" || o == "builtins" {
					return a
				}
				return o + "." + a
			}
		}
		return f + "()"
	case "subscript":
		v, s := g.child(n, "value"), g.child(n, "subscript")
		if v >= 0 && s >= 0 && g.nodes[s].kind == "string" {
			o := pyCallee(g, v, alias, depth+1)
			a := pyStringValue(g, s)
			if o == "__builtins__" || o == "builtins" || strings.HasSuffix(o, "__dict__") || o == "globals()" {
				return a
			}
			return o + "." + a
		}
	case "parenthesized_expression":
		if c := g.firstNamed(n); c >= 0 {
			return pyCallee(g, c, alias, depth+1)
		}
	}
	return "?"
}

var envSerializers = map[string]bool{"json.dumps": true, "json.dump": true, "str": true, "repr": true, "pickle.dumps": true, "base64.b64encode": true, "yaml.dump": true, "yaml.safe_dump": true, "urllib.parse.urlencode": true, "pprint.pformat": true}

func pyOp(g *gtree, callee string, args int32) op {
	if pySpawn[callee] {
		return opSpawn
	}
	if pyExec[callee] {
		return opExec
	}
	if pyDecode[callee] || strings.HasSuffix(callee, ".fromhex") {
		return opDecode
	}
	if callee == "codecs.decode" || strings.HasSuffix(callee, ".decode") {
		if args >= 0 {
			for _, a := range g.namedChildren(args) {
				if g.nodes[a].kind == "string" {
					switch strings.ToLower(strings.ReplaceAll(pyStringValue(g, a), "-", "_")) {
					case "rot13", "rot_13", "hex", "hex_codec", "base64", "base64_codec", "zlib", "zlib_codec", "bz2", "uu":
						return opDecode
					}
				}
			}
		}
		return opNone
	}
	if pyPickle[callee] {
		return opPickle
	}
	if o, ok := pyNet[callee]; ok {
		return o
	}
	if i := strings.LastIndexByte(callee, '.'); i > 0 {
		mod := callee[:i]
		if pyNetModules[mod] && mod != "socket" {
			return opNet
		}
	}
	switch callee {
	case "open", "io.open", "codecs.open":
		if args >= 0 {
			kids := g.namedChildren(args)
			for j, a := range kids {
				k := g.nodes[a].kind
				if (j == 1 && k == "string") || (k == "keyword_argument" && strings.HasPrefix(g.text(a), "mode")) {
					m := g.text(a)
					if strings.ContainsAny(stripQuotes(strings.TrimPrefix(m, "mode=")), "wax") {
						return opWrite
					}
				}
			}
		}
		return opNone
	case "os.chmod", "os.fchmod":
		return opChmod
	case "shutil.copy", "shutil.copyfile", "shutil.copy2", "os.rename", "os.replace":
		return opWrite
	}
	if strings.HasSuffix(callee, ".write_text") || strings.HasSuffix(callee, ".write_bytes") || strings.HasSuffix(callee, ".chmod") && strings.Contains(callee, "()") {
		if strings.HasSuffix(callee, ".chmod") {
			return opChmod
		}
		return opWrite
	}
	if envSerializers[callee] && args >= 0 {
		if a := g.firstNamed(args); a >= 0 {
			t := strings.ReplaceAll(g.text(a), " ", "")
			if t == "os.environ" || t == "dict(os.environ)" || t == "os.environ.copy()" || t == "environ" || t == "{**os.environ}" || t == "dict(os.environ.items())" || t == "list(os.environ.items())" {
				return opEnvSerialize
			}
		}
	}
	return opNone
}
