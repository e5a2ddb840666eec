package aiassets

/*
#include <stddef.h>
#include <stdint.h>
// From tree-sitter's api.h (compiled into github.com/tree-sitter/go-tree-sitter).
extern void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));
extern void *ts_parser_parse_string(void *self, const void *old_tree, const char *string, uint32_t length);
static void assay_ts_libc_allocator(void) { ts_set_allocator(NULL, NULL, NULL, NULL); }
static void *assay_ts_parse(void *parser, const char *s, uint32_t n) { return ts_parser_parse_string(parser, NULL, s, n); }
*/
import "C"

import (
	"sync"
	"unsafe"

	ts "github.com/tree-sitter/go-tree-sitter"
)

// Two shortcuts around go-tree-sitter v0.25.0 costs, measured on the
// 10,000-file benchmark (docs/parts/performance-aibom.md):
//
//   - It routes every malloc/free of the C library through exported Go
//     functions (a C->Go->C round trip per allocation). Its defaults end in
//     the same libc malloc/free, so pointing tree-sitter at libc directly is
//     safe for memory allocated before or after the switch.
//   - Parse feeds the text through a read callback that copies the rest of
//     the text into a new C string on every call. ts_parser_parse_string
//     reads the Go bytes in place (tree-sitter keeps no reference to them).
//
// Parser and Tree are single-pointer wrappers of the C objects; if a later
// version changes that layout, fastParse reports false and the library's
// own path is used.

var allocOnce sync.Once

func useLibcAllocator() { allocOnce.Do(func() { C.assay_ts_libc_allocator() }) }

var layoutOK = unsafe.Sizeof(ts.Parser{}) == unsafe.Sizeof(uintptr(0)) && unsafe.Sizeof(ts.Tree{}) == unsafe.Sizeof(uintptr(0))

// fastParse parses src with ts_parser_parse_string.
func fastParse(p *ts.Parser, src []byte) (*ts.Tree, bool) {
	if !layoutOK || len(src) > 1<<31 {
		return nil, false
	}
	inner := *(*unsafe.Pointer)(unsafe.Pointer(p))
	var s *C.char
	if len(src) > 0 {
		s = (*C.char)(unsafe.Pointer(&src[0]))
	}
	t := C.assay_ts_parse(inner, s, C.uint32_t(len(src)))
	if t == nil {
		return nil, true
	}
	tree := new(ts.Tree)
	*(*unsafe.Pointer)(unsafe.Pointer(tree)) = t
	return tree, true
}
