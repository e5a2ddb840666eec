package datagate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet bounds. The footer (file metadata) and every page are checked
// against them before parquet-go allocates a buffer for them, so a crafted
// size field cannot make the reader allocate gigabytes.
const (
	// MaxParquetFooter bounds the Thrift-encoded file metadata.
	MaxParquetFooter = 64 << 20
	// MaxParquetPage bounds one page, compressed or uncompressed.
	MaxParquetPage = 256 << 20
	// parquetBatch is how many rows are decoded at a time.
	parquetBatch = 128
	// maxPageHeader bounds one Thrift page header (statistics included).
	maxPageHeader = 1 << 20
	// maxPageValues is the value count any page may claim regardless of its size.
	maxPageValues = 1 << 20
)

// ParquetReader streams the rows of a Parquet batch one row group at a time
// (memory: one page per column plus parquetBatch rows, never the file).
//
// Parquet has no line numbers: Row.Line is the 1-based row number + 1, as if
// the file were a CSV with a header on line 1, so a finding's location.line
// is Row.Index + 2. Row.Start and Row.End are unused (0).
type ParquetReader struct {
	name    string
	file    *parquet.File
	textIx  int // leaf column index
	labIx   int
	group   int
	rows    parquet.Rows
	buf     []parquet.Row
	n, pos  int
	index   int
	textCol string
	labCol  string
}

// OpenParquet opens the Parquet file at r (size bytes) and finds the text and
// label columns by name (case-insensitive, top-level columns only). name is
// used in errors. The footer and page headers are validated against
// MaxParquetFooter and MaxParquetPage before any row is read.
func OpenParquet(r io.ReaderAt, size int64, name string, fields Fields) (_ *ParquetReader, err error) {
	// parquet-go panics on some corrupt schemas (e.g. a leaf of a logical
	// type without a physical kind): report them as errors.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: not a readable Parquet file: corrupt schema: %v", name, p)
		}
	}()
	f, err := openParquetFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", name, err)
	}
	pr := &ParquetReader{name: name, file: f, textIx: -1, labIx: -1}
	var names []string
	for _, c := range f.Root().Columns() {
		names = append(names, c.Name())
		match := func(want string) bool { return strings.EqualFold(c.Name(), want) }
		if !match(fields.Text) && !match(fields.Label) {
			continue
		}
		if !c.Leaf() || c.Repeated() {
			return nil, fmt.Errorf("%s: column %q is a nested or repeated column; the text and label fields must be plain top-level columns", name, c.Name())
		}
		kind := c.Type().Kind()
		if match(fields.Text) && pr.textIx < 0 {
			if kind != parquet.ByteArray && kind != parquet.FixedLenByteArray {
				return nil, fmt.Errorf("%s: text column %q has physical type %s; want a string (BYTE_ARRAY) column", name, c.Name(), kind)
			}
			pr.textIx, pr.textCol = c.Index(), c.Name()
		}
		if match(fields.Label) && pr.labIx < 0 {
			switch kind {
			case parquet.ByteArray, parquet.FixedLenByteArray, parquet.Int32, parquet.Int64, parquet.Boolean:
			default:
				return nil, fmt.Errorf("%s: label column %q has physical type %s; want a string or integer column", name, c.Name(), kind)
			}
			pr.labIx, pr.labCol = c.Index(), c.Name()
		}
	}
	if pr.textIx < 0 {
		return nil, fmt.Errorf("%s: no %q column in the Parquet schema (columns: %s; set --text-field)", name, fields.Text, strings.Join(names, ","))
	}
	if pr.labIx < 0 {
		return nil, fmt.Errorf("%s: no %q column in the Parquet schema (columns: %s; set --label-field)", name, fields.Label, strings.Join(names, ","))
	}
	return pr, nil
}

// openParquetFile checks the footer size and every page header against the
// bounds, then opens the file with parquet-go.
func openParquetFile(r io.ReaderAt, size int64) (*parquet.File, error) {
	if size < 12 {
		return nil, fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("reading footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		if string(tail[4:]) == "PARE" {
			return nil, errors.New("encrypted Parquet files are not supported")
		}
		return nil, fmt.Errorf("no Parquet magic at the end of the file (truncated?)")
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > MaxParquetFooter || footer > size-12 {
		return nil, fmt.Errorf("footer of %d bytes does not fit the file of %d bytes or exceeds %d (truncated or corrupt)", footer, size, MaxParquetFooter)
	}
	f, err := safeOpen(r, size)
	if err != nil {
		return nil, err
	}
	if err := checkPages(r, size, f.Metadata()); err != nil {
		return nil, err
	}
	return f, nil
}

// safeOpen calls parquet.OpenFile, turning a panic on corrupt metadata
// into an error.
func safeOpen(r io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("corrupt file metadata: %v", p)
		}
	}()
	return parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(64<<10))
}

