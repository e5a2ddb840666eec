// Package modelscan finds code hidden in model files — pickle family
// (raw pickle, PyTorch zip/legacy/tar, joblib, numpy object arrays), Keras
// (.keras zip and legacy HDF5), ONNX, GGUF and safetensors, and zip, 7z,
// tar, gzip, bzip2, xz, zlib and lzma containers around any of these —
// without ever executing them. Pickles are walked opcode by opcode
// (subpackage pickle); everything else is parsed as bytes.
//
// Files are claimed by magic bytes (and, to widen the net, by extension);
// a container claimed by magic is only reported on when it holds model
// content, so ordinary zips and tarballs yield nothing.
//
// Only the bytes a verdict needs are read: the central directory and the
// .pkl members of a PyTorch zip (never the tensor data), the header of a
// safetensors file, the header and metadata of a GGUF file, the graph
// structure of an ONNX file (tensor payloads are skipped), the first
// HDF5Window bytes of an HDF5 file. Whole-file sha256 hashes are computed
// only up to Options.HashLimit (default 256 MiB).
//
// Bounds (memory is bounded by these, independent of input size):
//   - container nesting depth 3 (MaxDepth); deeper content is an Error;
//   - zip: central directory ≤ 64 MiB and ≤ 100,000 entries; members sniffed
//     ≤ 10,000; a member counts as a bomb when it declares or expands to more
//     than 1 GiB at a ratio above 200:1 (ASSAY-MDL-013);
//   - bytes decompressed from one member or stream: ≤ 4 GiB, and a nested zip
//     or 7z that needs random access is buffered in memory only up to 64 MiB;
//   - pickles: the walker's own bounds (see package pickle: ≤ 20M opcodes,
//     ≤ 256k stack, ≤ 1M memo entries, 256-byte retained strings);
//   - safetensors header ≤ 100 MiB; GGUF metadata ≤ 512 MiB read, ≤ 1M keys,
//     strings ≤ 64 MiB, kept chat templates ≤ 1 MiB; ONNX messages are
//     buffered only up to 4 MiB each (larger ones are walked field by field),
//     nesting ≤ 64; HDF5 search window 32 MiB, JSON configs ≤ 16 MiB.
//
// Worst-case live memory per scanned file is therefore roughly
// 64 MiB (nested buffer) × 3 levels + 100 MiB (safetensors header) plus the
// pickle walker's bound; typical scans use well under 10 MiB.
package modelscan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/modelscan/pickle"
)

// Bounds; see the package doc.
const (
	MaxDepth          = 3
	DefaultHashLimit  = 256 << 20
	maxCentralDir     = 64 << 20
	maxZipEntries     = 100_000
	maxSniffMembers   = 10_000
	maxNestedBuffer   = 64 << 20
	maxDecompressed   = 4 << 30
	bombRatio         = 200
	maxJSONConfig     = 16 << 20
	HDF5Window        = 32 << 20
	maxSafetensorsHdr = 100 << 20
)

// bombSize: a member or stream expanding beyond this at more than
// bombRatio:1 is a decompression bomb (a variable so tests can lower it).
var bombSize int64 = 1 << 30

// Options configure a Scanner.
type Options struct {
	// HashLimit bounds whole-file sha256 hashing (bytes); files above it get
	// Properties["sha256"] = "not computed: ...". 0 means DefaultHashLimit;
	// negative disables hashing.
	HashLimit int64
	// Limits overrides the pickle walker's bounds (zero: defaults).
	Limits pickle.Limits
}

// Scanner is the model-file scanner.
type Scanner struct{ opts Options }

// New returns a Scanner with the given options.
func New(o Options) *Scanner {
	if o.HashLimit == 0 {
		o.HashLimit = DefaultHashLimit
	}
	return &Scanner{opts: o}
}

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return []core.Scanner{New(Options{})} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return []core.Analyzer{PinAnalyzer{}} }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return append([]core.Rule(nil), allRules...) }

