package pkgscan

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// op is what a call does, by its normalised callee.
type op int

const (
	opNone op = iota
	opSpawn
	opExec
	opDecode
	opNet      // opens a connection / sends a request
	opDownload // fetches content (also opNet)
	opDNS
	opPickle
	opWrite
	opChmod
	opEnvSerialize
)

// callFact is one call in a syntax tree.
type callFact struct {
	callee string
	node   int32 // the call node
	args   int32 // the argument list node (-1 when none)
	op     op
}

// strFact is one string literal (docstrings excluded).
type strFact struct {
	val       string
	node      int32
	inCallArg bool // inside the arguments of a call (i.e. used, not just declared)
}

// assignFact is "name = value" (value node).
type assignFact struct {
	name  string
	value int32
}

// codeFacts is what a language front-end extracts from one tree.
type codeFacts struct {
	g       *gtree
	ctx     []Context // per node
	calls   []callFact
	strs    []strFact
	assigns []assignFact
	// xorNodes are nodes of XOR expressions (candidate manual decoding).
	xorNodes []int32
	// installHooks are cmdclass-style install overrides found (setup.py).
	installHooks []int32
	// envWhole are nodes where the whole environment object is serialised.
	envWhole []int32
	// identNodes are identifier nodes (for taint lookups), in tree order.
	identNodes []int32
}

// fileResult is what analysing one file produced.
type fileResult struct {
	findings []core.Finding
	caps     map[Capability]capHit
	hosts    map[string]bool
	errs     []core.Error
}

type capHit struct {
	loc      core.Location
	evidence string
	detail   string
}

func newFileResult() *fileResult {
	return &fileResult{caps: map[Capability]capHit{}, hosts: map[string]bool{}}
}

// emitter turns facts into findings at precise locations.
type emitter struct {
	loc core.Location // path and member; line/col filled per hit
	g   *gtree
	res *fileResult
	idx map[string]int // rule id → index in res.findings
}

func (e *emitter) at(off uint32) core.Location {
	l := e.loc
	if e.g != nil {
		l.Line, l.Column = e.g.pos(off)
	}
	return l
}

func (e *emitter) evidence(off uint32) string {
	if e.g == nil {
		return ""
	}
	return e.g.lineText(off)
}

func (e *emitter) hit(r core.Rule, table sev, ctx Context, off uint32, msg string) *core.Finding {
	s := table[ctx]
	if s < 0 {
		return nil
	}
	loc := e.at(off)
	// one finding per rule per file: the most severe (first on ties)
	if i, ok := e.idx[r.ID]; ok {
		if e.res.findings[i].Severity >= core.Severity(s) {
			return nil
		}
		e.res.findings = append(e.res.findings[:i], e.res.findings[i+1:]...)
		for k, v := range e.idx {
			if v > i {
				e.idx[k] = v - 1
			}
		}
	}
	f := r.New(loc, msg, e.evidence(off))
	f.Severity = core.Severity(s)
	if s <= lo {
		f.Confidence = "medium"
	}
	e.res.findings = append(e.res.findings, f)
	e.idx[r.ID] = len(e.res.findings) - 1
	return &e.res.findings[len(e.res.findings)-1]
}

func (e *emitter) cap(c Capability, off uint32, detail string) {
	if _, ok := e.res.caps[c]; ok {
		return
	}
	e.res.caps[c] = capHit{loc: e.at(off), evidence: e.evidence(off), detail: detail}
}