// checkPages walks the page headers of every column chunk (headers only;
// page bodies are skipped) and rejects sizes that leave the chunk or the
// file, or exceed MaxParquetPage.
func checkPages(r io.ReaderAt, size int64, md *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	var buf []byte
	if len(md.RowGroups) > 0 {
		buf = make([]byte, maxPageHeader)
	}
	for gi, rg := range md.RowGroups {
		for ci, cc := range rg.Columns {
			m := cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			if start < 4 || m.TotalCompressedSize < 0 || end > size-8 || end < start {
				return fmt.Errorf("row group %d column %d: column chunk [%d, %d) lies outside the file", gi, ci, start, end)
			}
			var values int64
			for off := start; off < end && values < m.NumValues; {
				var h format.PageHeader
				var hlen int64
				// Most headers fit 4 KiB; statistics can make them larger.
				for _, w := range []int64{4 << 10, maxPageHeader} {
					win := buf[:min(end-off, w)]
					if _, err := r.ReadAt(win, off); err != nil {
						return fmt.Errorf("row group %d column %d: page header at offset %d: %w", gi, ci, off, err)
					}
					br := proto.NewReaderFromBytes(win)
					h = format.PageHeader{}
					err := thrift.NewDecoder(br).Decode(&h)
					if err == nil {
						hlen = int64(br.(interface{ BytesRead() int }).BytesRead())
						break
					}
					if w == maxPageHeader || int64(len(win)) < w {
						return fmt.Errorf("row group %d column %d: page header at offset %d: %w", gi, ci, off, err)
					}
				}
				if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 ||
					int64(h.CompressedPageSize) > MaxParquetPage || int64(h.UncompressedPageSize) > MaxParquetPage {
					return fmt.Errorf("row group %d column %d: page at offset %d claims %d/%d bytes (limit %d)", gi, ci, off, h.CompressedPageSize, h.UncompressedPageSize, MaxParquetPage)
				}
				next := off + hlen + int64(h.CompressedPageSize)
				if next > end {
					return fmt.Errorf("row group %d column %d: page at offset %d runs past its column chunk (truncated or corrupt)", gi, ci, off)
				}
				var n int64
				switch {
				case h.DataPageHeader.Valid:
					n = int64(h.DataPageHeader.V.NumValues)
				case h.DataPageHeaderV2.Valid:
					n = int64(h.DataPageHeaderV2.V.NumValues)
				case h.DictionaryPageHeader.Valid:
					n = int64(h.DictionaryPageHeader.V.NumValues)
				}
				// Decoders size buffers by the value count: bound it by what
				// the page's bytes can hold (bit-packed levels: 8 per byte).
				if n < 0 || n > max(maxPageValues, 8*int64(h.UncompressedPageSize)) {
					return fmt.Errorf("row group %d column %d: page at offset %d claims %d values in %d bytes (truncated or corrupt)", gi, ci, off, n, h.UncompressedPageSize)
				}
				if !h.DictionaryPageHeader.Valid {
					values += n
				}
				off = next
			}
		}
	}
	return nil
}

// Schema returns the file's schema (used to write accept/quarantine files).
func (pr *ParquetReader) Schema() *parquet.Schema { return pr.file.Schema() }

// nextRow returns the next raw Parquet row (valid until the next call), its
// 0-based index, and io.EOF at the end.
func (pr *ParquetReader) nextRow() (parquet.Row, int, error) {
	for pr.pos >= pr.n {
		if pr.rows == nil {
			groups := pr.file.RowGroups()
			if pr.group >= len(groups) {
				return nil, 0, io.EOF
			}
			rows, err := openGroup(groups[pr.group])
			pr.group++
			if err != nil {
				return nil, 0, fmt.Errorf("%s: row group %d: %w", pr.name, pr.group, err)
			}
			pr.rows = rows
		}
		if pr.buf == nil {
			pr.buf = make([]parquet.Row, parquetBatch)
		}
		n, err := readRows(pr.rows, pr.buf)
		pr.n, pr.pos = n, 0
		if err != nil {
			pr.Close()
			if !errors.Is(err, io.EOF) {
				return nil, 0, fmt.Errorf("%s: row %d: %w", pr.name, pr.index+n+1, err)
			}
		}
	}
	row := pr.buf[pr.pos]
	pr.pos++
	i := pr.index
	pr.index++
	return row, i, nil
}

// openGroup opens a row group's rows, turning a panic into an error.
func openGroup(g parquet.RowGroup) (rows parquet.Rows, err error) {
	defer func() {
		if p := recover(); p != nil {
			rows, err = nil, fmt.Errorf("corrupt row group: %v", p)
		}
	}()
	return g.Rows(), nil
}

