package modelscan

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
	"github.com/assay-dev/assay/internal/modelscan/pickle"
)

// sparseWriter turns writes into seeks while skip is set, so a 10 GB zip
// member costs no disk space.
type sparseWriter struct {
	f    *os.File
	skip bool
}

func (s *sparseWriter) Write(p []byte) (int, error) {
	if s.skip {
		if _, err := s.f.Seek(int64(len(p)), 1); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return s.f.Write(p)
}

// writeSparseCheckpoint writes a PyTorch zip whose stored archive/data/0
// member is size bytes of holes, with a real data.pkl.
func writeSparseCheckpoint(tb testing.TB, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sw := &sparseWriter{f: f}
	zw := zip.NewWriter(sw)
	for _, m := range []zmember{{name: "archive/data.pkl", data: stateDictPickle()}, {name: "archive/version", data: []byte("3\n")}} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		w.Write(m.data)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "archive/data/0", Method: zip.Store, CompressedSize64: uint64(size), UncompressedSize64: uint64(size)})
	if err != nil {
		tb.Fatal(err)
	}
	chunk := make([]byte, 1<<30) // never touched: the writer seeks
	if err := zw.Flush(); err != nil {
		tb.Fatal(err)
	}
	sw.skip = true
	for left := size; left > 0; {
		n := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			tb.Fatal(err)
		}
		left -= n
	}
	if err := zw.Flush(); err != nil {
		tb.Fatal(err)
	}
	sw.skip = false
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
}

func scanFileOnce(tb testing.TB, s *Scanner, dir, name string) core.Result {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	head := make([]byte, core.HeadSize)
	n, _ := f.ReadAt(head, 0)
	fi := core.FileInfo{Path: name, Size: st.Size(), Head: head[:n]}
	if !s.FileRequired(fi) {
		tb.Fatalf("%s not claimed", name)
	}
	res, err := s.Scan(context.Background(), &core.Input{FileInfo: fi, AbsPath: p, File: f})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// BenchmarkTorchCheckpoint10GB scans a 10 GB (sparse) PyTorch checkpoint:
// only the central directory and data.pkl are read. Goal: < 50 ms/op.
func BenchmarkTorchCheckpoint10GB(b *testing.B) {
	dir := b.TempDir()
	writeSparseCheckpoint(b, filepath.Join(dir, "big.pt"), 10<<30)
	s := New(Options{})
	res := scanFileOnce(b, s, dir, "big.pt")
	if len(res.Components) != 1 || res.Components[0].Properties[core.PropFormat] != "pytorch" || len(res.Errors) != 0 {
		b.Fatalf("unexpected result %+v", res)
	}
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		scanFileOnce(b, s, dir, "big.pt")
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// benchPickles returns the pickle corpus: the files in $ASSAY_PICKLE_DIR
// (written by bench/pickle_vs_python.sh) or 1,000 built here.
func benchPickles(tb testing.TB) [][]byte {
	if d := os.Getenv("ASSAY_PICKLE_DIR"); d != "" {
		files, _ := filepath.Glob(filepath.Join(d, "*.pkl"))
		sort.Strings(files)
		var out [][]byte
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
		if len(out) == 0 {
			tb.Fatalf("no *.pkl in %s", d)
		}
		return out
	}
	var out [][]byte
	for i := 0; i < 1000; i++ {
		switch i % 3 {
		case 0:
			out = append(out, stateDictPickle())
		case 1:
			out = append(out, callPickle("collections", "OrderedDict", fmt.Sprint("k", i)))
		default:
			p := &pk{}
			p.proto(4).op('}', '(')
			for j := 0; j < 20; j++ {
				p.sbu(fmt.Sprint("key", j)).op('K', byte(j))
			}
			p.op('u', '.')
			out = append(out, p.Bytes())
		}
	}
	return out
}

// BenchmarkWalkPickles walks 1,000 in-memory pickles (one op = all files)
// on both cores; compare with pickletools.genops over the same bytes
// (bench/pickle_vs_python.sh).
func BenchmarkWalkPickles(b *testing.B) {
	files := benchPickles(b)
	var total int64
	for _, f := range files {
		total += int64(len(f))
	}
	b.SetBytes(total)
	workers := runtime.GOMAXPROCS(0)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for j := w; j < len(files); j += workers {
					r := pickle.WalkBytes(files[j], pickle.Limits{}, nil)
					if r.Ops == 0 {
						panic("no ops")
					}
				}
			}(w)
		}
		wg.Wait()
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkWalkPicklesOneCore is the single-core figure.
func BenchmarkWalkPicklesOneCore(b *testing.B) {
	files := benchPickles(b)
	var total int64
	for _, f := range files {
		total += int64(len(f))
	}
	b.SetBytes(total)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			pickle.WalkBytes(f, pickle.Limits{}, nil)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkScanFiles1000 is the end-to-end scanner path over 1,000 pickle
// files on disk: the engine's walk (open, head read), format detection,
// sha256, opcode walk, findings, components and the pin analyzer.
func BenchmarkScanFiles1000(b *testing.B) {
	dir := os.Getenv("ASSAY_PICKLE_DIR")
	if dir == "" {
		dir = b.TempDir()
		for i, f := range benchPickles(b) {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%04d.pkl", i)), f, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg := engine.Config{Target: dir, Scanners: Scanners(), Analyzers: Analyzers()}
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		rep, err := engine.Run(context.Background(), cfg)
		if err != nil || len(rep.Components) == 0 {
			b.Fatalf("%v %d", err, len(rep.Components))
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}
