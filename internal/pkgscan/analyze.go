package pkgscan

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/assay-dev/assay/internal/core"
)

// fileKind is how a file is analysed.
type fileKind int

const (
	fkNone fileKind = iota
	fkPython
	fkPth
	fkJS
	fkPackageJSON
	fkRecord
	fkMetadata
	fkShim
)

// classify decides the kind of a package file by name (and for scripts in
// bin/, by shebang).
func classify(p string, head []byte) fileKind {
	base := path.Base(p)
	ext := strings.ToLower(path.Ext(base))
	switch ext {
	case ".py", ".pyw":
		return fkPython
	case ".pth":
		return fkPth
	case ".js", ".cjs", ".mjs":
		return fkJS
	}
	switch base {
	case "package.json":
		return fkPackageJSON
	case "RECORD":
		if strings.HasSuffix(path.Dir(p), ".dist-info") {
			return fkRecord
		}
	case "METADATA", "PKG-INFO":
		return fkMetadata
	}
	dir := path.Base(path.Dir(p))
	if (dir == "bin" || dir == "Scripts") && ext == "" && bytes.HasPrefix(head, []byte("#!")) {
		nl := bytes.IndexByte(head, '\n')
		if nl < 0 {
			nl = len(head)
		}
		if bytes.Contains(head[:nl], []byte("python")) {
			return fkShim
		}
	}
	return fkNone
}

// fileInput is one file to analyse.
type fileInput struct {
	loc       core.Location // path (+member) for findings
	rel       string        // path inside the package (for context decisions)
	data      []byte
	kind      fileKind
	lifecycle bool // referenced by an npm install-time script
	parseAll  bool // parse even when the pre-filter finds nothing (diff)
}

const maxSource = maxParseBytes

// analyzeFile runs every per-file rule over in.
func analyzeFile(ctx context.Context, in fileInput) *fileResult {
	res := newFileResult()
	em := &emitter{loc: in.loc, res: res, idx: map[string]int{}}
	switch in.kind {
	case fkPth:
		analyzePth(ctx, in, em)
	case fkPython, fkShim:
		analyzePython(ctx, in, em)
	case fkJS:
		analyzeJS(ctx, in, em)
	case fkPackageJSON:
		analyzePackageJSON(in, em)
	}
	return res
}

func binaryContent(b []byte) bool {
	n := len(b)
	if n > 8192 {
		n = 8192
	}
	return bytes.IndexByte(b[:n], 0) >= 0
}

func isTestPath(rel string) bool {
	r := "/" + rel
	b := path.Base(rel)
	return strings.Contains(r, "/tests/") || strings.Contains(r, "/test/") || strings.Contains(r, "/testing/") || strings.Contains(r, "/__tests__/") ||
		strings.HasPrefix(b, "test_") || strings.HasSuffix(b, "_test.py") || b == "conftest.py" || strings.HasSuffix(b, ".test.js") || strings.HasSuffix(b, ".spec.js")
}

func analyzePython(ctx context.Context, in fileInput, em *emitter) {
	src := in.data
	if binaryContent(src) {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "binary content (NUL bytes) in a Python source file; not analysed (Python cannot import it either)"})
		return
	}
	base := path.Base(in.rel)
	bctx, flat, setupPy := CtxImport, false, false
	switch {
	case base == "setup.py":
		bctx, setupPy = CtxInstall, true
	case base == "sitecustomize.py" || base == "usercustomize.py":
		bctx, flat = CtxStartup, true
		em.cap(CapInstall, 0, base)
		em.hit(RuleStartupHook, sev{md, md, md, md}, CtxStartup, 0, fmt.Sprintf("%s runs at every interpreter start", base))
	case in.kind == fkShim:
		bctx = CtxImport
	case isTestPath(in.rel):
		bctx = CtxFunc
	}
	pf := pyAuto.prefilter(src)
	if pf.netOff >= 0 {
		em.capLine(CapNetwork, src, pf.netOff, "imports a network library")
	}
	if pf.longLine {
		checkMinifiedPython(src, bctx, em)
	}
	if !pf.candidate && !in.parseAll && !setupPy && bctx != CtxStartup && in.kind != fkShim {
		return
	}
	if !utf8.Valid(src) {
		// tree-sitter copes with invalid UTF-8; note it for the reader
		src = bytes.ToValidUTF8(src, []byte("?"))
	}
	if len(src) > maxSource {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: fmt.Sprintf("Python source of %d bytes exceeds the %d-byte parse limit; only byte-level checks ran", len(src), maxSource)})
		return
	}
	py, _ := langs()
	if err := analyzeSource(ctx, py, src, bctx, flat, em, setupPy); err != nil {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "cannot parse: " + err.Error()})
		return
	}
	if in.kind == fkShim {
		checkShim(em)
	}
}

