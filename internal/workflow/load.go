package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Bounds on one CI file. A real workflow is a few KiB with a few thousand
// nodes; the limits leave two orders of magnitude of headroom.
const (
	// MaxFileSize is the largest workflow file read (bigger files are an Error).
	MaxFileSize = 4 << 20
	// MaxNodes is the largest number of YAML nodes accepted in one file.
	MaxNodes = 200_000
	// maxVisits bounds every recursive walk over one file's node tree,
	// aliases included (an alias is followed, but each follow costs budget),
	// so an anchor/alias bomb cannot make a walk exponential.
	maxVisits = 2_000_000
)

// errBudget is returned when a walk runs out of its node-visit budget.
var errBudget = errors.New("document too complex (node visit budget exhausted; alias bomb?)")

// loadError is a load failure with the 1-based line where it happened (0 when unknown).
type loadError struct {
	Line   int
	Reason string
}

func (e *loadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// doc is one parsed YAML file: its source, its root mapping, and a visit
// budget shared by every walk over it.
type doc struct {
	src        []byte
	lineStarts []int
	root       *yaml.Node // the top-level mapping (nil when the document is empty)
	budget     int
}

// parseDoc parses the first YAML document of src into a node tree, within
// the bounds above. Only the first document is read; a workflow has one.
func parseDoc(src []byte) (*doc, error) {
	if len(src) > MaxFileSize {
		return nil, &loadError{Reason: fmt.Sprintf("file too large: %d bytes > %d", len(src), MaxFileSize)}
	}
	if !utf8.Valid(src) {
		// yaml.v3 accepts UTF-16 with a BOM; anything else invalid is reported
		// by position so the user can find it.
		if !bytes.HasPrefix(src, []byte{0xff, 0xfe}) && !bytes.HasPrefix(src, []byte{0xfe, 0xff}) {
			line := 1 + bytes.Count(src[:firstInvalidUTF8(src)], []byte{'\n'})
			return nil, &loadError{Line: line, Reason: "not valid UTF-8"}
		}
	}
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return &doc{src: src, lineStarts: lineStarts(src), budget: maxVisits}, nil
		}
		return nil, yamlLoadError(err)
	}
	d := &doc{src: src, lineStarts: lineStarts(src), budget: maxVisits}
	if cnt := countNodes(&n, MaxNodes+1); cnt > MaxNodes {
		return nil, &loadError{Reason: fmt.Sprintf("too many YAML nodes (> %d)", MaxNodes)}
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		r := resolve(n.Content[0])
		switch {
		case r.Kind == yaml.MappingNode:
			d.root = r
		case r.Kind == yaml.ScalarNode && r.Tag == "!!null":
			// empty document
		default:
			return nil, &loadError{Line: r.Line, Reason: fmt.Sprintf("top level is a %s, want a mapping", kindName(r))}
		}
	}
	return d, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// yamlLoadError turns a yaml.v3 error ("yaml: line 3: mapping values are
// not allowed in this context") into a loadError with the line.
func yamlLoadError(err error) *loadError {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	var line int
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			line = line*10 + int(rest[i]-'0')
			i++
			if line > 1<<30 {
				break
			}
		}
		if i < len(rest) && rest[i] == ':' {
			msg = strings.TrimSpace(rest[i+1:])
		} else {
			line = 0
		}
	}
	return &loadError{Line: line, Reason: "invalid YAML: " + msg}
}

// countNodes counts the nodes of the tree without following aliases, up to limit.
func countNodes(n *yaml.Node, limit int) int {
	cnt := 0
	stack := []*yaml.Node{n}
	for len(stack) > 0 && cnt < limit {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		cnt++
		stack = append(stack, top.Content...)
	}
	return cnt
}

func lineStarts(src []byte) []int {
	ls := make([]int, 1, 64+len(src)/40)
	for i, c := range src {
		if c == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

// offset returns the byte offset of the 1-based line/column (column counted
// in runes, as yaml.v3 counts), clamped to the source.
func (d *doc) offset(line, col int) int {
	if line < 1 || line > len(d.lineStarts) {
		return len(d.src)
	}
	off := d.lineStarts[line-1]
	for c := 1; c < col && off < len(d.src) && d.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(d.src[off:])
		off += size
	}
	return off
}

// position returns the 1-based line and rune column of a byte offset.
func (d *doc) position(off int) (int, int) {
	lo, hi := 0, len(d.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if d.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	start := d.lineStarts[lo]
	if off > len(d.src) {
		off = len(d.src)
	}
	return lo + 1, utf8.RuneCount(d.src[start:off]) + 1
}

// locate finds needle in the source at or after the start of node n and
// returns its line and column; it falls back to the node's own position.
// Used to point inside block scalars (run: |) at the exact expression.
func (d *doc) locate(n *yaml.Node, needle string, from *int) (int, int) {
	start := d.offset(n.Line, n.Column)
	if from != nil && *from > start {
		start = *from
	}
	if start < len(d.src) && needle != "" {
		if i := bytes.Index(d.src[start:], []byte(needle)); i >= 0 {
			if from != nil {
				*from = start + i + len(needle)
			}
			return d.position(start + i)
		}
	}
	return n.Line, n.Column
}

// spend charges one node visit; false when the budget is gone.
func (d *doc) spend() bool {
	if d.budget <= 0 {
		return false
	}
	d.budget--
	return true
}

// resolve follows an alias to its anchor (one hop; yaml.v3 never produces
// alias chains) and returns n otherwise.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "node"
}

// mapGet returns the value for key in a mapping node (nil when absent or
// when m is not a mapping). Merge keys (<<) are honoured one level deep.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	_, v := mapGetKV(m, key)
	return v
}

// mapGetKV is mapGet returning the key node too (for positions).
func mapGetKV(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i], resolve(m.Content[i+1])
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "<<" && m.Content[i].Tag == "!!merge" {
			src := resolve(m.Content[i+1])
			if src == nil || src.Kind != yaml.MappingNode || src == m {
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				if src.Content[j].Kind == yaml.ScalarNode && src.Content[j].Value == key {
					return src.Content[j], resolve(src.Content[j+1])
				}
			}
		}
	}
	return nil, nil
}

// pairs calls fn for each key/value of a mapping (aliases resolved).
func pairs(m *yaml.Node, fn func(k, v *yaml.Node)) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "<<" && m.Content[i].Tag == "!!merge" {
			continue
		}
		fn(m.Content[i], resolve(m.Content[i+1]))
	}
}

// scalar returns the value of a scalar node ("" otherwise).
func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// isScalar reports whether n is a non-null scalar.
func isScalar(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null"
}

// walkScalars calls fn for every scalar below n (keys included), following
// aliases within the document's visit budget. It stops early when fn
// returns false or the budget is exhausted (then it returns errBudget).
func (d *doc) walkScalars(n *yaml.Node, fn func(s *yaml.Node) bool) error {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		top := resolve(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
		if top == nil {
			continue
		}
		if !d.spend() {
			return errBudget
		}
		if top.Kind == yaml.ScalarNode {
			if !fn(top) {
				return nil
			}
			continue
		}
		for i := len(top.Content) - 1; i >= 0; i-- {
			stack = append(stack, top.Content[i])
		}
	}
	return nil
}
