package workflow

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// visitor is the shape of a workflow check: it embeds noop and overrides
// the visits it needs (the actionlint rule shape).
type visitor interface {
	VisitWorkflow(a *audit)
	VisitJob(a *audit, j *Job)
	VisitStep(a *audit, j *Job, s *Step)
}

// noop is the base every check embeds.
type noop struct{}

func (noop) VisitWorkflow(*audit)          {}
func (noop) VisitJob(*audit, *Job)         {}
func (noop) VisitStep(*audit, *Job, *Step) {}

// checks run in this order on every GitHub workflow and action file.
var checks = []visitor{
	pinCheck{}, untrustedCheckoutCheck{}, cacheCheck{}, selfHostedCheck{}, injectionCheck{},
	permissionsCheck{}, secretsInheritCheck{}, scriptCheck{}, unsecureCommandsCheck{},
}

// audit is the state of auditing one file.
type audit struct {
	wf       *Workflow
	owner    string // the scanned repository's owner when known (from .git/config)
	findings []core.Finding
	comps    []core.Component
	facts    map[*Job]*jobFacts
}

// jobFacts are what several checks need to know about a job, computed once.
type jobFacts struct {
	checkout     *Step  // first step that checks out untrusted PR code (nil: none)
	checkoutWhy  string // what made it untrusted
	executes     bool   // a step after the checkout runs code from the workspace
	guard        string // a job/step `if:` that limits the job to trusted actors
	injected     bool   // an attacker-controlled value is expanded in a script
	publishes    bool   // the job publishes, signs, attests or logs in with OIDC
	secretsOrOID bool   // the job sees secrets or can mint OIDC tokens
}

// report records a finding of rule r at node n with severity sev.
func (a *audit) report(r core.Rule, sev core.Severity, line, col int, msg, evidence, component string) *core.Finding {
	f := r.New(core.Location{Path: a.wf.Path, Line: line, Column: col}, msg, core.Clip(evidence, 240))
	f.Severity = sev
	f.Component = component
	a.findings = append(a.findings, f)
	return &a.findings[len(a.findings)-1]
}

func (a *audit) reportAt(r core.Rule, sev core.Severity, n *yaml.Node, msg, evidence, component string) *core.Finding {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	return a.report(r, sev, line, col, msg, evidence, component)
}

// srcLine returns source line n (1-based), trimmed.
func (a *audit) srcLine(n int) string {
	d := a.wf.doc
	if n < 1 || n > len(d.lineStarts) {
		return ""
	}
	start := d.lineStarts[n-1]
	end := len(d.src)
	if n < len(d.lineStarts) {
		end = d.lineStarts[n] - 1
	}
	return strings.TrimSpace(string(d.src[start:end]))
}

// run visits every check over the workflow.
func (a *audit) run() {
	a.facts = make(map[*Job]*jobFacts, len(a.wf.Jobs))
	wfTaint := taintedEnv(a.wf.Env, nil)
	a.wf.taintedEnv = wfTaint
	for _, j := range a.wf.Jobs {
		j.taintedEnv = taintedEnv(j.Env, wfTaint)
		for _, s := range j.Steps {
			s.taintedEnv = taintedEnv(s.Env, j.taintedEnv)
		}
		a.facts[j] = a.computeFacts(j)
	}
	for _, c := range checks {
		c.VisitWorkflow(a)
		for _, j := range a.wf.Jobs {
			c.VisitJob(a, j)
			for _, s := range j.Steps {
				c.VisitStep(a, j, s)
			}
		}
	}
	a.components()
}

// taintedEnv returns parent plus the vars of env whose values expand an
// attacker-controlled context (parent itself when env adds none).
func taintedEnv(env *yaml.Node, parent map[string]string) map[string]string {
	out := parent
	copied := false
	pairs(env, func(k, v *yaml.Node) {
		ts := untrustedIn(scalar(v), nil)
		if len(ts) == 0 {
			return
		}
		if !copied {
			m := make(map[string]string, len(parent)+1)
			for pk, pv := range parent {
				m[pk] = pv
			}
			out, copied = m, true
		}
		out[k.Value] = ts[0].Source
	})
	return out
}

// headExprs are expressions naming the pull request head (untrusted code).
var headExprs = []string{
	"github.event.pull_request.head.sha", "github.event.pull_request.head.ref",
	"github.head_ref", "github.event.pull_request.merge_commit_sha",
	"github.event.pull_request.head.repo.full_name",
	"github.event.workflow_run.head_sha", "github.event.workflow_run.head_branch",
	"github.event.workflow_run.head_commit.id", "github.event.workflow_run.head_repository.full_name",
}

