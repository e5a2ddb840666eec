package pickle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzWalk checks that no input panics the walker, that the in-memory and
// streaming sources agree, and that bounds hold.
func FuzzWalk(f *testing.F) {
	f.Add([]byte("cos\nsystem\n(S'echo pwned'\ntR."))
	f.Add(call2("posix", "system", "id"))
	f.Add([]byte("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x8c\x011\x85R."))
	f.Add([]byte("\x80\x02]q\x00(K\x01K\x02e."))
	f.Add([]byte("(lp0\nI1\naI2\na(dp1\nS'k'\np2\nVv\\u0041\np3\nsa."))
	files, _ := filepath.Glob("../testdata/pickles/*.pkl") // generated fixtures (see ../testdata/SOURCES.md)
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	lim := Limits{MaxOps: 100_000, MaxStack: 1000, MaxMarks: 100, MaxMemo: 1000, KeepString: 64, MaxLine: 1024, KeepItems: 8, MaxStreams: 8, MaxImports: 100}
	f.Fuzz(func(t *testing.T, b []byte) {
		r1 := WalkBytes(b, lim, nil)
		r2 := Walk(bytes.NewReader(b), lim, nil)
		// The in-memory fast path and the streaming path must agree exactly.
		if len(r1.Imports) != len(r2.Imports) || r1.Streams != r2.Streams || (r1.Break == nil) != (r2.Break == nil) ||
			r1.Ops != r2.Ops || len(r1.Suspicious) != len(r2.Suspicious) || len(r1.Calls) != len(r2.Calls) || r1.Trailing != r2.Trailing {
			t.Fatalf("sources disagree: bytes=%d/%d/%d/%v reader=%d/%d/%d/%v", len(r1.Imports), r1.Streams, r1.Ops, r1.Break, len(r2.Imports), r2.Streams, r2.Ops, r2.Break)
		}
		for i := range r1.Imports {
			if r1.Imports[i].Qualified() != r2.Imports[i].Qualified() || r1.Imports[i].Offset != r2.Imports[i].Offset {
				t.Fatalf("import %d differs: %+v vs %+v", i, r1.Imports[i], r2.Imports[i])
			}
		}
		for i := range r1.Calls {
			if r1.Calls[i] != r2.Calls[i] {
				t.Fatalf("call %d differs: %+v vs %+v", i, r1.Calls[i], r2.Calls[i])
			}
		}
		if r1.Break != nil && (*r1.Break != *r2.Break) {
			t.Fatalf("break differs: %+v vs %+v", *r1.Break, *r2.Break)
		}
		if len(r1.Imports) > lim.MaxImports || r1.Ops > lim.MaxOps+1 {
			t.Fatalf("bounds exceeded: %d imports, %d ops", len(r1.Imports), r1.Ops)
		}
		if r1.Bytes > int64(len(b)) {
			t.Fatalf("consumed %d of %d bytes", r1.Bytes, len(b))
		}
	})
}
