package datagate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MaxRecordBytes bounds one row (a JSONL line or a CSV/TSV record). Longer
// rows are reported with their line number and skipped without being
// buffered, so a 100 MB single line costs no memory.
const MaxRecordBytes = 1 << 20

// Format is a batch file format.
type Format string

// Supported formats.
const (
	JSONL Format = "jsonl"
	CSV   Format = "csv"
	TSV   Format = "tsv"
	// Parquet batches are read with parquet-go, one row group at a time.
	Parquet Format = "parquet"
)

// FormatOf picks the format from the file extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	case ".tsv", ".tab":
		return TSV, nil
	case ".parquet":
		return Parquet, nil
	}
	return "", fmt.Errorf("%s: unknown batch format (want .jsonl, .csv, .tsv or .parquet)", path)
}

// rowSource is what the screening pipeline consumes: nextRaw splits off the
// next row (cheap, sequential), parse completes it (may run concurrently).
// *Reader (JSONL/CSV/TSV) and *ParquetReader implement it.
type rowSource interface {
	nextRaw() (Row, error)
	parse(*Row)
}

// openRows opens the batch at path in the format its extension names.
// Errors name the file. The returned func closes it.
func openRows(path string, fields Fields) (rowSource, func() error, error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if format == Parquet {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		pr, err := OpenParquet(f, st.Size(), path, fields)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		return pr, func() error { pr.Close(); return f.Close() }, nil
	}
	rd, err := NewReader(f, format, fields)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return rd, f.Close, nil
}

// Fields names the text and label fields of a batch.
type Fields struct {
	Text  string
	Label string
}

// Row is one record of a batch.
type Row struct {
	// Index counts data rows from 0 (the header is not a row).
	Index int
	// Line is the 1-based line of the file where the row starts (header = line 1).
	Line int
	// Start and End are the byte range of the raw record, newline included,
	// so accept/quarantine files can copy rows verbatim.
	Start, End int64
	Text       string
	Label      string
	// HasText / HasLabel are false when the field is missing (as opposed to empty).
	HasText, HasLabel bool
	// Extra lists fields present beyond text and label (JSONL) or the column
	// count mismatch (CSV/TSV).
	Extra []string
	// Problem is set when the row could not be parsed; Text/Label are then empty.
	Problem string
	// raw is the unparsed record body between nextRaw and parse.
	raw []byte
}

// Header is what precedes the rows: for CSV/TSV the header record (copied
// verbatim into accept/quarantine files).
type Header struct {
	Raw     []byte
	Columns []string
}

// Reader streams the rows of a batch.
type Reader struct {
	br     *bufio.Reader
	format Format
	fields Fields
	off    int64
	line   int
	index  int
	header Header
	textIx int
	labIx  int
	sep    byte
	// skipped is the size of the last over-long record, consumed unbuffered.
	skipped int64
	// rawOnly skips field parsing: Next returns offsets and lines only.
	rawOnly bool
}

// NewReader reads the header (CSV/TSV) and prepares to stream rows.
func NewReader(r io.Reader, format Format, fields Fields) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), format: format, fields: fields, line: 1, textIx: -1, labIx: -1}
	switch format {
	case JSONL:
		return rd, nil
	case CSV:
		rd.sep = ','
	case TSV:
		rd.sep = '\t'
	default:
		return nil, fmt.Errorf("unknown format %q (Parquet batches are read with OpenParquet)", format)
	}
	raw, nlines, tooLong, err := rd.readRecord()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: no header row")
		}
		return nil, err
	}
	if tooLong {
		return nil, fmt.Errorf("header row longer than %d bytes", MaxRecordBytes)
	}
	rd.header.Raw = raw
	cols, err := rd.split(raw)
	if err != nil {
		return nil, fmt.Errorf("line 1: header: %v", err)
	}
	for i := range cols {
		cols[i] = strings.TrimSpace(strings.TrimPrefix(cols[i], "\ufeff"))
	}
	rd.header.Columns = cols
	rd.off = int64(len(raw))
	rd.line += nlines
	for i, c := range cols {
		if strings.EqualFold(c, fields.Text) && rd.textIx < 0 {
			rd.textIx = i
		}
		if strings.EqualFold(c, fields.Label) && rd.labIx < 0 {
			rd.labIx = i
		}
	}
	if rd.textIx < 0 {
		return nil, fmt.Errorf("line 1: no %q column in header %q (set --text-field)", fields.Text, strings.Join(cols, ","))
	}
	if rd.labIx < 0 {
		return nil, fmt.Errorf("line 1: no %q column in header %q (set --label-field)", fields.Label, strings.Join(cols, ","))
	}
	return rd, nil
}

// Header returns the CSV/TSV header (empty for JSONL).
func (rd *Reader) Header() Header { return rd.header }

// Next returns the next row, or io.EOF. Rows that cannot be parsed are
// returned with Problem set, never dropped.
func (rd *Reader) Next() (Row, error) {
	r, err := rd.nextRaw()
	if err == nil {
		rd.parse(&r)
	}
	return r, err
}