// namesHead reports whether s refers to the PR head: a head expression, a
// refs/pull/ ref, or (for ChatOps jobs) a step output named like a head ref.
func namesHead(s string) (string, bool) {
	ls := strings.ToLower(s)
	if strings.Contains(ls, "refs/pull/") || strings.Contains(ls, "pull/${{") || strings.Contains(ls, "pull/$") {
		return "refs/pull/…", true
	}
	if !strings.Contains(ls, "${{") {
		return "", false
	}
	for _, sp := range findExprs(ls) {
		for _, r := range contextRefs(sp.Inner) {
			p := r.String()
			for _, h := range headExprs { // PR numbers count only inside refs/pull/ (above)
				if p == h {
					return h, true
				}
			}
			if (r.Path[0] == "steps" || r.Path[0] == "needs" || r.Path[0] == "env") && (strings.Contains(p, "head_sha") || strings.Contains(p, "head_ref") || strings.Contains(p, "head.sha") || strings.Contains(p, "head.ref") || strings.Contains(p, "pr_sha") || strings.Contains(p, "pr_ref")) {
				return p, true
			}
		}
	}
	return "", false
}

// headVars are env var names (visible to a step) whose values name the PR head.
func headVars(envs ...*yaml.Node) []string {
	var out []string
	for _, e := range envs {
		pairs(e, func(k, v *yaml.Node) {
			if _, ok := namesHead(scalar(v)); ok {
				out = append(out, k.Value)
			}
		})
	}
	return out
}

// isAction reports whether the step uses owner/repo (case-insensitive).
func (s *Step) isAction(name string) bool {
	return s.Ref != nil && s.Ref.remote() && strings.EqualFold(s.Ref.Name(), name)
}

// checksOutHead reports whether step s checks out the PR head, and why.
func checksOutHead(j *Job, s *Step, wfEnv *yaml.Node) (string, bool) {
	if s.isAction("actions/checkout") {
		if why, ok := namesHead(scalar(s.withValue("ref"))); ok {
			return "ref: " + why, true
		}
		if why, ok := namesHead(scalar(s.withValue("repository"))); ok {
			return "repository: " + why, true
		}
		return "", false
	}
	if s.Run == nil {
		return "", false
	}
	vars := headVars(wfEnv, j.Env, s.Env)
	for _, line := range strings.Split(s.Run.Value, "\n") {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.Contains(l, "gh pr checkout") {
			return "gh pr checkout", true
		}
		if !strings.Contains(l, "git ") {
			continue
		}
		isGit := false
		for _, verb := range []string{"checkout", "switch", "fetch", "reset", "pull", "merge", "worktree"} {
			if strings.Contains(l, " "+verb+" ") || strings.HasSuffix(l, " "+verb) {
				isGit = true
				break
			}
		}
		if !isGit {
			continue
		}
		if why, ok := namesHead(l); ok {
			return why, true
		}
		for _, v := range vars {
			if strings.Contains(l, "$"+v) || strings.Contains(l, "${"+v+"}") {
				return "$" + v, true
			}
		}
	}
	return "", false
}

// guardExpr recognises `if:` conditions that keep outsiders out of a job.
func guardExpr(n *yaml.Node) string {
	c := strings.ToLower(scalar(mapGet(n, "if")))
	if c == "" {
		return ""
	}
	c2 := strings.ReplaceAll(c, " ", "")
	switch {
	case strings.Contains(c2, "head.repo.full_name==github.repository"),
		strings.Contains(c2, "github.repository==github.event.pull_request.head.repo.full_name"),
		strings.Contains(c2, "head.repo.fork==false"),
		strings.Contains(c2, "!github.event.pull_request.head.repo.fork"),
		strings.Contains(c2, "author_association"),
		strings.Contains(c2, "labels.*.name"),
		strings.Contains(c2, "github.event.label.name"),
		strings.Contains(c2, "github.actor=="),
		strings.Contains(c2, "github.triggering_actor=="):
		return core.Clip(scalar(mapGet(n, "if")), 120)
	}
	return ""
}

