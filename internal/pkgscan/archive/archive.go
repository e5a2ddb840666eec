// Package archive reads package archives (zip: wheels, sdist zips, Go module
// zips; tar, optionally gzip- or xz-compressed: sdists, npm tarballs) member by
// member without extracting anything to disk and with hard bounds:
//
//   - at most Limits.MaxEntries members per archive;
//   - at most Limits.MaxTotal uncompressed bytes read across the archive
//     (nested archives included);
//   - at most Limits.MaxEntry bytes read from one member (reads beyond it fail);
//   - a compression ratio (uncompressed/compressed) above Limits.MaxRatio, once
//     more than ratioFloor bytes were produced, is reported as a bomb and stops
//     the archive;
//   - nested archives are opened at most Limits.MaxDepth levels deep, buffered
//     in memory only up to Limits.MaxNested bytes each.
//
// Memory is bounded by the caller's own reads (members are streamed through an
// io.Reader; nothing is buffered except nested archives, capped as above) plus
// the zip central directory, which archive/zip holds in memory (bounded by
// MaxEntries, checked before it is read when the end-of-directory record says
// how many entries there are).
//
// Unsafe members — absolute paths, ".." traversal, symlinks, hard links,
// device files — are never followed; they are reported as Problems naming the
// member so the caller can turn them into findings.
package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/ulikunitz/xz"
)

// Limits bound what reading one archive may cost.
type Limits struct {
	MaxEntries int     // members per archive
	MaxTotal   int64   // uncompressed bytes read across the archive tree
	MaxEntry   int64   // bytes read from one member
	MaxRatio   float64 // uncompressed/compressed above which reading stops
	MaxDepth   int     // nesting depth of archives inside archives (0: none)
	MaxNested  int64   // size of a nested archive buffered in memory
}

// DefaultLimits are generous for real packages (torch wheels hold ~15k
// members and ~2 GB) and stop bombs early.
var DefaultLimits = Limits{
	MaxEntries: 200_000,
	MaxTotal:   4 << 30,
	MaxEntry:   1 << 30,
	MaxRatio:   200,
	MaxDepth:   2,
	MaxNested:  64 << 20,
}

// ratioFloor is how many uncompressed bytes must have been produced before
// the ratio check applies (tiny files compress absurdly well and are harmless).
const ratioFloor = 8 << 20

// Format is an archive container format.
type Format string

// Formats recognised by Detect.
const (
	FormatNone  Format = ""
	FormatZip   Format = "zip"
	FormatTar   Format = "tar"
	FormatTarGz Format = "tar.gz"
	FormatTarXz Format = "tar.xz"
	FormatGzip  Format = "gz" // gzip that is not a tar (only known after reading)
)

// Detect recognises an archive by its leading bytes (at least 262 bytes for
// plain tar; fewer are fine for zip, gzip and xz).
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return FormatTarGz
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return FormatTarXz
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return FormatTar
	}
	return FormatNone
}

// Kind is what a member is.
type Kind int

// Member kinds.
const (
	KindFile Kind = iota
	KindDir
	KindSymlink
	KindHardlink
	KindOther // devices, fifos, unknown tar types
)

// Entry is one archive member as declared by its header.
type Entry struct {
	// Name is the member path as stored (slash-separated, may be unsafe).
	Name string
	// Path is Name with nesting: "inner.whl!pkg/mod.py" for members of a
	// nested archive (the outer archive's own path is not included).
	Path string
	Kind Kind
	// Size is the declared uncompressed size (may lie; reads are bounded anyway).
	Size int64
	// Link is the target of a symlink or hard link.
	Link string
	// Depth is 0 for members of the outer archive.
	Depth int
}

// ProblemKind classifies an unsafe or over-limit archive.
type ProblemKind string

