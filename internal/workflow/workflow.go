// Package workflow audits CI workflows (GitHub Actions, GitLab CI) for mutable refs, injection and dangerous triggers.
//
// It claims `.github/workflows/*.yml|*.yaml`, `action.yml|action.yaml`
// (composite and docker actions, anywhere) and `.gitlab-ci.yml` (plus the
// files it includes with `include: local:`). Each file is parsed with
// gopkg.in/yaml.v3 into a node tree — never evaluated — and a light model
// (triggers, permissions, jobs, steps) is visited by checks shaped like
// actionlint's rules: a no-op base visitor and one override per check.
//
// Every remote action, reusable workflow, docker:// step, job container and
// service image, and GitLab include becomes a Component (for the AI-BOM and
// for advisory matching of compromised action tags, done by the advisory
// analyzer).
//
// Bounds: files over MaxFileSize (4 MiB) or with more than MaxNodes YAML
// nodes are refused with an Error; aliases are never expanded into copies,
// and every recursive walk is charged against a per-file visit budget, so an
// anchor/alias bomb costs bounded time and memory. At most 1,000 `${{ }}`
// expressions are read per string and 100 piped installers per script.
// GitLab local includes are followed at most 3 levels deep and 20 files,
// within the scanned tree only.
package workflow

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/assay-dev/assay/internal/core"
)

const scannerName = "ci/workflow"

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return []core.Scanner{&Scanner{}} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return nil }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return append([]core.Rule(nil), allRules...) }

// Scanner audits GitHub Actions workflows, action metadata files and GitLab CI files.
type Scanner struct {
	// Owner, when set, is the owner of the scanned repository (used to tell
	// third-party reusable workflows from the project's own). When empty it is
	// read from .git/config's origin remote, if present.
	Owner string
	// AnyYAML makes the scanner claim every .yml/.yaml file, deciding the
	// dialect from the name or, failing that, the top-level keys (for a
	// file the user names explicitly, wherever it lives).
	AnyYAML bool

	mu     sync.Mutex
	owners map[any]string
}

// Name implements core.Scanner.
func (s *Scanner) Name() string { return scannerName }

// FileRequired implements core.Scanner: workflow files by path only.
func (s *Scanner) FileRequired(f core.FileInfo) bool {
	_, ok := s.classify(f.Path)
	return ok
}

func (s *Scanner) classify(p string) (fileKind, bool) {
	k, ok := classify(p)
	if !ok && s.AnyYAML {
		lp := strings.ToLower(p)
		return kindUnknown, strings.HasSuffix(lp, ".yml") || strings.HasSuffix(lp, ".yaml")
	}
	return k, ok
}

var (
	reTopGitHub = regexp.MustCompile(`(?m)^(?:jobs|on|"on"|'on'|true)\s*:`)
	reTopAction = regexp.MustCompile(`(?m)^runs\s*:`)
)

// sniffKind decides the dialect of a YAML file from its top-level keys.
func sniffKind(src []byte) fileKind {
	switch {
	case reTopAction.Match(src):
		return kindAction
	case reTopGitHub.Match(src):
		return kindWorkflow
	}
	return kindGitLab
}

// depDirs hold other projects' files (installed or vendored dependencies):
// their CI files never run as this project's CI.
var depDirs = []string{"node_modules/", "site-packages/", ".venv/", "vendor/", ".tox/"}

// classify says which CI dialect a path is, if any.
func classify(p string) (fileKind, bool) {
	for _, d := range depDirs {
		if strings.HasPrefix(p, d) || strings.Contains(p, "/"+d) {
			return 0, false
		}
	}
	base := path.Base(p)
	lb := strings.ToLower(base)
	switch lb {
	case "action.yml", "action.yaml":
		return kindAction, true
	case ".gitlab-ci.yml", ".gitlab-ci.yaml":
		return kindGitLab, true
	}
	if strings.HasSuffix(lb, ".yml") || strings.HasSuffix(lb, ".yaml") {
		dir := path.Dir(p)
		if dir == ".github/workflows" || strings.HasSuffix(dir, "/.github/workflows") {
			return kindWorkflow, true
		}
	}
	return 0, false
}

// Scan implements core.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	kind, ok := s.classify(in.Path)
	if !ok {
		return core.Result{}, nil
	}
	src, err := in.ReadAll(MaxFileSize)
	if err != nil {
		if errors.Is(err, core.ErrTooLarge) {
			return core.Result{Errors: []core.Error{{Path: in.Path, Scanner: scannerName, Reason: err.Error()}}}, nil
		}
		return core.Result{}, err
	}
	if kind == kindUnknown {
		kind = sniffKind(src)
	}
	var fsys fs.FS
	if in.Root != nil {
		fsys = in.Root.FS()
	}
	owner := s.Owner
	if owner == "" && in.Root != nil {
		owner = s.repoOwner(in.Root, fsys)
	}
	return auditSource(in.Path, kind, src, fsys, owner), nil
}

// auditSource audits one CI file given its path (relative to the scan root), its
// dialect and content. fsys (may be nil) is the scanned tree, for GitLab
// local includes; owner (may be empty) is the repository owner.
func auditSource(p string, kind fileKind, src []byte, fsys fs.FS, owner string) core.Result {
	var res core.Result
	d, err := parseDoc(src)
	if err != nil {
		res.Errors = append(res.Errors, core.Error{Path: p, Scanner: scannerName, Reason: err.Error()})
		return res
	}
	if kind == kindGitLab {
		auditGitLab(p, d, &includer{fsys: fsys, seen: map[string]bool{p: true}, res: &res}, owner)
		return res
	}
	wf, errs := buildGitHub(p, kind, d)
	res.Errors = append(res.Errors, errs...)
	a := &audit{wf: wf, owner: owner}
	a.run()
	if d.budget <= 0 {
		res.Errors = append(res.Errors, core.Error{Path: p, Scanner: scannerName, Reason: errBudget.Error() + "; results may be incomplete"})
	}
	res.Findings = append(res.Findings, a.findings...)
	res.Components = append(res.Components, a.comps...)
	return res
}

// AuditFile is auditSource with the dialect decided from the path; ok is false
// when the path is not a CI file this package reads.
func AuditFile(p string, src []byte) (core.Result, bool) {
	kind, ok := classify(p)
	if !ok {
		return core.Result{}, false
	}
	return auditSource(p, kind, src, nil, ""), true
}

var reRemoteURL = regexp.MustCompile(`(?i)^\s*url\s*=\s*(?:https?://|ssh://)?(?:[^@/]+@)?(?:www\.)?(?:github\.com|gitlab\.com)[:/]+([A-Za-z0-9_.-]+)/`)

// repoOwner reads the owner of the origin remote from .git/config (once
// per scanned root).
func (s *Scanner) repoOwner(key any, fsys fs.FS) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.owners[key]; ok {
		return o
	}
	if s.owners == nil {
		s.owners = map[any]string{}
	}
	owner := ""
	if b, err := readBounded(fsys, ".git/config"); err == nil && len(b) < 1<<20 {
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		inOrigin := false
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(l, "[") {
				inOrigin = l == `[remote "origin"]`
				continue
			}
			if m := reRemoteURL.FindStringSubmatch(l); m != nil && (inOrigin || owner == "") {
				owner = m[1]
				if inOrigin {
					break
				}
			}
		}
	}
	s.owners[key] = owner
	return owner
}
