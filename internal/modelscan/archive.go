package modelscan

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/bodgit/sevenzip"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/modelscan/pickle"
)

// pending holds container-level findings that are only reported when the
// container turns out to hold model content.
type pending struct {
	rule    core.Rule
	member  string
	msg, ev string
	offset  int64
}

func (sc *scan) flush(ps []pending) {
	for _, p := range ps {
		sc.find(p.rule, p.member, p.offset, p.msg, p.ev)
	}
}

// unsafeEntryPath explains why an archive entry name escapes the extraction
// directory ("" when it does not).
func unsafeEntryPath(name string) string {
	n := strings.ReplaceAll(name, "\\", "/")
	switch {
	case strings.HasPrefix(n, "/"):
		return "absolute path"
	case len(n) >= 2 && n[1] == ':':
		return "drive-letter path"
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "'..' component"
		}
	}
	return ""
}

func (sc *scan) entryChecks(ps []pending, member, name string, mode fs.FileMode, linkTarget string) []pending {
	if why := unsafeEntryPath(name); why != "" {
		ps = append(ps, pending{rule: RuleArchivePath, member: member, msg: fmt.Sprintf("archive entry %q has an %s", core.Clip(name, 120), why), ev: name})
	}
	if mode&fs.ModeSymlink != 0 {
		ps = append(ps, pending{rule: RuleArchivePath, member: member, msg: fmt.Sprintf("archive entry %q is a symlink to %q", core.Clip(name, 120), core.Clip(linkTarget, 120)), ev: name + " -> " + linkTarget})
	}
	return ps
}

