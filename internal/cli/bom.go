package cli

import "github.com/spf13/cobra"

func (a *app) newBomCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "bom [PATH]",
		Short: "Write the AI-BOM (CycloneDX 1.6 ML-BOM by default, or SPDX) of a project",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			if !c.Flags().Changed("fail-on") {
				o.failOn = "none"
			}
			return a.runScan(c.Context(), target, o, nil)
		},
	}
	addScanFlags(c, o, "cyclonedx")
	return c
}
