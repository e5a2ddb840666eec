package cli

import "github.com/spf13/cobra"

func (a *app) newSignCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sign DIR",
		Short: "Sign a directory's manifest (OpenSSF model-signing format)",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
