// Package tsparse is assay's one piece of glue around
// github.com/tree-sitter/go-tree-sitter v0.25.0: it makes parsing fast enough
// for whole-repository and whole-site-packages scans without changing what
// the parser produces. Every package that parses code with tree-sitter
// (internal/aiassets, internal/pkgscan) goes through it.
//
// Three shortcuts, each measured on the packages' benchmarks
// (docs/performance.md):
//
//   - Allocator. go-tree-sitter routes every malloc/calloc/realloc/free of
//     the C runtime through exported Go functions (a C→Go→C round trip per
//     allocation, and each one locks an OS thread). Its functions end in
//     libc malloc/free, so pointing tree-sitter back at its libc defaults
//     (ts_set_allocator(NULL, ...)) is safe for memory allocated before or
//     after the switch. On glibc the switch also keeps freed parser memory
//     in the process instead of trimming it after every file (page faults on
//     fresh memory otherwise dominate). The switch happens once per process,
//     on the first Parse.
//   - Parse. go-tree-sitter's Parse feeds the text through a Go read callback
//     that copies the rest of the input into a new C buffer on every call.
//     Parse calls ts_parser_parse_string, which reads the Go bytes in place
//     and keeps no reference to them once it returns.
//   - Walk. Reading a tree node by node costs several cgo calls per node.
//     Walk copies the whole tree, in pre-order, into Go memory with one C
//     call (bounded by a node and a depth limit).
//
// # Layout assumption
//
// Parse and Walk reach the C objects inside go-tree-sitter's wrappers: they
// assume sitter.Parser and sitter.Tree are structs whose only field is the C
// pointer (*C.TSParser, *C.TSTree), and that tree-sitter's TSNode and
// TSTreeCursor have the layout of tree-sitter 0.25's api.h (declared again
// in walk.go, since the header is not reachable from this module). All of
// this holds for v0.25.0. It is checked at start-up (reflection on the
// wrapper structs, sizes of the declared C types against go-tree-sitter's own
// Node and TreeCursor); when a check fails, Parse falls back to the library's
// ParseWithOptions and Walk to the library's TreeCursor, which give the same
// result, only slower. TestLayoutAssumption fails loudly in that case, and
// TestFastPathMatchesLibrary / FuzzParseWalk fail whenever the fast and the
// library paths disagree (S-expression, node count, kinds, fields, ranges),
// so an upgrade of go-tree-sitter is caught by the tests rather than by the
// benchmarks or a crash.
//
// Bounds: Parse refuses nothing (callers bound their input; inputs of 4 GiB
// or more take the library path); Walk copies at most maxNodes nodes and
// descends at most maxDepth levels, reporting whether anything was left out.
package tsparse

/*
#include <stddef.h>
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
// From tree-sitter's api.h (the runtime is compiled into go-tree-sitter).
extern void ts_set_allocator(void *(*)(size_t), void *(*)(size_t, size_t), void *(*)(void *, size_t), void (*)(void *));
extern TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);

static void assay_use_libc_allocator(void) {
#ifdef __GLIBC__
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
#endif
	// NULL selects tree-sitter's defaults: libc malloc/calloc/realloc/free
	// (aborting with a message when memory runs out).
	ts_set_allocator(NULL, NULL, NULL, NULL);
}

static const char assay_empty[1] = {0};

static TSTree *assay_parse(TSParser *p, const char *s, uint32_t n) {
	return ts_parser_parse_string(p, NULL, s ? s : assay_empty, n);
}
*/
import "C"

import (
	"context"
	"math"
	"reflect"
	"sync"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

var allocOnce sync.Once

// UseLibcAllocator points tree-sitter's allocator at libc, once per process.
// Parse calls it; call it directly before creating parsers elsewhere.
func UseLibcAllocator() { allocOnce.Do(func() { C.assay_use_libc_allocator() }) }

// onlyPointer reports whether v is a struct whose only field is a pointer.
func onlyPointer(v any) bool {
	t := reflect.TypeOf(v)
	return t.Kind() == reflect.Struct && t.NumField() == 1 &&
		t.Field(0).Type.Kind() == reflect.Pointer && t.Field(0).Offset == 0 &&
		t.Size() == unsafe.Sizeof(uintptr(0))
}

// parseOK: Parser and Tree wrap only their C pointer (see the package doc).
var parseOK = onlyPointer(sitter.Parser{}) && onlyPointer(sitter.Tree{})

// FastParse reports whether Parse uses ts_parser_parse_string (the layout
// check passed) rather than go-tree-sitter's own, slower path.
func FastParse() bool { return parseOK }

// Parse parses src with p (whose language is set) and returns the tree, or
// nil when ctx is done or the parser gave up. The caller must Close the tree.
// src is only read during the call. The fast path cannot be interrupted, so
// callers bound their input size; ctx is checked before parsing, and the
// library fallback also checks it while parsing.
func Parse(ctx context.Context, p *sitter.Parser, src []byte) *sitter.Tree {
	UseLibcAllocator()
	if ctx.Err() != nil {
		return nil
	}
	if parseOK && uint64(len(src)) < math.MaxUint32 {
		return fastParse(p, src)
	}
	return libraryParse(ctx, p, src)
}

// fastParse parses with ts_parser_parse_string on the Go bytes in place.
func fastParse(p *sitter.Parser, src []byte) *sitter.Tree {
	inner := *(**C.TSParser)(unsafe.Pointer(p))
	var s *C.char
	if len(src) > 0 {
		s = (*C.char)(unsafe.Pointer(&src[0]))
	}
	t := C.assay_parse(inner, s, C.uint32_t(len(src)))
	if t == nil {
		return nil
	}
	tree := new(sitter.Tree)
	*(**C.TSTree)(unsafe.Pointer(tree)) = t
	return tree
}

// libraryParse is go-tree-sitter's own path. (ParseCtx of v0.25.0 races a
// goroutine against a nil cancellation flag; a progress callback is the
// supported way to cancel.)
func libraryParse(ctx context.Context, p *sitter.Parser, src []byte) *sitter.Tree {
	n := len(src)
	return p.ParseWithOptions(func(i int, _ sitter.Point) []byte {
		if i < n {
			return src[i:]
		}
		return nil
	}, nil, &sitter.ParseOptions{ProgressCallback: func(sitter.ParseState) bool { return ctx.Err() != nil }})
}