// publisherActions need id-token: write to do their job.
var publisherPrefixes = []string{
	"pypa/gh-action-pypi-publish", "sigstore/", "actions/attest", "actions/deploy-pages",
	"aws-actions/configure-aws-credentials", "google-github-actions/auth", "azure/login",
	"slsa-framework/", "hashicorp/vault-action", "octo-sts/", "rust-lang/crates-io-auth-action",
	"jfrog/setup-jfrog-cli", "pulumi/auth-actions", "anthropics/claude-code-action",
	"codecov/codecov-action", "docker/login-action", "depot/", "chainguard-dev/", "github/codeql-action",
	"oras-project/", "cachix/", "npm/", "huggingface/",
}

// publisherCommands in run scripts use the OIDC token.
var publisherCommands = []string{
	"npm publish", "pnpm publish", "yarn npm publish", "uv publish", "twine upload", "poetry publish",
	"hatch publish", "flit publish", "cosign ", "gh attestation", "cargo publish", "ACTIONS_ID_TOKEN_REQUEST",
	"gcloud ", "aws ", "az login", "docker push", "goreleaser", "maturin publish", "maturin upload",
}

func (a *audit) computeFacts(j *Job) *jobFacts {
	f := &jobFacts{guard: guardExpr(j.Node)}
	d := a.wf.doc
	// secrets referenced anywhere in the job (or workflow env)
	secret := false
	scan := func(n *yaml.Node) {
		_ = d.walkScalars(n, func(s *yaml.Node) bool {
			if !strings.Contains(s.Value, "secrets.") && !strings.Contains(s.Value, "secrets[") {
				return true
			}
			for _, sp := range findExprs(s.Value) {
				for _, r := range contextRefs(sp.Inner) {
					if r.Path[0] == "secrets" && (len(r.Path) < 2 || r.Path[1] != "github_token") {
						secret = true
						return false
					}
				}
			}
			return true
		})
	}
	scan(j.Node)
	if !secret && a.wf.Env != nil {
		scan(a.wf.Env)
	}
	if strings.EqualFold(scalar(j.Secrets), "inherit") {
		secret = true
		j.inheritSecrets = true
	}
	_, oidc := a.wf.idTokenWrite(j)
	f.secretsOrOID = secret || oidc

	if a.wf.Kind == kindWorkflow && len(a.wf.triggered(checkoutTriggers)) > 0 {
		for i, s := range j.Steps {
			if f.checkout == nil {
				if why, ok := checksOutHead(j, s, a.wf.Env); ok {
					f.checkout, f.checkoutWhy = s, why
					if s.Run != nil && strings.Count(strings.TrimSpace(s.Run.Value), "\n") > 0 {
						f.executes = true
					}
					if f.guard == "" {
						f.guard = guardExpr(s.Node)
					}
					continue
				}
			}
			if f.checkout != nil && i > f.checkout.Index && (s.Run != nil || (s.Ref != nil && s.Ref.Local)) {
				f.executes = true
			}
		}
	}
	for _, s := range j.Steps {
		if s.Run != nil && len(untrustedIn(s.Run.Value, s.taintedEnv)) > 0 {
			f.injected = true
		}
		if s.isAction("actions/github-script") && len(untrustedIn(scalar(s.withValue("script")), s.taintedEnv)) > 0 {
			f.injected = true
		}
	}
	if _, ok := a.wf.idTokenWrite(j); ok { // only ASSAY-GHA-032 needs it
		f.publishes = jobPublishes(j)
	}
	return f
}

// jobPublishes reports whether a job looks like it publishes, deploys,
// signs, attests or authenticates with OIDC.
func jobPublishes(j *Job) bool {
	if mapGet(j.Node, "environment") != nil || hasPublishWord(j.ID) {
		return true // a deployment environment, or a job named for it
	}
	for _, s := range j.Steps {
		if stepPublishes(s) {
			return true
		}
	}
	return false
}

// publishWords are words in a job id, step name, input or script that say
// the job publishes or authenticates (and so may need an OIDC token).
var publishWords = []string{"publish", "deploy", "release", "getidtoken", "id-token", "id_token", "oidc", "attest", "provenance", "cosign", "sigstore", " sign "}

func hasPublishWord(s string) bool {
	ls := strings.ToLower(s)
	for _, w := range publishWords {
		if strings.Contains(ls, w) {
			return true
		}
	}
	return false
}

