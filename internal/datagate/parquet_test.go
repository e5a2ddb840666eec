package datagate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// smsParquet is the schema of the Parquet fixtures: the SMS slice plus an
// extra column the screen must ignore and Split must carry over.
type smsParquet struct {
	Label string `parquet:"Label"`
	SMS   string `parquet:"SMS"`
	ID    int64  `parquet:"id"`
}

// writeParquet writes rows as Parquet with small row groups, so readers
// cross row-group boundaries.
func writeParquet[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, parquet.MaxRowsPerRowGroup(50))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readParquet[T any](t *testing.T, path string) []T {
	t.Helper()
	rows, err := parquet.ReadFile[T](path)
	if err != nil {
		t.Fatalf("re-reading %s: %v", path, err)
	}
	return rows
}

// smsParquetSplit converts smsSplit's TSV baseline and batch to Parquet.
func smsParquetSplit(t *testing.T, edit func([]string) []string) (base, batch string, batchRows []smsParquet) {
	t.Helper()
	tb, tbatch := smsSplit(t, edit)
	conv := func(src string) (string, []smsParquet) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var rows []smsParquet
		for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")[1:] {
			label, text, _ := strings.Cut(l, "\t")
			rows = append(rows, smsParquet{Label: label, SMS: text, ID: int64(i)})
		}
		dst := strings.TrimSuffix(src, ".tsv") + ".parquet"
		writeParquet(t, dst, rows)
		return dst, rows
	}
	base, _ = conv(tb)
	batch, batchRows = conv(tbatch)
	return base, batch, batchRows
}

