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
