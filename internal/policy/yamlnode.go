package policy

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds policy and baseline files. A policy is hand-written
// configuration; anything larger is refused rather than parsed.
const MaxFileSize = 4 << 20

// maxErrors bounds how many problems one load reports.
const maxErrors = 20

// Error is one problem in a policy or baseline file, at a 1-based line and
// column (0 when the problem concerns the whole file).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error renders file:line:col: message.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// ErrorList is every problem found in one file, in file order.
type ErrorList []*Error

// Error joins the problems one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// decoder walks a yaml.v3 node tree, collecting errors with positions.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) errorf(n *yaml.Node, format string, a ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	e := &Error{File: d.file, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	return d.errs
}

// parseDocument parses data into the document's root node, refusing
// oversized input, multiple documents and aliases (which also rules out
// alias-expansion bombs).
func (d *decoder) parseDocument(data []byte) (root *yaml.Node) {
	if len(data) > MaxFileSize {
		d.errorf(nil, "file is %d bytes; policy files are limited to %d", len(data), MaxFileSize)
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			d.errorf(nil, "cannot parse YAML: %v", p)
			root = nil
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		e := &Error{File: d.file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
		// yaml.v3 reports "line N: msg".
		var line int
		var rest string
		if n, _ := fmt.Sscanf(e.Msg, "line %d:", &line); n == 1 {
			if i := strings.Index(e.Msg, ":"); i >= 0 {
				rest = strings.TrimSpace(e.Msg[i+1:])
			}
			e.Line, e.Msg = line, rest
		}
		d.errs = append(d.errs, e)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root = doc.Content[0]
	if !d.checkNoAliases(root, 0) {
		return nil
	}
	return root
}

// checkNoAliases rejects anchors/aliases and absurd nesting.
func (d *decoder) checkNoAliases(n *yaml.Node, depth int) bool {
	if depth > 32 {
		d.errorf(n, "nesting deeper than 32 levels")
		return false
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.errorf(n, "YAML anchors and aliases are not supported in policy files")
		return false
	}
	for _, c := range n.Content {
		if !d.checkNoAliases(c, depth+1) {
			return false
		}
	}
	return true
}

// mapping iterates the key/value pairs of a mapping node, checking keys
// against known (which maps each key to its handler), reporting unknown and
// duplicate keys.
func (d *decoder) mapping(n *yaml.Node, what string, known map[string]func(v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, got %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be plain strings", what)
			continue
		}
		if seen[k.Value] {
			d.errorf(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		h, ok := known[k.Value]
		if !ok {
			names := make([]string, 0, len(known))
			for name := range known {
				names = append(names, name)
			}
			msg := fmt.Sprintf("%s: unknown key %q", what, k.Value)
			if s := suggest(k.Value, sortedCopy(names)); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known: " + strings.Join(sortedCopy(names), ", ") + ")"
			}
			d.errorf(k, "%s", msg)
			continue
		}
		h(v)
	}
}

func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a string, got %s", what, kindName(n))
		return "", false
	}
	if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!timestamp" && n.Tag != "!!bool" {
		d.errorf(n, "%s must be a string, got %s", what, n.Tag)
		return "", false
	}
	return n.Value, true
}

// nonEmpty is str that also refuses blank strings.
func (d *decoder) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := d.str(n, what)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, "%s must not be empty", what)
		return "", false
	}
	return strings.TrimSpace(s), ok
}

func (d *decoder) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, got %s", what, describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.errorf(n, "%s: %v", what, err)
		return false, false
	}
	return b, true
}

// strings accepts one string or a sequence of strings.
func (d *decoder) strList(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode {
		if s, ok := d.nonEmpty(n, what); ok {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := d.nonEmpty(c, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return "a scalar"
	default:
		return "an unsupported node"
	}
}

func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return kindName(n)
}

// suggest returns the known name closest to s when it is a likely typo.
func suggest(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := levenshtein(strings.ToLower(s), strings.ToLower(k)); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	if bestD <= 2 || (bestD <= 4 && bestD*3 <= len(s)) {
		return best
	}
	// A shared stem of 3+ characters ("sev" → "severity", "denied" → "deny").
	ls := strings.ToLower(s)
	for _, k := range known {
		lk := strings.ToLower(k)
		n := 0
		for n < len(ls) && n < len(lk) && ls[n] == lk[n] {
			n++
		}
		if n >= 3 && (n == len(ls) || n == len(lk) || n*2 >= min(len(ls), len(lk))) {
			return k
		}
	}
	return ""
}

func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