// checkCentralDir bounds the zip central directory before archive/zip
// allocates it.
func checkCentralDir(ra io.ReaderAt, size int64) error {
	const maxTail = 65535 + 22
	n := int64(maxTail)
	if n > size {
		n = size
	}
	tail := make([]byte, n)
	if _, err := ra.ReadAt(tail, size-n); err != nil && err != io.EOF {
		return err
	}
	i := strings.LastIndex(string(tail), "PK\x05\x06")
	if i < 0 || i+22 > len(tail) {
		return errors.New("zip end-of-central-directory record not found (truncated archive?)")
	}
	eocd := tail[i:]
	entries := uint64(binary.LittleEndian.Uint16(eocd[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(eocd[12:]))
	if (entries == 0xffff || cdSize == 0xffffffff) && i >= 20 && string(tail[i-20:i-16]) == "PK\x06\x07" {
		off := int64(binary.LittleEndian.Uint64(tail[i-20+8:]))
		rec := make([]byte, 56)
		if off >= 0 && off < size {
			if _, err := ra.ReadAt(rec, off); err == nil && string(rec[:4]) == "PK\x06\x06" {
				entries = binary.LittleEndian.Uint64(rec[32:])
				cdSize = binary.LittleEndian.Uint64(rec[40:])
			}
		}
	}
	if cdSize > maxCentralDir {
		return fmt.Errorf("zip central directory of %d bytes exceeds the %d MiB bound", cdSize, maxCentralDir>>20)
	}
	if entries > maxZipEntries {
		return fmt.Errorf("zip declares %d entries, more than the %d bound", entries, maxZipEntries)
	}
	return nil
}

func isModelExtName(name string) bool { return modelExts[strings.ToLower(path.Ext(name))] }

// reportable filters errors from inside containers: only members named like
// model files are worth an Error (a broken test archive inside an ordinary
// zip is not).
func (sc *scan) reportable(member, name string, err error) {
	if !errors.Is(err, errNotModel) && isModelFileName(name) {
		sc.errorf(member, "%v", err)
	}
}

// scanZip handles PyTorch zips, Keras v3 archives, npz files and zips that
// contain model files.
func (sc *scan) scanZip(b *blob) (*detected, error) {
	ra, size, err := b.randomAccess()
	if err != nil {
		return nil, err
	}
	if err := checkCentralDir(ra, size); err != nil {
		if isModelFileName(b.name) {
			return nil, err
		}
		return nil, errNotModel
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		if isModelFileName(b.name) {
			return nil, fmt.Errorf("corrupt zip: %v", err)
		}
		return nil, errNotModel
	}
	var (
		ps         []pending
		torchRoots = map[string]bool{}
		names      = map[string]*zip.File{}
		npy        = 0
		files      = 0
	)
	for _, f := range zr.File {
		names[f.Name] = f
		if f.FileInfo().IsDir() {
			continue
		}
		files++
		member := joinMember(b.member, f.Name)
		ps = sc.entryChecks(ps, member, f.Name, f.Mode(), "")
		if f.UncompressedSize64 > uint64(bombSize) && (f.CompressedSize64 == 0 || f.UncompressedSize64/max(f.CompressedSize64, 1) > bombRatio) {
			ps = append(ps, pending{rule: RuleArchiveBomb, member: member,
				msg: fmt.Sprintf("zip member declares %d bytes uncompressed from %d compressed (ratio over %d:1)", f.UncompressedSize64, f.CompressedSize64, bombRatio),
				ev:  fmt.Sprintf("%s: %d -> %d bytes", f.Name, f.CompressedSize64, f.UncompressedSize64)})
		}
		switch {
		case path.Base(f.Name) == "data.pkl":
			torchRoots[path.Dir(f.Name)] = true
		case strings.HasSuffix(strings.ToLower(f.Name), ".npy"):
			npy++
		}
	}
	switch {
	case len(torchRoots) > 0:
		sc.flush(ps)
		return sc.scanTorchZip(b, zr, torchRoots)
	case names["config.json"] != nil && (names["model.weights.h5"] != nil || names["metadata.json"] != nil):
		sc.flush(ps)
		return sc.scanKerasZip(b, zr, names)
	case npy > 0 && npy == files:
		sc.flush(ps)
		return sc.scanNpz(b, zr)
	}
	// A plain zip: report only the model files it holds.
	found := false
	sniffed := 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || f.UncompressedSize64 == 0 || f.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		if sniffed >= maxSniffMembers {
			sc.errorf(b.member, "zip has more than %d members; the rest were not inspected", maxSniffMembers)
			break
		}
		if !isModelExtName(f.Name) {
			continue // only model-named members are loaded by anything
		}
		sniffed++
		member := joinMember(b.member, f.Name)
		rc, err := f.Open()
		if err != nil {
			sc.reportable(member, f.Name, fmt.Errorf("cannot open zip member: %v", err))
			continue
		}
		nb := &blob{member: member, name: f.Name, r: bufio.NewReaderSize(&limitedReader{r: rc, n: maxDecompressed}, 64<<10), size: int64(f.UncompressedSize64), depth: b.depth + 1, wrap: nil}
		head, _ := nb.r.Peek(core.HeadSize)
		nb.head = head
		if sniff(head, f.Name) == fNone {
			rc.Close()
			continue
		}
		det, err := sc.scanBlob(nb)
		rc.Close()
		if err != nil {
			sc.reportable(member, f.Name, err)
			continue
		}
		if det != nil {
			found = true
			sc.emitNested(member, det, int64(f.UncompressedSize64))
		}
	}
	if found {
		sc.flush(ps)
	}
	return nil, errNotModel
}

// emitNested records a model found inside a multi-member container.
func (sc *scan) emitNested(member string, det *detected, size int64) {
	c := sc.component(sc.path+"!"+member, member, det, size)
	sc.res.Components = append(sc.res.Components, c)
	if det.Pickle {
		sc.find(RulePickleFormat, member, 0, fmt.Sprintf("%s inside %s is %s: loading it can run code", member, sc.path, pickleKind(det.Format)), det.Format)
	}
}

// scanTorchZip walks every .pkl member of a PyTorch zip archive and never
// reads the tensor data members.
func (sc *scan) scanTorchZip(b *blob, zr *zip.Reader, roots map[string]bool) (*detected, error) {
	det := &detected{Format: "pytorch", Framework: "pytorch", Pickle: true, Wrap: b.wrap}
	merged := &pickle.Result{}
	pkls := 0
	for _, f := range zr.File {
		name := f.Name
		if !strings.HasSuffix(name, ".pkl") {
			if strings.HasPrefix(path.Base(path.Dir(name)), "code") || strings.Contains(name, "/code/") {
				det.Format = "torchscript"
			}
			continue
		}
		member := joinMember(b.member, name)
		rc, err := f.Open()
		if err != nil {
			sc.errorf(member, "cannot open: %v", err)
			continue
		}
		r := pickle.Walk(bufio.NewReaderSize(&limitedReader{r: rc, n: maxDecompressed}, 64<<10), sc.opts.Limits, nil)
		rc.Close()
		pkls++
		sc.pickleFindings(member, 0, r)
		merged.Imports = append(merged.Imports, r.Imports...)
		if r.Proto > merged.Proto {
			merged.Proto = r.Proto
		}
		merged.Streams += r.Streams
	}
	pd := pickleDetected(merged)
	if pd.Arch != "" {
		det.Arch = pd.Arch
	}
	det.param("pickle_members", fmt.Sprint(pkls))
	det.param("pickle_protocol", fmt.Sprint(merged.Proto))
	return det, nil
}

// limitedReader fails (rather than silently stopping) past n bytes.
type limitedReader struct {
	r io.Reader
	n int64
}

var errDecompressLimit = fmt.Errorf("decompressed data exceeds the %d GiB bound", maxDecompressed>>30)

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errDecompressLimit
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// scanCompressed unwraps a single-stream compressor and scans its content.
func (sc *scan) scanCompressed(b *blob, format string) (*detected, error) {
	in := b.stream()
	var (
		r   io.Reader
		err error
	)
	switch format {
	case fGzip:
		var gz *gzip.Reader
		gz, err = gzip.NewReader(in)
		if err == nil {
			gz.Multistream(true)
			r = gz
		}
	case fBzip2:
		r = bzip2.NewReader(in)
	case fXz:
		r, err = xz.NewReader(in)
	case fZlib:
		r, err = zlib.NewReader(in)
	case fLzma:
		r, err = lzma.NewReader(in)
	}
	if err != nil {
		if isModelFileName(b.name) && format != fGzip && format != fXz && format != fBzip2 {
			return nil, fmt.Errorf("corrupt %s stream: %v", format, err)
		}
		return nil, errNotModel
	}
	cr := &countingReader{r: r, compressed: b.size}
	lr := &limitedReader{r: cr, n: maxDecompressed}
	inner := strings.TrimSuffix(b.name, path.Ext(b.name))
	if format == fZlib || format == fLzma {
		inner = b.name // joblib keeps its extension
	}
	nb := &blob{member: b.member, name: inner, r: bufio.NewReaderSize(lr, 64<<10), size: -1, depth: b.depth + 1, wrap: append(append([]string(nil), b.wrap...), format)}
	head, _ := nb.r.Peek(core.HeadSize)
	nb.head = head
	if len(head) == 0 || sniff(head, inner) == fNone {
		return nil, errNotModel
	}
	det, err := sc.scanBlob(nb)
	if cr.tripped {
		sc.find(RuleArchiveBomb, b.member, 0, fmt.Sprintf("%s stream expands to more than %d bytes at a ratio above %d:1; inspection stopped there", format, cr.n, bombRatio),
			fmt.Sprintf("%s: %d compressed bytes -> more than %d", format, b.size, cr.n))
	}
	if err != nil {
		return nil, err
	}
	if det != nil {
		det.Wrap = nb.wrap
		if (det.Format == "pytorch" || det.Format == "torchscript") && (format == fGzip || format == fBzip2 || format == fXz) {
			sc.find(RuleWrapped, b.member, 0, fmt.Sprintf("pickle-based model (%s) is wrapped in %s; loaders do not expect this and scanners that skip compressed files miss it", det.Format, format), format+" > "+det.Format)
		}
	}
	return det, nil
}

// countingReader counts decompressed bytes and stops a stream that expands
// beyond bombSize at more than bombRatio times its compressed size.
type countingReader struct {
	r          io.Reader
	n          int64
	compressed int64 // -1 when unknown
	tripped    bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.tripped {
		return 0, errDecompressLimit
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > bombSize && c.compressed > 0 && c.n/c.compressed > bombRatio {
		c.tripped = true
	}
	return n, err
}

// scanTar handles legacy torch.save tar checkpoints and tarballs holding
// model files.
func (sc *scan) scanTar(b *blob) (*detected, error) {
	tr := tar.NewReader(b.stream())
	var (
		ps      []pending
		legacy  = map[string]bool{}
		found   bool
		det     *detected
		entries int
	)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if found || legacy["pickle"] {
				sc.errorf(b.member, "tar: %v", err)
			}
			break
		}
		entries++
		if entries > maxZipEntries {
			sc.errorf(b.member, "tar has more than %d entries; the rest were not inspected", maxZipEntries)
			break
		}
		member := joinMember(b.member, h.Name)
		mode := h.FileInfo().Mode()
		if h.Typeflag == tar.TypeLink {
			mode |= fs.ModeSymlink
		}
		ps = sc.entryChecks(ps, member, h.Name, mode, h.Linkname)
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		base := path.Base(h.Name)
		switch base {
		case "sys_info", "pickle", "storages", "tensors":
			if base == "sys_info" || base == "pickle" || len(legacy) > 0 {
				legacy[base] = true
				if det == nil {
					det = &detected{Format: "pytorch-tar", Framework: "pytorch", Pickle: true, Wrap: b.wrap}
				}
				sc.scanLegacyTarMember(member, base, bufio.NewReaderSize(tr, 64<<10))
				found = true
				continue
			}
		}
		if !isModelExtName(h.Name) {
			continue
		}
		br := bufio.NewReaderSize(&limitedReader{r: tr, n: maxDecompressed}, 64<<10)
		head, _ := br.Peek(core.HeadSize)
		if sniff(head, h.Name) == fNone {
			continue
		}
		nb := &blob{member: member, name: h.Name, r: br, head: head, size: h.Size, depth: b.depth + 1}
		d, err := sc.scanBlob(nb)
		if err != nil {
			sc.reportable(member, h.Name, err)
			continue
		}
		if d != nil {
			found = true
			sc.emitNested(member, d, h.Size)
		}
	}
	if found {
		sc.flush(ps)
	}
	if det != nil {
		return det, nil
	}
	return nil, errNotModel
}