// Name implements core.Scanner.
func (s *Scanner) Name() string { return "model" }

// modelExts widen the net beyond magic bytes.
var modelExts = map[string]bool{
	".bin": true, ".pt": true, ".pth": true, ".ckpt": true, ".pkl": true, ".pickle": true, ".joblib": true,
	".npy": true, ".npz": true, ".keras": true, ".h5": true, ".hdf5": true, ".safetensors": true,
	".gguf": true, ".onnx": true, ".7z": true, ".zip": true, ".gz": true, ".bz2": true, ".xz": true,
	".tar": true, ".mar": true, ".pb": false, ".dat": false, ".sav": true, ".model": true,
}

// pickleExts are extensions under which a non-pickle is an error worth
// naming. (.pth is also Python's site-packages path file, .bin anything: a
// non-model there is silently ignored.)
var pickleExts = map[string]bool{".pkl": true, ".pickle": true, ".joblib": true, ".pt": true, ".ckpt": true, ".sav": true}

// proto01Exts may hold protocol 0/1 pickles (text-like, no magic).
var proto01Exts = map[string]bool{".pkl": true, ".pickle": true, ".joblib": true, ".sav": true, ".pt": true, ".ckpt": true}

// containerExts name pure containers: a corrupt one that holds no model is
// none of this scanner's business.
var containerExts = map[string]bool{".zip": true, ".7z": true, ".gz": true, ".bz2": true, ".xz": true, ".tar": true}

// isModelFileName reports whether name looks like a model file (not just a
// container), so problems reading it are worth an Error.
func isModelFileName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return modelExts[ext] && !containerExts[ext] && ext != ".pth" && ext != ".bin"
}

// FileRequired claims files by magic bytes and model extensions.
func (s *Scanner) FileRequired(f core.FileInfo) bool {
	if modelExts[f.Ext()] {
		return true // also answers the engine's name-only question for symlinks
	}
	if f.Size == 0 {
		return false
	}
	switch sniff(f.Head, "") {
	case fZip, f7z, fGzip, fBzip2, fXz, fHDF5, fGGUF, fNpy, fSafetensors, fPickle:
		return true
	case fTar:
		return true
	}
	return false
}

// Formats as sniffed.
const (
	fNone        = ""
	fZip         = "zip"
	f7z          = "7z"
	fGzip        = "gzip"
	fBzip2       = "bzip2"
	fXz          = "xz"
	fZlib        = "zlib"
	fLzma        = "lzma"
	fTar         = "tar"
	fHDF5        = "hdf5"
	fGGUF        = "gguf"
	fNpy         = "numpy"
	fSafetensors = "safetensors"
	fPickle      = "pickle"
	fONNX        = "onnx"
)

var (
	magicZip   = []byte("PK\x03\x04")
	magicZipE  = []byte("PK\x05\x06")
	magic7z    = []byte("7z\xbc\xaf\x27\x1c")
	magicGzip  = []byte{0x1f, 0x8b}
	magicXz    = []byte("\xfd7zXZ\x00")
	magicHDF5  = []byte("\x89HDF\r\n\x1a\n")
	magicGGUF  = []byte("GGUF")
	magicNpy   = []byte("\x93NUMPY")
	torchMagic = []byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19")
)

