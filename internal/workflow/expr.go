package workflow

import (
	"strings"
)

// exprSpan is one ${{ … }} in a string: its full text and inner expression.
type exprSpan struct {
	Text  string // "${{ github.event.issue.title }}"
	Inner string // " github.event.issue.title "
}

// maxExprs bounds how many expressions are read from one string.
const maxExprs = 1000

// findExprs returns the ${{ }} expressions of s. A `}}` inside a quoted
// string literal does not close the expression.
func findExprs(s string) []exprSpan {
	var out []exprSpan
	for len(out) < maxExprs {
		i := strings.Index(s, "${{")
		if i < 0 {
			return out
		}
		j := i + 3
		inStr := false
		end := -1
		for k := j; k < len(s); k++ {
			c := s[k]
			if c == '\'' {
				inStr = !inStr // '' inside a string toggles twice: fine
				continue
			}
			if !inStr && c == '}' && k+1 < len(s) && s[k+1] == '}' {
				end = k
				break
			}
		}
		if end < 0 {
			return out
		}
		out = append(out, exprSpan{Text: s[i : end+2], Inner: s[j:end]})
		s = s[end+2:]
	}
	return out
}

// ctxRef is one context access in an expression, lower-cased and with array
// indexes normalised to "*": github.event.commits[0].message →
// [github event commits * message].
type ctxRef struct {
	Path []string
	Safe bool // inside contains()/startsWith()/endsWith(): yields a boolean
}

func (r ctxRef) String() string { return strings.Join(r.Path, ".") }

// safeFuncs return booleans whatever their arguments hold.
var safeFuncs = map[string]bool{"contains": true, "startswith": true, "endswith": true, "always": true, "success": true, "failure": true, "cancelled": true}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdent(c byte) bool { return isIdentStart(c) || c == '-' || c >= '0' && c <= '9' }

