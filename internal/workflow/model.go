package workflow

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// fileKind says which CI dialect a file is.
type fileKind int

const (
	kindWorkflow fileKind = iota // .github/workflows/*.yml
	kindAction                   // action.yml (composite or docker action)
	kindGitLab                   // .gitlab-ci.yml and its local includes
	kindUnknown                  // any YAML named explicitly: decided by sniffKind
)

// Workflow is the light model of one GitHub Actions workflow or action
// file the rules visit. Nodes are kept so every finding has a position.
type Workflow struct {
	Path string
	Kind fileKind
	doc  *doc
	Root *yaml.Node
	// Triggers maps each event name to the key node that declared it.
	Triggers map[string]*yaml.Node
	// Permissions is the top-level permissions block (nil when absent).
	Permissions *Perms
	Env         *yaml.Node
	Jobs        []*Job
	// taintedEnv are workflow-level env vars whose value expands an
	// attacker-controlled context.
	taintedEnv map[string]string
}

// Perms is a parsed permissions block.
type Perms struct {
	Key  *yaml.Node // the `permissions` key
	Node *yaml.Node // its value
	// All is "write-all", "read-all" or "" (scopes listed).
	All    string
	Scopes map[string]string     // scope -> read|write|none
	Keys   map[string]*yaml.Node // scope -> key node
}

// Job is one job of a workflow, or the steps of a composite action.
type Job struct {
	ID          string
	Key         *yaml.Node // the job's key (position)
	Node        *yaml.Node
	Permissions *Perms
	RunsOn      *yaml.Node
	Uses        *yaml.Node // reusable workflow call
	UsesRef     *actionRef
	Secrets     *yaml.Node // `secrets:` of a reusable workflow call
	Env         *yaml.Node
	Container   *yaml.Node
	Services    *yaml.Node
	Steps       []*Step

	// derived facts, computed once before the rules run
	secretRefs     []string // secrets.X names referenced anywhere in the job (GITHUB_TOKEN excluded)
	inheritSecrets bool
	taintedEnv     map[string]string
}

// Step is one step of a job.
type Step struct {
	Index int
	Node  *yaml.Node
	Uses  *yaml.Node
	Ref   *actionRef
	Run   *yaml.Node
	With  *yaml.Node
	Env   *yaml.Node
	// taintedEnv: env vars visible to the step that expand untrusted contexts.
	taintedEnv map[string]string
}

// withValue returns the `with:` input of the step (nil when absent).
func (s *Step) withValue(key string) *yaml.Node { return mapGet(s.With, key) }

// builder collects structural errors while building the model.
type builder struct {
	path string
	errs []core.Error
}

func (b *builder) errorf(n *yaml.Node, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if n != nil && n.Line > 0 {
		reason = fmt.Sprintf("line %d: %s", n.Line, reason)
	}
	b.errs = append(b.errs, core.Error{Path: b.path, Scanner: scannerName, Reason: reason})
}

// expect checks that n (when present) is of kind k, recording an error naming
// what was wanted otherwise.
func (b *builder) expect(n *yaml.Node, k yaml.Kind, what string) bool {
	if n == nil {
		return false
	}
	if n.Kind == k {
		return true
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return false
	}
	want := map[yaml.Kind]string{yaml.MappingNode: "mapping", yaml.SequenceNode: "sequence", yaml.ScalarNode: "scalar"}[k]
	b.errorf(n, "%s is a %s, want a %s; ignored", what, kindName(n), want)
	return false
}

// buildGitHub builds the model of a GitHub workflow or action file.
func buildGitHub(path string, kind fileKind, d *doc) (*Workflow, []core.Error) {
	b := &builder{path: path}
	wf := &Workflow{Path: path, Kind: kind, doc: d, Root: d.root, Triggers: map[string]*yaml.Node{}}
	if d.root == nil {
		return wf, nil
	}
	if kind == kindAction {
		runs := mapGet(d.root, "runs")
		if !b.expect(runs, yaml.MappingNode, "runs") {
			return wf, b.errs
		}
		using := strings.ToLower(scalar(mapGet(runs, "using")))
		job := &Job{ID: "(action)", Key: runs, Node: runs}
		if using == "composite" {
			job.Steps = b.steps(mapGet(runs, "steps"))
		}
		wf.Jobs = []*Job{job}
		return wf, b.errs
	}
	// on: can be a string, a list or a mapping. YAML 1.1 parsers read a bare
	// `on` key as true; yaml.v3 keeps it as the string "on".
	onKey, on := mapGetKV(d.root, "on")
	if on == nil {
		onKey, on = mapGetKV(d.root, "true")
	}
	switch {
	case on == nil:
	case on.Kind == yaml.ScalarNode:
		if on.Value != "" {
			wf.Triggers[on.Value] = on
		}
	case on.Kind == yaml.SequenceNode:
		for _, e := range on.Content {
			if s := scalar(e); s != "" {
				wf.Triggers[s] = e
			}
		}
	case on.Kind == yaml.MappingNode:
		pairs(on, func(k, _ *yaml.Node) {
			if k.Value != "" {
				wf.Triggers[k.Value] = k
			}
		})
	default:
		b.errorf(onKey, "on is a %s; ignored", kindName(on))
	}
	wf.Permissions = b.perms(mapGetKV(d.root, "permissions"))
	wf.Env = mapGet(d.root, "env")
	b.expect(wf.Env, yaml.MappingNode, "env")

	jobs := mapGet(d.root, "jobs")
	if b.expect(jobs, yaml.MappingNode, "jobs") {
		pairs(jobs, func(k, v *yaml.Node) {
			if !b.expect(v, yaml.MappingNode, "job "+quoteKey(k.Value)) {
				return
			}
			j := &Job{ID: k.Value, Key: k, Node: v}
			j.Permissions = b.perms(mapGetKV(v, "permissions"))
			j.RunsOn = mapGet(v, "runs-on")
			j.Env = mapGet(v, "env")
			b.expect(j.Env, yaml.MappingNode, "jobs."+k.Value+".env")
			j.Container = mapGet(v, "container")
			j.Services = mapGet(v, "services")
			j.Secrets = mapGet(v, "secrets")
			if u := mapGet(v, "uses"); u != nil {
				if b.expect(u, yaml.ScalarNode, "jobs."+k.Value+".uses") {
					j.Uses = u
					r := parseUses(u.Value)
					j.UsesRef = &r
				}
			}
			j.Steps = b.steps(mapGet(v, "steps"))
			wf.Jobs = append(wf.Jobs, j)
		})
	}
	return wf, b.errs
}