// analyzeCode runs the language-independent rules over extracted facts.
func analyzeCode(cf *codeFacts, em *emitter, lang string) {
	g := cf.g
	sort.Slice(cf.calls, func(i, j int) bool { return cf.calls[i].node < cf.calls[j].node })
	off := func(n int32) uint32 { return g.nodes[n].start }

	// taint: names assigned from decode / network results, per scope (the
	// enclosing function, or the module) and only before their use; two
	// passes follow short chains (a = b64decode(x); b = a.decode(); exec(b)).
	taintDecode := map[string]int32{}
	taintNet := map[string]int32{}
	for pass := 0; pass < 2; pass++ {
		for _, a := range cf.assigns {
			lo, hi := g.subtree(a.value)
			key := scopedName(cf.scopeOf(a.value), a.name)
			if cf.rangeHasOp(lo, hi, opDecode) || cf.rangeHasXor(lo, hi) || cf.rangeHasTaint(lo, hi, taintDecode) {
				if _, ok := taintDecode[key]; !ok {
					taintDecode[key] = a.value
				}
			}
			if cf.rangeHasOp(lo, hi, opDownload) || cf.rangeHasTaint(lo, hi, taintNet) {
				if _, ok := taintNet[key]; !ok {
					taintNet[key] = a.value
				}
			}
		}
	}

	var (
		hasWrite, hasSpawn, hasNet, hasChmod, hasDownload bool
		netCtx                                            = CtxFunc
	)
	for _, c := range cf.calls {
		switch c.op {
		case opWrite:
			hasWrite = true
		case opSpawn:
			hasSpawn = true
		case opNet, opDownload, opDNS:
			hasNet = true
			if cf.ctx[c.node] > netCtx {
				netCtx = cf.ctx[c.node]
			}
			if c.op == opDownload {
				hasDownload = true
			}
		case opChmod:
			hasChmod = true
		}
	}

	for _, c := range cf.calls {
		ctx := cf.ctx[c.node]
		o := off(c.node)
		argLo, argHi := int32(0), int32(0)
		if c.args >= 0 {
			argLo, argHi = g.subtree(c.args)
		}
		switch c.op {
		case opExec:
			em.cap(CapDynamic, o, c.callee)
			if c.args < 0 {
				continue
			}
			decoded := cf.rangeHasOp(argLo, argHi, opDecode) || cf.rangeHasXor(argLo, argHi) || cf.rangeHasTaint(argLo, argHi, taintDecode)
			fetched := cf.rangeHasOp(argLo, argHi, opDownload) || cf.rangeHasTaint(argLo, argHi, taintNet) || cf.inCallbackOf(c.node, opDownload)
			switch {
			case fetched:
				em.cap(CapNetwork, o, c.callee)
				em.hit(RuleDownloadExec, sevDownloadExec, ctx, o, fmt.Sprintf("%s runs code fetched from the network %s", c.callee, ctx))
			case decoded:
				em.cap(CapObfuscation, o, "decode → "+c.callee)
				em.hit(RuleDecodeExec, sevDecodeExec, ctx, o, fmt.Sprintf("%s runs decoded/decompressed data %s", c.callee, ctx))
			case cf.literalOnly(c.args), cf.readsLocalFile(argLo, argHi):
				// exec("literal") / exec(open("pkg/version.py").read()): benign idioms
			default:
				em.hit(RuleDynamicCode, sevDynCode, ctx, o, fmt.Sprintf("%s of non-literal code %s", c.callee, ctx))
			}
		case opPickle:
			em.cap(CapDynamic, o, c.callee)
			em.hit(RuleDynamicCode, sevDynCode, ctx, o, fmt.Sprintf("%s deserialises a pickle (runs code) %s", c.callee, ctx))
		case opSpawn:
			lits := cf.literalsIn(argLo, argHi)
			cmd := strings.Join(lits, " ")
			em.cap(CapProcess, o, c.callee)
			switch classifyCommand(cmd) {
			case cmdRevShell:
				em.hit(RuleDownloadExec, sevDownloadExec, ctx, o, fmt.Sprintf("%s opens a remote shell %s", c.callee, ctx))
			case cmdDownload:
				em.cap(CapNetwork, o, "spawned downloader")
				em.hit(RuleDownloadExec, sevDownloadExec, ctx, o, fmt.Sprintf("%s runs a downloader (curl/wget) %s", c.callee, ctx))
			case cmdShell:
				em.hit(RuleSpawn, sevSpawnShell, ctx, o, fmt.Sprintf("%s runs a shell one-liner or a program from /tmp %s", c.callee, ctx))
			case cmdTool:
				em.hit(RuleSpawn, sevSpawnTool, ctx, o, fmt.Sprintf("%s runs a program %s", c.callee, ctx))
			default:
				if hasDownload && hasChmod && ctx >= CtxImport {
					em.hit(RuleDownloadExec, sevDownloadExec, ctx, o, fmt.Sprintf("downloads a file, makes it executable and runs it (%s) %s", c.callee, ctx))
				} else {
					em.hit(RuleSpawn, sevSpawnDyn, ctx, o, fmt.Sprintf("%s spawns a process %s", c.callee, ctx))
				}
			}
		case opNet, opDownload:
			em.cap(CapNetwork, o, c.callee)
		case opDNS:
			em.cap(CapNetwork, o, c.callee)
			if c.args >= 0 && cf.builtName(c.args) && cf.hasDomainLiteral(argLo, argHi) {
				em.hit(RuleExfil, sevExfil, ctx, o, fmt.Sprintf("%s resolves a name built from data under a fixed domain (DNS exfiltration) %s", c.callee, ctx))
			}
		case opEnvSerialize:
			em.cap(CapSecrets, o, "whole environment")
			em.hit(RuleEnvDump, sevEnvDump, ctx, o, fmt.Sprintf("serialises every environment variable %s", ctx))
		}
	}
	for _, n := range cf.envWhole {
		em.cap(CapSecrets, off(n), "whole environment")
		em.hit(RuleEnvDump, sevEnvDump, cf.ctx[n], off(n), fmt.Sprintf("serialises every environment variable %s", cf.ctx[n]))
	}

	// string literals
	type famHit struct {
		node int32
		ctx  Context
	}
	fams := map[string]famHit{}
	var famOrder []string
	for _, s := range cf.strs {
		ctx := cf.ctx[s.node]
		eff := ctx
		if ctx == CtxImport && (!s.inCallArg || cf.inPureCall(s.node)) {
			eff = CtxFunc // a module-level constant or path: declared, not used here
		}
		o := off(s.node)
		v := s.val
		if f := secretFamily(v); f != "" {
			if h, ok := fams[f]; !ok || eff > h.ctx {
				if !ok {
					famOrder = append(famOrder, f)
				}
				fams[f] = famHit{s.node, eff}
			}
		}
		if isMetadata(v) {
			em.cap(CapSecrets, o, "cloud metadata endpoint")
			em.cap(CapNetwork, o, "cloud metadata endpoint")
			if hasNet || s.inCallArg && cf.inSpawnArgs(s.node) {
				em.hit(RuleMetadata, sevMetadata, eff, o, fmt.Sprintf("contacts the cloud metadata endpoint %s", eff))
			}
		}
		if ch := exfilChannel(v); ch != "" {
			em.cap(CapNetwork, o, ch)
			em.hit(RuleExfil, sevExfil, ctx, o, fmt.Sprintf("hard-coded exfiltration channel %q", core.Clip(ch, 80)))
		}
		if m := minerIndicator(v); m != "" {
			em.hit(RuleMiner, sevMiner, ctx, o, fmt.Sprintf("crypto-miner indicator %q", m))
		}
		if m := persistLocation(v); m != "" && (hasWrite || hasSpawn || strings.Contains(v, ">>") || strings.Contains(strings.ToLower(v), "systemctl") || strings.Contains(v, "crontab -")) {
			em.cap(CapPersistence, o, m)
			em.hit(RulePersistence, sevPersist, eff, o, fmt.Sprintf("writes to a persistence location %q %s", m, eff))
		}
		if m := disableIndicator(v); m != "" && (hasSpawn || s.inCallArg) {
			em.hit(RuleDisableSecurity, sevDisable, ctx, o, fmt.Sprintf("disables security tooling or erases traces: %q", m))
		}
		if smuggledRe.MatchString(core.Clip(v, 8192)) {
			em.cap(CapObfuscation, o, "code smuggled in a string")
			em.hit(RuleDecodeExec, sevDecodeExec, ctx, o, fmt.Sprintf("string carries code that decodes and executes a payload %s", ctx))
		}
		if ip := publicIP(v); ip != "" && hasNet {
			em.cap(CapNetwork, o, ip)
			em.res.hosts[ip] = true
			em.hit(RuleHardcodedIP, sevIP, eff, o, fmt.Sprintf("connects to the hard-coded address %s %s", ip, eff))
		}
		if hasNet {
			t := strings.TrimSpace(v)
			if len(t) < 300 && !strings.ContainsAny(t, " \n") {
				for _, h := range urlHosts(t) {
					if strings.HasPrefix(strings.ToLower(t), "http") || strings.HasPrefix(strings.ToLower(t), "ws") {
						em.res.hosts[h] = true
					}
				}
			}
		}
		if packedLiteral(v) {
			em.cap(CapObfuscation, o, "long high-entropy literal")
			em.hit(RuleEntropy, sevEntropy, ctx, o, fmt.Sprintf("%d-character high-entropy literal (entropy %.1f bits/char)", len(v), entropy(core.Clip(v, 64<<10))))
		}
	}
	if len(fams) > 0 {
		strong, weak := 0, 0
		maxCtx := CtxFunc
		special := false
		for f, h := range fams {
			if familyStrong(f) {
				strong++
			} else {
				weak++
			}
			if h.ctx > maxCtx {
				maxCtx = h.ctx
			}
			if f == "browser" || f == "wallet" || f == "shadow" {
				special = true
			}
		}
		first := fams[famOrder[0]]
		var table sev
		switch {
		case strong >= 2 || strong+weak >= 3 || special:
			table = sev{hi, hi, cr, cr}
		case strong == 1:
			table = sev{nn, md, hi, hi}
		default:
			table = sev{nn, nn, md, md}
		}
		sort.Strings(famOrder)
		delete(em.res.caps, CapSecrets) // named stores say more than "whole environment"
		em.cap(CapSecrets, off(first.node), strings.Join(famOrder, ", "))
		where := ""
		if maxCtx > CtxFunc {
			where = " " + maxCtx.String()
		}
		f := em.hit(RuleSecrets, table, maxCtx, off(first.node), fmt.Sprintf("reads credential stores (%s)%s", strings.Join(famOrder, ", "), where))
		if f != nil && hasNet && f.Severity >= core.SeverityHigh && netCtx >= CtxFunc {
			f.Severity = core.SeverityCritical
			f.Message += "; the same file sends data over the network"
		}
	}
	_ = lang
}