// sniff names the format of head; name (a file or member name) enables
// extension-only formats (ONNX, protocol 0/1 pickles, zlib/lzma joblib).
func sniff(head []byte, name string) string {
	switch {
	case bytes.HasPrefix(head, magicZip), bytes.HasPrefix(head, magicZipE):
		return fZip
	case bytes.HasPrefix(head, magic7z):
		return f7z
	case bytes.HasPrefix(head, magicGzip):
		return fGzip
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' && bytes.Equal(head[4:10], []byte("1AY&SY")):
		return fBzip2
	case bytes.HasPrefix(head, magicXz):
		return fXz
	case bytes.HasPrefix(head, magicHDF5):
		return fHDF5
	case bytes.HasPrefix(head, magicGGUF):
		return fGGUF
	case bytes.HasPrefix(head, magicNpy):
		return fNpy
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		return fPickle
	case isSafetensorsHead(head):
		return fSafetensors
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return fTar
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case ext == ".onnx":
		return fONNX
	case pickleExts[ext] || ext == ".bin" || ext == ".pth" || ext == ".model":
		if len(head) >= 2 && head[0] == 0x78 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			return fZlib
		}
		if len(head) >= 3 && head[0] == 0x5d && head[1] == 0 && head[2] == 0 {
			return fLzma
		}
		if len(head) > 0 && proto01Exts[ext] && looksLikeProto01(head) {
			return fPickle
		}
	case ext == ".safetensors":
		return fSafetensors
	case ext == ".gguf":
		return fGGUF
	case ext == ".npy":
		return fNpy
	case ext == ".h5" || ext == ".hdf5":
		// HDF5 with a user block: the superblock sits at 512/1024/...
		return fHDF5
	}
	return fNone
}

// looksLikeProto01 accepts the usual first opcodes of protocol 0/1 pickles.
func looksLikeProto01(h []byte) bool {
	switch h[0] {
	case '(', ']', '}', ')', 'c', 'N', 'I', 'S', 'V', 'X', 'K', 'J', 'G', 'F', 'L', 'U', 'T', 'l', 'd', 'i':
		return true
	}
	return false
}

func isSafetensorsHead(h []byte) bool {
	if len(h) < 10 {
		return false
	}
	n := uint64(h[0]) | uint64(h[1])<<8 | uint64(h[2])<<16 | uint64(h[3])<<24 | uint64(h[4])<<32 | uint64(h[5])<<40 | uint64(h[6])<<48 | uint64(h[7])<<56
	return n >= 2 && n <= maxSafetensorsHdr && h[8] == '{' && (h[9] == '"' || h[9] == '}' || h[9] == ' ' || h[9] == '\n')
}

// blob is one thing to analyse: the scanned file or a member of a container.
type blob struct {
	member string        // member chain inside the scanned file ("" = the file)
	name   string        // name used for extension hints
	ra     io.ReaderAt   // random access (nil for streams)
	r      *bufio.Reader // stream (when ra is nil)
	size   int64         // -1 when unknown
	head   []byte
	data   []byte // the whole blob, when small enough to have been read at once
	depth  int
	wrap   []string // containers around it, outermost first
}

// smallFile: files up to this size are read with one ReadAt and analysed
// in memory (one syscall, zero-copy pickle walk); larger ones are streamed.
const smallFile = 4 << 20

func (b *blob) stream() *bufio.Reader {
	if b.r != nil {
		return b.r
	}
	return bufio.NewReaderSize(io.NewSectionReader(b.ra, 0, b.size), 64<<10)
}

// randomAccess returns a ReaderAt for b, buffering a stream up to
// maxNestedBuffer bytes.
func (b *blob) randomAccess() (io.ReaderAt, int64, error) {
	if b.ra != nil {
		return b.ra, b.size, nil
	}
	data, err := core.ReadLimited(b.r, maxNestedBuffer)
	if err != nil {
		if errors.Is(err, core.ErrTooLarge) {
			return nil, 0, fmt.Errorf("nested archive larger than %d MiB cannot be inspected in memory", maxNestedBuffer>>20)
		}
		return nil, 0, err
	}
	b.ra, b.size, b.r = bytes.NewReader(data), int64(len(data)), nil
	return b.ra, b.size, nil
}

// detected is what a blob turned out to be.
type detected struct {
	Format    string
	Framework string
	Arch      string
	Params    map[string]string
	Pickle    bool // pickle-based (ASSAY-MDL-001)
	Wrap      []string
}

