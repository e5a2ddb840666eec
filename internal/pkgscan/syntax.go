package pkgscan

import (
	"context"
	"errors"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tspy "github.com/tree-sitter/tree-sitter-python/bindings/go"

	"github.com/assay-dev/assay/internal/tsparse"
)

// Bounds of the syntax-tree pass (see the package doc).
const (
	maxParseBytes = 8 << 20   // larger sources get only the byte-level checks
	maxNodes      = 3_000_000 // nodes copied out of one tree
	maxDepth      = 256       // deeper subtrees are not walked
)

// lang is a tree-sitter grammar with its kind and field names interned.
type lang struct {
	name   string
	ts     *sitter.Language
	kinds  []string
	fields []string
	pool   chan *sitter.Parser
}

var (
	langOnce sync.Once
	pyLang   *lang
	jsLang   *lang
)

func newLang(name string, ts *sitter.Language) *lang {
	l := &lang{name: name, ts: ts, pool: make(chan *sitter.Parser, 16)}
	n := ts.NodeKindCount()
	l.kinds = make([]string, n+1)
	for i := uint32(0); i < n; i++ {
		l.kinds[i] = ts.NodeKindForId(uint16(i))
	}
	fc := ts.FieldCount()
	l.fields = make([]string, fc+1)
	for i := uint32(1); i <= fc; i++ {
		l.fields[i] = ts.FieldNameForId(uint16(i))
	}
	return l
}

func langs() (*lang, *lang) {
	langOnce.Do(func() {
		tsparse.UseLibcAllocator()
		pyLang = newLang("python", sitter.NewLanguage(tspy.Language()))
		jsLang = newLang("javascript", sitter.NewLanguage(tsjs.Language()))
	})
	return pyLang, jsLang
}

func (l *lang) parser() (*sitter.Parser, error) {
	select {
	case p := <-l.pool:
		return p, nil
	default:
	}
	p := sitter.NewParser()
	if err := p.SetLanguage(l.ts); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (l *lang) release(p *sitter.Parser) {
	p.Reset()
	select {
	case l.pool <- p:
	default:
		p.Close()
	}
}

// gnode is one syntax node copied out of tree-sitter so rules run in plain Go
// (no cgo per question, no recursion on attacker-controlled depth).
type gnode struct {
	kind        string
	field       string // field name in the parent ("" when none)
	start, end  uint32
	parent      int32
	firstChild  int32
	nextSibling int32
	named       bool
}

// gtree is a copied syntax tree with a line index for positions.
type gtree struct {
	src       []byte
	nodes     []gnode
	lines     []uint32 // byte offset of each line start
	truncated bool     // depth or node bound hit: parts of the file were not walked
	hasError  bool
}

var errNotParsed = errors.New("source could not be parsed")

// parse builds a gtree of src with grammar l.
func parse(ctx context.Context, l *lang, src []byte) (*gtree, error) {
	if len(src) > maxParseBytes {
		return nil, errors.New("source larger than the parse limit")
	}
	p, err := l.parser()
	if err != nil {
		return nil, err
	}
	defer l.release(p)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Inputs are bounded by maxParseBytes and tree-sitter is linear in them.
	tree := tsparse.Parse(ctx, p, src)
	if tree == nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, errNotParsed
	}
	defer tree.Close()
	g := &gtree{src: src}
	g.lines = append(g.lines, 0)
	for i, c := range src {
		if c == '\n' {
			g.lines = append(g.lines, uint32(i+1))
		}
	}
	raw, truncated, hasErr := tsparse.Walk(tree, maxNodes, maxDepth)
	g.truncated, g.hasError = truncated, hasErr
	g.nodes = make([]gnode, len(raw))
	last := make([]int32, len(raw)) // last child seen per parent
	for i := range raw {
		r := &raw[i]
		k, f := "", ""
		if int(r.Kind) < len(l.kinds) {
			k = l.kinds[r.Kind]
		}
		if r.Field != 0 && int(r.Field) < len(l.fields) {
			f = l.fields[r.Field]
		}
		p := r.Parent
		g.nodes[i] = gnode{kind: k, field: f, start: r.Start, end: r.End, parent: p, firstChild: -1, nextSibling: -1, named: r.Named}
		last[i] = -1
		if p >= 0 {
			if g.nodes[p].firstChild < 0 {
				g.nodes[p].firstChild = int32(i)
			} else {
				g.nodes[last[p]].nextSibling = int32(i)
			}
			last[p] = int32(i)
		}
	}
	return g, nil
}

// text returns the source of node i.
func (g *gtree) text(i int32) string {
	n := &g.nodes[i]
	if n.end > uint32(len(g.src)) || n.start > n.end {
		return ""
	}
	return string(g.src[n.start:n.end])
}

// pos returns the 1-based line and column of byte offset off.
func (g *gtree) pos(off uint32) (int, int) {
	lo, hi := 0, len(g.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if g.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo + 1, int(off-g.lines[lo]) + 1
}

// lineText returns the source line containing offset off (trimmed, clipped).
func (g *gtree) lineText(off uint32) string {
	l, _ := g.pos(off)
	return lineOf(g.src, g.lines, l)
}

func lineOf(src []byte, lines []uint32, l int) string {
	if l < 1 || l > len(lines) {
		return ""
	}
	s := lines[l-1]
	e := uint32(len(src))
	if l < len(lines) {
		e = lines[l] - 1
	}
	if s > e {
		return ""
	}
	return clipEvidence(string(src[s:e]))
}

// child returns the first child of i with field name f, or -1.
func (g *gtree) child(i int32, f string) int32 {
	for c := g.nodes[i].firstChild; c >= 0; c = g.nodes[c].nextSibling {
		if g.nodes[c].field == f {
			return c
		}
	}
	return -1
}

// namedChildren returns the named children of i.
func (g *gtree) namedChildren(i int32) []int32 {
	var out []int32
	for c := g.nodes[i].firstChild; c >= 0; c = g.nodes[c].nextSibling {
		if g.nodes[c].named {
			out = append(out, c)
		}
	}
	return out
}

// firstNamed returns the first named child of i, or -1.
func (g *gtree) firstNamed(i int32) int32 {
	for c := g.nodes[i].firstChild; c >= 0; c = g.nodes[c].nextSibling {
		if g.nodes[c].named {
			return c
		}
	}
	return -1
}

// subtree returns the index range [i, end) of i's descendants: nodes are in
// pre-order, so a subtree is contiguous.
func (g *gtree) subtree(i int32) (int32, int32) {
	end := int32(len(g.nodes))
	for p := i; p >= 0; p = g.nodes[p].parent {
		if s := g.nodes[p].nextSibling; s >= 0 {
			end = s
			break
		}
	}
	return i, end
}
