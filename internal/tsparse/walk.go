package tsparse

/*
#include <stdint.h>
#include <stdbool.h>
typedef struct TSTree TSTree;

// The few tree-sitter 0.25 api.h types and functions the walk needs
// (declared here; the definitions are in go-tree-sitter's runtime).
typedef struct TSNode { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct TSTreeCursor { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;
extern TSNode ts_tree_root_node(const TSTree *self);
extern uint32_t ts_node_descendant_count(TSNode self);
extern uint16_t ts_node_symbol(TSNode self);
extern uint32_t ts_node_start_byte(TSNode self);
extern uint32_t ts_node_end_byte(TSNode self);
extern bool ts_node_is_named(TSNode self);
extern bool ts_node_has_error(TSNode self);
extern TSTreeCursor ts_tree_cursor_new(TSNode node);
extern void ts_tree_cursor_delete(TSTreeCursor *self);
extern TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
extern uint16_t ts_tree_cursor_current_field_id(const TSTreeCursor *self);
extern bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
extern bool ts_tree_cursor_goto_parent(TSTreeCursor *self);

// assay_node has the layout of the Go type Node (checked by walkOK).
typedef struct {
	uint32_t start, end;
	int32_t parent;
	uint16_t kind, field;
	uint8_t named, pad[3];
} assay_node;

enum {
	assay_sizeof_node = sizeof(assay_node),
	assay_sizeof_tsnode = sizeof(TSNode),
	assay_sizeof_cursor = sizeof(TSTreeCursor),
};

static uint32_t assay_count(const TSTree *t) { return ts_node_descendant_count(ts_tree_root_node(t)); }
static int assay_has_error(const TSTree *t) { return ts_node_has_error(ts_tree_root_node(t)); }

// assay_walk copies the tree in pre-order into out (at most max nodes, at
// most max_depth levels; stack holds max_depth entries); *truncated is set
// when something was left out. Returns the number of nodes written.
static int32_t assay_walk(const TSTree *t, assay_node *out, int32_t max, int32_t max_depth, int32_t *stack, int *truncated) {
	TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(t));
	int32_t n = 0, depth = 0;
	*truncated = 0;
	for (;;) {
		if (n >= max) { *truncated = 1; break; }
		TSNode node = ts_tree_cursor_current_node(&c);
		assay_node *o = &out[n];
		o->start = ts_node_start_byte(node);
		o->end = ts_node_end_byte(node);
		o->kind = ts_node_symbol(node);
		o->field = ts_tree_cursor_current_field_id(&c);
		o->named = ts_node_is_named(node);
		o->pad[0] = o->pad[1] = o->pad[2] = 0;
		o->parent = depth > 0 ? stack[depth - 1] : -1;
		stack[depth] = n;
		n++;
		if (depth + 1 < max_depth) {
			if (ts_tree_cursor_goto_first_child(&c)) { depth++; continue; }
		} else if (ts_tree_cursor_goto_first_child(&c)) {
			*truncated = 1;
			ts_tree_cursor_goto_parent(&c);
		}
		for (;;) {
			if (ts_tree_cursor_goto_next_sibling(&c)) break;
			if (depth == 0 || !ts_tree_cursor_goto_parent(&c)) { ts_tree_cursor_delete(&c); return n; }
			depth--;
		}
	}
	ts_tree_cursor_delete(&c);
	return n;
}
*/
import "C"

import (
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// Node is one syntax node copied out of a tree. Nodes are in pre-order, so a
// node's subtree is the contiguous run of nodes after it.
type Node struct {
	Start, End uint32 // byte range in the source
	Parent     int32  // index of the parent node, -1 for the root
	Kind       uint16 // symbol id (Language.NodeKindForId; 0xFFFF is ERROR)
	Field      uint16 // field id in the parent (Language.FieldNameForId), 0 for none
	Named      bool
	_          [3]byte
}

// walkOK: the Go Node matches assay_node, and the declared TSNode and
// TSTreeCursor have the size of go-tree-sitter's own (see the package doc).
var walkOK = parseOK &&
	unsafe.Sizeof(Node{}) == uintptr(C.assay_sizeof_node) &&
	unsafe.Offsetof(Node{}.Parent) == 8 && unsafe.Offsetof(Node{}.Kind) == 12 &&
	unsafe.Offsetof(Node{}.Field) == 14 && unsafe.Offsetof(Node{}.Named) == 16 &&
	unsafe.Sizeof(sitter.Node{}) == uintptr(C.assay_sizeof_tsnode) &&
	unsafe.Sizeof(sitter.TreeCursor{}) == uintptr(C.assay_sizeof_cursor)

// FastWalk reports whether Walk copies the tree in one C call rather than
// through go-tree-sitter's TreeCursor.
func FastWalk() bool { return walkOK }

// Walk copies t's nodes in pre-order: at most maxNodes of them, and not below
// maxDepth levels (the root is level 1). truncated says a bound left nodes
// out; hasError says the tree contains ERROR or MISSING nodes.
func Walk(t *sitter.Tree, maxNodes, maxDepth int) (nodes []Node, truncated, hasError bool) {
	if maxNodes < 1 || maxDepth < 1 {
		return nil, true, t.RootNode().HasError()
	}
	maxNodes = min(maxNodes, math32)
	maxDepth = min(maxDepth, math32-1)
	if !walkOK {
		return libraryWalk(t, maxNodes, maxDepth)
	}
	inner := *(**C.TSTree)(unsafe.Pointer(t))
	n := max(min(int(C.assay_count(inner)), maxNodes), 1)
	nodes = make([]Node, n)
	stack := make([]C.int32_t, min(maxDepth, n)) // depth < node count
	var tr C.int
	got := C.assay_walk(inner, (*C.assay_node)(unsafe.Pointer(&nodes[0])), C.int32_t(n), C.int32_t(maxDepth), &stack[0], &tr)
	return nodes[:got], tr != 0, C.assay_has_error(inner) != 0
}

const math32 = 1<<31 - 1

// libraryWalk is Walk through go-tree-sitter's TreeCursor (same result,
// several cgo calls per node).
func libraryWalk(t *sitter.Tree, maxNodes, maxDepth int) (nodes []Node, truncated, hasError bool) {
	root := t.RootNode()
	hasError = root.HasError()
	c := root.Walk()
	defer c.Close()
	var stack []int32
	depth := 0
	for {
		if len(nodes) >= maxNodes {
			return nodes, true, hasError
		}
		n := c.Node()
		parent := int32(-1)
		if depth > 0 {
			parent = stack[depth-1]
		}
		nodes = append(nodes, Node{Start: uint32(n.StartByte()), End: uint32(n.EndByte()), Parent: parent,
			Kind: n.KindId(), Field: c.FieldId(), Named: n.IsNamed()})
		stack = append(stack[:depth], int32(len(nodes)-1))
		if depth+1 < maxDepth {
			if c.GotoFirstChild() {
				depth++
				continue
			}
		} else if c.GotoFirstChild() {
			truncated = true
			c.GotoParent()
		}
		for {
			if c.GotoNextSibling() {
				break
			}
			if depth == 0 || !c.GotoParent() {
				return nodes, truncated, hasError
			}
			depth--
		}
	}
}
