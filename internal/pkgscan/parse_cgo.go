package pkgscan

/*
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
// Provided by the tree-sitter runtime that go-tree-sitter compiles in.
extern TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
extern void ts_set_allocator(void *(*new_malloc)(size_t), void *(*new_calloc)(size_t, size_t), void *(*new_realloc)(void *, size_t), void (*new_free)(void *));
#ifdef __GLIBC__
#include <malloc.h>
#endif
static void use_libc_allocator(void) {
#ifdef __GLIBC__
	// Keep freed parser memory instead of returning it to the kernel after
	// every file: page faults on fresh memory dominate otherwise.
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
	ts_set_allocator(malloc, calloc, realloc, free);
}
static const char empty_source[1] = {0};

// The few tree-sitter 0.25 API types and functions the walker needs
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

typedef struct {
	uint32_t start, end;
	int32_t parent;
	uint16_t kind, field;
	uint8_t named, pad[3];
} assay_node;

static uint32_t assay_count(const TSTree *t) { return ts_node_descendant_count(ts_tree_root_node(t)); }
static int assay_has_error(const TSTree *t) { return ts_node_has_error(ts_tree_root_node(t)); }

// assay_walk copies the tree in pre-order into out (at most max nodes,
// at most max_depth levels); *truncated is set when something was left out.
// One C call per file instead of several per node.
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
static const char *empty_ptr(void) { return empty_source; }
*/
import "C"

import (
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// useLibcAllocator points tree-sitter's allocator straight at libc.
// go-tree-sitter v0.25.0 installs malloc/free wrappers that call back into
// Go for every allocation (C→Go→C), which made parsing ~4× slower in wall
// time under concurrency. The memory comes from the same libc malloc either
// way, so blocks allocated before the switch are still freed correctly.
func useLibcAllocator() { C.use_libc_allocator() }

// walkTree copies t's nodes into Go memory with one C call.
func walkTree(t *sitter.Tree, maxN, maxD int) (nodes []C.assay_node, truncated, hasError bool) {
	inner := (*C.TSTree)(*(*unsafe.Pointer)(unsafe.Pointer(t)))
	n := int(C.assay_count(inner))
	if n > maxN {
		n = maxN
	}
	if n < 1 {
		n = 1
	}
	nodes = make([]C.assay_node, n)
	stack := make([]C.int32_t, maxD+1)
	var tr C.int
	got := C.assay_walk(inner, &nodes[0], C.int32_t(n), C.int32_t(maxD), &stack[0], &tr)
	return nodes[:got], tr != 0, C.assay_has_error(inner) != 0
}

// parseString parses src in one C call. go-tree-sitter v0.25.0's Parse goes
// through a Go read callback that copies the rest of the input on every call
// (quadratic, and each callback locks an OS thread); ts_parser_parse_string
// reads the buffer directly and does not retain it after returning.
//
// It relies on sitter.Parser and sitter.Tree being structs whose only field
// is the C pointer (true for v0.25.0; checked by TestParseStringLayout).
func parseString(p *sitter.Parser, src []byte) *sitter.Tree {
	inner := *(*unsafe.Pointer)(unsafe.Pointer(p))
	ptr := C.empty_ptr()
	if len(src) > 0 {
		ptr = (*C.char)(unsafe.Pointer(&src[0]))
	}
	t := C.ts_parser_parse_string((*C.TSParser)(inner), nil, ptr, C.uint32_t(len(src)))
	if t == nil {
		return nil
	}
	tree := &sitter.Tree{}
	*(*unsafe.Pointer)(unsafe.Pointer(tree)) = unsafe.Pointer(t)
	return tree
}