// rangeHasOp reports whether a call with op o lies within nodes [lo, hi).
func (cf *codeFacts) rangeHasOp(lo, hi int32, o op) bool {
	i := sort.Search(len(cf.calls), func(i int) bool { return cf.calls[i].node >= lo })
	for ; i < len(cf.calls) && cf.calls[i].node < hi; i++ {
		if cf.calls[i].op == o || (o == opDownload && cf.calls[i].op == opDownload) {
			return true
		}
	}
	return false
}

func (cf *codeFacts) rangeHasXor(lo, hi int32) bool {
	for _, n := range cf.xorNodes {
		if n >= lo && n < hi {
			return true
		}
	}
	return false
}

// rangeHasTaint: an identifier in [lo, hi) names a tainted variable of its
// own scope or of the module, assigned before this use.
func (cf *codeFacts) rangeHasTaint(lo, hi int32, taint map[string]int32) bool {
	if len(taint) == 0 {
		return false
	}
	i := sort.Search(len(cf.identNodes), func(i int) bool { return cf.identNodes[i] >= lo })
	for ; i < len(cf.identNodes) && cf.identNodes[i] < hi; i++ {
		n := cf.identNodes[i]
		name := cf.g.text(n)
		for _, sc := range []int32{cf.scopeOf(n), -1} {
			if at, ok := taint[scopedName(sc, name)]; ok && at < n {
				return true
			}
		}
	}
	return false
}

