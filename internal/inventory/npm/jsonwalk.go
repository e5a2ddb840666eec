package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// lineIndex maps byte offsets to 1-based line and column numbers; built once
// per file.
type lineIndex struct {
	starts []int // offset of the first byte of each line
}

func newLineIndex(data []byte) *lineIndex {
	starts := make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		starts = append(starts, i)
	}
	return &lineIndex{starts: starts}
}

// pos returns the 1-based line and column (in bytes) of offset off.
func (li *lineIndex) pos(off int) (line, col int) {
	i := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - li.starts[i] + 1
}

// jsonDoc streams a JSON document, giving each object key's position while
// decoding values with encoding/json.
type jsonDoc struct {
	data  []byte
	lines *lineIndex
	dec   *json.Decoder
}

func newJSONDoc(data []byte) *jsonDoc {
	return &jsonDoc{data: data, lines: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
}

var errNotObject = errors.New("not a JSON object")

// keyPos finds the opening quote of the key that ended just before offset
// end and returns its line and column.
func (d *jsonDoc) keyPos(end int64) (line, col int) {
	e := int(end) - 1 // closing quote
	if e <= 0 || e >= len(d.data) {
		return d.lines.pos(max(0, min(int(end), len(d.data)-1)))
	}
	for i := e - 1; i >= 0; i-- {
		if d.data[i] != '"' {
			continue
		}
		bs := 0
		for j := i - 1; j >= 0 && d.data[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return d.lines.pos(i)
		}
	}
	return d.lines.pos(e)
}

// objectEach consumes one JSON object, calling fn for each key with its
// position; fn must consume the value (skip, decode, or recurse). A value
// that is not an object is skipped and reported as errNotObject.
func (d *jsonDoc) objectEach(fn func(key string, line, col int) error) error {
	tok, err := d.dec.Token()
	if err != nil {
		return d.syntaxErr(err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		if ok && (delim == '[') {
			if err := d.skipRest(1); err != nil {
				return err
			}
		}
		return errNotObject
	}
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return d.syntaxErr(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("malformed JSON: object key is %T", tok)
		}
		line, col := d.keyPos(d.dec.InputOffset())
		if err := fn(key, line, col); err != nil {
			return err
		}
	}
	if _, err := d.dec.Token(); err != nil { // '}'
		return d.syntaxErr(err)
	}
	return nil
}

// skipRest consumes tokens until depth open containers are closed.
func (d *jsonDoc) skipRest(depth int) error {
	for depth > 0 {
		tok, err := d.dec.Token()
		if err != nil {
			return d.syntaxErr(err)
		}
		if delim, ok := tok.(json.Delim); ok {
			if delim == '{' || delim == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// skip consumes one value.
func (d *jsonDoc) skip() error {
	var raw json.RawMessage
	if err := d.dec.Decode(&raw); err != nil {
		return d.syntaxErr(err)
	}
	return nil
}

// decode decodes one value into v. Type mismatches are returned as
// *json.UnmarshalTypeError with the value fully consumed, so the caller may
// report them and go on; syntax errors are fatal.
func (d *jsonDoc) decode(v any) error {
	err := d.dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return err
	}
	return d.syntaxErr(err)
}

// syntaxErr wraps a decoder error with the line it happened on.
func (d *jsonDoc) syntaxErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := d.lines.pos(int(min(se.Offset, int64(len(d.data)))))
		return fmt.Errorf("malformed JSON at line %d, column %d: %v", line, col, se)
	}
	if errors.Is(err, errNotObject) {
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		line, _ := d.lines.pos(max(0, len(d.data)-1))
		return fmt.Errorf("malformed JSON: unexpected end of file (truncated at line %d)", line)
	}
	return fmt.Errorf("malformed JSON: %v", err)
}

// isTypeErr reports whether err is a recoverable type mismatch.
func isTypeErr(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// stringMap decodes a JSON object of strings leniently: non-string values are
// ignored rather than failing the whole object.
type stringMap map[string]string

func (m *stringMap) UnmarshalJSON(b []byte) error {
	var direct map[string]string
	if json.Unmarshal(b, &direct) == nil {
		*m = direct
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		// Not an object (e.g. an array or a string): treat as empty.
		*m = nil
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		}
	}
	*m = out
	return nil
}

// lenientBool accepts true/false and ignores anything else.
type lenientBool bool

func (b *lenientBool) UnmarshalJSON(v []byte) error {
	*b = lenientBool(bytes.Equal(bytes.TrimSpace(v), []byte("true")))
	return nil
}

// lenientString accepts a string and ignores anything else.
type lenientString string

func (s *lenientString) UnmarshalJSON(v []byte) error {
	var str string
	if json.Unmarshal(v, &str) == nil {
		*s = lenientString(str)
	}
	return nil
}

// typeErrText describes a JSON type mismatch without Go type names.
func typeErrText(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.Kind().String()
		switch want {
		case "map", "struct":
			want = "object"
		case "slice":
			want = "array"
		}
		return fmt.Sprintf("field %q is a JSON %s, expected %s", te.Field, te.Value, want)
	}
	return err.Error()
}
