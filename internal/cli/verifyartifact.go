package cli

import "github.com/spf13/cobra"

func (a *app) newVerifyArtifactCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify-artifact FILE",
		Short: "Check a downloaded artifact against the hash its lockfile pins",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