// stepPublishes reports whether a step looks like it publishes, signs,
// attests or authenticates with OIDC.
func stepPublishes(s *Step) bool {
	if s.Ref != nil && s.Ref.remote() {
		n := strings.ToLower(s.Ref.Display())
		for _, p := range publisherPrefixes {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
	}
	if s.Run != nil {
		for _, c := range publisherCommands {
			if strings.Contains(s.Run.Value, c) {
				return true
			}
		}
	}
	if hasPublishWord(scalar(mapGet(s.Node, "name"))) || (s.Run != nil && hasPublishWord(s.Run.Value)) {
		return true
	}
	found := false
	pairs(s.With, func(k, v *yaml.Node) {
		if !found && (hasPublishWord(k.Value) || hasPublishWord(scalar(v))) {
			found = true
		}
	})
	return found
}

// components records every remote action, reusable workflow and image.
func (a *audit) components() {
	for _, j := range a.wf.Jobs {
		if j.UsesRef != nil && j.UsesRef.remote() && !hasExpr(j.UsesRef.Raw) {
			a.comps = append(a.comps, a.wf.actionComponent(j.UsesRef, j.Uses, j.ID, "reusable-workflow"))
		}
		for _, s := range j.Steps {
			switch {
			case s.Ref == nil || hasExpr(s.Ref.Raw):
			case s.Ref.remote():
				a.comps = append(a.comps, a.wf.actionComponent(s.Ref, s.Uses, j.ID, "step"))
			case s.Ref.Docker && s.Ref.Image.Repo != "":
				a.comps = append(a.comps, a.wf.imageComponent(s.Ref.Image, s.Uses, core.KindAction, j.ID, "step"))
			}
		}
		for _, im := range jobImages(j) {
			a.comps = append(a.comps, a.wf.imageComponent(parseImage(im.ref), im.node, core.KindPackage, j.ID, im.usage))
		}
	}
	if a.wf.Kind == kindAction && len(a.wf.Jobs) == 1 {
		if img := mapGet(a.wf.Jobs[0].Node, "image"); img != nil {
			v := scalar(img)
			if strings.HasPrefix(strings.ToLower(v), "docker://") && !hasExpr(v) {
				a.comps = append(a.comps, a.wf.imageComponent(parseImage(v[len("docker://"):]), img, core.KindAction, "", "action-image"))
			}
		}
	}
}

type jobImage struct {
	ref   string
	node  *yaml.Node
	usage string
}

// jobImages lists the literal container and service images of a job.
func jobImages(j *Job) []jobImage {
	var out []jobImage
	add := func(n *yaml.Node, usage string) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			n = mapGet(n, "image")
		}
		v := scalar(n)
		if v == "" || hasExpr(v) || strings.Contains(v, "$") {
			return
		}
		out = append(out, jobImage{ref: strings.TrimPrefix(v, "docker://"), node: n, usage: usage})
	}
	add(j.Container, "container")
	pairs(j.Services, func(_, v *yaml.Node) { add(v, "service") })
	return out
}

// sameOwner reports whether r belongs to the scanned repository's owner.
func (a *audit) sameOwner(r *actionRef) bool {
	return a.owner != "" && strings.EqualFold(a.owner, r.Owner)
}

// ---- checks ----

// pinCheck: ASSAY-GHA-001..005 (mutable references).
type pinCheck struct{ noop }

func (pinCheck) VisitJob(a *audit, j *Job) {
	f := a.facts[j]
	if r := j.UsesRef; r != nil && r.remote() && !isFullSHA(r.Ref) && !hasExpr(r.Raw) {
		sev := ruleReusableUnpinned.Severity
		msg := fmt.Sprintf("reusable workflow %s is referenced by %s; whoever controls %s can change the workflow this job runs", r.Display(), refWord(r.Ref), r.Name())
		if f.secretsOrOID {
			sev = core.SeverityHigh
			msg += ", and it receives this repository's secrets"
		}
		if a.sameOwner(r) {
			sev = core.SeverityLow
			msg += " (same owner as this repository)"
		}
		a.reportAt(ruleReusableUnpinned, sev, j.Uses, msg, "uses: "+r.Raw, r.purl())
	}
	for _, im := range jobImages(j) {
		ir := parseImage(im.ref)
		if ir.pinnedDigest() {
			continue
		}
		a.reportAt(ruleContainerImage, ruleContainerImage.Severity, im.node,
			fmt.Sprintf("job %s %s image %s is pulled by %s, not by digest", j.ID, im.usage, ir.Name(), tagWord(ir.Tag)),
			a.srcLine(im.node.Line), ir.purl())
	}
}

func refWord(ref string) string {
	switch {
	case ref == "":
		return "no ref at all"
	case len(ref) >= 7 && len(ref) < 40 && isHex(ref):
		return "the short SHA " + ref + " (ambiguous: a branch or tag can shadow it)"
	}
	return "the mutable ref " + ref
}

