package cli

import "github.com/spf13/cobra"

func (a *app) newWorkflowCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "workflow [PATH]",
		Short: "Audit CI workflows (GitHub Actions, GitLab CI)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return a.runScan(c.Context(), target, o, []string{"workflow"})
		},
	}
	addScanFlags(c, o, "table")
	return c
}
