package workflow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/engine"
)

// benchFiles returns n workflow sources: the 120 shared corpus workflows
// when present, else this package's testdata, repeated.
func benchFiles(b *testing.B, n int) [][]byte {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedCorpus, "*", "*.y*ml"))
	if len(files) == 0 {
		for _, g := range []string{"testdata/err/*.y*ml", "testdata/ok/*.y*ml", "testdata/real/*.y*ml"} {
			m, _ := filepath.Glob(g)
			files = append(files, m...)
		}
	}
	var srcs [][]byte
	for _, f := range files {
		if filepath.Base(f)[0:6] == "gitlab" {
			continue
		}
		s, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = srcs[i%len(srcs)]
	}
	return out
}

// BenchmarkAudit5000 audits 5,000 workflow files held in memory on every
// CPU (one op = all 5,000 files).
func BenchmarkAudit5000(b *testing.B) {
	srcs := benchFiles(b, 5000)
	var bytes int64
	for _, s := range srcs {
		bytes += int64(len(s))
	}
	b.SetBytes(bytes)
	cpu := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		next := make(chan int, len(srcs))
		for k := range srcs {
			next <- k
		}
		close(next)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range next {
					auditSource(fmt.Sprintf(".github/workflows/w%d.yml", k), kindWorkflow, srcs[k], nil, "")
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is this process's user+system CPU time: on a shared machine it
// measures the work done, where wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEngine5000 runs the whole walk (engine + this scanner) over a
// tree of 5,000 workflow files on disk (one op = one scan of the tree).
func BenchmarkEngine5000(b *testing.B) {
	srcs := benchFiles(b, 5000)
	dir := b.TempDir()
	for k, s := range srcs {
		d := filepath.Join(dir, fmt.Sprintf("r%03d", k/50), ".github", "workflows")
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("w%d.yml", k)), s, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
		if err != nil {
			b.Fatal(err)
		}
		if rep.Summary.FilesWalked != 5000 || len(rep.Errors) != 0 {
			b.Fatalf("walked %d files, %d errors", rep.Summary.FilesWalked, len(rep.Errors))
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}
