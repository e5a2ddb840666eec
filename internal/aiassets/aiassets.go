// Package aiassets discovers the models, datasets and LLM services a project
// uses from its code and notebooks, and reports unsafe ways of loading them.
//
// Two scanners plug into the walk:
//
//   - aiassets/code claims Python (.py), Jupyter notebooks (.ipynb, code
//     cells only) and JavaScript/TypeScript (.js .mjs .cjs .jsx .ts .mts .cts
//     .tsx) outside installed trees (site-packages, dist-packages,
//     node_modules, .venv, venv, .tox). A one-pass keyword automaton over the
//     bytes selects candidates; only those are parsed with tree-sitter (the
//     Python grammar; TypeScript with the JavaScript grammar). Calls are
//     resolved through the file's imports and simple constants
//     (MODEL_ID = "org/name") and mapped to components (hub models and
//     datasets, Ollama models, remote data URLs, LLM service providers with
//     the model names seen) and to the ASSAY-AI-* findings.
//   - aiassets/data claims data files (.csv .tsv .jsonl .ndjson .parquet
//     .arrow) and lists them as dataset components with their sha256.
//
// Nothing is executed: bytes and syntax trees only.
//
// Bounds: source files over 8 MiB and notebooks over 64 MiB are not read
// (an Error says so); a notebook's concatenated code is capped at 8 MiB and
// 20,000 cells, and its outputs are skipped token by token without being
// kept; the syntax-tree walk stops descending at depth 400; constants are
// resolved at most 4 assignments deep; data files over 256 MiB are listed
// without a hash.
package aiassets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// Bounds (see the package doc).
const (
	maxSourceBytes   = 8 << 20
	maxDataHashBytes = 256 << 20
)

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return []core.Scanner{CodeScanner{}, DataScanner{}} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return []core.Analyzer{serviceMerger{}} }

// installedDirs hold installed third-party trees: package inspection's job.
var installedDirs = map[string]bool{"site-packages": true, "dist-packages": true, "node_modules": true,
	".venv": true, "venv": true, ".tox": true, "__pycache__": true}

func inInstalledTree(p string) bool {
	dirs := strings.Split(p, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if installedDirs[d] {
			return true
		}
	}
	return false
}

// CodeScanner finds AI assets and unsafe loading in code and notebooks.
type CodeScanner struct{}

// Name implements core.Scanner.
func (CodeScanner) Name() string { return "aiassets/code" }

// FileRequired implements core.Scanner.
func (CodeScanner) FileRequired(f core.FileInfo) bool {
	ext := f.Ext()
	if ext != ".py" && ext != ".ipynb" && !jsLike(ext) {
		return false
	}
	if ext != ".py" && ext != ".ipynb" && strings.HasSuffix(f.Path, ".min.js") {
		return false // minified bundles: vendored code, not the project's
	}
	return !inInstalledTree(f.Path)
}

// Scan implements core.Scanner.
func (s CodeScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	ext := in.Ext()
	limit := int64(maxSourceBytes)
	if ext == ".ipynb" {
		limit = maxNotebookBytes
	}
	if in.Size > limit {
		return core.Result{Errors: []core.Error{{Path: in.Path, Scanner: s.Name(),
			Reason: fmt.Sprintf("file is %d bytes, over the %d-byte limit for code; not analysed", in.Size, limit)}}}, nil
	}
	b, err := in.ReadAll(limit)
	if err != nil {
		return core.Result{}, err
	}
	exists := rootExists(in.Root)
	if ext == ".ipynb" {
		return scanNotebook(ctx, in.Path, b, exists), nil
	}
	if looksBinary(in.Head) {
		return core.Result{Errors: []core.Error{{Path: in.Path, Scanner: s.Name(), Reason: "binary content (NUL bytes) in a source file; not analysed"}}}, nil
	}
	return scanSource(ctx, in.Path, ext, b, exists), nil
}

func looksBinary(head []byte) bool {
	for _, c := range head {
		if c == 0 {
			return true
		}
	}
	return false
}

func rootExists(root *os.Root) pathExists {
	if root == nil {
		return nil
	}
	return func(rel string) bool {
		if rel == "" || strings.HasPrefix(rel, "/") {
			return false
		}
		_, err := root.Stat(rel)
		return err == nil
	}
}

// scanSource analyses one Python or JS/TS file.
func scanSource(ctx context.Context, rel, ext string, b []byte, exists pathExists) core.Result {
	if !candidate(b) {
		return core.Result{}
	}
	loc := func(row, col uint) core.Location {
		return core.Location{Path: rel, Line: int(row) + 1, Column: int(col) + 1}
	}
	e := newEmitter(rel, exists)
	if ext == ".py" {
		facts, flags := analyzePython(ctx, b, loc)
		e.process(facts)
		e.flagPairs(flags)
	} else {
		e.process(analyzeJS(ctx, b, loc))
	}
	for _, k := range findKeys(b) {
		line, col := lineCol(b, k.offset)
		e.keyFinding(k, core.Location{Path: rel, Line: line, Column: col})
	}
	return e.finish()
}