func quoteKey(s string) string { return core.Clip(s, 64) }

func (b *builder) steps(n *yaml.Node) []*Step {
	if !b.expect(n, yaml.SequenceNode, "steps") {
		return nil
	}
	out := make([]*Step, 0, len(n.Content))
	for i, e := range n.Content {
		e = resolve(e)
		if !b.expect(e, yaml.MappingNode, fmt.Sprintf("step %d", i+1)) {
			continue
		}
		s := &Step{Index: i, Node: e, With: mapGet(e, "with"), Env: mapGet(e, "env")}
		if u := mapGet(e, "uses"); u != nil && b.expect(u, yaml.ScalarNode, "uses") {
			s.Uses = u
			r := parseUses(u.Value)
			s.Ref = &r
		}
		if r := mapGet(e, "run"); r != nil && b.expect(r, yaml.ScalarNode, "run") {
			s.Run = r
		}
		b.expect(s.With, yaml.MappingNode, "with")
		b.expect(s.Env, yaml.MappingNode, "env")
		out = append(out, s)
	}
	return out
}

func (b *builder) perms(key, n *yaml.Node) *Perms {
	if key == nil {
		return nil
	}
	p := &Perms{Key: key, Node: n, Scopes: map[string]string{}, Keys: map[string]*yaml.Node{}}
	switch {
	case n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null"):
	case n.Kind == yaml.ScalarNode:
		p.All = strings.ToLower(n.Value)
	case n.Kind == yaml.MappingNode:
		pairs(n, func(k, v *yaml.Node) {
			p.Scopes[strings.ToLower(k.Value)] = strings.ToLower(scalar(v))
			p.Keys[strings.ToLower(k.Value)] = k
		})
	default:
		b.errorf(n, "permissions is a %s; ignored", kindName(n))
	}
	return p
}

// has reports whether the block grants scope at level (write-all grants all).
func (p *Perms) has(scope, level string) bool {
	if p == nil {
		return false
	}
	if p.All == "write-all" {
		return true
	}
	if p.All == "read-all" {
		return level == "read"
	}
	return p.Scopes[scope] == level
}

// effectivePerms is the permissions block that applies to job j.
func (wf *Workflow) effectivePerms(j *Job) *Perms {
	if j.Permissions != nil {
		return j.Permissions
	}
	return wf.Permissions
}

// idTokenWrite reports whether job j may mint OIDC tokens, and the key
// node that grants it.
func (wf *Workflow) idTokenWrite(j *Job) (*yaml.Node, bool) {
	p := wf.effectivePerms(j)
	if p == nil {
		return nil, false
	}
	if p.All == "write-all" {
		return p.Node, true
	}
	if p.Scopes["id-token"] == "write" {
		return p.Keys["id-token"], true
	}
	return nil, false
}

// Trigger classes. GitHub runs these events in the context of the base
// repository's default branch, with a token that can write and with
// secrets, while an outsider decides when they fire and what their payload
// holds.
var privilegedTriggers = map[string]bool{
	"pull_request_target": true,
	"workflow_run":        true,
	"issue_comment":       true,
	"issues":              true,
	"discussion":          true,
	"discussion_comment":  true,
}

// prCodeTriggers run the pull request's own code (from a fork, for a public
// repository) — on the runner the job asks for.
var prCodeTriggers = map[string]bool{
	"pull_request":                true,
	"pull_request_review":         true,
	"pull_request_review_comment": true,
}

// checkoutTriggers are the privileged triggers under which checking out the
// pull request head means running an outsider's code with the base repo's
// privileges.
var checkoutTriggers = map[string]bool{
	"pull_request_target": true,
	"workflow_run":        true,
	"issue_comment":       true,
}

// triggered returns the sorted names of wf's triggers that are in set.
func (wf *Workflow) triggered(set map[string]bool) []string {
	var out []string
	for t := range wf.Triggers {
		if set[t] {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// onlyWorkflowCall reports whether the workflow is only a reusable workflow.
func (wf *Workflow) onlyWorkflowCall() bool {
	if len(wf.Triggers) == 0 {
		return false
	}
	for t := range wf.Triggers {
		if t != "workflow_call" {
			return false
		}
	}
	return true
}
