package cli

import "github.com/spf13/cobra"

func (a *app) newKeygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Write a PEM key pair for signing",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
