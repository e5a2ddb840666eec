package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/workflow"
)

func (a *app) newWorkflowCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "workflow [PATH]",
		Short: "Audit CI workflows (GitHub Actions, GitLab CI)",
		Long: `Audit the CI configuration under PATH (default: the current directory):
.github/workflows/*.yml|yaml, action.yml|yaml (composite and docker actions)
and .gitlab-ci.yml with the files it includes locally.

Reports mutable action/workflow/image references (ASSAY-GHA-001..005),
known-compromised action tags from the advisory feed (ASSAY-DEP-001),
privileged triggers that run pull request code, cache poisoning and
self-hosted runners (ASSAY-GHA-010..012), script injection of
attacker-controlled contexts (ASSAY-GHA-020), token permissions and secret
exposure (ASSAY-GHA-030..034), piped installers and insecure commands
(ASSAY-GHA-040..042) and GitLab includes, images and installers
(ASSAY-GL-001..003). Every action and image becomes a component of the
report. Files are parsed, never evaluated. Run 'assay explain RULE' for a
rule's rationale and fix.`,
		Example: `  assay workflow                       # audit the CI files of the current repository
  assay workflow . --fail-on critical  # fail only on critical findings
  assay workflow . -f sarif -o ci.sarif
  assay workflow .github/workflows/release.yml -f json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			st, err := os.Stat(target)
			if err != nil {
				return usageErr("cannot scan %s: %v", target, err)
			}
			if st.IsDir() {
				return a.runScan(c.Context(), target, o, []string{"workflow"})
			}
			// A file named explicitly is audited wherever it lives.
			failOn, err := parseFailOn(o.failOn)
			if err != nil {
				return usageErr("%v", err)
			}
			rep, err := a.buildReportWith(c.Context(), target, o, failOn, []core.Scanner{&workflow.Scanner{AnyYAML: true}}, workflow.Analyzers())
			if err != nil {
				return err
			}
			return a.emit(rep, o)
		},
	}
	addScanFlags(c, o, "table")
	return c
}
