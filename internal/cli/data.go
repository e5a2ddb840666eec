package cli

import "github.com/spf13/cobra"

func (a *app) newDataCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "data",
		Short: "Training-data gate: screen, sign-batch, verify-batch",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
