package cli

import (
	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/pkgscan"
	"github.com/assay-dev/assay/internal/pkgscan/archive"
)

func (a *app) newDiffCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Show what a new release adds over the last trusted one",
		Long: `Compare two releases of a package (wheels, sdists, npm tarballs, Go module
zips, or unpacked directories) without executing either. Reports the
capabilities NEW gains over OLD (ASSAY-PKG-900: install/start-up code such as a
new .pth, first network use, first credential read, first process spawn,
obfuscation, hosts never contacted before), findings that are new in NEW, and
(with -v) every file added, removed or changed (ASSAY-PKG-902). Exit 1 when
something at or above --fail-on (default high) is new.`,
		Example: `  assay diff litellm-1.82.6-py3-none-any.whl litellm-1.82.8-py3-none-any.whl
  assay diff nx-21.4.0.tgz nx-21.5.0.tgz -f json
  assay diff old-src/ new-src/ --fail-on medium`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("diff needs exactly two arguments: OLD NEW")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			failOn, err := parseFailOn(o.failOn)
			if err != nil {
				return usageErr("%v", err)
			}
			ctx := c.Context()
			oldS, err := pkgscan.TakeSnapshot(ctx, args[0], archive.DefaultLimits)
			if err != nil {
				return usageErr("cannot read OLD: %v", err)
			}
			newS, err := pkgscan.TakeSnapshot(ctx, args[1], archive.DefaultLimits)
			if err != nil {
				return usageErr("cannot read NEW: %v", err)
			}
			rep := core.NewReport(args[0] + " -> " + args[1])
			rep.Findings = append(rep.Findings, pkgscan.Diff(oldS, newS)...)
			rep.Errors = append(rep.Errors, oldS.Errors...)
			rep.Errors = append(rep.Errors, newS.Errors...)
			rep.Summary.FilesWalked = len(oldS.Files) + len(newS.Files)
			rep.Finalize(failOn)
			return a.emit(rep, o)
		},
	}
	addScanFlags(c, o, "table")
	return c
}
