package workflow

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// gitlabReserved are top-level .gitlab-ci.yml keys that are not jobs.
var gitlabReserved = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "before_script": true, "after_script": true, "cache": true, "spec": true,
}

// Bounds on following `include: local:` files.
const (
	maxGitLabIncludeDepth = 3
	maxGitLabIncludeFiles = 20
)

// gitlabAudit audits one GitLab CI file (and, through inc, the local files
// it includes).
type gitlabAudit struct {
	audit
	inc *includer
	dir string // directory of the root .gitlab-ci.yml, for local includes
}

// includer follows local includes within the scanned tree.
type includer struct {
	fsys  fs.FS // nil: includes are not followed (single-file scan)
	seen  map[string]bool
	depth int
	res   *core.Result
}

func auditGitLab(p string, d *doc, inc *includer, owner string) {
	g := &gitlabAudit{audit: audit{wf: &Workflow{Path: p, Kind: kindGitLab, doc: d, Root: d.root}, owner: owner}, inc: inc, dir: path.Dir(p)}
	if d.root != nil {
		g.run()
	}
	inc.res.Findings = append(inc.res.Findings, g.findings...)
	inc.res.Components = append(inc.res.Components, g.comps...)
}

func (g *gitlabAudit) run() {
	root := g.wf.Root
	g.includes(mapGet(root, "include"))
	g.images("", root)
	if def := mapGet(root, "default"); def != nil {
		g.images("default", def)
		g.scripts(def)
	}
	g.scripts(root)
	pairs(root, func(k, v *yaml.Node) {
		if gitlabReserved[k.Value] || v == nil || v.Kind != yaml.MappingNode {
			return
		}
		g.images(k.Value, v)
		g.scripts(v)
		if tr := mapGet(v, "trigger"); tr != nil && tr.Kind == yaml.MappingNode {
			g.includes(mapGet(tr, "include"))
		}
	})
}

func (g *gitlabAudit) images(job string, n *yaml.Node) {
	add := func(v *yaml.Node, usage string) {
		if v != nil && v.Kind == yaml.MappingNode {
			v = mapGet(v, "name")
		}
		ref := scalar(v)
		if ref == "" || strings.Contains(ref, "$") {
			return // $CI_REGISTRY_IMAGE/…: decided at run time
		}
		im := parseImage(ref)
		g.comps = append(g.comps, g.wf.imageComponent(im, v, core.KindPackage, job, usage))
		if im.pinnedDigest() {
			return
		}
		where := "pipeline"
		if job != "" {
			where = "job " + job
		}
		g.reportAt(ruleGLImage, ruleGLImage.Severity, v,
			fmt.Sprintf("%s %s %s is pulled by %s, not by digest", where, usage, im.Name(), tagWord(im.Tag)), g.srcLine(v.Line), im.purl())
	}
	add(mapGet(n, "image"), "image")
	if s := mapGet(n, "services"); s != nil && s.Kind == yaml.SequenceNode {
		for _, e := range s.Content {
			add(resolve(e), "service")
		}
	}
}

func (g *gitlabAudit) scripts(n *yaml.Node) {
	for _, key := range []string{"before_script", "script", "after_script"} {
		v := mapGet(n, key)
		if v == nil {
			continue
		}
		_ = g.wf.doc.walkScalars(v, func(s *yaml.Node) bool {
			for _, p := range findPipeInstalls(s.Value) {
				g.reportPipe(s, p, core.Rule{}, ruleGLPipeShell)
			}
			return true
		})
	}
}

var reSHAInURL = regexp.MustCompile(`(?i)[/=@-][0-9a-f]{40}(?:[/?#&]|$)`)

func (g *gitlabAudit) includes(n *yaml.Node) {
	if n == nil {
		return
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		for _, e := range n.Content {
			items = append(items, resolve(e))
		}
	default:
		items = []*yaml.Node{n}
	}
	for _, it := range items {
		if it == nil {
			continue
		}
		if it.Kind == yaml.ScalarNode {
			v := it.Value
			if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
				g.remote(it)
			} else {
				g.local(it)
			}
			continue
		}
		if it.Kind != yaml.MappingNode {
			continue
		}
		if r := mapGet(it, "remote"); r != nil {
			g.remote(r)
		}
		if l := mapGet(it, "local"); l != nil {
			g.local(l)
		}
		if p := mapGet(it, "project"); p != nil && scalar(p) != "" {
			g.project(it, p)
		}
		if c := mapGet(it, "component"); c != nil && scalar(c) != "" {
			g.component(c)
		}
	}
}