// nextRaw splits off the next record without parsing its fields (row.raw
// holds the body): parsing can then run on other goroutines with parse.
func (rd *Reader) nextRaw() (Row, error) {
	for {
		raw, nlines, tooLong, err := rd.readRecord()
		if err != nil {
			return Row{}, err
		}
		row := Row{Index: rd.index, Line: rd.line, Start: rd.off}
		if tooLong {
			rd.off += rd.skipped
		} else {
			rd.off += int64(len(raw))
		}
		rd.line += nlines
		row.End = rd.off
		body := bytes.TrimRight(raw, "\r\n")
		if !tooLong && len(bytes.TrimSpace(body)) == 0 && rd.format == JSONL {
			continue // blank line: not a row
		}
		rd.index++
		if tooLong {
			row.Problem = fmt.Sprintf("row longer than %d bytes", MaxRecordBytes)
			return row, nil
		}
		if !rd.rawOnly {
			row.raw = body
		}
		return row, nil
	}
}

// parse fills the row's fields from row.raw and releases it. It reads only
// immutable Reader state, so rows may be parsed concurrently.
func (rd *Reader) parse(row *Row) {
	body := row.raw
	row.raw = nil
	if body == nil || row.Problem != "" {
		return
	}
	if !utf8.Valid(body) {
		row.Problem = "not valid UTF-8"
		return
	}
	switch rd.format {
	case JSONL:
		rd.parseJSON(body, row)
	default:
		rd.parseDelimited(body, row)
	}
}

func (rd *Reader) parseJSON(body []byte, row *Row) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		row.Problem = "invalid JSON: " + err.Error()
		return
	}
	for k, v := range obj {
		switch k {
		case rd.fields.Text:
			row.HasText = true
			row.Text = scalar(v)
		case rd.fields.Label:
			row.HasLabel = true
			row.Label = scalar(v)
		default:
			row.Extra = append(row.Extra, k)
		}
	}
}

// scalar renders a JSON value as text: strings unquoted, other values as JSON.
func scalar(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(v))
}

func (rd *Reader) parseDelimited(body []byte, row *Row) {
	cols, err := rd.split(body)
	if err != nil {
		row.Problem = err.Error()
		return
	}
	if len(cols) != len(rd.header.Columns) {
		row.Extra = append(row.Extra, fmt.Sprintf("%d columns, header has %d", len(cols), len(rd.header.Columns)))
	}
	if rd.textIx < len(cols) {
		row.HasText = true
		row.Text = cols[rd.textIx]
	}
	if rd.labIx < len(cols) {
		row.HasLabel = true
		row.Label = strings.TrimSpace(cols[rd.labIx])
	}
}

// split splits one record. TSV has no quoting (IANA text/tab-separated-values);
// CSV follows RFC 4180 quoting.
func (rd *Reader) split(body []byte) ([]string, error) {
	body = bytes.TrimRight(body, "\r\n")
	if rd.format == TSV {
		return strings.Split(string(body), "\t"), nil
	}
	var (
		out []string
		cur strings.Builder
		inQ bool
	)
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inQ && c == '"':
			if i+1 < len(body) && body[i+1] == '"' {
				cur.WriteByte('"')
				i++
			} else {
				inQ = false
			}
		case inQ:
			cur.WriteByte(c)
		case c == '"' && cur.Len() == 0:
			inQ = true
		case c == rd.sep:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if inQ {
		return nil, errors.New("unterminated quoted field")
	}
	return append(out, cur.String()), nil
}

// readRecord reads one raw record including its line terminator. For CSV a
// record continues over newlines inside quotes. It returns the number of
// lines the record spans. Records over MaxRecordBytes are consumed without
// being kept (tooLong), and raw is then nil.
func (rd *Reader) readRecord() (raw []byte, nlines int, tooLong bool, err error) {
	var (
		buf     []byte
		inQ     bool
		skipped int64
	)
	for {
		chunk, err := rd.br.ReadSlice('\n')
		if len(chunk) > 0 {
			if !tooLong && len(buf)+len(chunk) > MaxRecordBytes {
				tooLong = true
				skipped = int64(len(buf))
				buf = nil
			}
			if tooLong {
				skipped += int64(len(chunk))
			} else {
				buf = append(buf, chunk...)
			}
			if rd.format == CSV && !tooLong {
				inQ = quoteState(chunk, inQ)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, err
		}
		ended := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if ended {
			nlines++
		}
		if errors.Is(err, io.EOF) {
			if len(buf) == 0 && !tooLong {
				return nil, 0, false, io.EOF
			}
			if !ended {
				nlines++
			}
			break
		}
		if ended && (!inQ || tooLong) {
			break
		}
	}
	if tooLong {
		rd.skipped = skipped
		return nil, nlines, true, nil
	}
	return buf, nlines, false, nil
}

func quoteState(chunk []byte, inQ bool) bool {
	for _, c := range chunk {
		if c == '"' {
			inQ = !inQ
		}
	}
	return inQ
}