func scopedName(scope int32, name string) string { return fmt.Sprintf("%d:%s", scope, name) }

// scopeOf returns the nearest enclosing function node of n (-1: module).
func (cf *codeFacts) scopeOf(n int32) int32 {
	g := cf.g
	for p := g.nodes[n].parent; p >= 0; p = g.nodes[p].parent {
		switch g.nodes[p].kind {
		case "function_definition", "lambda", "function_declaration", "function_expression", "arrow_function", "method_definition", "generator_function", "generator_function_declaration":
			return p
		}
	}
	return -1
}

// literalsIn returns the string literal values within nodes [lo, hi).
func (cf *codeFacts) literalsIn(lo, hi int32) []string {
	var out []string
	i := sort.Search(len(cf.strs), func(i int) bool { return cf.strs[i].node >= lo })
	for ; i < len(cf.strs) && cf.strs[i].node < hi; i++ {
		out = append(out, cf.strs[i].val)
	}
	return out
}

// literalOnly reports whether an argument list holds only string literals.
func (cf *codeFacts) literalOnly(args int32) bool {
	kids := cf.g.namedChildren(args)
	if len(kids) == 0 {
		return false
	}
	for _, k := range kids {
		switch cf.g.nodes[k].kind {
		case "string", "concatenated_string", "comment":
			if cf.g.nodes[k].kind == "string" && cf.hasInterpolation(k) {
				return false
			}
		case "keyword_argument":
			// exec("...", globals) style keyword args are fine
		case "identifier":
			t := cf.g.text(k)
			if t != "globals" && t != "locals" && t != "ns" && t != "namespace" && t != "d" && t != "g" && t != "l" {
				return false
			}
		case "call":
			// exec("...", globals()) / locals()
			t := cf.g.text(k)
			if t != "globals()" && t != "locals()" && t != "vars()" {
				return false
			}
		case "dictionary":
		default:
			return false
		}
	}
	return cf.g.nodes[kids[0]].kind == "string" || cf.g.nodes[kids[0]].kind == "concatenated_string"
}