// scanLegacyTarMember walks the pickles of a pre-1.6 torch tar checkpoint:
// "pickle" and "sys_info" are single pickles; "storages" and "tensors"
// interleave small pickles with raw data whose size the pickles give.
func (sc *scan) scanLegacyTarMember(member, base string, br *bufio.Reader) {
	lim := sc.opts.Limits
	if base == "pickle" || base == "sys_info" {
		r := pickle.Walk(br, lim, nil)
		sc.pickleFindings(member, 0, r)
		return
	}
	rd := br
	// count pickle
	first := pickle.WalkOne(rd, lim, nil)
	sc.pickleFindings(member, 0, first.Result)
	if first.Result.Break != nil || first.Top.K != pickle.KInt {
		return
	}
	n := first.Top.N
	if n > 1<<20 {
		sc.errorf(member, "legacy torch %s declares %d records; not walked", base, n)
		return
	}
	var off int64 = first.Result.Bytes
	for i := int64(0); i < n; i++ {
		one := pickle.WalkOne(rd, lim, nil)
		sc.pickleFindings(member, off, one.Result)
		off += one.Result.Bytes
		if one.Result.Break != nil {
			return
		}
		var skip int64
		switch base {
		case "storages":
			var hdr [8]byte
			if _, err := io.ReadFull(rd, hdr[:]); err != nil {
				return
			}
			numel := int64(binary.LittleEndian.Uint64(hdr[:]))
			el := storageElemSize(one.Top)
			if el <= 0 || numel < 0 || numel > 1<<40 {
				sc.errorf(member, "legacy torch storage %d: unknown element size; rest not walked", i)
				return
			}
			skip = numel * el
			off += 8
		case "tensors":
			var nd [4]byte
			if _, err := io.ReadFull(rd, nd[:]); err != nil {
				return
			}
			ndim := int64(binary.LittleEndian.Uint32(nd[:]))
			if ndim > 64 {
				sc.errorf(member, "legacy torch tensor %d: %d dimensions; rest not walked", i, ndim)
				return
			}
			skip = 16*ndim + 8
			off += 4
		}
		if _, err := rd.Discard(int(skip)); err != nil {
			return
		}
		off += skip
	}
}