func analyzeJS(ctx context.Context, in fileInput, em *emitter) {
	src := in.data
	if binaryContent(src) {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "binary content (NUL bytes) in a JavaScript file; not analysed"})
		return
	}
	bctx, flat := CtxImport, false
	switch {
	case in.lifecycle:
		bctx, flat = CtxInstall, true
	case isTestPath(in.rel):
		bctx = CtxFunc
	}
	pf := jsAuto.prefilter(src)
	if pf.netOff >= 0 {
		em.capLine(CapNetwork, src, pf.netOff, "uses a network API")
	}
	if !pf.candidate && !in.parseAll && !in.lifecycle {
		return
	}
	if n := bytes.Count(src, []byte("_0x")); n >= 30 && obfuscatedJS.Match(src) {
		em.cap(CapObfuscation, 0, "javascript-obfuscator identifiers")
		em.hit(RuleMinified, sevMinified, bctx, 0, fmt.Sprintf("%d javascript-obfuscator style identifiers (_0x…)", n))
	}
	if len(src) > maxSource {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: fmt.Sprintf("JavaScript source of %d bytes exceeds the %d-byte parse limit; only byte-level checks ran", len(src), maxSource)})
		return
	}
	if !utf8.Valid(src) {
		src = bytes.ToValidUTF8(src, []byte("?"))
	}
	_, js := langs()
	if err := analyzeSource(ctx, js, src, bctx, flat, em, false); err != nil {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "cannot parse: " + err.Error()})
	}
}

var obfuscatedJS = regexp.MustCompile(`\b_0x[0-9a-f]{4,6}\b`)

// capLine records a capability at a byte offset of src without a tree.
func (e *emitter) capLine(c Capability, src []byte, off int, detail string) {
	if _, ok := e.res.caps[c]; ok {
		return
	}
	l := e.loc
	l.Line = lineAt(src, off)
	e.res.caps[c] = capHit{loc: l, evidence: lineText(src, l.Line), detail: detail}
}

func lineText(src []byte, line int) string {
	s := 0
	for i := 1; i < line; i++ {
		j := bytes.IndexByte(src[s:], '\n')
		if j < 0 {
			return ""
		}
		s += j + 1
	}
	e := bytes.IndexByte(src[s:], '\n')
	if e < 0 {
		e = len(src) - s
	}
	return clipEvidence(string(src[s : s+e]))
}

// checkMinifiedPython flags very long code lines packed with statements.
func checkMinifiedPython(src []byte, ctx Context, em *emitter) {
	line := 1
	for s := 0; s < len(src); {
		e := bytes.IndexByte(src[s:], '\n')
		if e < 0 {
			e = len(src) - s
		}
		l := src[s : s+e]
		if len(l) > longLineLen {
			semi := bytes.Count(l, []byte(";"))
			lambdas := bytes.Count(l, []byte("lambda"))
			execs := bytes.Count(l, []byte("exec(")) + bytes.Count(l, []byte("eval("))
			if semi >= 40 || lambdas >= 20 || execs > 0 {
				loc := em.loc
				loc.Line = line
				if _, ok := em.res.caps[CapObfuscation]; !ok {
					em.res.caps[CapObfuscation] = capHit{loc: loc, evidence: clipEvidence(string(l)), detail: "minified code line"}
				}
				s := sevMinified[ctx]
				f := RuleMinified.New(loc, fmt.Sprintf("%d-character code line with %d statements separators (minified or packed Python) %s", len(l), semi, ctx), clipEvidence(string(l)))
				f.Severity = core.Severity(s)
				em.res.findings = append(em.res.findings, f)
				return
			}
		}
		s += e + 1
		line++
	}
}

// --- .pth files ---------------------------------------------------------------

