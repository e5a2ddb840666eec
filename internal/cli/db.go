package cli

import "github.com/spf13/cobra"

func (a *app) newDBCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "db",
		Short: "Manage offline advisory data (update, status)",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