func tagWord(tag string) string {
	if tag == "" {
		return "the implicit tag latest"
	}
	return "the tag " + tag
}

func (pinCheck) VisitWorkflow(a *audit) {
	if a.wf.Kind != kindAction || len(a.wf.Jobs) != 1 {
		return
	}
	img := mapGet(a.wf.Jobs[0].Node, "image")
	v := scalar(img)
	if !strings.HasPrefix(strings.ToLower(v), "docker://") || hasExpr(v) {
		return
	}
	if im := parseImage(v[len("docker://"):]); im.Repo != "" && !im.pinnedDigest() {
		a.reportAt(ruleDockerAction, ruleDockerAction.Severity, img,
			fmt.Sprintf("docker action runs image %s by %s, not by digest", im.Name(), tagWord(im.Tag)), "image: "+v, im.purl())
	}
}

func (pinCheck) VisitStep(a *audit, j *Job, s *Step) {
	r := s.Ref
	if r == nil || r.Local || hasExpr(r.Raw) {
		return
	}
	if r.Docker {
		if r.Image.Repo != "" && !r.Image.pinnedDigest() {
			a.reportAt(ruleDockerAction, ruleDockerAction.Severity, s.Uses,
				fmt.Sprintf("step runs container image %s by %s, not by digest", r.Image.Name(), tagWord(r.Image.Tag)),
				"uses: "+r.Raw, r.Image.purl())
		}
		return
	}
	if !r.remote() || isFullSHA(r.Ref) {
		return
	}
	comp := r.purl()
	if firstParty(r.Owner) {
		a.reportAt(ruleFirstPartyTag, ruleFirstPartyTag.Severity, s.Uses,
			fmt.Sprintf("%s is referenced by %s instead of a commit SHA", r.Display(), refWord(r.Ref)),
			"uses: "+r.Raw, comp)
		return
	}
	sev := ruleUnpinnedAction.Severity
	msg := fmt.Sprintf("third-party action %s is referenced by %s; whoever controls %s decides what this step runs", r.Display(), refWord(r.Ref), r.Name())
	if a.facts[j].secretsOrOID {
		sev = core.SeverityHigh
		msg += "; the job holds secrets or an OIDC token a hijacked action could steal"
	}
	if a.sameOwner(r) {
		sev = core.SeverityLow
		msg = fmt.Sprintf("action %s from this repository's own owner is referenced by %s instead of a commit SHA", r.Display(), refWord(r.Ref))
	}
	a.reportAt(ruleUnpinnedAction, sev, s.Uses, msg, "uses: "+r.Raw, comp)
}

// untrustedCheckoutCheck: ASSAY-GHA-010 and ASSAY-GHA-034.
type untrustedCheckoutCheck struct{ noop }

func (untrustedCheckoutCheck) VisitJob(a *audit, j *Job) {
	f := a.facts[j]
	if f.checkout == nil {
		return
	}
	trig := strings.Join(a.wf.triggered(checkoutTriggers), ", ")
	sev := core.SeverityHigh
	msg := fmt.Sprintf("job %s runs on %s with the base repository's token and secrets and checks out the pull request head (%s)", j.ID, trig, f.checkoutWhy)
	if f.executes {
		sev = core.SeverityCritical
		msg += ", then runs code from it"
	}
	if f.guard != "" {
		sev--
		msg += fmt.Sprintf(" (limited by `if: %s`)", f.guard)
	}
	node := f.checkout.Uses
	if node == nil {
		node = f.checkout.Run
	}
	line, col := node.Line, node.Column
	if f.checkout.Run != nil {
		var from int
		line, col = a.wf.doc.locate(f.checkout.Run, firstLineWith(f.checkout.Run.Value, f.checkoutWhy), &from)
	}
	fd := a.report(ruleUntrustedCheckout, sev, line, col, msg, a.srcLine(line)+" "+f.checkoutWhy, "")
	if a.wf.Triggers["workflow_run"] != nil && a.wf.Triggers["pull_request_target"] == nil {
		fd.Confidence = "medium" // the triggering workflow may only run on push
	}
	if !f.executes {
		return
	}
	for _, s := range j.Steps {
		if !s.isAction("actions/checkout") {
			continue
		}
		pc := strings.ToLower(scalar(s.withValue("persist-credentials")))
		if pc == "false" {
			continue
		}
		psev := rulePersistCreds.Severity
		if f.guard != "" {
			psev--
		}
		a.reportAt(rulePersistCreds, psev, s.Uses,
			fmt.Sprintf("checkout in job %s keeps the GITHUB_TOKEN in .git/config while the job runs pull request code", j.ID),
			"uses: "+s.Ref.Raw+" (persist-credentials not false)", "")
	}
}

