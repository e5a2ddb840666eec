package cli

import "github.com/spf13/cobra"

func (a *app) newExplainCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE_ID",
		Short: "Print a rule's rationale and fix",
		RunE: func(c *cobra.Command, args []string) error {
			return usageErr("%s is not implemented yet", c.Name())
		},
	}
}