// scanNotebook analyses a notebook's code cells as one Python file.
func scanNotebook(ctx context.Context, rel string, b []byte, exists pathExists) core.Result {
	nb, err := readNotebook(b)
	var res core.Result
	if err != nil {
		if errors.Is(err, errNotNotebook) && len(nb.code) == 0 {
			return core.Result{Errors: []core.Error{{Path: rel, Scanner: "aiassets/code", Reason: err.Error()}}}
		}
		res.Errors = append(res.Errors, core.Error{Path: rel, Scanner: "aiassets/code", Reason: err.Error() + " (code cells before the error were analysed)"})
	}
	if len(nb.code) == 0 || !candidate(nb.code) {
		return res
	}
	loc := func(row, _ uint) core.Location { return core.Location{Path: rel, Line: nb.line(row)} }
	e := newEmitter(rel, exists)
	facts, flags := analyzePython(ctx, nb.code, loc)
	e.process(facts)
	e.flagPairs(flags)
	for _, k := range findKeys(nb.code) {
		line, _ := lineCol(nb.code, k.offset)
		e.keyFinding(k, core.Location{Path: rel, Line: nb.line(uint(line - 1))})
	}
	out := e.finish()
	out.Errors = append(out.Errors, res.Errors...)
	return out
}

func (e *emitter) keyFinding(k keyHit, loc core.Location) {
	f := RuleAPIKeyLiteral.New(loc, fmt.Sprintf("%s API key written into the code", k.provider), k.redacted)
	e.findings = append(e.findings, f)
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(b []byte, off int) (int, int) {
	line, col := 1, 1
	for i := 0; i < off && i < len(b); i++ {
		if b[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// dataFormats maps data file extensions to formats.
var dataFormats = map[string]string{".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".arrow": "arrow"}

// DataScanner lists data files in the tree as dataset components with hashes.
type DataScanner struct{}

// Name implements core.Scanner.
func (DataScanner) Name() string { return "aiassets/data" }

// FileRequired implements core.Scanner.
func (DataScanner) FileRequired(f core.FileInfo) bool {
	_, ok := dataFormats[f.Ext()]
	return ok && f.Size > 0 && !inInstalledTree(f.Path)
}

// Scan implements core.Scanner.
func (s DataScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	format := dataFormats[in.Ext()]
	var res core.Result
	switch format {
	case "parquet":
		if !in.HasPrefix([]byte("PAR1")) {
			res.Errors = append(res.Errors, core.Error{Path: in.Path, Scanner: s.Name(), Reason: "named .parquet but does not start with the PAR1 magic"})
			format = "unknown"
		}
	case "arrow":
		if !in.HasPrefix([]byte("ARROW1")) && !in.HasPrefix([]byte{0xff, 0xff, 0xff, 0xff}) {
			res.Errors = append(res.Errors, core.Error{Path: in.Path, Scanner: s.Name(), Reason: "named .arrow but is neither an Arrow IPC file (ARROW1) nor a stream"})
			format = "unknown"
		}
	default:
		if looksBinary(in.Head) {
			res.Errors = append(res.Errors, core.Error{Path: in.Path, Scanner: s.Name(), Reason: "named ." + format + " but holds binary data (NUL bytes)"})
			format = "unknown"
		}
	}
	c := core.Component{Kind: core.KindDataset, Name: in.Path, Direct: true, Locations: []core.Location{{Path: in.Path}},
		ML: &core.ModelInfo{Format: format, Source: "file"}, Properties: map[string]string{core.PropFormat: format, "size": fmt.Sprint(in.Size)}}
	if in.Size > maxDataHashBytes {
		c.Properties["hash"] = fmt.Sprintf("not computed: over %d MiB", maxDataHashBytes>>20)
	} else {
		h := sha256.New()
		if _, err := io.Copy(h, io.LimitReader(&ctxReader{ctx, in.File}, maxDataHashBytes+1)); err != nil {
			return res, fmt.Errorf("hashing: %w", err)
		}
		c.Hashes = []core.Hash{{Algorithm: "sha256", Value: hex.EncodeToString(h.Sum(nil))}}
	}
	res.Components = append(res.Components, c)
	return res, nil
}

// ctxReader stops a long read when the scan is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// serviceMerger unions the per-file service components of one provider
// (models, endpoints) before the report merges duplicates, which would keep
// only the first file's properties.
type serviceMerger struct{}

func (serviceMerger) Name() string { return "aiassets/services" }

func (serviceMerger) Analyze(_ context.Context, r *core.Report) error {
	first := map[string]int{}
	sets := map[string]map[string]map[string]bool{}
	out := r.Components[:0]
	for _, c := range r.Components {
		if c.Kind != core.KindService || c.Ecosystem != "" || c.Version != "" {
			out = append(out, c)
			continue
		}
		key := c.Name
		if sets[key] == nil {
			sets[key] = map[string]map[string]bool{}
		}
		for _, p := range []string{PropModels, PropEndpoint, PropVia} {
			if v := c.Properties[p]; v != "" {
				if sets[key][p] == nil {
					sets[key][p] = map[string]bool{}
				}
				for _, s := range strings.Split(v, ",") {
					sets[key][p][s] = true
				}
			}
		}
		if i, ok := first[key]; ok {
			out[i].Locations = append(out[i].Locations, c.Locations...)
			continue
		}
		first[key] = len(out)
		out = append(out, c)
	}
	for key, i := range first {
		for p, set := range sets[key] {
			if out[i].Properties == nil {
				out[i].Properties = map[string]string{}
			}
			out[i].Properties[p] = joinSet(set)
		}
		sort.SliceStable(out[i].Locations, func(a, b int) bool {
			la, lb := out[i].Locations[a], out[i].Locations[b]
			if la.Path != lb.Path {
				return la.Path < lb.Path
			}
			return la.Line < lb.Line
		})
	}
	r.Components = out
	return nil
}