// contextRefs lists the context accesses of one expression. It is a small
// lexer, not an evaluator: enough to see which properties are read and
// whether a boolean function wraps them.
func contextRefs(expr string) []ctxRef {
	var (
		out   []ctxRef
		funcs []string // stack: function name per open paren ("" for grouping)
	)
	safeDepth := func() bool {
		for _, f := range funcs {
			if safeFuncs[f] {
				return true
			}
		}
		return false
	}
	i := 0
	for i < len(expr) && len(out) < maxExprs {
		c := expr[i]
		switch {
		case c == '\'':
			i++
			for i < len(expr) {
				if expr[i] == '\'' {
					if i+1 < len(expr) && expr[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '(':
			funcs = append(funcs, "")
			i++
		case c == ')':
			if len(funcs) > 0 {
				funcs = funcs[:len(funcs)-1]
			}
			i++
		case c >= '0' && c <= '9':
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			name := strings.ToLower(expr[i:j])
			k := j
			for k < len(expr) && expr[k] == ' ' {
				k++
			}
			if k < len(expr) && expr[k] == '(' {
				funcs = append(funcs, name)
				i = k + 1
				continue
			}
			path := []string{name}
			i = j
		chain:
			for i < len(expr) && len(path) < 32 {
				switch expr[i] {
				case '.':
					i++
					if i < len(expr) && expr[i] == '*' {
						path = append(path, "*")
						i++
						continue
					}
					s := i
					for i < len(expr) && isIdent(expr[i]) {
						i++
					}
					if s == i {
						break chain
					}
					path = append(path, strings.ToLower(expr[s:i]))
				case '[':
					// ['name'] is a property; anything else an index.
					end := matchBracket(expr, i)
					inner := strings.TrimSpace(expr[i+1 : max(end, i+1)])
					if len(inner) >= 2 && inner[0] == '\'' && inner[len(inner)-1] == '\'' {
						path = append(path, strings.ToLower(inner[1:len(inner)-1]))
					} else {
						path = append(path, "*")
					}
					i = end + 1
				default:
					break chain
				}
			}
			switch name {
			case "true", "false", "null":
			default:
				out = append(out, ctxRef{Path: path, Safe: safeDepth()})
			}
		default:
			i++
		}
	}
	return out
}

// matchBracket returns the index of the ] closing the [ at i (len(s) when unclosed).
func matchBracket(s string, i int) int {
	depth := 0
	inStr := false
	for k := i; k < len(s); k++ {
		switch s[k] {
		case '\'':
			inStr = !inStr
		case '[':
			if !inStr {
				depth++
			}
		case ']':
			if !inStr {
				depth--
				if depth == 0 {
					return k
				}
			}
		}
	}
	return len(s)
}

// untrustedPaths are the github context properties an outsider writes: they
// can hold quotes, $(…), backticks and newlines. Sources: GitHub's security
// hardening guide and the untrusted-input lists of actionlint and CodeQL.
var untrustedPaths = func() [][]string {
	var out [][]string
	for _, p := range []string{
		"github.head_ref",
		"github.event.issue.title",
		"github.event.issue.body",
		"github.event.pull_request.title",
		"github.event.pull_request.body",
		"github.event.pull_request.head.ref",
		"github.event.pull_request.head.label",
		"github.event.pull_request.head.repo.default_branch",
		"github.event.comment.body",
		"github.event.review.body",
		"github.event.review_comment.body",
		"github.event.discussion.title",
		"github.event.discussion.body",
		"github.event.pages.*.page_name",
		"github.event.commits.*.message",
		"github.event.commits.*.author.email",
		"github.event.commits.*.author.name",
		"github.event.commits.*.committer.email",
		"github.event.commits.*.committer.name",
		"github.event.head_commit.message",
		"github.event.head_commit.author.email",
		"github.event.head_commit.author.name",
		"github.event.head_commit.committer.email",
		"github.event.head_commit.committer.name",
		"github.event.changes.title.from",
		"github.event.changes.body.from",
		"github.event.workflow_run.head_branch",
		"github.event.workflow_run.display_title",
		"github.event.workflow_run.head_commit.message",
		"github.event.workflow_run.head_commit.author.email",
		"github.event.workflow_run.head_commit.author.name",
		"github.event.workflow_run.head_commit.committer.email",
		"github.event.workflow_run.head_commit.committer.name",
		"github.event.workflow_run.pull_requests.*.head.ref",
		"github.event.merge_group.head_commit.message",
		"github.event.merge_group.head_commit.author.email",
		"github.event.merge_group.head_commit.author.name",
	} {
		out = append(out, strings.Split(p, "."))
	}
	return out
}()

// untrusted reports whether the access reads an attacker-controlled value:
// it names one of untrustedPaths, or an object that contains one (dumping
// github.event.issue as JSON expands its title too).
func untrusted(path []string) bool {
	if len(path) < 2 || path[0] != "github" {
		return false
	}
	for _, u := range untrustedPaths {
		if len(path) > len(u) {
			continue
		}
		match := true
		for i := range path {
			if path[i] != u[i] && path[i] != "*" && u[i] != "*" {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// untrustedIn returns the untrusted context accesses of the expressions in
// s, including env.X where X is a tainted env var (from tainted). Each
// result carries the span it was found in.
func untrustedIn(s string, tainted map[string]string) []taint {
	if !strings.Contains(s, "${{") {
		return nil
	}
	var out []taint
	for _, sp := range findExprs(s) {
		for _, r := range contextRefs(sp.Inner) {
			if r.Safe {
				continue
			}
			if untrusted(r.Path) {
				out = append(out, taint{Span: sp, Source: r.String()})
				continue
			}
			if len(r.Path) == 2 && r.Path[0] == "env" && tainted != nil {
				for name, src := range tainted {
					if strings.EqualFold(name, r.Path[1]) {
						out = append(out, taint{Span: sp, Source: r.String() + " (= " + src + ")"})
						break
					}
				}
			}
		}
	}
	return out
}

// taint is one attacker-controlled value expanded into a script.
type taint struct {
	Span   exprSpan
	Source string
}
