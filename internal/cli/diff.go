package cli

import "github.com/spf13/cobra"

func (a *app) newDiffCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what a new release adds over the last trusted one",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
