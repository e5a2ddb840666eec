package aiassets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// notebook is the code of a Jupyter notebook's code cells, concatenated, with
// the map from each code line back to its line in the .ipynb file.
type notebook struct {
	code []byte
	// lines[i] is the 1-based .ipynb line of code line i (0-based).
	lines []int
	cells int
}

// Bounds of the notebook reader.
const (
	maxNotebookBytes = 64 << 20 // whole .ipynb file
	maxNotebookCode  = 8 << 20  // concatenated code cells
	maxNotebookCells = 20000
)

var errNotNotebook = errors.New("not a Jupyter notebook: top level is not an object with a cells array")

// readNotebook extracts code cells token by token: outputs, attachments and
// metadata are skipped without being kept. Shell escapes and IPython magics
// (lines starting with ! or %) are blanked so the rest parses as Python. On
// malformed JSON it returns what it read so far and the error.
func readNotebook(b []byte) (*notebook, error) {
	nb := &notebook{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	lineAt := newLineIndex(b)
	tok, err := dec.Token()
	if err != nil {
		return nb, fmt.Errorf("invalid notebook JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nb, errNotNotebook
	}
	sawCells := false
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nb, fmt.Errorf("invalid notebook JSON: %w", err)
		}
		key, _ := k.(string)
		if key != "cells" {
			if err := skipValue(dec); err != nil {
				return nb, fmt.Errorf("invalid notebook JSON: %w", err)
			}
			continue
		}
		sawCells = true
		if err := nb.readCells(dec, lineAt); err != nil {
			return nb, err
		}
	}
	if !sawCells {
		return nb, errNotNotebook
	}
	return nb, nil
}

func (nb *notebook) readCells(dec *json.Decoder, lineAt func(int64) int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid notebook JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errNotNotebook
	}
	for dec.More() {
		if nb.cells >= maxNotebookCells {
			return fmt.Errorf("notebook has more than %d cells; the rest is not read", maxNotebookCells)
		}
		nb.cells++
		if err := nb.readCell(dec, lineAt); err != nil {
			return err
		}
	}
	_, err = dec.Token() // ]
	if err != nil {
		return fmt.Errorf("invalid notebook JSON: %w", err)
	}
	return nil
}

type srcLine struct {
	text string
	line int
}

func (nb *notebook) readCell(dec *json.Decoder, lineAt func(int64) int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("invalid notebook JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if _, isDelim := tok.(json.Delim); isDelim {
			return skipRest(dec, tok.(json.Delim))
		}
		return nil // a scalar where a cell should be: ignore
	}
	var (
		cellType string
		src      []srcLine
	)
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid notebook JSON: %w", err)
		}
		switch k {
		case "cell_type":
			t, err := dec.Token()
			if err != nil {
				return fmt.Errorf("invalid notebook JSON: %w", err)
			}
			if s, ok := t.(string); ok {
				cellType = s
			} else if d, ok := t.(json.Delim); ok {
				if err := skipRest(dec, d); err != nil {
					return err
				}
			}
		case "source":
			src, err = readSource(dec, lineAt)
			if err != nil {
				return err
			}
		default:
			if err := skipValue(dec); err != nil {
				return fmt.Errorf("invalid notebook JSON: %w", err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return fmt.Errorf("invalid notebook JSON: %w", err)
	}
	if cellType == "code" {
		nb.addCode(src)
	}
	return nil
}

// readSource reads a cell source: a string or an array of strings. Each
// string's .ipynb line is where its token starts.
func readSource(dec *json.Decoder, lineAt func(int64) int) ([]srcLine, error) {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid notebook JSON: %w", err)
	}
	switch t := tok.(type) {
	case string:
		return []srcLine{{t, lineAt(start)}}, nil
	case json.Delim:
		if t != '[' {
			return nil, skipRest(dec, t)
		}
		var out []srcLine
		for dec.More() {
			off := dec.InputOffset()
			tk, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("invalid notebook JSON: %w", err)
			}
			switch v := tk.(type) {
			case string:
				out = append(out, srcLine{v, lineAt(off)})
			case json.Delim:
				if err := skipRest(dec, v); err != nil {
					return nil, err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("invalid notebook JSON: %w", err)
		}
		return out, nil
	}
	return nil, nil
}

// addCode appends one cell's source, one code line per physical line, with
// the .ipynb line each came from.
func (nb *notebook) addCode(src []srcLine) {
	if len(nb.code) >= maxNotebookCode {
		return
	}
	for _, s := range src {
		rest := s.text
		for {
			seg, tail, more := cutLine(rest)
			if seg == "" && !more {
				break
			}
			atStart := len(nb.code) == 0 || nb.code[len(nb.code)-1] == '\n'
			if atStart {
				// A single-string source holds many lines on one .ipynb line:
				// they all map to the line where the string starts.
				nb.lines = append(nb.lines, s.line)
				seg = blankMagic(seg)
			}
			nb.code = append(nb.code, seg...)
			if !more {
				break
			}
			nb.code = append(nb.code, '\n')
			rest = tail
		}
		if len(nb.code) >= maxNotebookCode {
			return
		}
	}
	if len(nb.code) > 0 && nb.code[len(nb.code)-1] != '\n' {
		nb.code = append(nb.code, '\n')
	}
}

func cutLine(s string) (string, string, bool) {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// blankMagic comments out IPython magics and shell escapes.
func blankMagic(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t':
			continue
		case '%', '!':
			return s[:i] + "#" + s[i+1:]
		}
		return s
	}
	return s
}

// line returns the .ipynb line of a 0-based code row.
func (nb *notebook) line(row uint) int {
	if int(row) < len(nb.lines) {
		return nb.lines[row]
	}
	if len(nb.lines) > 0 {
		return nb.lines[len(nb.lines)-1]
	}
	return 0
}

// skipValue consumes one JSON value without keeping it.
func skipValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		return skipRest(dec, d)
	}
	return nil
}

// skipRest consumes the rest of an array/object whose opening delimiter was read.
func skipRest(dec *json.Decoder, open json.Delim) error {
	if open == '}' || open == ']' {
		return nil
	}
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
	}
	return nil
}

// newLineIndex returns a function mapping a byte offset of b to its 1-based
// line, computed once.
func newLineIndex(b []byte) func(int64) int {
	var starts []int64
	computed := false
	return func(off int64) int {
		if !computed {
			starts = append(starts, 0)
			for i, c := range b {
				if c == '\n' {
					starts = append(starts, int64(i+1))
				}
			}
			computed = true
		}
		// The token starts after whitespace and the separating comma/colon
		// that InputOffset points before; skip to the token's first byte.
		for off < int64(len(b)) {
			c := b[off]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' {
				off++
				continue
			}
			break
		}
		lo, hi := 0, len(starts)
		for lo+1 < hi {
			mid := (lo + hi) / 2
			if starts[mid] <= off {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo + 1
	}
}