// firstLineWith returns the first line of script mentioning what (or its first line).
func firstLineWith(script, what string) string {
	what = strings.TrimPrefix(strings.TrimSuffix(what, "…"), "$")
	lines := strings.Split(script, "\n")
	for _, l := range lines {
		if strings.Contains(l, what) {
			return strings.TrimSpace(l)
		}
	}
	if len(lines) > 0 {
		return strings.TrimSpace(lines[0])
	}
	return ""
}

// cacheCheck: ASSAY-GHA-011.
type cacheCheck struct{ noop }

// writesCache reports whether step s saves an Actions cache.
func writesCache(s *Step) bool {
	if s.Ref == nil || !s.Ref.remote() {
		return false
	}
	name := strings.ToLower(s.Ref.Display())
	in := func(k string) string { return strings.ToLower(strings.TrimSpace(scalar(s.withValue(k)))) }
	off := func(v string) bool { return v == "false" || v == "" }
	switch name {
	case "actions/cache", "actions/cache/save", "swatinem/rust-cache":
		return in("lookup-only") != "true"
	case "actions/setup-python", "actions/setup-node", "actions/setup-java", "actions/setup-dotnet", "graalvm/setup-graalvm":
		return !off(in("cache"))
	case "actions/setup-go", "jdx/mise-action", "actions-rust-lang/setup-rust-toolchain":
		return in("cache") != "false"
	case "astral-sh/setup-uv":
		return in("enable-cache") == "true"
	case "ruby/setup-ruby":
		return in("bundler-cache") == "true"
	case "pyo3/maturin-action":
		return in("sccache") == "true"
	case "mozilla-actions/sccache-action", "determinatesystems/magic-nix-cache-action", "nix-community/cache-nix-action":
		return true
	}
	return false
}

func (cacheCheck) VisitStep(a *audit, j *Job, s *Step) {
	trig := a.wf.triggered(privilegedTriggers)
	if a.wf.Kind != kindWorkflow || len(trig) == 0 || !writesCache(s) {
		return
	}
	f := a.facts[j]
	sev := ruleCachePoisoning.Severity
	msg := fmt.Sprintf("%s saves an Actions cache in job %s, which runs on %s in the default branch's cache scope", s.Ref.Display(), j.ID, strings.Join(trig, ", "))
	switch {
	case f.checkout != nil && f.executes:
		sev = core.SeverityHigh
		msg += "; the job also runs pull request code, which can poison what release workflows restore"
	case f.injected:
		sev = core.SeverityHigh
		msg += "; the job also expands attacker-controlled text into a script (the Ultralytics path)"
	}
	if sev == core.SeverityHigh && f.guard != "" {
		sev--
	}
	a.reportAt(ruleCachePoisoning, sev, s.Uses, msg, "uses: "+s.Ref.Raw, "")
}

// selfHostedCheck: ASSAY-GHA-012.
type selfHostedCheck struct{ noop }

func selfHostedLabel(n *yaml.Node) *yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.EqualFold(n.Value, "self-hosted") {
			return n
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if strings.EqualFold(scalar(e), "self-hosted") {
				return e
			}
		}
	case yaml.MappingNode:
		return selfHostedLabel(mapGet(n, "labels"))
	}
	return nil
}

func (selfHostedCheck) VisitJob(a *audit, j *Job) {
	lbl := selfHostedLabel(j.RunsOn)
	if lbl == nil || a.wf.Kind != kindWorkflow {
		return
	}
	f := a.facts[j]
	if pr := a.wf.triggered(prCodeTriggers); len(pr) > 0 {
		sev := ruleSelfHosted.Severity
		msg := fmt.Sprintf("job %s runs on a self-hosted runner and is triggered by %s: pull requests from forks run their code on it", j.ID, strings.Join(pr, ", "))
		if g := guardExpr(j.Node); g != "" {
			sev--
			msg += fmt.Sprintf(" (limited by `if: %s`)", g)
		}
		a.reportAt(ruleSelfHosted, sev, lbl, msg, a.srcLine(lbl.Line), "")
		return
	}
	if f.checkout != nil && f.executes {
		sev := core.SeverityHigh
		if f.guard != "" {
			sev--
		}
		a.reportAt(ruleSelfHosted, sev, lbl,
			fmt.Sprintf("job %s runs pull request code on a self-hosted runner under %s", j.ID, strings.Join(a.wf.triggered(checkoutTriggers), ", ")),
			a.srcLine(lbl.Line), "")
	}
}

