package pkgscan

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/pkgscan/archive"
)

// DefaultLimitsForTest are archive limits small enough for tests and fuzzing.
func DefaultLimitsForTest() archive.Limits {
	return archive.Limits{MaxEntries: 10000, MaxTotal: 64 << 20, MaxEntry: 16 << 20, MaxRatio: 200, MaxDepth: 2, MaxNested: 8 << 20}
}

func corpusSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
}

// FuzzPrefilter: the one-pass automaton never panics and agrees with a
// naive search on whether any parse-worthy token occurs.
func FuzzPrefilter(f *testing.F) {
	corpusSeeds(f, "testdata/corpus/*/*/*.py")
	corpusSeeds(f, "testdata/corpus/*/*/*.js")
	f.Add([]byte("exec(eval(compile("))
	f.Add([]byte("re.compile(x)\nself.exec(y)"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, a := range []*automaton{pyAuto, jsAuto} {
			r := a.prefilter(b)
			if r.netOff > len(b) {
				t.Fatalf("netOff %d beyond input %d", r.netOff, len(b))
			}
			if r.candidate && !naiveCandidate(a, b) {
				t.Fatalf("automaton says candidate, naive search disagrees: %q", b)
			}
		}
	})
}

func naiveCandidate(a *automaton, b []byte) bool {
	for _, t := range a.tokens {
		if t.network {
			continue
		}
		for i := 0; i+len(t.s) <= len(b); i++ {
			if string(b[i:i+len(t.s)]) != t.s {
				continue
			}
			if t.boundary && i > 0 && a.isIdent[b[i-1]] {
				continue
			}
			return true
		}
	}
	return false
}

// FuzzAnalyzePython runs the whole per-file pipeline (pre-filter, tree-sitter
// parse, fact extraction, rules) on arbitrary bytes as every Python kind.
func FuzzAnalyzePython(f *testing.F) {
	corpusSeeds(f, "testdata/corpus/*/*/*.py")
	corpusSeeds(f, "testdata/corpus/*/*/*/*.py")
	corpusSeeds(f, "testdata/corpus/*/*/*.pth")
	f.Add([]byte("import os\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, name := range []string{"pkg/__init__.py", "setup.py", "x.pth", "sitecustomize.py", "venv/bin/tool"} {
			in := fileInput{loc: core.Location{Path: name}, rel: name, data: b, kind: classify(name, []byte("#!python\n")), parseAll: true}
			checkResult(t, analyzeFile(context.Background(), in), b)
		}
	})
}

// FuzzAnalyzeJS does the same for JavaScript and package.json.
func FuzzAnalyzeJS(f *testing.F) {
	corpusSeeds(f, "testdata/corpus/*/*/*.js")
	corpusSeeds(f, "testdata/corpus/*/*/package.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, name := range []string{"index.js", "package.json"} {
			in := fileInput{loc: core.Location{Path: name}, rel: name, data: b, kind: classify(name, nil), parseAll: true, lifecycle: true}
			checkResult(t, analyzeFile(context.Background(), in), b)
		}
	})
}

func checkResult(t *testing.T, r *fileResult, src []byte) {
	for _, f := range r.findings {
		if f.RuleID == "" || f.Location.Path == "" {
			t.Fatalf("finding without rule or path: %+v", f)
		}
		if f.Location.Line < 0 || f.Location.Line > len(src)+2 {
			t.Fatalf("line %d out of range", f.Location.Line)
		}
		if len(f.Evidence) > 1024 {
			t.Fatalf("evidence not clipped: %d bytes", len(f.Evidence))
		}
	}
}

// FuzzRecord: RECORD and METADATA parsers on arbitrary bytes.
func FuzzRecord(f *testing.F) {
	f.Add([]byte("pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n\"a,b.py\",sha256=x,1\n"))
	f.Add([]byte("Metadata-Version: 2.1\nName: x\nVersion: 1\n\nbody"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseRecord(b)
		parseMetadata(b)
		parsePackageJSON(b)
		lifecycleTargets(&packageJSON{Scripts: map[string]string{"postinstall": string(b)}})
	})
}