func (d *detected) param(k, v string) {
	if v == "" {
		return
	}
	if d.Params == nil {
		d.Params = map[string]string{}
	}
	d.Params[k] = v
}

// scan accumulates one file's results.
type scan struct {
	ctx  context.Context
	opts Options
	path string
	res  core.Result
}

func (sc *scan) find(r core.Rule, member string, off int64, msg, evidence string) {
	f := r.New(core.Location{Path: sc.path, Member: member, Offset: off}, msg, core.Clip(evidence, 300))
	sc.res.Findings = append(sc.res.Findings, f)
}

func (sc *scan) errorf(member, format string, a ...any) {
	sc.res.Errors = append(sc.res.Errors, core.Error{Path: sc.path, Member: member, Scanner: "model", Reason: fmt.Sprintf(format, a...)})
}

// Scan implements core.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	sc := &scan{ctx: ctx, opts: s.opts, path: in.Path}
	b := &blob{name: in.Path, ra: in.File, size: in.Size, head: in.Head}
	if in.Size <= smallFile {
		data := make([]byte, in.Size)
		n, err := in.File.ReadAt(data, 0)
		if int64(n) != in.Size {
			return sc.res, fmt.Errorf("cannot read: %v", err)
		}
		b.data, b.ra = data, bytes.NewReader(data)
	}
	det, err := sc.scanBlob(b)
	if err != nil {
		if errors.Is(err, errNotModel) {
			return sc.res, nil
		}
		sc.errorf("", "%v", err)
		return sc.res, nil
	}
	if det == nil {
		return sc.res, nil
	}
	c := sc.component(in.Path, "", det, in.Size)
	sc.hash(&c, in, b.data)
	if det.Pickle {
		sc.find(RulePickleFormat, "", 0, fmt.Sprintf("%s is %s: loading it can run code", in.Path, pickleKind(det.Format)), det.Format)
	}
	sc.res.Components = append(sc.res.Components, c)
	return sc.res, nil
}

// errNotModel says the blob holds no model content (not an error).
var errNotModel = errors.New("not a model")

func (sc *scan) component(name, member string, det *detected, size int64) core.Component {
	c := core.Component{
		Kind:       core.KindModel,
		Name:       name,
		Locations:  []core.Location{{Path: sc.path, Member: member}},
		Properties: map[string]string{core.PropFormat: det.Format},
		ML:         &core.ModelInfo{Format: det.Format, Framework: det.Framework, Architecture: det.Arch, Source: "file", Parameters: det.Params},
	}
	if size >= 0 {
		c.Properties["size"] = strconv.FormatInt(size, 10)
	}
	if len(det.Wrap) > 0 {
		c.Properties["container"] = strings.Join(det.Wrap, "/")
	}
	return c
}

func (sc *scan) hash(c *core.Component, in *core.Input, data []byte) {
	if sc.opts.HashLimit < 0 {
		return
	}
	if in.Size > sc.opts.HashLimit {
		c.Properties["sha256"] = fmt.Sprintf("not computed: file larger than %d bytes; use assay manifest", sc.opts.HashLimit)
		return
	}
	if data != nil {
		sum := sha256.Sum256(data)
		c.Hashes = []core.Hash{{Algorithm: "sha256", Value: hex.EncodeToString(sum[:])}}
		return
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(in.File, 0, in.Size)); err != nil {
		sc.errorf("", "cannot hash: %v", err)
		return
	}
	c.Hashes = []core.Hash{{Algorithm: "sha256", Value: hex.EncodeToString(h.Sum(nil))}}
}

func joinMember(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "!" + child
}