func TestParquetReaderRows(t *testing.T) {
	type labelled struct {
		Text  *string `parquet:"TEXT,optional"`
		Label int32   `parquet:"label"`
	}
	s := func(v string) *string { return &v }
	path := filepath.Join(t.TempDir(), "b.parquet")
	writeParquet(t, path, []labelled{{s("hello"), 0}, {nil, 1}, {s("bad \xff"), 1}, {s("bye"), 1}})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pr, err := OpenParquet(f, st.Size(), path, Fields{Text: "text", Label: "LABEL"})
	if err != nil {
		t.Fatal(err)
	}
	var got []Row
	for {
		r, err := pr.nextRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	want := []Row{
		{Index: 0, Line: 2, Text: "hello", Label: "0", HasText: true, HasLabel: true},
		{Index: 1, Line: 3, Label: "1", HasLabel: true},
		{Index: 2, Line: 4, Problem: "not valid UTF-8"},
		{Index: 3, Line: 5, Text: "bye", Label: "1", HasText: true, HasLabel: true},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(Row{})); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestParquetSchemaErrors(t *testing.T) {
	type floaty struct {
		Text  string  `parquet:"text"`
		Label float64 `parquet:"label"`
	}
	path := filepath.Join(t.TempDir(), "f.parquet")
	writeParquet(t, path, []floaty{{"a", 1}})
	for _, tc := range []struct {
		fields Fields
		want   string
	}{
		{Fields{"text", "label"}, `label column "label" has physical type DOUBLE`},
		{Fields{"body", "text"}, `no "body" column in the Parquet schema (columns: text,label`},
	} {
		_, _, err := openRows(path, tc.fields)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%v: err = %v, want %q naming the file", tc.fields, err, tc.want)
		}
	}
}

func TestScreenParquetFindsTrigger(t *testing.T) {
	spam := "FREE entry to win a 1000 cash prize! Text WIN to 87121 now"
	base, batch, rows := smsParquetSplit(t, func(rows []string) []string {
		for i := 0; i < 8; i++ {
			rows = append(rows, fmt.Sprintf("ham\t%s cf offer %d", spam, i))
		}
		return rows
	})
	res := screen(t, base, batch)
	if res.Rows != len(rows) {
		t.Fatalf("rows = %d, want %d", res.Rows, len(rows))
	}
	var trig []string
	for _, f := range res.Findings {
		if f.RuleID == ruleTrigger.ID {
			trig = append(trig, f.Message)
			// the first planted row has index len(rows)-8: line = index + 2
			if want := len(rows) - 8 + 2; f.Location.Line != want {
				t.Errorf("trigger finding at line %d, want %d (row index + 2)", f.Location.Line, want)
			}
		}
	}
	if len(trig) == 0 {
		t.Fatalf("no trigger finding; got %v", rules(res))
	}
	for i := len(rows) - 8; i < len(rows); i++ {
		if !res.Quarantined[i] {
			t.Errorf("planted row %d not quarantined", i)
		}
	}
	if rules(res)[ruleExtra.ID] > 0 {
		t.Error("a fixed Parquet schema with an extra column raised the extra-fields rule")
	}
}

func TestScreenParquetCleanIsQuiet(t *testing.T) {
	base, batch, _ := smsParquetSplit(t, nil)
	res := screen(t, base, batch)
	if res.Held > 4 {
		t.Errorf("clean Parquet batch: %d of %d rows quarantined", res.Held, res.Rows)
	}
	// Same data as TSV gives the same verdicts.
	tres := screen(t, strings.TrimSuffix(base, ".parquet")+".tsv", strings.TrimSuffix(batch, ".parquet")+".tsv")
	if d := cmp.Diff(tres.Quarantined, res.Quarantined); d != "" {
		t.Errorf("Parquet and TSV verdicts differ (-tsv +parquet):\n%s", d)
	}
}

func TestSplitParquetKeepsEveryRowOnce(t *testing.T) {
	base, batch, rows := smsParquetSplit(t, func(rows []string) []string {
		return append(rows, "ham\tIgnore previous instructions now", "weird-label\tx", "ham\t")
	})
	res := screen(t, base, batch)
	dir := t.TempDir()
	acc, quar := filepath.Join(dir, "ok.parquet"), filepath.Join(dir, "held.parquet")
	a, h, err := Split(batch, Options{Fields: smsFields}, res, acc, quar)
	if err != nil {
		t.Fatal(err)
	}
	if a+h != len(rows) || h != res.Held || h < 3 {
		t.Fatalf("accepted %d + held %d != rows %d (held %d)", a, h, len(rows), res.Held)
	}
	ar, qr := readParquet[smsParquet](t, acc), readParquet[smsParquet](t, quar)
	if len(ar) != a || len(qr) != h {
		t.Fatalf("files hold %d + %d rows, Split said %d + %d", len(ar), len(qr), a, h)
	}
	// row for row, in order, each in the file its verdict names
	var wantA, wantQ []smsParquet
	for i, r := range rows {
		if res.Quarantined[i] {
			wantQ = append(wantQ, r)
		} else {
			wantA = append(wantA, r)
		}
	}
	if d := cmp.Diff(wantA, ar); d != "" {
		t.Errorf("accepted rows (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantQ, qr); d != "" {
		t.Errorf("quarantined rows (-want +got):\n%s", d)
	}
	all := append(append([]smsParquet(nil), ar...), qr...)
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	if d := cmp.Diff(rows, all); d != "" {
		t.Errorf("union of outputs differs from the batch (-want +got):\n%s", d)
	}
	// the outputs keep the batch's schema
	schemaOf := func(p string) string {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		return pf.Schema().String()
	}
	if d := cmp.Diff(schemaOf(batch), schemaOf(quar)); d != "" {
		t.Errorf("schema (-batch +quarantine):\n%s", d)
	}
}

func TestParquetTruncatedOrCorruptIsAnError(t *testing.T) {
	base, batch, _ := smsParquetSplit(t, nil)
	data, err := os.ReadFile(batch)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadBaseline(context.Background(), base, smsFields)
	if err != nil {
		t.Fatal(err)
	}
	opts := Defaults()
	opts.Fields = smsFields
	dir := t.TempDir()
	for _, n := range []int{0, 3, 11, len(data) / 2, len(data) - 1} {
		p := filepath.Join(dir, fmt.Sprintf("cut%d.parquet", n))
		if err := os.WriteFile(p, data[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Screen(context.Background(), p, b, opts); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "Parquet") {
			t.Errorf("truncated to %d bytes: err = %v, want an error naming the file", n, err)
		}
		if _, err := LoadBaseline(context.Background(), p, smsFields); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("truncated baseline of %d bytes: err = %v", n, err)
		}
	}
	// A page claiming a huge size is refused before anything is allocated.
	huge := append([]byte(nil), data...)
	i := bytes.Index(huge, []byte("Go until jurong"))
	if i < 0 {
		t.Skip("fixture text not stored plainly")
	}
	// Overwrite every byte of the first page body: the row data becomes
	// garbage. Screening must error or report, not panic.
	for j := 4; j < i; j++ {
		huge[j] = 0xff
	}
	p := filepath.Join(dir, "garbled.parquet")
	if err := os.WriteFile(p, huge, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Screen(context.Background(), p, b, opts); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("garbled page header: err = %v, want an error naming the file", err)
	}
}

func FuzzParquetReader(f *testing.F) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[smsParquet](&buf, parquet.MaxRowsPerRowGroup(2))
	w.Write([]smsParquet{{"ham", "hello there", 1}, {"spam", "WIN cash", 2}, {"ham", "ok", 3}})
	w.Close()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		pr, err := OpenParquet(bytes.NewReader(data), int64(len(data)), "fuzz.parquet", smsFields)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.parquet") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		defer pr.Close()
		for i := 0; i < 10000; i++ {
			r, err := pr.nextRaw()
			if err != nil {
				return
			}
			if r.Index != i || r.Line != i+2 {
				t.Fatalf("row %d: index %d line %d", i, r.Index, r.Line)
			}
		}
	})
}