// injectionCheck: ASSAY-GHA-020.
type injectionCheck struct{ noop }

func (injectionCheck) VisitStep(a *audit, j *Job, s *Step) {
	var (
		node *yaml.Node
		what string
	)
	switch {
	case s.Run != nil:
		node, what = s.Run, "run:"
	case s.isAction("actions/github-script"):
		node, what = s.withValue("script"), "github-script script:"
	}
	if node == nil || !isScalar(node) {
		return
	}
	taints := untrustedIn(node.Value, s.taintedEnv)
	if len(taints) == 0 {
		return
	}
	priv := a.wf.triggered(privilegedTriggers)
	from := 0
	seen := map[string]bool{}
	for _, t := range taints {
		line, col := a.wf.doc.locate(node, t.Span.Text, &from)
		key := fmt.Sprintf("%d:%d:%s", line, col, t.Source)
		if seen[key] {
			continue
		}
		seen[key] = true
		sev := ruleInjection.Severity
		msg := fmt.Sprintf("%s is expanded into a %s script", t.Source, what)
		switch {
		case a.wf.Kind == kindWorkflow && len(priv) > 0:
			sev = core.SeverityCritical
			msg += fmt.Sprintf(" in a workflow outsiders can trigger with privileges (%s)", strings.Join(priv, ", "))
		case a.wf.Kind == kindAction:
			msg += " of a composite action (the caller's trigger decides who controls it)"
		}
		if g := guardExpr(j.Node); g != "" && sev == core.SeverityCritical {
			sev--
			msg += fmt.Sprintf(" (limited by `if: %s`)", g)
		}
		a.report(ruleInjection, sev, line, col, msg, t.Span.Text, "")
	}
}

// permissionsCheck: ASSAY-GHA-030, -031, -032.
type permissionsCheck struct{ noop }

func (permissionsCheck) VisitWorkflow(a *audit) {
	wf := a.wf
	if wf.Kind != kindWorkflow || wf.Root == nil || len(wf.Jobs) == 0 {
		return
	}
	priv := wf.triggered(privilegedTriggers)
	if wf.Permissions == nil && !wf.onlyWorkflowCall() {
		every := true
		for _, j := range wf.Jobs {
			if j.Permissions == nil {
				every = false
				break
			}
		}
		if !every {
			n := wf.Triggers[firstKey(wf.Triggers)]
			if k, _ := mapGetKV(wf.Root, "jobs"); k != nil {
				n = k
			}
			a.reportAt(ruleNoPermissions, ruleNoPermissions.Severity, n,
				"workflow has no top-level permissions block and not every job sets one: jobs get the repository's default token permissions",
				"(no permissions:)", "")
		}
	}
	writeAll := func(p *Perms, where string) {
		if p == nil || p.All != "write-all" {
			return
		}
		sev := ruleWriteAll.Severity
		msg := where + " grants the token write access to every scope"
		if len(priv) > 0 {
			sev = core.SeverityHigh
			msg += fmt.Sprintf(" on a workflow outsiders can trigger (%s)", strings.Join(priv, ", "))
		}
		a.reportAt(ruleWriteAll, sev, p.Node, msg, "permissions: write-all", "")
	}
	writeAll(wf.Permissions, "workflow")
	for _, j := range wf.Jobs {
		writeAll(j.Permissions, "job "+j.ID)
	}
}

func firstKey(m map[string]*yaml.Node) string {
	best := ""
	for k := range m {
		if best == "" || k < best {
			best = k
		}
	}
	return best
}

func (permissionsCheck) VisitJob(a *audit, j *Job) {
	if a.wf.Kind != kindWorkflow || j.UsesRef != nil {
		return // a reusable workflow's callee decides what it does with the token
	}
	p := a.wf.effectivePerms(j)
	if p == nil || p.All == "write-all" || p.Scopes["id-token"] != "write" || a.facts[j].publishes {
		return
	}
	where := "the workflow"
	if j.Permissions != nil {
		where = "the job"
	}
	n := p.Keys["id-token"]
	a.reportAt(ruleIDToken, ruleIDToken.Severity, n,
		fmt.Sprintf("job %s can mint OIDC tokens (id-token: write from %s) but no step publishes, signs, attests or authenticates to a cloud", j.ID, where),
		"jobs."+j.ID+": id-token: write", "")
}

