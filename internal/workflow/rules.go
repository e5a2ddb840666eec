package workflow

import (
	"github.com/assay-dev/assay/internal/core"
)

const category = "workflow"

// Rule metadata: one place for ids, default severities, rationale and fix,
// shared by findings, `assay explain` and SARIF.
var (
	ruleUnpinnedAction = core.Rule{
		ID: "ASSAY-GHA-001", Severity: core.SeverityMedium, Category: category,
		Title:       "Third-party action not pinned to a commit SHA",
		Description: "A tag or branch is a mutable pointer: whoever controls the action's repository can move it, and every workflow using the ref runs the new code with the job's token and secrets on its next run. This is how the trivy-action (76 of 77 tags rewritten, 2026), setup-trivy and tj-actions/changed-files (2025) compromises reached thousands of repositories. Graded high when the job holds secrets or can mint OIDC tokens, since a hijacked step can read the whole job's memory.",
		Fix:         "Pin to the full 40-character commit SHA and keep the tag as a comment: `uses: owner/repo@<sha> # v1.2.3`; let Dependabot or Renovate update the pin.",
		Tags:        []string{"supply-chain", "github-actions", "pinning"},
	}
	ruleFirstPartyTag = core.Rule{
		ID: "ASSAY-GHA-002", Severity: core.SeverityLow, Category: category,
		Title:       "GitHub first-party action pinned by tag",
		Description: "actions/* and github/* are maintained by GitHub, so their tags are a smaller risk than third-party ones, but a tag is still mutable and a compromised maintainer account or workflow could move it. Reported low; policies that require pinned actions may raise it.",
		Fix:         "Pin to the commit SHA with the tag as a comment (`uses: actions/checkout@<sha> # v4.2.2`).",
		Tags:        []string{"supply-chain", "github-actions", "pinning"},
	}
	ruleDockerAction = core.Rule{
		ID: "ASSAY-GHA-003", Severity: core.SeverityMedium, Category: category,
		Title:       "docker:// action image not pinned by digest",
		Description: "A `uses: docker://image:tag` step runs whatever the registry serves for that tag today; tags are mutable (the Trivy images 0.69.5/0.69.6 on Docker Hub were malicious).",
		Fix:         "Reference the image by digest: `docker://image@sha256:<digest>` (keep the tag in a comment).",
		Tags:        []string{"supply-chain", "github-actions", "container"},
	}
	ruleReusableUnpinned = core.Rule{
		ID: "ASSAY-GHA-004", Severity: core.SeverityMedium, Category: category,
		Title:       "Reusable workflow not pinned to a commit SHA",
		Description: "A job that calls `owner/repo/.github/workflows/x.yml@tag` runs another repository's workflow at a mutable ref, with the secrets passed to it. Graded high when secrets are passed or inherited.",
		Fix:         "Pin the reusable workflow to a full commit SHA (`@<sha> # v1`).",
		Tags:        []string{"supply-chain", "github-actions", "pinning"},
	}
	ruleContainerImage = core.Rule{
		ID: "ASSAY-GHA-005", Severity: core.SeverityLow, Category: category,
		Title:       "Job container or service image not pinned by digest",
		Description: "`container:` and `services:` images are pulled by tag at every run; a moved tag changes what the job executes.",
		Fix:         "Pin the image by digest (`image@sha256:<digest>`), updated by Dependabot/Renovate.",
		Tags:        []string{"supply-chain", "github-actions", "container"},
	}
	ruleUntrustedCheckout = core.Rule{
		ID: "ASSAY-GHA-010", Severity: core.SeverityHigh, Category: category,
		Title:       "Privileged trigger checks out untrusted pull request code",
		Description: "`pull_request_target`, `workflow_run` and `issue_comment` run with the base repository's write token and secrets. Checking out the pull request head (head.sha, head.ref, refs/pull/…, workflow_run.head_sha) and then building or testing it runs an outsider's code with those privileges (a \"pwn request\"). Critical when later steps execute code from the checkout.",
		Fix:         "Use `pull_request` for building untrusted code; if results must be published with privileges, split into a `pull_request` build that uploads an artifact and a privileged `workflow_run` job that only reads the artifact as data. Never run scripts from the PR checkout in the privileged job.",
		Tags:        []string{"github-actions", "pwn-request", "triggers"},
	}
	ruleCachePoisoning = core.Rule{
		ID: "ASSAY-GHA-011", Severity: core.SeverityLow, Category: category,
		Title:       "Cache written from a trigger outsiders control",
		Description: "Jobs triggered by `pull_request_target`, `workflow_run`, `issue_comment`, `issues` or discussions run on the default branch, so the Actions cache entries they save are visible to every branch, release workflows included. Code an attacker gets to run there (an injection or a PR checkout) can poison the cache that a release later restores — the path of the Ultralytics 8.3.41 compromise. High when the job also runs untrusted code; low (defence in depth) otherwise.",
		Fix:         "Do not save caches in privileged jobs (drop `cache:` inputs, use `actions/cache/restore` or `lookup-only: true`), and never restore caches in release/publish workflows.",
		Tags:        []string{"github-actions", "cache-poisoning", "triggers"},
	}
	ruleSelfHosted = core.Rule{
		ID: "ASSAY-GHA-012", Severity: core.SeverityMedium, Category: category,
		Title:       "Self-hosted runner used by a pull request trigger",
		Description: "On a public repository, anyone can open a pull request whose code then runs on the self-hosted runner: a persistent machine inside your network that keeps state between jobs (the Shai-Hulud worm registered its own self-hosted runners). High when a privileged trigger checks out the PR head on it.",
		Fix:         "Run pull request jobs on GitHub-hosted (ephemeral) runners, or use ephemeral, isolated self-hosted runners with required approval for outside contributors.",
		Tags:        []string{"github-actions", "runners"},
	}
	ruleInjection = core.Rule{
		ID: "ASSAY-GHA-020", Severity: core.SeverityMedium, Category: category,
		Title:       "Attacker-controlled context expanded into a script",
		Description: "`${{ … }}` is substituted into the script text before the shell or JavaScript runs, so an issue title, PR body, branch name or commit message containing `\"; curl … | sh; \"` or `` `…` `` becomes code. Critical when the workflow runs on a trigger outsiders can fire with the base repository's privileges (pull_request_target, issues, issue_comment, discussion, workflow_run): this is the Ultralytics entry point.",
		Fix:         "Pass the value through an environment variable and quote it in the shell: `env: TITLE: ${{ github.event.issue.title }}` then `run: echo \"$TITLE\"`; in github-script read `context.payload` instead of interpolating.",
		Tags:        []string{"github-actions", "injection"},
	}
	ruleNoPermissions = core.Rule{
		ID: "ASSAY-GHA-030", Severity: core.SeverityLow, Category: category,
		Title:       "No top-level permissions block",
		Description: "Without `permissions:`, the GITHUB_TOKEN gets the repository's default permissions, which are read/write on every scope for repositories and organisations created before February 2023. Any compromised step then holds a write token.",
		Fix:         "Add `permissions: {}` (or `contents: read`) at the top and grant each job only what it needs.",
		Tags:        []string{"github-actions", "permissions"},
	}
	ruleWriteAll = core.Rule{
		ID: "ASSAY-GHA-031", Severity: core.SeverityMedium, Category: category,
		Title:       "permissions: write-all",
		Description: "`write-all` grants the token write access to every scope (contents, packages, actions, id-token …). High on workflows with privileged untrusted triggers.",
		Fix:         "List only the scopes the job needs, e.g. `permissions: {contents: read, pull-requests: write}`.",
		Tags:        []string{"github-actions", "permissions"},
	}
	ruleIDToken = core.Rule{
		ID: "ASSAY-GHA-032", Severity: core.SeverityMedium, Category: category,
		Title:       "id-token: write on a job that does not publish or authenticate",
		Description: "`id-token: write` lets any step mint an OIDC token for the repository, which cloud providers and PyPI trusted publishing accept as the repository's identity. A job that neither publishes, signs, attests nor logs in to a cloud does not need it, and a compromised step in it could impersonate the release workflow.",
		Fix:         "Grant `id-token: write` only on the job that publishes (pypa/gh-action-pypi-publish, cloud auth, sigstore/attestations), not at workflow level.",
		Tags:        []string{"github-actions", "permissions", "oidc"},
	}
	ruleSecretsInherit = core.Rule{
		ID: "ASSAY-GHA-033", Severity: core.SeverityMedium, Category: category,
		Title:       "secrets: inherit passed to a third-party reusable workflow",
		Description: "`secrets: inherit` hands every repository and organisation secret to the called workflow, which belongs to another owner. High when the call is not pinned to a commit SHA.",
		Fix:         "Pass only the secrets the workflow declares (`secrets: {token: ${{ secrets.X }}}`) and pin the call to a SHA.",
		Tags:        []string{"github-actions", "secrets"},
	}
	rulePersistCreds = core.Rule{
		ID: "ASSAY-GHA-034", Severity: core.SeverityHigh, Category: category,
		Title:       "Checkout leaves the token on disk for untrusted code",
		Description: "actions/checkout writes the GITHUB_TOKEN into .git/config unless `persist-credentials: false`. In a privileged job that later runs pull request code, that code can read the write token from disk.",
		Fix:         "Set `persist-credentials: false` on every checkout in the job (and better, do not run PR code in privileged jobs).",
		Tags:        []string{"github-actions", "credentials"},
	}
	rulePipeShell = core.Rule{
		ID: "ASSAY-GHA-040", Severity: core.SeverityMedium, Category: category,
		Title:       "Remote script piped into a shell",
		Description: "`curl … | sh` runs whatever the server returns at that moment, with the job's secrets; nothing is verified and the script can change under a fixed URL. Low when the URL carries a version; not reported when it is pinned to a commit.",
		Fix:         "Download a versioned release artifact, verify its checksum or signature, then run it; or use a SHA-pinned action that installs the tool.",
		Tags:        []string{"supply-chain", "ci"},
	}
	ruleToolInstaller = core.Rule{
		ID: "ASSAY-GHA-041", Severity: core.SeverityHigh, Category: category,
		Title:       "Security tool installed by a mutable script or at latest version",
		Description: "Scanners and CI helpers (trivy, reviewdog, cosign, codecov …) run with the workflow's secrets. Installing them from an install script on a branch (e.g. trivy's contrib/install.sh from main) or without a version fetches whatever is current — in March 2026 that was trivy v0.69.4, a credential stealer, and in 2025 reviewdog's install.sh.",
		Fix:         "Install a fixed version from a release asset and verify its checksum/signature, or use the tool's action pinned to a commit SHA.",
		Tags:        []string{"supply-chain", "ci"},
	}
	ruleUnsecureCommands = core.Rule{
		ID: "ASSAY-GHA-042", Severity: core.SeverityHigh, Category: category,
		Title:       "ACTIONS_ALLOW_UNSECURE_COMMANDS enabled",
		Description: "Re-enables the deprecated `::set-env` and `::add-path` workflow commands, so anything a step prints (a PR title in a log line, a test name) can set environment variables such as LD_PRELOAD or NODE_OPTIONS for the following steps.",
		Fix:         "Remove ACTIONS_ALLOW_UNSECURE_COMMANDS and write to $GITHUB_ENV / $GITHUB_PATH instead.",
		Tags:        []string{"github-actions", "injection"},
	}
	ruleGLInclude = core.Rule{
		ID: "ASSAY-GL-001", Severity: core.SeverityMedium, Category: category,
		Title:       "GitLab include without a pinned ref",
		Description: "`include: remote:` URLs and `include: project:` files without a commit SHA `ref:` pull pipeline configuration that someone else can change; it runs with the project's CI variables.",
		Fix:         "Include project files with `ref: <40-hex commit SHA>`; vendor remote files into the repository or pin them to a commit URL.",
		Tags:        []string{"supply-chain", "gitlab-ci", "pinning"},
	}
	ruleGLImage = core.Rule{
		ID: "ASSAY-GL-002", Severity: core.SeverityLow, Category: category,
		Title:       "GitLab CI image not pinned by digest",
		Description: "`image:` and `services:` pulled by tag run whatever the registry serves for that tag at pipeline time.",
		Fix:         "Pin images by digest: `image: name:tag@sha256:<digest>`.",
		Tags:        []string{"supply-chain", "gitlab-ci", "container"},
	}
	ruleGLPipeShell = core.Rule{
		ID: "ASSAY-GL-003", Severity: core.SeverityMedium, Category: category,
		Title:       "Remote script piped into a shell (GitLab CI)",
		Description: "`curl … | sh` in a job script runs whatever the server returns, with the pipeline's CI/CD variables. Low when the URL carries a version; not reported when it is pinned to a commit.",
		Fix:         "Download a versioned artifact, verify its checksum or signature, then run it.",
		Tags:        []string{"supply-chain", "gitlab-ci"},
	}
)

// allRules lists every rule of the capability, in id order.
var allRules = []core.Rule{
	ruleUnpinnedAction, ruleFirstPartyTag, ruleDockerAction, ruleReusableUnpinned, ruleContainerImage,
	ruleUntrustedCheckout, ruleCachePoisoning, ruleSelfHosted,
	ruleInjection,
	ruleNoPermissions, ruleWriteAll, ruleIDToken, ruleSecretsInherit, rulePersistCreds,
	rulePipeShell, ruleToolInstaller, ruleUnsecureCommands,
	ruleGLInclude, ruleGLImage, ruleGLPipeShell,
}
