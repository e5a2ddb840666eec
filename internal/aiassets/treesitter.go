package aiassets

import (
	"context"
	"runtime"
	"sync"

	ts "github.com/tree-sitter/go-tree-sitter"
	tsjs "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	tspy "github.com/tree-sitter/tree-sitter-python/bindings/go"

	"github.com/assay-dev/assay/internal/tsparse"
)

// grammar is a tree-sitter language with a cache of node kind names (so the
// walk compares strings without a cgo call and allocation per node) and a
// bounded pool of parsers (parsers hold C memory and are not goroutine-safe).
type grammar struct {
	lang  *ts.Language
	kinds []string
	pool  chan *ts.Parser
}

var (
	pyOnce, jsOnce sync.Once
	pyGrammar      *grammar
	jsGrammar      *grammar
)

func newGrammar(lang *ts.Language) *grammar {
	tsparse.UseLibcAllocator()
	g := &grammar{lang: lang, pool: make(chan *ts.Parser, 2*runtime.GOMAXPROCS(0))}
	n := lang.NodeKindCount()
	g.kinds = make([]string, n)
	for i := uint32(0); i < n; i++ {
		g.kinds[i] = lang.NodeKindForId(uint16(i))
	}
	return g
}

func python() *grammar {
	pyOnce.Do(func() { pyGrammar = newGrammar(ts.NewLanguage(tspy.Language())) })
	return pyGrammar
}

func javascript() *grammar {
	jsOnce.Do(func() { jsGrammar = newGrammar(ts.NewLanguage(tsjs.Language())) })
	return jsGrammar
}

func (g *grammar) kind(n *ts.Node) string {
	id := n.KindId()
	if int(id) < len(g.kinds) {
		return g.kinds[id]
	}
	if id == 0xFFFF { // tree-sitter's builtin error symbol
		return "ERROR"
	}
	return ""
}

// parse parses src; the caller must Close the tree. Nil when the parse was
// cancelled.
func (g *grammar) parse(ctx context.Context, src []byte) *ts.Tree {
	var p *ts.Parser
	select {
	case p = <-g.pool:
	default:
		p = ts.NewParser()
		if err := p.SetLanguage(g.lang); err != nil {
			p.Close()
			return nil
		}
	}
	t := tsparse.Parse(ctx, p, src)
	p.Reset()
	select {
	case g.pool <- p:
	default:
		p.Close()
	}
	return t
}

// maxDepth bounds the syntax-tree walk: deeper nesting (generated or hostile
// code) is not descended into.
const maxDepth = 400

// walkTree visits every node in pre-order. visit gets the node, its kind and
// whether it lies inside an ERROR node; it returns whether to descend.
func walkTree(g *grammar, root *ts.Node, visit func(n *ts.Node, kind string, inErr bool) bool) {
	c := root.Walk()
	defer c.Close()
	var rec func(depth int, inErr bool)
	rec = func(depth int, inErr bool) {
		n := c.Node()
		k := g.kind(n)
		if k == "ERROR" {
			inErr = true
		}
		if !visit(n, k, inErr) || depth >= maxDepth {
			return
		}
		if c.GotoFirstChild() {
			for {
				rec(depth+1, inErr)
				if !c.GotoNextSibling() {
					break
				}
			}
			c.GotoParent()
		}
	}
	rec(0, false)
}

// text is the node's source bytes as a string.
func text(n *ts.Node, src []byte) string {
	s, e := n.StartByte(), n.EndByte()
	if s > e || e > uint(len(src)) {
		return ""
	}
	return string(src[s:e])
}
