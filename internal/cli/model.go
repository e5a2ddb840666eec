package cli

import "github.com/spf13/cobra"

func (a *app) newModelCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "model PATH",
		Short: "Scan model files for hidden code, without executing them",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return a.runScan(c.Context(), target, o, []string{"model"})
		},
	}
	addScanFlags(c, o, "table")
	return c
}
