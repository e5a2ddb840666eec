package aiassets

import (
	"strings"

	ts "github.com/tree-sitter/go-tree-sitter"

	"github.com/assay-dev/assay/internal/core"
)

// The language front ends (python.go, javascript.go) turn a syntax tree into
// calls: callee names resolved through the file's imports, arguments reduced
// to the few facts the semantics need. semantics.go maps calls to
// components and findings, the same way for every language.

type valKind uint8

const (
	vOther valKind = iota
	vString
	vTrue
	vFalse
	vNone
)

// value is what the semantics need to know about one argument.
type value struct {
	kind valKind
	str  string // vString: the literal (or the resolved module constant)
	// downloaded: the value derives from a download (hf_hub_download,
	// urlretrieve, requests …) or is a remote URL.
	downloaded bool
	// unresolved: a name whose value could not be determined.
	unresolved bool
}

func (v value) isString() bool { return v.kind == vString }

// call is one call or constructor expression.
type call struct {
	// name is the callee with its root resolved through imports:
	// "transformers.AutoModel.from_pretrained", "openai.OpenAI",
	// "@ai-sdk/openai.openai". Unresolved roots stay as written.
	name string
	// raw is the callee as written ("self.client.chat.completions.create").
	raw string
	// resolved is true when the callee root came from an import.
	resolved bool
	args     []value
	kw       map[string]value
	// target is the variable the result is assigned to ("client",
	// "self.llm"), if any.
	target string
	loc    core.Location
	text   string // the call's source text, clipped, for evidence
	// inErr: the call lies inside a syntax-error region (TypeScript
	// annotations under the JavaScript grammar, broken code). It still
	// names components, but never yields a finding.
	inErr bool
}

// site is a call node and whether it lies in an ERROR region.
type site struct {
	node  ts.Node
	inErr bool
}

// arg returns the positional argument i or keyword k (k first).
func (c *call) arg(i int, keys ...string) (value, bool) {
	for _, k := range keys {
		if v, ok := c.kw[k]; ok {
			return v, true
		}
	}
	if i >= 0 && i < len(c.args) {
		return c.args[i], true
	}
	return value{}, false
}

// last is the final dotted segment of the callee.
func (c *call) last() string {
	if i := strings.LastIndexByte(c.name, '.'); i >= 0 {
		return c.name[i+1:]
	}
	return c.name
}

// module is the callee's resolved module path (everything before the last
// segment when resolved, "" otherwise).
func (c *call) module() string {
	if !c.resolved {
		return ""
	}
	if i := strings.LastIndexByte(c.name, '.'); i >= 0 {
		return c.name[:i]
	}
	return c.name
}

// fileFacts is what one front end extracted from one file.
type fileFacts struct {
	lang    string // "python" or "javascript"
	calls   []call
	imports map[string]bool // every imported module path (top and full)
}

func (f *fileFacts) imported(prefix string) bool {
	for m := range f.imports {
		if m == prefix || strings.HasPrefix(m, prefix+".") || strings.HasPrefix(m, prefix+"/") {
			return true
		}
	}
	return false
}