func (cf *codeFacts) hasInterpolation(n int32) bool {
	lo, hi := cf.g.subtree(n)
	for i := lo; i < hi; i++ {
		k := cf.g.nodes[i].kind
		if k == "interpolation" || k == "template_substitution" {
			return true
		}
	}
	return false
}

// readsLocalFile: exec(open("x.py").read()) and friends.
func (cf *codeFacts) readsLocalFile(lo, hi int32) bool {
	i := sort.Search(len(cf.calls), func(i int) bool { return cf.calls[i].node >= lo })
	for ; i < len(cf.calls) && cf.calls[i].node < hi; i++ {
		c := cf.calls[i].callee
		if strings.HasPrefix(c, "open().") || strings.HasPrefix(c, "io.open().") || strings.HasPrefix(c, "codecs.open().") || strings.HasSuffix(c, ".read_text") || c == "open" || c == "io.open" {
			return true
		}
	}
	return false
}

// pureCalls build values from a literal without acting on it.
var pureCalls = map[string]bool{
	"os.path.expanduser": true, "os.path.join": true, "os.path.expandvars": true, "os.path.abspath": true, "os.path.normpath": true,
	"Path": true, "pathlib.Path": true, "PurePath": true, "pathlib.PurePath": true, "os.environ.get": true, "os.getenv": true, "getenv": true,
	"str": true, "re.compile": true, "re.match": true, "re.search": true, "path.join": true, "path.resolve": true, "os.homedir": true,
	"dict": true, "list": true, "tuple": true, "set": true, "frozenset": true, "_": true, "gettext": true, "print": true, "logging.debug": true,
	"logger.debug": true, "log.debug": true, "warnings.warn": true, "ValueError": true, "RuntimeError": true, "TypeError": true, "Exception": true,
	"OSError": true, "KeyError": true, "NotImplementedError": true, "Error": true,
}

// enclosingCall returns the index in cf.calls of the innermost call whose
// arguments contain node n, or -1.
func (cf *codeFacts) enclosingCall(n int32) int {
	g := cf.g
	for p, d := g.nodes[n].parent, 0; p >= 0 && d < 12; p, d = g.nodes[p].parent, d+1 {
		k := g.nodes[p].kind
		if k == "call" || k == "call_expression" || k == "new_expression" {
			i := sort.Search(len(cf.calls), func(i int) bool { return cf.calls[i].node >= p })
			if i < len(cf.calls) && cf.calls[i].node == p {
				return i
			}
			return -1
		}
	}
	return -1
}

func (cf *codeFacts) inPureCall(n int32) bool {
	i := cf.enclosingCall(n)
	return i >= 0 && pureCalls[cf.calls[i].callee]
}

