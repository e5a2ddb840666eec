package cli

import "github.com/spf13/cobra"

func (a *app) newServeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the organisation inventory server",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