// readRows calls ReadRows, turning a panic inside the decoder (corrupt
// encoded data) into an error.
func readRows(rows parquet.Rows, buf []parquet.Row) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("corrupt page data: %v", p)
		}
	}()
	return rows.ReadRows(buf)
}

// nextRaw implements rowSource: the row is complete, parse has nothing left to do.
func (pr *ParquetReader) nextRaw() (Row, error) {
	row, i, err := pr.nextRow()
	if err != nil {
		return Row{}, err
	}
	r := Row{Index: i, Line: i + 2}
	for _, v := range row {
		switch v.Column() {
		case pr.textIx:
			if v.IsNull() {
				continue
			}
			b := v.ByteArray()
			switch {
			case len(b) > MaxRecordBytes:
				r.Problem = fmt.Sprintf("text longer than %d bytes", MaxRecordBytes)
			case !utf8.Valid(b):
				r.Problem = "not valid UTF-8"
			default:
				r.HasText, r.Text = true, string(b)
			}
		case pr.labIx:
			if v.IsNull() {
				continue
			}
			r.HasLabel = true
			switch v.Kind() {
			case parquet.Int32, parquet.Int64:
				r.Label = strconv.FormatInt(v.Int64(), 10)
			case parquet.Boolean:
				r.Label = strconv.FormatBool(v.Boolean())
			default:
				b := bytes.TrimSpace(v.ByteArray())
				if len(b) > MaxRecordBytes || !utf8.Valid(b) {
					r.Problem = "label is not valid UTF-8 text"
				} else {
					r.Label = string(b)
				}
			}
		}
	}
	if r.Problem != "" {
		r.Text, r.Label, r.HasText, r.HasLabel = "", "", false, false
	}
	return r, nil
}

// parse implements rowSource; Parquet rows are decoded in nextRaw.
func (pr *ParquetReader) parse(*Row) {}

// Close releases the current row group reader.
func (pr *ParquetReader) Close() (err error) {
	if pr.rows == nil {
		return nil
	}
	rows := pr.rows
	pr.rows = nil
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: closing a corrupt row group: %v", pr.name, p)
		}
	}()
	return rows.Close()
}

// splitParquet writes the rows of the Parquet batch at path into accept and
// quarantine Parquet files with the batch's own schema, row for row.
func splitParquet(path string, fields Fields, res *Result, acceptPath, quarantinePath string) (accepted, held int, err error) {
	src, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return 0, 0, err
	}
	pr, err := OpenParquet(src, st.Size(), path, fields)
	if err != nil {
		return 0, 0, err
	}
	defer pr.Close()
	opts := []parquet.WriterOption{pr.Schema(), parquet.MaxRowsPerRowGroup(64 << 10)}
	for _, kv := range pr.file.Metadata().KeyValueMetadata {
		opts = append(opts, parquet.KeyValueMetadata(kv.Key, kv.Value))
	}
	type out struct {
		f *os.File
		w *parquet.Writer
	}
	var outs []*out
	open := func(p string) (*out, error) {
		if p == "" {
			return nil, nil
		}
		f, err := os.Create(p)
		if err != nil {
			return nil, err
		}
		o := &out{f: f, w: parquet.NewWriter(f, opts...)}
		outs = append(outs, o)
		return o, nil
	}
	abort := func(err error) (int, int, error) {
		for _, o := range outs {
			o.f.Close()
		}
		return accepted, held, err
	}
	acc, err := open(acceptPath)
	if err != nil {
		return abort(err)
	}
	quar, err := open(quarantinePath)
	if err != nil {
		return abort(err)
	}
	one := make([]parquet.Row, 1)
	for {
		row, i, err := pr.nextRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return abort(err)
		}
		if i >= len(res.Quarantined) {
			return abort(fmt.Errorf("%s changed while being screened (more rows than before)", path))
		}
		dst := acc
		if res.Quarantined[i] {
			dst = quar
			held++
		} else {
			accepted++
		}
		if dst == nil {
			continue
		}
		one[0] = row
		if _, err := dst.w.WriteRows(one); err != nil {
			return abort(fmt.Errorf("writing %s: %w", dst.f.Name(), err))
		}
	}
	if accepted+held != res.Rows {
		return abort(fmt.Errorf("%s changed while being screened: %d rows now, %d screened", path, accepted+held, res.Rows))
	}
	var first error
	for _, o := range outs {
		if err := o.w.Close(); err != nil && first == nil {
			first = fmt.Errorf("writing %s: %w", o.f.Name(), err)
		}
		if err := o.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return accepted, held, first
}
