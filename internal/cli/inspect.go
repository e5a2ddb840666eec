package cli

import "github.com/spf13/cobra"

func (a *app) newInspectCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "inspect ARTIFACT|DIR",
		Short: "Inspect a package artifact or installed tree for behaviour no library should have",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return a.runScan(c.Context(), target, o, []string{"package"})
		},
	}
	addScanFlags(c, o, "table")
	return c
}
