//go:build linux && amd64

package provenance

import (
	"context"
	"fmt"
	"hash"
	"os"
	"runtime/debug"
	"syscall"
)

// prefetch issues a PREFETCHT0 for every cache line of [p, p+n)
// (prefetch_amd64.s).
//
//go:noescape
func prefetch(p *byte, n uintptr)

const (
	// mapPopulate is MAP_POPULATE: the kernel maps the whole window in one
	// call instead of one page fault per 4 KiB.
	mapPopulate = 0x8000
	// mmapWindow bounds the address space mapped at a time per worker.
	mmapWindow = 64 << 20
	// mmapMin: smaller files are read; mapping them saves too little.
	mmapMin = 128 << 10
	// prefetchPiece is hashed per Write while the next piece is prefetched:
	// the hardware prefetcher stops at every 4 KiB page of a mapping, so
	// without this each page starts with a cache (and TLB) miss.
	prefetchPiece = 1 << 10
	prefetchAhead = 2 << 10
)

// testHookMapped, set only by tests, runs after a window is mapped and
// before it is hashed (a file truncated here makes the hashing fault).
var testHookMapped func(path string)

// hashMapped hashes [start, end) of f into h through read-only mappings of
// the page cache: no copy into a user buffer, which on this path costs
// ~20 % of the SHA-256 time. It returns mapped=false, with h untouched (or
// reset), when the range is small or the file cannot be mapped; the caller
// then reads it. A file that shrinks while mapped raises SIGBUS on the
// missing pages: SetPanicOnFault turns that into a panic recovered here as
// errChanged, never a digest.
func hashMapped(ctx context.Context, f *os.File, h hash.Hash, start, end int64) (mapped bool, err error) {
	if end-start < mmapMin {
		return false, nil
	}
	var cur []byte
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if cur != nil {
			_ = syscall.Munmap(cur)
		}
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			mapped, err = true, fmt.Errorf("%w (memory fault reading the mapped file)", errChanged)
		}
	}()
	page := int64(os.Getpagesize())
	for off := start &^ (page - 1); off < end; off += mmapWindow {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		wend := min(off+mmapWindow, end)
		cur, err = syscall.Mmap(int(f.Fd()), off, int(wend-off), syscall.PROT_READ, syscall.MAP_SHARED|mapPopulate)
		if err != nil {
			cur = nil
			h.Reset()
			return false, nil // not mappable: read it
		}
		if testHookMapped != nil {
			testHookMapped(f.Name())
		}
		b := cur[max(start-off, 0):]
		prefetch(&b[0], uintptr(min(prefetchAhead, len(b))))
		for i := 0; i < len(b); i += prefetchPiece {
			if j := i + prefetchAhead; j < len(b) {
				prefetch(&b[j], uintptr(min(prefetchPiece, len(b)-j)))
			}
			h.Write(b[i:min(i+prefetchPiece, len(b))])
		}
		err = syscall.Munmap(cur)
		cur = nil
		if err != nil {
			return true, err
		}
	}
	return true, nil
}
