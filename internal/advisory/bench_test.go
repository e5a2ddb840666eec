package advisory

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/advisory/osv"
	"github.com/assay-dev/assay/internal/core"
)

// Synthetic OSV exports of realistic size and shape, generated in code:
// PyPI ~20k records (PYSEC/GHSA-like: ranges, long version lists, CVSS,
// 1-3 KB details) and npm ~200k records (mostly MAL-like: one package,
// explicit versions or introduced:0, origins in database_specific).

const lorem = "An attacker can exploit improper handling of crafted input to execute arbitrary code or read sensitive data; the issue was reported by a researcher and fixed by validating the input before use. "

func synthPyPI(i int, r *rand.Rand) *osv.Vulnerability {
	name := fmt.Sprintf("pkg-%d", i%6000)
	var versions []string
	n := 5 + r.Intn(60)
	for j := 0; j < n; j++ {
		versions = append(versions, fmt.Sprintf("%d.%d.%d", j/10, j%10, r.Intn(3)))
	}
	return &osv.Vulnerability{
		SchemaVersion: "1.7.4",
		ID:            fmt.Sprintf("PYSEC-2024-%d", i),
		Modified:      "2024-06-01T00:00:00Z",
		Published:     "2024-05-01T00:00:00Z",
		Aliases:       []string{fmt.Sprintf("CVE-2024-%d", 10000+i), fmt.Sprintf("GHSA-%04d-%04d-%04d", i%9973, i%7919, i%104729%10000)},
		Details:       strings.Repeat(lorem, 2+r.Intn(8)),
		Severity:      []osv.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		Affected: []osv.Affected{{
			Package:  osv.Package{Ecosystem: "PyPI", Name: name, PURL: "pkg:pypi/" + name},
			Ranges:   []osv.Range{{Type: "ECOSYSTEM", Events: []osv.Event{{Introduced: "0"}, {Fixed: fmt.Sprintf("%d.%d.0", n/10, n%10)}}}},
			Versions: versions,
		}},
		References: []osv.Reference{{Type: "ADVISORY", URL: "https://example.invalid/advisory/" + fmt.Sprint(i)}, {Type: "FIX", URL: "https://example.invalid/fix/" + fmt.Sprint(i)}},
	}
}

func synthNPM(i int, r *rand.Rand) *osv.Vulnerability {
	name := fmt.Sprintf("npm-pkg-%d", i%150000)
	if i%7 == 0 {
		name = fmt.Sprintf("@scope%d/%s", i%100, name)
	}
	v := &osv.Vulnerability{
		SchemaVersion: "1.7.4",
		ID:            fmt.Sprintf("MAL-2025-%d", i),
		Modified:      "2025-06-01T00:00:00Z",
		Published:     "2025-05-01T00:00:00Z",
		Summary:       "Malicious code in " + name + " (npm)",
		Details:       "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\n" + strings.Repeat(lorem, 1+r.Intn(3)),
		Affected:      []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: name}}},
		DatabaseSpecific: map[string]any{"malicious-packages-origins": []any{map[string]any{
			"source": "ossf-package-analysis", "sha256": fmt.Sprintf("%064x", i), "import_time": "2025-05-01T00:00:00Z", "versions": []any{"1.0.0"}}}},
	}
	if i%3 == 0 {
		v.Affected[0].Versions = []string{"1.0.0", "1.0.1"}
	} else {
		v.Affected[0].Ranges = []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}}}}
	}
	if i%10 == 0 { // some GHSA-style vulnerabilities too
		v.ID = fmt.Sprintf("GHSA-n%03d-%04d-%04d", i%1000, i%9999, i%7777)
		v.Affected[0].Ranges = []osv.Range{{Type: "SEMVER", Events: []osv.Event{{Introduced: "0"}, {Fixed: "2.0.0"}}}}
		v.Affected[0].Versions = nil
		v.DatabaseSpecific = map[string]any{"severity": "HIGH", "cwe_ids": []any{"CWE-79"}}
	}
	return v
}

func writeSynthZip(tb testing.TB, path string, n int, gen func(int, *rand.Rand) *osv.Vulnerability) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		v := gen(i, r)
		w, err := zw.Create(v.ID + ".json")
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	bw.Flush()
	f.Close()
}