// benignPth are executable .pth lines real tools ship (editable installs,
// namespace packages, setuptools' distutils shim, virtualenv, coverage).
var benignPth = []*regexp.Regexp{
	regexp.MustCompile(`^import\s+[\w.]+\s*;?\s*$`),
	regexp.MustCompile(`^import\s+(__editable__[\w.]+|_virtualenv|pywin32_bootstrap|_distutils_hack|coverage|_pytest|sphinx|matplotlib)\b[^\n]*$`),
	regexp.MustCompile(`^import\s+[\w.]+\s*;\s*[\w.]+\.(install|add_shim|activate|process_startup|bootstrap)\(\)\s*;?\s*$`),
	regexp.MustCompile(`^import os;\s*var\s*=\s*'SETUPTOOLS_USE_DISTUTILS';.*__import__\('_distutils_hack'\)\.add_shim\(\);?\s*$`),
	regexp.MustCompile(`^import sys, types, os;has_mfs = sys\.version_info > \(3, 5\);p = os\.path\.join\(sys\._getframe\(1\)\.f_locals\['sitedir'\]`),
}

func analyzePth(ctx context.Context, in fileInput, em *emitter) {
	src := in.data
	if len(src) > maxSource {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "oversized .pth file; not parsed"})
	}
	lines := bytes.Split(src, []byte("\n"))
	var code bytes.Buffer
	for i, raw := range lines {
		l := strings.TrimRight(string(raw), "\r")
		if !(strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "import\t")) {
			// site.py adds other non-comment lines as paths: harmless. Keep
			// line numbers aligned for the parse below.
			code.WriteString("\n")
			continue
		}
		code.WriteString(l)
		code.WriteString("\n")
		benign := false
		if len(l) < 1000 {
			for _, re := range benignPth {
				if re.MatchString(l) {
					benign = true
					break
				}
			}
		}
		loc := in.loc
		loc.Line = i + 1
		em.res.caps[CapInstall] = capHit{loc: loc, evidence: clipEvidence(l), detail: ".pth executable line"}
		f := RulePthExec.New(loc, "executable line in .pth file: runs at every interpreter start", clipEvidence(l))
		if benign {
			f.Severity = core.SeverityLow
			f.Message += " (a known benign shape: it only imports a module)"
			f.Confidence = "medium"
		} else if len(l) > 2000 {
			f.Severity = core.SeverityHigh
			f.Message += fmt.Sprintf(" (%d-character line)", len(l))
		}
		em.res.findings = append(em.res.findings, f)
	}
	if code.Len() > len(lines) && !binaryContent(src) && len(src) <= maxSource {
		py, _ := langs()
		s := code.Bytes()
		if !utf8.Valid(s) {
			s = bytes.ToValidUTF8(s, []byte("?"))
		}
		if err := analyzeSource(ctx, py, s, CtxStartup, true, em, false); err != nil {
			em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "cannot parse .pth code: " + err.Error()})
		}
	}
}

// --- console-script shims -------------------------------------------------------

var shimLine = regexp.MustCompile(`^(?:#.*|import (?:re|sys|os)|from [\w.]+ import [\w.]+(?: as \w+)?|if __name__ == ['"]__main__['"]:|\s+sys\.argv\[0\] = re\.sub\(.*\)|\s+if sys\.argv\[0\]\.endswith\(.*\):|\s+sys\.argv\[0\] = sys\.argv\[0\]\[.*\]|\s+sys\.exit\([\w.]+\(\)\)|\s+sys\.exit\(load_entry_point\(.*\)\(\)\)|__requires__ = .*|from pkg_resources import load_entry_point|import importlib\.metadata|\s*)$`)

// checkShim: a pip/uv console-script shim is a fixed template; extra lines
// in a file that otherwise looks like one mean it was rewritten.
func checkShim(em *emitter) {
	g := em.g
	if g == nil {
		return
	}
	src := string(g.src)
	if !strings.Contains(src, "sys.exit(") || !strings.Contains(src, "__main__") {
		return // a real script, not a generated shim
	}
	lines := strings.Split(src, "\n")
	if len(lines) > 40 {
		return
	}
	for i, l := range lines {
		if i == 0 && strings.HasPrefix(l, "#!") {
			continue
		}
		if shimLine.MatchString(strings.TrimRight(l, "\r")) {
			continue
		}
		loc := em.loc
		loc.Line = i + 1
		em.res.caps[CapInstall] = capHit{loc: loc, evidence: clipEvidence(l), detail: "modified console-script shim"}
		em.res.findings = append(em.res.findings, RuleShimReplaced.New(loc, "console-script shim contains code beyond the generated template", clipEvidence(l)))
		return
	}
}