func (g *gitlabAudit) remote(n *yaml.Node) {
	u := scalar(n)
	if u == "" {
		return
	}
	g.comps = append(g.comps, core.Component{Kind: core.KindAction, Name: u, Ecosystem: core.EcosystemGitLabCI, Direct: true, Scope: "build",
		Locations: []core.Location{g.wf.loc(n)}, Properties: map[string]string{"usage": "include-remote", core.PropSource: "workflow"}})
	if reSHAInURL.MatchString(u) {
		return
	}
	g.reportAt(ruleGLInclude, ruleGLInclude.Severity, n,
		fmt.Sprintf("pipeline configuration is included from %s, which can change without a commit here", core.Clip(u, 160)), "include: remote: "+u, "")
}

func (g *gitlabAudit) project(it, p *yaml.Node) {
	ref := scalar(mapGet(it, "ref"))
	files := scalar(mapGet(it, "file"))
	if f := mapGet(it, "file"); f != nil && f.Kind == yaml.SequenceNode {
		var fs []string
		for _, e := range f.Content {
			fs = append(fs, scalar(e))
		}
		files = strings.Join(fs, ",")
	}
	props := map[string]string{"usage": "include-project", core.PropSource: "workflow"}
	if files != "" {
		props["path"] = files
	}
	g.comps = append(g.comps, core.Component{Kind: core.KindAction, Name: p.Value, Version: ref, Ecosystem: core.EcosystemGitLabCI, Direct: true, Scope: "build",
		Locations: []core.Location{g.wf.loc(p)}, Properties: props})
	if isFullSHA(ref) || strings.Contains(ref, "$") {
		return
	}
	why := "without a ref (the default branch, whatever it holds at pipeline time)"
	if ref != "" {
		why = "at the mutable ref " + ref
	}
	g.reportAt(ruleGLInclude, ruleGLInclude.Severity, p,
		fmt.Sprintf("pipeline configuration %s is included from project %s %s", files, p.Value, why), g.srcLine(p.Line), "")
}

func (g *gitlabAudit) component(c *yaml.Node) {
	v := c.Value
	name, ver := v, ""
	if i := strings.LastIndex(v, "@"); i >= 0 {
		name, ver = v[:i], v[i+1:]
	}
	g.comps = append(g.comps, core.Component{Kind: core.KindAction, Name: name, Version: ver, Ecosystem: core.EcosystemGitLabCI, Direct: true, Scope: "build",
		Locations: []core.Location{g.wf.loc(c)}, Properties: map[string]string{"usage": "include-component", core.PropSource: "workflow"}})
	if isFullSHA(ver) {
		return
	}
	g.reportAt(ruleGLInclude, ruleGLInclude.Severity, c,
		fmt.Sprintf("CI component %s is included at %s, not a commit SHA", name, refWord(ver)), "include: component: "+core.Clip(v, 160), "")
}

// local follows an `include: local:` file in the scanned tree (bounded).
func (g *gitlabAudit) local(n *yaml.Node) {
	inc := g.inc
	p := scalar(n)
	if inc == nil || inc.fsys == nil || p == "" || strings.Contains(p, "$") || inc.depth >= maxGitLabIncludeDepth {
		return
	}
	rel := path.Clean(path.Join(g.dir, strings.TrimPrefix(p, "/")))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		inc.res.Errors = append(inc.res.Errors, core.Error{Path: g.wf.Path, Scanner: scannerName, Reason: fmt.Sprintf("line %d: include %q points outside the scanned tree; not followed", n.Line, p)})
		return
	}
	matches := []string{rel}
	if strings.ContainsAny(rel, "*?[") {
		var err error
		matches, err = fs.Glob(inc.fsys, rel)
		if err != nil {
			return
		}
	}
	for _, m := range matches {
		if inc.seen[m] {
			continue
		}
		if len(inc.seen) >= maxGitLabIncludeFiles {
			inc.res.Errors = append(inc.res.Errors, core.Error{Path: g.wf.Path, Scanner: scannerName, Reason: fmt.Sprintf("more than %d local includes; the rest are not followed", maxGitLabIncludeFiles)})
			return
		}
		inc.seen[m] = true
		src, err := readBounded(inc.fsys, m)
		if err != nil {
			inc.res.Errors = append(inc.res.Errors, core.Error{Path: m, Scanner: scannerName, Reason: "included from " + g.wf.Path + ": " + err.Error()})
			continue
		}
		d, err := parseDoc(src)
		if err != nil {
			inc.res.Errors = append(inc.res.Errors, core.Error{Path: m, Scanner: scannerName, Reason: err.Error()})
			continue
		}
		inc.depth++
		sub := &gitlabAudit{audit: audit{wf: &Workflow{Path: m, Kind: kindGitLab, doc: d, Root: d.root}, owner: g.owner}, inc: inc, dir: g.dir}
		if d.root != nil {
			sub.run()
		}
		inc.res.Findings = append(inc.res.Findings, sub.findings...)
		inc.res.Components = append(inc.res.Components, sub.comps...)
		inc.depth--
	}
}

func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	return core.ReadLimited(f, MaxFileSize)
}
