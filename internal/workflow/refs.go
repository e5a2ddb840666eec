package workflow

import (
	"strings"

	"github.com/package-url/packageurl-go"
	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// actionRef is a parsed `uses:` value.
type actionRef struct {
	Raw    string
	Local  bool // ./path — code from the repository itself
	Docker bool // docker://image
	// Owner/Repo[/Path]@Ref for remote actions and reusable workflows.
	Owner, Repo, Path, Ref string
	Image                  imageRef // for docker://
}

// purl is pkg:githubactions/owner/repo@ref#path.
func (r *actionRef) purl() string {
	return packageurl.NewPackageURL("githubactions", r.Owner, r.Repo, r.Ref, nil, r.Path).ToString()
}

// Name is owner/repo as written.
func (r *actionRef) Name() string { return r.Owner + "/" + r.Repo }

// Display is owner/repo[/path].
func (r *actionRef) Display() string {
	if r.Path != "" {
		return r.Name() + "/" + r.Path
	}
	return r.Name()
}

// remote reports whether the reference names a remote action or workflow.
func (r *actionRef) remote() bool { return !r.Local && !r.Docker && r.Owner != "" && r.Repo != "" }

// parseUses parses owner/repo[/path]@ref, ./local/path and docker://image.
func parseUses(s string) actionRef {
	s = strings.TrimSpace(s)
	r := actionRef{Raw: s}
	switch {
	case strings.HasPrefix(s, "./") || strings.HasPrefix(s, ".\\") || s == ".":
		r.Local = true
		return r
	case strings.HasPrefix(strings.ToLower(s), "docker://"):
		r.Docker = true
		r.Image = parseImage(s[len("docker://"):])
		return r
	}
	name, ref, _ := strings.Cut(s, "@")
	r.Ref = ref
	parts := strings.SplitN(name, "/", 3)
	if len(parts) >= 2 {
		r.Owner, r.Repo = parts[0], parts[1]
	}
	if len(parts) == 3 {
		r.Path = strings.Trim(parts[2], "/")
	}
	return r
}

// isFullSHA reports whether ref is a full 40-hex commit id.
func isFullSHA(ref string) bool { return len(ref) == 40 && isHex(ref) }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// firstParty reports whether the action is GitHub's own (actions/*, github/*).
func firstParty(owner string) bool {
	o := strings.ToLower(owner)
	return o == "actions" || o == "github"
}

// hasExpr reports whether s holds a ${{ }} expression (refs decided at run time).
func hasExpr(s string) bool { return strings.Contains(s, "${{") }

// imageRef is a parsed container image reference.
type imageRef struct {
	Raw      string
	Registry string // "" for Docker Hub
	Repo     string // path without registry ("library/python" is kept as written: "python")
	Tag      string
	Digest   string // "sha256:..."
}

// Name is the image name without tag or digest, registry included.
func (i imageRef) Name() string {
	if i.Registry != "" {
		return i.Registry + "/" + i.Repo
	}
	return i.Repo
}

// Version is the digest when pinned, else the tag ("" when neither: latest).
func (i imageRef) Version() string {
	if i.Digest != "" {
		return i.Digest
	}
	return i.Tag
}

// parseImage parses [registry/]path[:tag][@digest].
func parseImage(s string) imageRef {
	s = strings.TrimSpace(s)
	im := imageRef{Raw: s}
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		im.Digest = rest[i+1:]
		rest = rest[:i]
	}
	// The tag is after the last colon that follows the last slash.
	slash := strings.LastIndex(rest, "/")
	if c := strings.LastIndex(rest, ":"); c > slash {
		im.Tag = rest[c+1:]
		rest = rest[:c]
	}
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		im.Registry = first
		rest = after
	}
	im.Repo = rest
	return im
}

// pinnedDigest reports whether the image is pinned by a sha256 digest.
func (i imageRef) pinnedDigest() bool {
	d := strings.ToLower(i.Digest)
	return strings.HasPrefix(d, "sha256:") && len(d) == len("sha256:")+64
}

// purl returns pkg:docker/namespace/name@version?repository_url=registry.
func (i imageRef) purl() string {
	ns, name := "", i.Repo
	if k := strings.LastIndex(i.Repo, "/"); k >= 0 {
		ns, name = i.Repo[:k], i.Repo[k+1:]
	}
	var q packageurl.Qualifiers
	m := map[string]string{}
	if i.Registry != "" {
		m["repository_url"] = i.Registry
	}
	if i.Digest != "" && i.Tag != "" {
		m["tag"] = i.Tag
	}
	if len(m) > 0 {
		q = packageurl.QualifiersFromMap(m)
	}
	return packageurl.NewPackageURL(packageurl.TypeDocker, ns, name, i.Version(), q, "").ToString()
}

// tagComment extracts the version a `# v1.2.3` (or `# tag=v1.2.3`) comment
// after a SHA pin claims.
func tagComment(n *yaml.Node) string {
	c := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n.LineComment), "#"))
	if c == "" {
		return ""
	}
	f := strings.Fields(c)[0]
	f = strings.TrimPrefix(f, "tag=")
	f = strings.TrimPrefix(f, "ratchet:")
	if i := strings.LastIndex(f, "@"); i >= 0 { // ratchet:owner/repo@v1
		f = f[i+1:]
	}
	return core.Clip(f, 64)
}

func (wf *Workflow) loc(n *yaml.Node) core.Location {
	if n == nil {
		return core.Location{Path: wf.Path}
	}
	return core.Location{Path: wf.Path, Line: n.Line, Column: n.Column}
}

// actionComponent turns a remote `uses:` into a component.
func (wf *Workflow) actionComponent(r *actionRef, n *yaml.Node, job, usage string) core.Component {
	props := map[string]string{"job": job, "usage": usage, core.PropSource: "workflow"}
	if r.Path != "" {
		props["path"] = r.Path
	}
	if isFullSHA(r.Ref) {
		if tc := tagComment(n); tc != "" {
			props["tag_comment"] = tc
		}
	}
	return core.Component{
		Kind:       core.KindAction,
		Name:       r.Name(),
		Version:    r.Ref,
		Ecosystem:  core.EcosystemGitHubActions,
		PURL:       r.purl(),
		Locations:  []core.Location{wf.loc(n)},
		Direct:     true,
		Scope:      "build",
		Properties: props,
	}
}

// imageComponent turns a container image reference into a component: kind
// action for docker:// steps, kind package (ecosystem Docker) for job
// containers and services.
func (wf *Workflow) imageComponent(im imageRef, n *yaml.Node, kind core.ComponentKind, job, usage string) core.Component {
	props := map[string]string{"usage": usage, core.PropSource: "workflow"}
	if job != "" {
		props["job"] = job
	}
	if im.Digest != "" && im.Tag != "" {
		props["tag"] = im.Tag
	}
	return core.Component{
		Kind:       kind,
		Name:       im.Name(),
		Version:    im.Version(),
		Ecosystem:  core.EcosystemDocker,
		PURL:       im.purl(),
		Locations:  []core.Location{wf.loc(n)},
		Direct:     true,
		Scope:      "build",
		Properties: props,
	}
}