// secretsInheritCheck: ASSAY-GHA-033.
type secretsInheritCheck struct{ noop }

func (secretsInheritCheck) VisitJob(a *audit, j *Job) {
	r := j.UsesRef
	if r == nil || !r.remote() || !j.inheritSecrets || firstParty(r.Owner) {
		return
	}
	if a.sameOwner(r) {
		return
	}
	sev := ruleSecretsInherit.Severity
	msg := fmt.Sprintf("job %s passes every secret to %s", j.ID, r.Display())
	if a.owner == "" {
		msg += " (owner of this repository unknown: treated as third-party)"
	}
	if !isFullSHA(r.Ref) {
		sev = core.SeverityHigh
		msg += " at the mutable ref " + r.Ref
	}
	a.reportAt(ruleSecretsInherit, sev, j.Secrets, msg, "secrets: inherit → "+r.Raw, "")
}

// scriptCheck: ASSAY-GHA-040, -041.
type scriptCheck struct{ noop }

func (scriptCheck) VisitStep(a *audit, j *Job, s *Step) {
	if s.Run == nil {
		return
	}
	for _, p := range findPipeInstalls(s.Run.Value) {
		a.reportPipe(s.Run, p, ruleToolInstaller, rulePipeShell)
	}
}

// reportPipe reports one piped installer found in script node n.
func (a *audit) reportPipe(n *yaml.Node, p pipeInstall, tool, pipe core.Rule) {
	from := 0
	line, col := a.wf.doc.locate(n, firstWords(p.Text), &from)
	if tool.ID != "" && p.Tool != "" && (p.Pinning == "" || p.LatestTool) {
		why := "from a mutable URL"
		if p.Pinning != "" {
			why = "without a version"
		}
		a.report(tool, tool.Severity, line, col,
			fmt.Sprintf("%s is installed by a remote script %s (%s)", p.Tool, why, core.Clip(p.URL, 160)), p.Text, "")
		return
	}
	switch p.Pinning {
	case "commit":
		return
	case "version":
		a.report(pipe, core.SeverityLow, line, col, "remote script piped into an interpreter (the URL names a version, but nothing verifies the content)", p.Text, "")
	default:
		msg := "remote script piped into an interpreter; its content can change under the same URL"
		if p.URL != "" {
			msg = fmt.Sprintf("remote script %s piped into an interpreter; its content can change under the same URL", core.Clip(p.URL, 160))
		}
		a.report(pipe, pipe.Severity, line, col, msg, p.Text, "")
	}
}

// firstWords is a prefix of the command that appears verbatim in the source
// (joined continuation lines do not).
func firstWords(s string) string {
	if i := strings.Index(s, "\\"); i > 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		cut := 60
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// unsecureCommandsCheck: ASSAY-GHA-042.
type unsecureCommandsCheck struct{ noop }

func (c unsecureCommandsCheck) env(a *audit, env *yaml.Node) {
	pairs(env, func(k, v *yaml.Node) {
		if strings.EqualFold(k.Value, "ACTIONS_ALLOW_UNSECURE_COMMANDS") && strings.EqualFold(strings.TrimSpace(scalar(v)), "true") {
			a.reportAt(ruleUnsecureCommands, ruleUnsecureCommands.Severity, k,
				"ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables ::set-env/::add-path", a.srcLine(k.Line), "")
		}
	})
}

func (c unsecureCommandsCheck) VisitWorkflow(a *audit)    { c.env(a, a.wf.Env) }
func (c unsecureCommandsCheck) VisitJob(a *audit, j *Job) { c.env(a, j.Env) }
func (c unsecureCommandsCheck) VisitStep(a *audit, j *Job, s *Step) {
	c.env(a, s.Env)
	if s.Run != nil && strings.Contains(strings.ToUpper(s.Run.Value), "ACTIONS_ALLOW_UNSECURE_COMMANDS=TRUE") {
		from := 0
		line, col := a.wf.doc.locate(s.Run, "ACTIONS_ALLOW_UNSECURE_COMMANDS", &from)
		a.report(ruleUnsecureCommands, ruleUnsecureCommands.Severity, line, col,
			"script sets ACTIONS_ALLOW_UNSECURE_COMMANDS=true for later steps", a.srcLine(line), "")
	}
}
