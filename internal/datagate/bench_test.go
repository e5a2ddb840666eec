package datagate

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// synth writes n rows of synthetic labelled text (Zipf vocabulary, 16–45
// words a row, ≈ 200 bytes) to path as JSONL.
func synth(tb testing.TB, path string, n int, seed int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(seed))
	zipf := rand.NewZipf(rng, 1.1, 1, 200000)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.Reset()
		label := "ham"
		if rng.Intn(7) == 0 {
			label = "spam"
		}
		words := 16 + rng.Intn(30)
		for j := 0; j < words; j++ {
			if j > 0 {
				sb.WriteByte(' ')
			}
			k := zipf.Uint64()
			if label == "spam" && rng.Intn(4) == 0 {
				k += 200000 // spam-only vocabulary
			}
			sb.WriteString("w")
			sb.WriteString(strconv.FormatUint(k, 36))
		}
		fmt.Fprintf(w, "{\"text\":%q,\"label\":%q}\n", sb.String(), label)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return st.Size()
}

// cpuTime is the process's user+system CPU time, to read benchmark numbers
// taken on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "n/a"
}

// BenchmarkScreen screens a synthetic batch against a synthetic baseline of
// the same size. ASSAY_BENCH_ROWS sets the size (default 100000; the issue's
// goal is 1000000 rows each in < 60 s and < 2 GB on 2 cores).
func BenchmarkScreen(b *testing.B) {
	n := 100000
	if s := os.Getenv("ASSAY_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	base := filepath.Join(dir, "train.jsonl")
	batch := filepath.Join(dir, "batch.jsonl")
	bs := synth(b, base, n, 1)
	ts := synth(b, batch, n, 2)
	b.Logf("baseline %d rows %.0f MB, batch %d rows %.0f MB, GOMAXPROCS %d", n, float64(bs)/1e6, n, float64(ts)/1e6, runtime.GOMAXPROCS(0))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(MemoryLimit)) // as the CLI does
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cpu0 := cpuTime()
		bl, err := LoadBaseline(context.Background(), base, Fields{"text", "label"})
		if err != nil {
			b.Fatal(err)
		}
		loaded := time.Since(start)
		res, err := Screen(context.Background(), batch, bl, Defaults())
		if err != nil {
			b.Fatal(err)
		}
		a, h, err := Split(batch, Defaults(), res, filepath.Join(dir, "ok.jsonl"), filepath.Join(dir, "held.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("baseline load %v, screen+split total %v (process CPU %v); %d accepted + %d held; peak RSS %s", loaded, time.Since(start), cpuTime()-cpu0, a, h, peakRSS())
	}
}