func (cf *codeFacts) inSpawnArgs(n int32) bool {
	i := cf.enclosingCall(n)
	return i >= 0 && (cf.calls[i].op == opSpawn || cf.calls[i].op == opNet || cf.calls[i].op == opDownload)
}

// inCallbackOf: node n runs in a callback passed to a call with op o, at
// most three callbacks deep — https.get(url, res => { res.on('end', () =>
// eval(d)) }). A function that is not itself a call argument stops the
// search (bundles wrap whole modules in functions).
func (cf *codeFacts) inCallbackOf(n int32, o op) bool {
	g := cf.g
	depth := 0
	for p := g.nodes[n].parent; p >= 0 && depth < 3; p = g.nodes[p].parent {
		switch g.nodes[p].kind {
		case "function_definition", "lambda", "function_declaration", "function_expression", "arrow_function", "method_definition", "generator_function":
			depth++
			args := g.nodes[p].parent
			if args < 0 || (g.nodes[args].kind != "arguments" && g.nodes[args].kind != "argument_list") {
				return false
			}
			call := g.nodes[args].parent
			i := sort.Search(len(cf.calls), func(i int) bool { return cf.calls[i].node >= call })
			if i < len(cf.calls) && cf.calls[i].node == call && cf.calls[i].op == o {
				return true
			}
		}
	}
	return false
}

// builtName: the first argument is computed (concatenation, f-string,
// template, format/join call), not a plain literal or variable.
func (cf *codeFacts) builtName(args int32) bool {
	a := cf.g.firstNamed(args)
	if a < 0 {
		return false
	}
	switch cf.g.nodes[a].kind {
	case "binary_operator", "binary_expression", "template_string":
		return true
	case "string":
		return cf.hasInterpolation(a)
	case "call", "call_expression":
		t := cf.g.text(a)
		return strings.Contains(t, ".format(") || strings.Contains(t, ".join(")
	}
	return false
}

// hasDomainLiteral: a literal like ".h4ck.cfd" or "x.example.org" in range.
func (cf *codeFacts) hasDomainLiteral(lo, hi int32) bool {
	for _, l := range cf.literalsIn(lo, hi) {
		t := strings.Trim(l, ". ")
		if strings.Count(t, ".") >= 1 && !strings.ContainsAny(t, " /:%{}") && len(t) < 100 && len(t) > 3 && publicIP(t) == "" && !ipLike(t) {
			return true
		}
	}
	return false
}

// analyzeSource parses src as lang and runs the rules with base context.
func analyzeSource(ctx context.Context, l *lang, src []byte, base Context, flat bool, em *emitter, setupPy bool) error {
	g, err := parse(ctx, l, src)
	if err != nil {
		return err
	}
	em.g = g
	var cf *codeFacts
	if l.name == "python" {
		cf = pythonFacts(g, base, flat, setupPy)
	} else {
		cf = jsFacts(g, base, flat)
	}
	analyzeCode(cf, em, l.name)
	if setupPy {
		for _, n := range cf.installHooks {
			em.cap(CapInstall, g.nodes[n].start, "setup.py cmdclass")
			sLo, sHi := g.subtree(n)
			table, msg := sev{lo, lo, lo, lo}, "setup.py replaces an install command; its code runs during pip install"
			for _, o := range []op{opNet, opDownload, opDNS, opExec, opEnvSerialize, opDecode} {
				if cf.rangeHasOp(sLo, sHi, o) {
					table, msg = sev{md, md, md, md}, "setup.py replaces an install command with code that uses the network, decodes or executes data, or collects the environment during pip install"
					break
				}
			}
			em.hit(RuleSetupCmdclass, table, CtxInstall, g.nodes[n].start, msg)
		}
	}
	if g.truncated {
		em.res.errs = append(em.res.errs, core.Error{Path: em.loc.Path, Member: em.loc.Member, Scanner: scannerName, Reason: fmt.Sprintf("syntax tree deeper than %d levels or larger than %d nodes; only part of the file was analysed", maxDepth, maxNodes)})
	}
	return nil
}

func ipLike(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.') {
			return false
		}
	}
	return true
}