// Problem kinds.
const (
	ProblemTraversal ProblemKind = "traversal" // absolute path or ".." component
	ProblemLink      ProblemKind = "link"      // symlink or hard link member
	ProblemSpecial   ProblemKind = "special"   // device, fifo, unknown type
	ProblemEntries   ProblemKind = "entries"   // too many members
	ProblemSize      ProblemKind = "size"      // total or member size over limit
	ProblemBomb      ProblemKind = "bomb"      // compression ratio over limit
	ProblemDepth     ProblemKind = "depth"     // nesting too deep
	ProblemCorrupt   ProblemKind = "corrupt"   // unreadable structure
	ProblemDuplicate ProblemKind = "duplicate" // the same member name twice
)

// Problem is an unsafe or over-limit condition, naming the member.
type Problem struct {
	Kind   ProblemKind
	Member string
	Detail string
	// Link is the target of a link member (ProblemLink only).
	Link string
}

func (p Problem) String() string {
	if p.Member == "" {
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("%s: %s: %s", p.Kind, p.Member, p.Detail)
}

// ErrStop may be returned by a Visit function to stop walking early.
var ErrStop = errors.New("stop")

// ErrLimit is wrapped by read errors caused by a Limits bound.
var ErrLimit = errors.New("archive limit exceeded")

// Visit is called for each regular member whose name is safe. open returns a
// reader over the member's content, bounded by MaxEntry and MaxTotal; it may
// be called at most once and must be consumed before Visit returns.
type Visit func(e Entry, open func() (io.Reader, error)) error

// Walk reads the archive in r (size bytes, format f) and calls visit for each
// safe regular member. Nested archives (by name: .whl, .zip, .tar.gz, .tgz,
// .tar) are descended into up to MaxDepth, and their members visited with a
// nested Path. Unsafe and over-limit members are returned as Problems; the
// error is non-nil only when the archive could not be read at all.
func Walk(r io.ReaderAt, size int64, f Format, lim Limits, visit Visit) ([]Problem, error) {
	w := &walker{lim: lim, visit: visit}
	err := w.walk(r, size, f, "", 0)
	if errors.Is(err, ErrStop) {
		err = nil
	}
	return w.problems, err
}

type walker struct {
	lim      Limits
	visit    Visit
	total    int64
	problems []Problem
	stopped  bool
}

// problem records a Problem (at most maxProblems per archive) and returns it
// for the caller to annotate, or a throw-away value beyond the cap.
func (w *walker) problem(k ProblemKind, member, format string, a ...any) *Problem {
	if len(w.problems) >= maxProblems {
		return &Problem{}
	}
	w.problems = append(w.problems, Problem{Kind: k, Member: member, Detail: fmt.Sprintf(format, a...)})
	return &w.problems[len(w.problems)-1]
}

const maxProblems = 1000

func (w *walker) walk(r io.ReaderAt, size int64, f Format, prefix string, depth int) error {
	switch f {
	case FormatZip:
		return w.walkZip(r, size, prefix, depth)
	case FormatTar:
		return w.walkTar(io.NewSectionReader(r, 0, size), size, prefix, depth)
	case FormatTarGz:
		sr := &countReader{r: io.NewSectionReader(r, 0, size)}
		zr, err := gzip.NewReader(sr)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(true)
		return w.walkTar(&ratioReader{r: zr, in: sr, w: w, member: prefix}, size, prefix, depth)
	case FormatTarXz:
		sr := &countReader{r: io.NewSectionReader(r, 0, size)}
		cfg := xz.ReaderConfig{DictCap: 64 << 20}
		xr, err := cfg.NewReader(sr)
		if err != nil {
			return fmt.Errorf("xz: %w", err)
		}
		return w.walkTar(&ratioReader{r: xr, in: sr, w: w, member: prefix}, size, prefix, depth)
	}
	return fmt.Errorf("not a recognised archive")
}

// zipEntryCount reads the end-of-central-directory record to learn how many
// entries the zip claims, before archive/zip loads the whole directory.
func zipEntryCount(r io.ReaderAt, size int64) (int64, bool) {
	const eocdLen = 22
	n := int64(eocdLen + 65535)
	if n > size {
		n = size
	}
	if n < eocdLen {
		return 0, false
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	cnt := int64(binary.LittleEndian.Uint16(buf[i+10:]))
	if cnt == 0xffff { // zip64: look for the zip64 locator just before
		if i >= 20 && bytes.Equal(buf[i-20:i-16], []byte("PK\x06\x07")) {
			off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
			rec := make([]byte, 56)
			if off >= 0 && off+56 <= size {
				if _, err := r.ReadAt(rec, off); err == nil && bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
					return int64(binary.LittleEndian.Uint64(rec[32:])), true
				}
			}
		}
		return 0, false
	}
	return cnt, true
}

func (w *walker) walkZip(r io.ReaderAt, size int64, prefix string, depth int) error {
	if n, ok := zipEntryCount(r, size); ok && n > int64(w.lim.MaxEntries) {
		w.problem(ProblemEntries, prefix, "zip declares %d entries (limit %d); not read", n, w.lim.MaxEntries)
		return nil
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return fmt.Errorf("zip: %w", err)
	}
	if len(zr.File) > w.lim.MaxEntries {
		w.problem(ProblemEntries, prefix, "zip has %d entries (limit %d); not read", len(zr.File), w.lim.MaxEntries)
		return nil
	}
	seen := make(map[string]bool, len(zr.File))
	for _, zf := range zr.File {
		if w.stopped {
			return ErrStop
		}
		name := zf.Name
		full := prefix + name
		mode := zf.Mode()
		e := Entry{Name: name, Path: full, Size: int64(zf.UncompressedSize64), Depth: depth}
		switch {
		case mode&fs.ModeSymlink != 0:
			e.Kind = KindSymlink
		case zf.FileInfo().IsDir() || strings.HasSuffix(name, "/"):
			e.Kind = KindDir
		case mode.Type()&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice|fs.ModeIrregular) != 0:
			e.Kind = KindOther
		}
		if seen[name] && e.Kind == KindFile {
			w.problem(ProblemDuplicate, full, "member name appears more than once (installers disagree on which copy wins)")
		}
		seen[name] = true
		if !w.check(&e) {
			continue
		}
		if e.Kind != KindFile {
			continue
		}
		if zf.UncompressedSize64 > uint64(w.lim.MaxEntry) {
			w.problem(ProblemSize, full, "declared size %d exceeds per-member limit %d", zf.UncompressedSize64, w.lim.MaxEntry)
		}
		comp := int64(zf.CompressedSize64)
		if zf.UncompressedSize64 > ratioFloor && comp > 0 && float64(zf.UncompressedSize64)/float64(comp) > w.lim.MaxRatio {
			w.problem(ProblemBomb, full, "declared compression ratio %.0f:1 exceeds %.0f:1; not read", float64(zf.UncompressedSize64)/float64(comp), w.lim.MaxRatio)
			continue
		}
		zf := zf
		opened := false
		open := func() (io.Reader, error) {
			if opened {
				return nil, errors.New("member opened twice")
			}
			opened = true
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			return &memberReader{r: rc, w: w, member: full, left: w.lim.MaxEntry, comp: comp}, nil
		}
		if err := w.member(e, open, depth); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) walkTar(r io.Reader, size int64, prefix string, depth int) error {
	tr := tar.NewReader(r)
	n := 0
	seen := map[string]bool{}
	for {
		if w.stopped {
			return ErrStop
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return nil // already reported
			}
			if n == 0 {
				return fmt.Errorf("tar: %w", err)
			}
			w.problem(ProblemCorrupt, prefix, "tar stream broken after %d members: %v", n, err)
			return nil
		}
		n++
		if n > w.lim.MaxEntries {
			w.problem(ProblemEntries, prefix, "more than %d members; rest not read", w.lim.MaxEntries)
			return nil
		}
		name := h.Name
		full := prefix + name
		e := Entry{Name: name, Path: full, Size: h.Size, Depth: depth, Link: h.Linkname}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			e.Kind = KindFile
		case tar.TypeDir:
			e.Kind = KindDir
		case tar.TypeSymlink:
			e.Kind = KindSymlink
		case tar.TypeLink:
			e.Kind = KindHardlink
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			continue
		default:
			e.Kind = KindOther
		}
		if seen[name] && e.Kind == KindFile {
			w.problem(ProblemDuplicate, full, "member name appears more than once (the last copy wins on extraction)")
		}
		seen[name] = true
		if !w.check(&e) || e.Kind != KindFile {
			continue
		}
		if h.Size > w.lim.MaxEntry {
			w.problem(ProblemSize, full, "declared size %d exceeds per-member limit %d", h.Size, w.lim.MaxEntry)
		}
		opened := false
		open := func() (io.Reader, error) {
			if opened {
				return nil, errors.New("member opened twice")
			}
			opened = true
			return &memberReader{r: tr, w: w, member: full, left: w.lim.MaxEntry}, nil
		}
		if err := w.member(e, open, depth); err != nil {
			return err
		}
	}
}

