package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/provenance"
)

func (a *app) newVerifyArtifactCmd() *cobra.Command {
	var (
		lock string
		o    scanOptions
	)
	c := &cobra.Command{
		Use:   "verify-artifact FILE",
		Short: "Check a downloaded artifact against the hash its lockfile pins",
		Long: `Check a downloaded wheel, sdist or npm tarball against the hash its lockfile
pins, before installing it:

  assay verify-artifact dist/torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl --lock requirements.txt
  assay verify-artifact left-pad-1.3.0.tgz --lock package-lock.json

The package name and version come from the file name (wheel and sdist naming,
npm pack's name-version.tgz); the entry is read from the lockfile by assay's
inventory parsers (requirements --hash, poetry.lock, uv.lock, Pipfile.lock,
pdm.lock, package-lock.json integrity, yarn.lock, pnpm-lock.yaml), and the file
is hashed with every algorithm the lockfile pins (sha256/sha384/sha512; sha1
only when nothing stronger is pinned). Any pinned hash matching is a match, as
pip and npm do (a lock pins one hash per platform wheel).

Exit 0 when the hash matches; 1 on a mismatch (ASSAY-PRV-030) or when the
lockfile does not pin the artifact (ASSAY-PRV-031); 2 on usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			file := args[0]
			if lock == "" {
				return usageErr("--lock LOCKFILE is required")
			}
			if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
				return usageErr("%s is not a readable file", file)
			}
			failOn, err := parseFailOn(o.failOn)
			if err != nil {
				return usageErr("%v", err)
			}
			if _, err := provenance.ParseArtifactName(file); err != nil {
				return usageErr("%v", err)
			}
			chk, err := provenance.CheckArtifact(c.Context(), file, lock)
			if err != nil && !errors.Is(err, provenance.ErrNotListed) {
				return usageErr("%v", err)
			}
			rep := core.NewReport(file)
			loc := core.Location{Path: filepath.ToSlash(lock)}
			art := chk.Artifact
			id := art.Name + "@" + art.Version
			var verdict string
			switch {
			case errors.Is(err, provenance.ErrNotListed):
				f := provenance.RuleArtifactUnpinned.New(loc, fmt.Sprintf("%s does not list %s %s", lock, art.Ecosystem, id), filepath.Base(file))
				f.Component = id
				rep.Findings = append(rep.Findings, f)
				verdict = "NOT verified: " + id + " is not in " + lock
			case !chk.Pinned:
				f := provenance.RuleArtifactUnpinned.New(entryLoc(loc, chk.Entry), fmt.Sprintf("%s lists %s but pins no hash for it", lock, id), filepath.Base(file))
				f.Component = chk.Entry.ID()
				rep.Findings = append(rep.Findings, f)
				verdict = "NOT verified: " + lock + " pins no hash for " + id
			case chk.Match == nil:
				var pinned []string
				for _, h := range chk.Entry.Hashes {
					pinned = append(pinned, h.Algorithm+":"+h.Value)
				}
				var got []string
				for alg, d := range chk.Digests {
					got = append(got, alg+":"+d)
				}
				f := provenance.RuleArtifactMismatch.New(entryLoc(loc, chk.Entry), fmt.Sprintf("%s does not match any hash %s pins for %s", filepath.Base(file), lock, id),
					core.Clip("file "+strings.Join(got, " ")+"; pinned "+strings.Join(pinned, " "), 600))
				f.Component = chk.Entry.ID()
				rep.Findings = append(rep.Findings, f)
				verdict = "MISMATCH: " + filepath.Base(file) + " is not the artifact " + lock + " pins"
			default:
				verdict = fmt.Sprintf("verified: %s matches the %s pinned for %s in %s", filepath.Base(file), chk.Match.Algorithm, id, lock)
				rep.Components = append(rep.Components, *chk.Entry)
			}
			setMeta(rep, "verdict", verdict)
			rep.Finalize(failOn)
			if len(rep.Findings) > 0 {
				rep.Summary.Failed, rep.Summary.ExitCode = true, ExitFindings
			}
			if !o.quiet {
				fmt.Fprintf(a.stderr, "assay: %s\n", verdict)
			}
			return a.emit(rep, &o)
		},
	}
	f := c.Flags()
	f.StringVar(&lock, "lock", "", "lockfile that pins the artifact's hash")
	f.StringVarP(&o.format, "format", "f", "table", "output format: "+joinFormats())
	f.StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	o.failOn = "high"
	f.Var(failOnFlag{&o}, "fail-on", "severity threshold for the exit code (a mismatch or missing pin always fails)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line (table format)")
	return c
}

func entryLoc(lock core.Location, c *core.Component) core.Location {
	if c != nil && len(c.Locations) > 0 {
		return c.Locations[0]
	}
	return lock
}
