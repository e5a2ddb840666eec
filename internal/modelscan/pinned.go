package modelscan

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// PinAnalyzer reports model files whose hash is pinned nowhere in the
// project (ASSAY-MDL-005).
//
// A model file counts as pinned when any of these holds:
//   - provenance marked its component Properties["signature"] = "verified";
//   - its sha256 (lower- or upper-case hex) appears in any text file of the
//     project (an assay manifest, SHA256SUMS, a Git LFS pointer's
//     "oid sha256:", a download script's checksum, a lock file ...);
//   - a DVC file (*.dvc or dvc.lock) lists it under "path:" (DVC pins by md5);
//   - when its hash was not computed (file above the hash bound): a text line
//     names its file name together with some 64-hex digest.
//
// Only top-level model files are checked (models inside archives are covered
// by the archive's hash). The search reads text files of at most 8 MiB,
// at most 50,000 files and 256 MiB in total, skipping .git, node_modules,
// virtualenvs and __pycache__; when the target is a single file only its
// directory (not subdirectories) is searched.
type PinAnalyzer struct{}

// Name implements core.Analyzer.
func (PinAnalyzer) Name() string { return "model/pinned" }

const (
	pinMaxFile  = 8 << 20
	pinMaxFiles = 50_000
	pinMaxBytes = 256 << 20
)

var pinSkipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true, ".venv": true, "venv": true,
	"__pycache__": true, ".tox": true, "site-packages": true, ".mypy_cache": true}

// Analyze implements core.Analyzer.
func (PinAnalyzer) Analyze(ctx context.Context, r *core.Report) error {
	type cand struct {
		idx    int
		digest string
		path   string
		base   string
	}
	var cands []cand
	for i := range r.Components {
		c := &r.Components[i]
		if c.Kind != core.KindModel || c.ML == nil || c.ML.Source != "file" || c.Properties[core.PropFormat] == "" || len(c.Locations) == 0 {
			continue
		}
		loc := c.Locations[0]
		if loc.Member != "" || c.Properties[core.PropSignature] == "verified" {
			continue
		}
		d := ""
		for _, h := range c.Hashes {
			if h.Algorithm == "sha256" {
				d = strings.ToLower(h.Value)
			}
		}
		cands = append(cands, cand{idx: i, digest: d, path: loc.Path, base: path.Base(loc.Path)})
	}
	if len(cands) == 0 || r.Root == "" {
		return nil
	}
	digests := map[string]bool{}
	names := map[string]bool{}
	for _, c := range cands {
		if c.digest != "" {
			digests[c.digest] = false
		} else {
			names[c.base] = false
		}
	}
	dvcPaths := map[string]bool{}
	modelFiles := map[string]bool{}
	for _, c := range cands {
		modelFiles[filepath.Join(r.Root, filepath.FromSlash(c.path))] = true
	}
	recursive := true
	if st, err := os.Stat(r.Target); err == nil && !st.IsDir() {
		recursive = false
	}
	var files, total int64
	visit := func(p string, data []byte) {
		base := filepath.Base(p)
		isDVC := strings.HasSuffix(base, ".dvc") || base == "dvc.lock"
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 64<<10), pinMaxFile)
		for sc.Scan() {
			line := sc.Bytes()
			hexes := hexRuns(line)
			for _, h := range hexes {
				if _, ok := digests[h]; ok {
					digests[h] = true
				}
			}
			if len(hexes) > 0 && len(names) > 0 {
				for n := range names {
					if bytes.Contains(line, []byte(n)) {
						names[n] = true
					}
				}
			}
			if isDVC {
				t := strings.TrimSpace(string(line))
				t = strings.TrimPrefix(t, "- ")
				if strings.HasPrefix(t, "path:") {
					dvcPaths[path.Base(strings.TrimSpace(strings.TrimPrefix(t, "path:")))] = true
				}
			}
		}
	}
	_ = filepath.WalkDir(r.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != r.Root && (!recursive || pinSkipDirs[d.Name()]) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || files >= pinMaxFiles || total >= pinMaxBytes || modelFiles[p] {
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(p)); modelExts[ext] || binaryExts[ext] {
			return nil // model files and binaries hold no pins
		}
		info, err := d.Info()
		if err != nil || info.Size() > pinMaxFile || info.Size() == 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		total += int64(len(data))
		if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
			return nil // binary
		}
		visit(p, data)
		return nil
	})
	for _, c := range cands {
		pinned := dvcPaths[c.base]
		if c.digest != "" {
			pinned = pinned || digests[c.digest]
		} else {
			pinned = pinned || names[c.base]
		}
		if pinned {
			continue
		}
		comp := &r.Components[c.idx]
		ev := "sha256 " + c.digest
		msg := fmt.Sprintf("model file %s has no sha256 pinned anywhere in the project", c.path)
		if c.digest == "" {
			ev = "sha256 not computed (file above the hash bound)"
			msg = fmt.Sprintf("model file %s is not pinned: no manifest line names it with a sha256", c.path)
		}
		f := RuleUnpinned.New(core.Location{Path: c.path}, msg, ev)
		f.Component = comp.ID()
		r.Findings = append(r.Findings, f)
	}
	return nil
}

var binaryExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".so": true, ".dll": true,
	".exe": true, ".pyc": true, ".whl": true, ".tgz": true, ".parquet": true, ".arrow": true, ".pdf": true, ".woff": true,
	".woff2": true, ".ico": true, ".mp4": true, ".wav": true, ".mp3": true}

// hexRuns returns the lower-cased runs of exactly 64 hex digits in line.
func hexRuns(line []byte) []string {
	var out []string
	n := 0
	for i := 0; i <= len(line); i++ {
		if i < len(line) && isHex(line[i]) {
			n++
			continue
		}
		if n == 64 {
			out = append(out, strings.ToLower(string(line[i-64:i])))
		}
		n = 0
	}
	return out
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