// check reports unsafe names and link/special members; it returns false when
// the member must not be visited.
func (w *walker) check(e *Entry) bool {
	switch e.Kind {
	case KindSymlink:
		w.problem(ProblemLink, e.Path, "symbolic link to %q (not followed)", e.Link).Link = e.Link
		return false
	case KindHardlink:
		w.problem(ProblemLink, e.Path, "hard link to %q (not followed)", e.Link).Link = e.Link
		return false
	case KindOther:
		w.problem(ProblemSpecial, e.Path, "special member (device, fifo or unknown type)")
		return false
	}
	if why := UnsafeName(e.Name); why != "" {
		w.problem(ProblemTraversal, e.Path, "%s", why)
		return false
	}
	return true
}

// UnsafeName says why an archive member name would escape the extraction
// directory ("" when it is safe).
func UnsafeName(name string) string {
	n := strings.ReplaceAll(name, "\\", "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return "absolute path"
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "path traversal (\"..\" component)"
		}
	}
	if strings.ContainsRune(n, 0) {
		return "NUL byte in name"
	}
	return ""
}

// nestedFormat says whether a member should be descended into.
func nestedFormat(name string) Format {
	l := strings.ToLower(name)
	switch {
	case strings.HasSuffix(l, ".whl"), strings.HasSuffix(l, ".zip"), strings.HasSuffix(l, ".egg"):
		return FormatZip
	case strings.HasSuffix(l, ".tar.gz"), strings.HasSuffix(l, ".tgz"):
		return FormatTarGz
	case strings.HasSuffix(l, ".tar"):
		return FormatTar
	}
	return FormatNone
}

