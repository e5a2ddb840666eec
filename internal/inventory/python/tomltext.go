package python

import (
	"errors"
	"fmt"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// tomlError describes a go-toml decode error with its position.
func tomlError(err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("invalid TOML at line %d, column %d: %s", row, col, de.Error())
	}
	var se *toml.StrictMissingError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid TOML: %s", se.Error())
	}
	return fmt.Errorf("invalid TOML: %v", err)
}

// tomlText finds where values sit in a TOML document. go-toml/v2 gives no
// positions for values, so entries are located with a cheap scan of the raw
// lines: a table header's span, a key within it, a string within that.
type tomlText struct {
	lines   []string
	headers []tomlHeader
	cursor  map[string]textPos
}

type tomlHeader struct {
	name  string // normalised dotted key, quotes removed
	line  int    // 0-based
	array bool
}

func newTOMLText(data string) *tomlText {
	t := &tomlText{lines: strings.Split(data, "\n"), cursor: map[string]textPos{}}
	for i, l := range t.lines {
		if name, arr, ok := parseHeader(l); ok {
			t.headers = append(t.headers, tomlHeader{name: name, line: i, array: arr})
		}
	}
	return t
}

// parseHeader recognises "[a.b]" / "[[a.b]]" lines (with optional comment).
func parseHeader(l string) (string, bool, bool) {
	s := strings.TrimSpace(l)
	if !strings.HasPrefix(s, "[") {
		return "", false, false
	}
	arr := strings.HasPrefix(s, "[[")
	open := 1
	if arr {
		open = 2
	}
	closing := strings.Repeat("]", open)
	end := strings.Index(s[open:], closing)
	if end < 0 {
		return "", false, false
	}
	key := s[open : open+end]
	rest := strings.TrimSpace(s[open+end+open:])
	if rest != "" && !strings.HasPrefix(rest, "#") {
		return "", false, false
	}
	name, ok := normalizeDotted(key)
	return name, arr, ok
}

// normalizeDotted turns `tool . poetry."group".dev` into tool.poetry.group.dev;
// ok is false when key is not a valid dotted key.
func normalizeDotted(key string) (string, bool) {
	var parts []string
	s := strings.TrimSpace(key)
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return "", false
		}
		var part string
		switch s[0] {
		case '"', '\'':
			q := s[0]
			j := strings.IndexByte(s[1:], q)
			if j < 0 {
				return "", false
			}
			part, s = s[1:1+j], s[2+j:]
		default:
			j := 0
			for j < len(s) && (isAlnum(s[j]) || s[j] == '-' || s[j] == '_') {
				j++
			}
			if j == 0 {
				return "", false
			}
			part, s = s[:j], s[j:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return strings.Join(parts, "."), true
		}
		if s[0] != '.' {
			return "", false
		}
		s = s[1:]
	}
}

// span returns the 0-based line range [start, end) of table name's body;
// start is the header line (or 0 for the root table).
func (t *tomlText) span(name string) (int, int, bool) {
	if name == "" {
		end := len(t.lines)
		if len(t.headers) > 0 {
			end = t.headers[0].line
		}
		return 0, end, true
	}
	for i, h := range t.headers {
		if h.name == name && !h.array {
			end := len(t.lines)
			if i+1 < len(t.headers) {
				end = t.headers[i+1].line
			}
			return h.line, end, true
		}
	}
	return 0, 0, false
}

// keyLine returns the 0-based line of `key =` within [start, end), or -1.
func (t *tomlText) keyLine(start, end int, key string) (int, int) {
	for i := start; i < end && i < len(t.lines); i++ {
		l := t.lines[i]
		s := strings.TrimLeft(l, " \t")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			continue
		}
		k, ok := normalizeDotted(s[:eq])
		if !ok {
			continue
		}
		if k == key || strings.HasPrefix(k, key+".") {
			return i, len(l) - len(s) + 1
		}
	}
	return -1, 0
}

// findString finds the quoted string s in lines [from, end), starting after
// the previous match for the same cursorKey so repeated values resolve to
// successive occurrences. It returns 1-based line and column (of the
// opening quote).
func (t *tomlText) findString(cursorKey string, from, end int, s string) (int, int, bool) {
	startCol := 0
	if c, ok := t.cursor[cursorKey]; ok && c.line >= from {
		from, startCol = c.line, c.col
	}
	for i := from; i < end && i < len(t.lines); i++ {
		l := t.lines[i]
		off := 0
		if i == from {
			off = min(startCol, len(l))
		}
		best := -1
		for _, q := range []string{`"`, `'`} {
			if j := strings.Index(l[off:], q+s+q); j >= 0 && (best < 0 || j < best) {
				best = j
			}
		}
		if best >= 0 {
			col := off + best
			t.cursor[cursorKey] = textPos{line: i, col: col + len(s) + 2}
			return i + 1, col + 1, true
		}
	}
	return 0, 0, false
}

type textPos struct{ line, col int }

// locateArrayItem locates string item of array `key` in table `table`
// (either "[table] key = [...]" or a dotted key reaching it), falling back to
// the key's line and then to a search of the whole file.
func (t *tomlText) locateArrayItem(table, key, item string) (int, int) {
	ck := table + "\x00" + key
	if start, end, ok := t.span(table); ok {
		if kl, kc := t.keyLine(start, end, key); kl >= 0 {
			if l, c, ok := t.findString(ck, kl, end, item); ok {
				return l, c
			}
			return kl + 1, kc
		}
	}
	// The key may be written as a dotted key in a parent table, or the
	// table as an inline table; search the document.
	if l, c, ok := t.findString(ck, 0, len(t.lines), item); ok {
		return l, c
	}
	return 0, 0
}

// locateKey locates `key =` in table, or the sub-table header "[table.key]".
func (t *tomlText) locateKey(table, key string) (int, int) {
	if start, end, ok := t.span(table); ok {
		if kl, kc := t.keyLine(start+1, end, key); kl >= 0 {
			return kl + 1, kc
		}
	}
	if start, _, ok := t.span(table + "." + key); ok {
		return start + 1, 1
	}
	return 0, 0
}
