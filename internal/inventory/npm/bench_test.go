package npm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/engine"
)

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ms/op metric: CPU time (all threads, GC included)
// per operation, which a loaded machine inflates far less than ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// synthLock builds a package-lock.json v3 with n packages shaped like real
// ones: every package has version, resolved, integrity, license and 0-4
// dependencies; one in ten is nested under another package's node_modules;
// the root declares 200 of them.
func synthLock(n int) []byte {
	var b bytes.Buffer
	name := func(i int) string {
		if i%7 == 0 {
			return fmt.Sprintf("@scope%d/pkg-%d", i%50, i)
		}
		return fmt.Sprintf("pkg-%d", i)
	}
	b.WriteString("{\n  \"name\": \"synthetic\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n")
	b.WriteString("    \"\": {\n      \"name\": \"synthetic\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n")
	for i := 0; i < 200; i++ {
		sep := ","
		if i == 199 {
			sep = ""
		}
		fmt.Fprintf(&b, "        %q: \"^%d.0.0\"%s\n", name(i), i%9+1, sep)
	}
	b.WriteString("      }\n    }")
	for i := 0; i < n; i++ {
		path := "node_modules/" + name(i)
		if i%10 == 9 {
			path = "node_modules/" + name(i-1) + "/node_modules/" + name(i)
		}
		fmt.Fprintf(&b, ",\n    %q: {\n      \"version\": \"%d.%d.%d\",\n", path, i%9+1, i%13, i%5)
		fmt.Fprintf(&b, "      \"resolved\": \"https://registry.npmjs.org/%s/-/pkg-%d.tgz\",\n", name(i), i)
		b.WriteString("      \"integrity\": \"sha512-FS+XFBNvn3GTAWq26joslQgWNoFu08F4kl0J4CgdNKADkdSGXQyTCnKteIAJy96Br6YbpEU1LSzV5dYtjMkMDg==\",\n")
		if i%3 == 0 {
			b.WriteString("      \"dev\": true,\n")
		}
		b.WriteString("      \"license\": \"MIT\"")
		if deps := i % 5; deps > 0 {
			b.WriteString(",\n      \"dependencies\": {\n")
			for d := 1; d <= deps; d++ {
				sep := ","
				if d == deps {
					sep = ""
				}
				fmt.Fprintf(&b, "        %q: \"^1.0.0\"%s\n", name((i+d*37)%n), sep)
			}
			b.WriteString("      }")
		}
		b.WriteString("\n    }")
	}
	b.WriteString("\n  }\n}\n")
	return b.Bytes()
}

func TestSynthLock(t *testing.T) {
	res, err := parsePackageLock("package-lock.json", synthLock(5000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 5000 || len(res.Errors) != 0 {
		t.Fatalf("components %d errors %v", len(res.Components), res.Errors)
	}
	direct := 0
	for _, c := range res.Components {
		if c.Direct {
			direct++
		}
	}
	// 20 of the 200 declared names are only installed nested under another
	// package, so the root's resolution does not reach them.
	if direct != 180 {
		t.Errorf("direct = %d, want 180", direct)
	}
}

// BenchmarkPackageLock5000 parses a 5,000-package package-lock.json.
func BenchmarkPackageLock5000(b *testing.B) {
	data := synthLock(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := parsePackageLock("package-lock.json", data, nil); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// benchCorpus parses one real corpus file (skips without the corpus).
func benchCorpus(b *testing.B, rel string) {
	p := filepath.Join(corpusDir, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		b.Skip("shared corpus not present: ", err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err, _ := parseByName(b, p, data); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// BenchmarkCorpusPackageLock parses ollama's package-lock.json (907 packages, 478 KB).
func BenchmarkCorpusPackageLock(b *testing.B) {
	benchCorpus(b, "ollama__ollama/app_ui_app_package-lock.json")
}

// BenchmarkCorpusYarnClassic parses langgraph's yarn.lock (275 entries, 97 KB).
func BenchmarkCorpusYarnClassic(b *testing.B) {
	benchCorpus(b, "langchain-ai__langgraph/libs_cli_js-monorepo-example_yarn.lock")
}

// BenchmarkCorpusPnpm parses vercel/ai's pnpm-lock.yaml (4,044 packages, 1.8 MB).
func BenchmarkCorpusPnpm(b *testing.B) {
	benchCorpus(b, "vercel__ai/pnpm-lock.yaml")
}

// BenchmarkEngine5000 runs the npm scanners through the real walk over a
// project holding a 5,000-package package-lock.json and its package.json.
func BenchmarkEngine5000(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), synthLock(5000), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "synthetic", "dependencies": {"pkg-1": "^2.0.0"}}`), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
		if err != nil || len(rep.Components) != 5001 {
			b.Fatalf("err %v components %d", err, len(rep.Components))
		}
	}
	reportCPU(b, start)
}