// synthProject returns 5,000 locked components: 2,000 PyPI and 3,000 npm,
// about a third of them named in the synthetic exports.
func synthProject() []core.Component {
	var cs []core.Component
	for i := 0; i < 2000; i++ {
		name := fmt.Sprintf("pkg-%d", i*5)
		if i%3 != 0 {
			name = fmt.Sprintf("other-py-%d", i)
		}
		cs = append(cs, pkg("PyPI", name, "1.2.0", "", "uv.lock", i+1, core.SourceLockfile))
	}
	for i := 0; i < 3000; i++ {
		name := fmt.Sprintf("npm-pkg-%d", i*50)
		if i%3 != 0 {
			name = fmt.Sprintf("other-npm-%d", i)
		}
		cs = append(cs, pkg("npm", name, "1.0.1", "", "package-lock.json", i+1, core.SourceLockfile))
	}
	return cs
}

var synthDir string

func synthExports(b *testing.B) (string, string) {
	if d := os.Getenv("ASSAY_SYNTH_DIR"); d != "" && synthDir == "" {
		if _, err := os.Stat(filepath.Join(d, "npm.zip")); err == nil {
			synthDir = d
		}
	}
	if synthDir == "" {
		d, err := os.MkdirTemp("", "assay-synth-")
		if err != nil {
			b.Fatal(err)
		}
		synthDir = d
		writeSynthZip(b, filepath.Join(d, "pypi.zip"), 20000, synthPyPI)
		writeSynthZip(b, filepath.Join(d, "npm.zip"), 200000, synthNPM)
	}
	return filepath.Join(synthDir, "pypi.zip"), filepath.Join(synthDir, "npm.zip")
}

func analyze(b *testing.B, dbs []string, cache string, cs []core.Component) *core.Report {
	a, err := NewAnalyzer(Options{DBPaths: dbs, CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	r := core.NewReport(".")
	r.Components = cs
	if err := a.Analyze(context.Background(), r); err != nil {
		b.Fatal(err)
	}
	return r
}

// cpuTime is the process's user+system CPU time (what assay itself spent,
// whatever the neighbours on a shared machine do).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkColdIndex: first scan after a new export (index built from both zips).
func BenchmarkColdIndex(b *testing.B) {
	py, npm := synthExports(b)
	cs := synthProject()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		cache := b.TempDir()
		r := analyze(b, []string{py, npm}, cache, cs)
		b.ReportMetric(float64(len(r.Findings)), "findings")
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkWarmIndex: repeat scan (index present): open + look up 5,000 packages + match.
func BenchmarkWarmIndex(b *testing.B) {
	py, npm := synthExports(b)
	cs := synthProject()
	cache := b.TempDir()
	analyze(b, []string{py, npm}, cache, cs)
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		r := analyze(b, []string{py, npm}, cache, cs)
		if len(r.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkEmbeddedOnly: the default scan with no OSV exports.
func BenchmarkEmbeddedOnly(b *testing.B) {
	cs := synthProject()
	for i := 0; i < b.N; i++ {
		analyze(b, nil, b.TempDir(), cs)
	}
}

// BenchmarkRealPyPIDir loads the corpus' 2,661 real PyPI advisories (YAML)
// when present.
func BenchmarkRealPyPIDir(b *testing.B) {
	dir := "../../../shared/corpus/osv"
	if _, err := os.Stat(dir); err != nil {
		b.Skip("shared corpus not present")
	}
	for i := 0; i < b.N; i++ {
		s, err := Open(dir, "db", "")
		if err != nil {
			b.Fatal(err)
		}
		if s.Info().Records < 2600 || s.Info().Invalid != 0 {
			b.Fatalf("%+v", s.Info())
		}
	}
}

// TestWriteSynthetic writes the synthetic exports and a 5,000-package
// project to $ASSAY_SYNTH_DIR for end-to-end timing of the binary
// (see docs/performance.md). Skipped unless set.
func TestWriteSynthetic(t *testing.T) {
	dir := os.Getenv("ASSAY_SYNTH_DIR")
	if dir == "" {
		t.Skip("set ASSAY_SYNTH_DIR to write the synthetic exports")
	}
	os.MkdirAll(filepath.Join(dir, "project"), 0o755)
	writeSynthZip(t, filepath.Join(dir, "pypi.zip"), 20000, synthPyPI)
	writeSynthZip(t, filepath.Join(dir, "npm.zip"), 200000, synthNPM)
	var req strings.Builder
	pkgs := map[string]any{}
	for _, c := range synthProject() {
		if c.Ecosystem == "PyPI" {
			fmt.Fprintf(&req, "%s==%s\n", c.Name, c.Version)
		} else {
			pkgs["node_modules/"+c.Name] = map[string]any{"version": c.Version}
		}
	}
	pkgs[""] = map[string]any{"name": "synthetic"}
	lock, _ := json.Marshal(map[string]any{"name": "synthetic", "lockfileVersion": 3, "packages": pkgs})
	os.WriteFile(filepath.Join(dir, "project", "requirements.txt"), []byte(req.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "project", "package-lock.json"), lock, 0o644)
}