func (w *walker) member(e Entry, open func() (io.Reader, error), depth int) error {
	nf := nestedFormat(e.Name)
	if nf == FormatNone {
		return w.callVisit(e, open)
	}
	if depth+1 > w.lim.MaxDepth {
		w.problem(ProblemDepth, e.Path, "nested archive deeper than %d levels; not opened", w.lim.MaxDepth)
		return w.callVisit(e, open)
	}
	if e.Size > w.lim.MaxNested {
		w.problem(ProblemSize, e.Path, "nested archive of %d bytes exceeds %d; not opened", e.Size, w.lim.MaxNested)
		return w.callVisit(e, open)
	}
	rd, err := open()
	if err != nil {
		w.problem(ProblemCorrupt, e.Path, "cannot read: %v", err)
		return nil
	}
	buf, err := io.ReadAll(io.LimitReader(rd, w.lim.MaxNested+1))
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return nil
		}
		w.problem(ProblemCorrupt, e.Path, "cannot read: %v", err)
		return nil
	}
	if int64(len(buf)) > w.lim.MaxNested {
		w.problem(ProblemSize, e.Path, "nested archive exceeds %d bytes; not opened", w.lim.MaxNested)
		return nil
	}
	// The member itself is visited too (the caller may want its bytes).
	if err := w.callVisit(e, func() (io.Reader, error) { return bytes.NewReader(buf), nil }); err != nil {
		return err
	}
	if f := Detect(buf); f != FormatNone {
		nf = f
	}
	if err := w.walk(bytes.NewReader(buf), int64(len(buf)), nf, e.Path+"!", depth+1); err != nil {
		if errors.Is(err, ErrStop) {
			return err
		}
		w.problem(ProblemCorrupt, e.Path, "nested archive unreadable: %v", err)
	}
	return nil
}

