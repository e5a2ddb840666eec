package cli

import "github.com/spf13/cobra"

func (a *app) newManifestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "manifest DIR",
		Short: "Write a SHA-256 manifest of a directory",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
