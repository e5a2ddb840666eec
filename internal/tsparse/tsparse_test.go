package tsparse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sitter "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tspy "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

var grammars = []struct {
	name string
	lang *sitter.Language
	file string
}{
	{"python", sitter.NewLanguage(tspy.Language()), "sample.py"},
	{"javascript", sitter.NewLanguage(tsjs.Language()), "sample.js"},
}

func newParser(t testing.TB, l *sitter.Language) *sitter.Parser {
	t.Helper()
	p := sitter.NewParser()
	if err := p.SetLanguage(l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// TestLayoutAssumption fails loudly when go-tree-sitter's wrappers no longer
// look like v0.25.0's: the fast paths would silently be off otherwise.
func TestLayoutAssumption(t *testing.T) {
	if !FastParse() {
		t.Error("go-tree-sitter's Parser/Tree are no longer single-pointer structs: tsparse.Parse fell back to the slow library path; re-check the layout assumption in the package doc")
	}
	if !FastWalk() {
		t.Error("tree-sitter's TSNode/TSTreeCursor or tsparse.Node no longer match the declarations in walk.go: tsparse.Walk fell back to the slow TreeCursor path; update walk.go from the new api.h")
	}
}

// compare parses src via the fast and the library path and checks both give
// the same tree, S-expression and walk (with the given bounds).
func compare(t testing.TB, p *sitter.Parser, src []byte, maxNodes, maxDepth int) {
	t.Helper()
	ctx := context.Background()
	fast := Parse(ctx, p, src)
	p.Reset()
	lib := libraryParse(ctx, p, src)
	p.Reset()
	if fast == nil || lib == nil {
		t.Fatalf("parse returned nil: fast %v, library %v", fast == nil, lib == nil)
	}
	defer fast.Close()
	defer lib.Close()
	if fs, ls := fast.RootNode().ToSexp(), lib.RootNode().ToSexp(); fs != ls {
		t.Fatalf("S-expressions differ:\nfast    %.300s\nlibrary %.300s", fs, ls)
	}
	fn, ftr, ferr := Walk(fast, maxNodes, maxDepth)
	ln, ltr, lerr := libraryWalk(lib, maxNodes, maxDepth)
	if d := cmp.Diff(ln, fn); d != "" {
		t.Fatalf("walk differs (-library +fast):\n%.2000s", d)
	}
	if ftr != ltr || ferr != lerr {
		t.Fatalf("truncated/hasError: fast %v/%v, library %v/%v", ftr, ferr, ltr, lerr)
	}
	if maxNodes >= 1<<20 && maxDepth >= 1<<10 && uint(len(fn)) != lib.RootNode().DescendantCount() {
		t.Fatalf("unbounded walk has %d nodes, tree has %d", len(fn), lib.RootNode().DescendantCount())
	}
	for i, n := range fn {
		if n.Start > n.End || int(n.End) > len(src) || n.Parent >= int32(i) || (i > 0) != (n.Parent >= 0) {
			t.Fatalf("node %d out of shape: %+v", i, n)
		}
	}
}

func TestFastPathMatchesLibrary(t *testing.T) {
	for _, g := range grammars {
		t.Run(g.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", g.file))
			if err != nil {
				t.Fatal(err)
			}
			p := newParser(t, g.lang)
			compare(t, p, src, 1<<30, 1<<20)
			compare(t, p, nil, 1<<30, 1<<20)
			compare(t, p, src, 7, 1<<20) // node bound
			compare(t, p, src, 1<<30, 3) // depth bound
			compare(t, p, src, 1, 1)
		})
	}
}

// TestWalkShape checks the walk against known content: kinds, fields and
// byte ranges of a tiny Python program.
func TestWalkShape(t *testing.T) {
	g := grammars[0]
	p := newParser(t, g.lang)
	src := []byte("x = f(1)\n")
	tree := Parse(context.Background(), p, src)
	defer tree.Close()
	nodes, tr, hasErr := Walk(tree, 100, 100)
	var got []string
	for _, n := range nodes {
		s := g.lang.NodeKindForId(n.Kind)
		if n.Field != 0 {
			s = g.lang.FieldNameForId(n.Field) + ":" + s
		}
		if n.Named {
			s += "=" + string(src[n.Start:n.End])
		}
		got = append(got, s)
	}
	want := []string{"module=x = f(1)\n", "expression_statement=x = f(1)", "assignment=x = f(1)",
		"left:identifier=x", "=", "right:call=f(1)", "function:identifier=f",
		"arguments:argument_list=(1)", "(", "integer=1", ")"}
	if d := cmp.Diff(want, got); d != "" || tr || hasErr {
		t.Errorf("walk (-want +got):\n%s truncated=%v hasError=%v", d, tr, hasErr)
	}
	// Depth 2 keeps the module and the statement and reports the cut.
	nodes, tr, _ = Walk(tree, 100, 2)
	if len(nodes) != 2 || !tr {
		t.Errorf("depth-bounded walk: %d nodes, truncated=%v", len(nodes), tr)
	}
	nodes, tr, _ = Walk(tree, 3, 100)
	if len(nodes) != 3 || !tr {
		t.Errorf("node-bounded walk: %d nodes, truncated=%v", len(nodes), tr)
	}
}

func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := newParser(t, grammars[0].lang)
	if tree := Parse(ctx, p, []byte("x = 1")); tree != nil {
		tree.Close()
		t.Error("Parse with a cancelled context returned a tree")
	}
}

// TestDeepNesting: hostile nesting is walked without recursion and bounded.
func TestDeepNesting(t *testing.T) {
	for _, g := range grammars {
		p := newParser(t, g.lang)
		src := []byte("x = " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n")
		compare(t, p, src, 1<<30, 256)
		compare(t, p, bytes.Repeat([]byte("(a,"), 3000), 1000, 1<<20)
	}
}

const maxFuzzInput = 8 << 10

// FuzzParseWalk parses arbitrary bytes with both grammars through the fast
// and the library path and requires identical trees and walks.
func FuzzParseWalk(f *testing.F) {
	for _, g := range grammars {
		if b, err := os.ReadFile(filepath.Join("testdata", g.file)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("def f(:\n\tif x\n  \xff\xfe\x00"))
	f.Add([]byte("`${`${`"))
	f.Add([]byte{})
	parsers := make([]*sitter.Parser, len(grammars))
	for i, g := range grammars {
		parsers[i] = newParser(f, g.lang)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > maxFuzzInput {
			return
		}
		for _, p := range parsers {
			compare(t, p, src, 1<<30, 64)
			compare(t, p, src, 50, 4096)
		}
	})
}