// storageElemSize reads the element size from a legacy storage record
// (key, location, storage_type).
func storageElemSize(v pickle.Value) int64 {
	if v.K != pickle.KTuple || len(v.Sub) < 3 || v.Sub[2].K != pickle.KGlobal {
		return -1
	}
	name := v.Sub[2].S
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	switch name {
	case "DoubleStorage", "LongStorage", "ComplexFloatStorage":
		return 8
	case "FloatStorage", "IntStorage":
		return 4
	case "HalfStorage", "ShortStorage", "BFloat16Storage":
		return 2
	case "ByteStorage", "CharStorage", "BoolStorage", "QUInt8Storage", "QInt8Storage":
		return 1
	case "ComplexDoubleStorage":
		return 16
	}
	return -1
}

// scan7z handles 7z archives; a PyTorch layout inside 7z is the first
// nullifAI evasion.
func (sc *scan) scan7z(b *blob) (det *detected, err error) {
	ra, size, err := b.randomAccess()
	if err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			det, err = nil, fmt.Errorf("7z reader failed: %v", p)
		}
	}()
	zr, err := sevenzip.NewReader(ra, size)
	if err != nil {
		if isModelFileName(b.name) {
			return nil, fmt.Errorf("corrupt 7z archive: %v", err)
		}
		return nil, errNotModel
	}
	var (
		ps     []pending
		found  bool
		torch  bool
		merged = &pickle.Result{}
	)
	for _, f := range zr.File {
		if path.Base(f.Name) == "data.pkl" {
			torch = true
		}
	}
	for i, f := range zr.File {
		if i >= maxSniffMembers {
			sc.errorf(b.member, "7z has more than %d members; the rest were not inspected", maxSniffMembers)
			break
		}
		fi := f.FileInfo()
		member := joinMember(b.member, f.Name)
		ps = sc.entryChecks(ps, member, f.Name, fi.Mode(), "")
		if fi.IsDir() || f.UncompressedSize == 0 {
			continue
		}
		if torch && strings.Contains("/"+f.Name, "/data/") && !strings.HasSuffix(f.Name, ".pkl") {
			continue // tensor bytes
		}
		if !torch && !isModelExtName(f.Name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			if torch {
				sc.errorf(member, "cannot open 7z member: %v", err)
			} else {
				sc.reportable(member, f.Name, fmt.Errorf("cannot open 7z member: %v", err))
			}
			continue
		}
		br := bufio.NewReaderSize(&limitedReader{r: rc, n: maxDecompressed}, 64<<10)
		if torch && strings.HasSuffix(f.Name, ".pkl") {
			r := pickle.Walk(br, sc.opts.Limits, nil)
			rc.Close()
			sc.pickleFindings(member, 0, r)
			merged.Imports = append(merged.Imports, r.Imports...)
			if r.Proto > merged.Proto {
				merged.Proto = r.Proto
			}
			continue
		}
		head, _ := br.Peek(core.HeadSize)
		if sniff(head, f.Name) == fNone {
			rc.Close()
			continue
		}
		nb := &blob{member: member, name: f.Name, r: br, head: head, size: int64(f.UncompressedSize), depth: b.depth + 1, wrap: []string{"7z"}}
		d, err := sc.scanBlob(nb)
		rc.Close()
		if err != nil {
			sc.reportable(member, f.Name, err)
			continue
		}
		if d != nil {
			found = true
			if d.Pickle {
				sc.find(RuleWrapped, member, 0, fmt.Sprintf("pickle-based %s model is packed in a 7z archive, which its loader does not expect", d.Format), "7z > "+d.Format)
			}
			sc.emitNested(member, d, int64(f.UncompressedSize))
		}
	}
	if torch {
		sc.flush(ps)
		sc.find(RuleWrapped, b.member, 0, "PyTorch archive layout (data.pkl) packed with 7z instead of zip: the nullifAI evasion", "7z > pytorch")
		d := &detected{Format: "pytorch", Framework: "pytorch", Pickle: true, Wrap: append(append([]string(nil), b.wrap...), "7z")}
		if pd := pickleDetected(merged); pd.Arch != "" {
			d.Arch = pd.Arch
		}
		d.param("pickle_protocol", fmt.Sprint(merged.Proto))
		return d, nil
	}
	if found {
		sc.flush(ps)
	}
	return nil, errNotModel
}