// scanBlob detects b's format and analyses it. It returns (nil, errNotModel)
// when b holds no model content.
func (sc *scan) scanBlob(b *blob) (*detected, error) {
	if err := sc.ctx.Err(); err != nil {
		return nil, err
	}
	if b.depth > MaxDepth {
		return nil, fmt.Errorf("containers nested deeper than %d levels; inner content not inspected", MaxDepth)
	}
	if b.head == nil && b.r != nil {
		b.head, _ = b.r.Peek(core.HeadSize)
	}
	format := sniff(b.head, b.name)
	var (
		det *detected
		err error
	)
	switch format {
	case fZip:
		det, err = sc.scanZip(b)
	case f7z:
		det, err = sc.scan7z(b)
	case fGzip, fBzip2, fXz, fZlib, fLzma:
		det, err = sc.scanCompressed(b, format)
	case fTar:
		det, err = sc.scanTar(b)
	case fPickle:
		det, err = sc.scanPickleBlob(b)
	case fNpy:
		det, err = sc.scanNpy(b)
	case fSafetensors:
		det, err = sc.scanSafetensors(b)
	case fGGUF:
		det, err = sc.scanGGUF(b)
	case fONNX:
		det, err = sc.scanONNX(b)
	case fHDF5:
		det, err = sc.scanHDF5(b)
	default:
		ext := strings.ToLower(path.Ext(b.name))
		if pickleExts[ext] && len(b.head) > 0 {
			return nil, fmt.Errorf("not a recognised model format (extension %s, first bytes %q)", ext, core.Clip(string(b.head[:min(8, len(b.head))]), 8))
		}
		return nil, errNotModel
	}
	if err != nil {
		return nil, err
	}
	if det == nil {
		return nil, errNotModel
	}
	return det, nil
}

// scanPickleBlob walks a whole blob as a (multi-)pickle stream.
func (sc *scan) scanPickleBlob(b *blob) (*detected, error) {
	var r *pickle.Result
	if b.data != nil {
		r = pickle.WalkBytes(b.data, sc.opts.Limits, nil)
	} else {
		r = pickle.Walk(b.stream(), sc.opts.Limits, nil)
	}
	if r.Ops == 0 || (r.Break != nil && !r.Break.AfterContent && r.Streams == 0) {
		if r.Break != nil {
			return nil, fmt.Errorf("not a valid pickle: %s", r.Break.Reason)
		}
		return nil, fmt.Errorf("not a valid pickle: empty")
	}
	sc.pickleFindings(b.member, 0, r)
	det := pickleDetected(r)
	det.Wrap = b.wrap
	return det, nil
}

// pickleDetected derives format/framework/architecture from imports.
func pickleDetected(r *pickle.Result) *detected {
	det := &detected{Format: "pickle", Pickle: true}
	if r.Torch {
		det.Format, det.Framework = "pytorch-legacy", "pytorch"
	}
	if r.Joblib {
		det.Format = "joblib"
	}
	fw := map[string]int{}
	for _, im := range r.Imports {
		top := im.Module
		if i := strings.IndexByte(top, '.'); i >= 0 {
			top = top[:i]
		}
		switch top {
		case "torch":
			fw["pytorch"]++
		case "sklearn":
			fw["scikit-learn"]++
			if det.Arch == "" && len(im.Name) > 0 && im.Name[0] >= 'A' && im.Name[0] <= 'Z' {
				det.Arch = im.Name
			}
		case "xgboost", "lightgbm", "catboost", "keras", "tensorflow", "pandas":
			fw[top]++
		case "numpy":
			fw["numpy"]++
		}
	}
	if det.Framework == "" {
		best, n := "", 0
		for _, k := range []string{"pytorch", "scikit-learn", "xgboost", "lightgbm", "catboost", "keras", "tensorflow", "pandas", "numpy"} {
			if fw[k] > n {
				best, n = k, fw[k]
			}
		}
		if fw["pytorch"] > 0 {
			best = "pytorch"
		} else if fw["scikit-learn"] > 0 {
			best = "scikit-learn"
		}
		det.Framework = best
	}
	det.param("pickle_protocol", strconv.Itoa(r.Proto))
	det.param("pickle_streams", strconv.Itoa(r.Streams))
	return det
}