func (w *walker) callVisit(e Entry, open func() (io.Reader, error)) error {
	err := w.visit(e, open)
	if errors.Is(err, ErrStop) {
		w.stopped = true
		return ErrStop
	}
	if errors.Is(err, ErrLimit) {
		return nil
	}
	return err
}

// memberReader bounds one member's reads and the archive-wide total, and
// checks the per-member ratio for zip members.
type memberReader struct {
	r      io.Reader
	w      *walker
	member string
	left   int64
	read   int64
	comp   int64
	failed error
}

func (m *memberReader) Read(p []byte) (int, error) {
	if m.failed != nil {
		return 0, m.failed
	}
	if m.left <= 0 {
		m.w.problem(ProblemSize, m.member, "member larger than %d bytes; read stopped", m.w.lim.MaxEntry)
		m.failed = fmt.Errorf("%w: member %s over %d bytes", ErrLimit, m.member, m.w.lim.MaxEntry)
		return 0, m.failed
	}
	if int64(len(p)) > m.left {
		p = p[:m.left]
	}
	n, err := m.r.Read(p)
	m.left -= int64(n)
	m.read += int64(n)
	m.w.total += int64(n)
	if m.w.total > m.w.lim.MaxTotal {
		m.w.problem(ProblemSize, m.member, "archive expands beyond %d bytes; reading stopped", m.w.lim.MaxTotal)
		m.w.stopped = true
		m.failed = fmt.Errorf("%w: total over %d bytes", ErrLimit, m.w.lim.MaxTotal)
		return n, m.failed
	}
	if m.comp > 0 && m.read > ratioFloor && float64(m.read)/float64(m.comp) > m.w.lim.MaxRatio {
		m.w.problem(ProblemBomb, m.member, "expands more than %.0f:1 (%d bytes from %d); read stopped", m.w.lim.MaxRatio, m.read, m.comp)
		m.failed = fmt.Errorf("%w: ratio", ErrLimit)
		return n, m.failed
	}
	return n, err
}

// countReader counts bytes read from the compressed stream.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader stops a decompression stream whose output outgrows its input.
type ratioReader struct {
	r      io.Reader
	in     *countReader
	out    int64
	w      *walker
	member string
	failed error
}

func (r *ratioReader) Read(p []byte) (int, error) {
	if r.failed != nil {
		return 0, r.failed
	}
	n, err := r.r.Read(p)
	r.out += int64(n)
	if r.out > ratioFloor && r.in.n > 0 && float64(r.out)/float64(r.in.n) > r.w.lim.MaxRatio {
		m := strings.TrimSuffix(r.member, "!")
		r.w.problem(ProblemBomb, m, "compressed stream expands more than %.0f:1 (%d bytes from %d); reading stopped", r.w.lim.MaxRatio, r.out, r.in.n)
		r.w.stopped = true
		r.failed = fmt.Errorf("%w: decompression ratio", ErrLimit)
		return n, r.failed
	}
	return n, err
}

// StripTop removes a leading "name-version/" or "package/" directory that
// sdists and npm tarballs wrap everything in, so paths compare across
// releases. It returns p unchanged when p has no directory.
func StripTop(p string) string {
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Clean normalises a safe member name to a slash path without "./".
func Clean(name string) string {
	c := path.Clean(strings.ReplaceAll(name, "\\", "/"))
	return strings.TrimPrefix(c, "./")
}
