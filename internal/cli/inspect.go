package cli

import (
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/pkgscan"
)

func (a *app) newInspectCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "inspect ARTIFACT|DIR",
		Short: "Inspect a package artifact or installed tree for behaviour no library should have",
		Long: `Inspect a wheel, sdist, npm tarball, Go module zip, or a directory (an unpacked
package, a site-packages or node_modules tree) without executing anything.
Every file under DIR is treated as package content. Python and JavaScript are
read as syntax trees; archives are read with limits. Reports install/start-up
hooks, obfuscated payloads, process spawns, credential reads, exfiltration,
persistence, miners, wheel RECORD integrity and typosquatted names, plus a
capability summary per package (-v shows it in the table).`,
		Example: `  assay inspect litellm-1.82.8-py3-none-any.whl
  assay inspect .venv/lib/python3.12/site-packages -f json
  assay inspect node_modules --fail-on critical`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			failOn, err := parseFailOn(o.failOn)
			if err != nil {
				return usageErr("%v", err)
			}
			scanners := []core.Scanner{pkgscan.NewScanner(pkgscan.Options{InspectAll: true})}
			analyzers := []core.Analyzer{&pkgscan.CapabilityAnalyzer{InspectAll: true}}
			rep, err := a.buildReportWith(c.Context(), target, o, failOn, scanners, analyzers)
			if err != nil {
				return err
			}
			return a.emit(rep, o)
		},
	}
	addScanFlags(c, o, "table")
	return c
}