// pickleFindings turns a walk into findings; base is added to offsets.
func (sc *scan) pickleFindings(member string, base int64, r *pickle.Result) {
	type agg struct {
		im    pickle.Import
		calls []pickle.Call
	}
	dangerous := map[string]*agg{}
	unknown := map[string]*agg{}
	var dOrder, uOrder []string
	for _, im := range r.Imports {
		q := im.Qualified()
		switch im.Class {
		case pickle.Dangerous:
			if dangerous[q] == nil {
				dangerous[q] = &agg{im: im}
				dOrder = append(dOrder, q)
			}
		case pickle.Unknown:
			if unknown[q] == nil {
				unknown[q] = &agg{im: im}
				uOrder = append(uOrder, q)
			}
		}
	}
	for _, c := range r.Calls {
		if a := dangerous[c.Callable]; a != nil && len(a.calls) < 2 {
			a.calls = append(a.calls, c)
		} else if a := unknown[c.Callable]; a != nil && len(a.calls) < 1 {
			a.calls = append(a.calls, c)
		}
	}
	for _, q := range dOrder {
		a := dangerous[q]
		ev := a.im.Op + " " + q
		msg := fmt.Sprintf("pickle imports %s (%s)", q, a.im.Reason)
		for _, c := range a.calls {
			ev += "; " + c.Op + " " + q + c.Args
			msg = fmt.Sprintf("pickle calls %s%s at load time (%s)", q, core.Clip(c.Args, 80), a.im.Reason)
		}
		sc.find(RuleDangerousImport, member, base+a.im.Offset, msg, ev)
	}
	for _, t := range r.Suspicious {
		sc.find(RuleDangerousImport, member, base+t.Offset, "pickle uses a deserializer trick: "+t.Reason, t.Name)
	}
	const maxUnknown = 25
	for i, q := range uOrder {
		if i == maxUnknown {
			rest := uOrder[maxUnknown:]
			sc.find(RuleUnknownImport, member, base+unknown[rest[0]].im.Offset,
				fmt.Sprintf("pickle imports %d more callables that are not known to be safe", len(rest)), strings.Join(rest, ", "))
			break
		}
		a := unknown[q]
		ev := a.im.Op + " " + q
		for _, c := range a.calls {
			ev += "; " + c.Op + " " + q + c.Args
		}
		sc.find(RuleUnknownImport, member, base+a.im.Offset, fmt.Sprintf("pickle imports %s, which is not on the known-safe list (%s)", q, a.im.Reason), ev)
	}
	if br := r.Break; br != nil {
		switch {
		case br.Ours:
			sc.errorf(member, "pickle analysis incomplete at offset %d: %s", base+br.Offset, br.Reason)
		case br.AfterContent:
			msg := fmt.Sprintf("pickle %d stops parsing at offset %d (%s) after %d opcodes; everything before the break runs when loaded", br.Stream+1, base+br.Offset, br.Reason, r.Ops)
			if len(dOrder) > 0 {
				msg += "; it already called dangerous code"
			}
			sc.find(RuleBrokenStream, member, base+br.Offset, msg, br.Reason)
		case r.Streams == 0:
			// Broken before any content: nothing to run, but nothing was
			// verified either — say so rather than pass it silently.
			sc.errorf(member, "not a valid pickle (offset %d: %s); its content could not be analysed", base+br.Offset, br.Reason)
		}
	}
	if r.Limit != "" {
		sc.errorf(member, "pickle analysis partial: %s", r.Limit)
	}
}

// sortedKeys returns m's keys sorted.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// pickleKind names a pickle-based format for messages ("a pickle file",
// "a pickle-based pytorch file").
func pickleKind(format string) string {
	if format == "pickle" {
		return "a pickle file"
	}
	return "a pickle-based " + format + " file"
}
