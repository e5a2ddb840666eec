package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/advisory"
	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
	"github.com/assay-dev/assay/internal/registry"
	"github.com/assay-dev/assay/internal/report"
)

// scanOptions are the flags every report-producing verb shares.
type scanOptions struct {
	format   string
	output   string
	failOn   string
	db       []string
	offline  bool
	policy   string
	baseline string
	quiet    bool
	verbose  bool
	workers  int
	// writeBaseline, when set, writes a baseline accepting every current finding.
	writeBaseline string
}

func addScanFlags(c *cobra.Command, o *scanOptions, defaultFormat string) {
	f := c.Flags()
	f.StringVarP(&o.format, "format", "f", defaultFormat, "output format: "+strings.Join(report.Formats, "|"))
	f.StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity (critical|high|medium|low|info|none)")
	f.StringArrayVar(&o.db, "db", nil, "extra OSV data: a directory, an OSV all.zip, or a single JSON file (repeatable)")
	f.BoolVar(&o.offline, "offline", false, "never use the network (assay scan never does; this makes it explicit)")
	f.StringVar(&o.policy, "policy", "", "policy file (default: assay.yaml at the scanned root, if present)")
	f.StringVar(&o.baseline, "baseline", "", "baseline of accepted findings (default: .assayignore.yaml at the root, if present)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line (table format)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "show info findings and every error")
	f.IntVar(&o.workers, "workers", 0, "concurrent file workers (default 2×CPUs)")
}

func (a *app) newScanCmd() *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "scan [PATH]",
		Short: "Run every check on a directory or a single artifact",
		Long: `Scan a project directory (or one artifact) with every scanner: dependency
inventory and advisory matching, model files, packages, CI workflows, AI assets
in code, and provenance. Exit 0 when nothing is at or above --fail-on, 1 when
something is, 2 on usage or fatal errors.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			return a.runScan(c.Context(), target, o, nil)
		},
	}
	addScanFlags(c, o, "table")
	c.Flags().StringVar(&o.writeBaseline, "write-baseline", "", "write a baseline accepting every current finding to FILE")
	return c
}

// runScan is the one pipeline every report verb shares: walk + scanners of
// the selected capabilities (all when caps is empty), analyzers, advisory
// matching, policy, finalize, render, exit code.
func (a *app) runScan(ctx context.Context, target string, o *scanOptions, caps []string) error {
	rep, err := a.buildReport(ctx, target, o, caps)
	if err != nil {
		return err
	}
	return a.emit(rep, o)
}

// buildReport runs the pipeline and returns the finalized report.
func (a *app) buildReport(ctx context.Context, target string, o *scanOptions, caps []string) (*core.Report, error) {
	failOn, err := parseFailOn(o.failOn)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if _, err := os.Stat(target); err != nil {
		return nil, usageErr("cannot scan %s: %v", target, err)
	}
	scanners, analyzers := registry.Select(caps...)
	return a.buildReportWith(ctx, target, o, failOn, scanners, analyzers)
}

// buildReportWith runs the pipeline with an explicit scanner/analyzer set
// (focused verbs that construct their own scanners use it). Advisory
// matching always runs: every component is checked against known-bad releases.
func (a *app) buildReportWith(ctx context.Context, target string, o *scanOptions, failOn *core.Severity, scanners []core.Scanner, analyzers []core.Analyzer) (*core.Report, error) {
	adv, err := advisory.NewAnalyzer(advisory.Options{DBPaths: o.db, Offline: o.offline})
	if err != nil {
		return nil, usageErr("advisory data: %v", err)
	}
	if adv != nil {
		analyzers = append(analyzers, adv)
	}
	cfg := engine.Config{Target: target, Scanners: scanners, Analyzers: analyzers, Workers: o.workers}
	var prog *progress
	if a.ttyErr && !o.quiet && a.getenv("CI") == "" {
		prog = newProgress(a.stderr)
		cfg.Progress = prog.update
	}
	rep, err := engine.Run(ctx, cfg)
	if prog != nil {
		prog.clear()
	}
	if err != nil {
		return nil, usageErr("%v", err)
	}
	rep.Finalize(failOn)
	return rep, nil
}

// emit renders rep per o and maps the verdict to the exit code.
func (a *app) emit(rep *core.Report, o *scanOptions) error {
	var w io.Writer = a.stdout
	tty := a.ttyOut
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return usageErr("cannot write report: %v", err)
		}
		defer f.Close()
		w = f
		tty = false
	}
	opts := report.Options{Color: a.colorOK(tty), Quiet: o.quiet, Verbose: o.verbose, Rules: registry.Rules()}
	if err := report.Render(w, rep, o.format, opts); err != nil {
		return usageErr("%v", err)
	}
	if o.output != "" && !o.quiet && o.format != "table" {
		fmt.Fprintln(a.stderr, report.SummaryLine(rep, a.colorOK(a.ttyErr)))
	}
	if rep.Summary.Failed {
		return withCode(ExitFindings, nil)
	}
	return nil
}

func parseFailOn(s string) (*core.Severity, error) {
	if strings.EqualFold(s, "none") || strings.EqualFold(s, "never") {
		return nil, nil
	}
	sev, err := core.ParseSeverity(s)
	if err != nil {
		return nil, fmt.Errorf("--fail-on: %v", err)
	}
	return &sev, nil
}

// progress draws a one-line progress bar on a terminal's stderr.
type progress struct {
	w    io.Writer
	last time.Time
	drew bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) update(done, total int) {
	now := time.Now()
	if done != total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	const width = 30
	fill := 0
	if total > 0 {
		fill = done * width / total
	}
	fmt.Fprintf(p.w, "\r\x1b[Kscanning [%s%s] %d/%d files", strings.Repeat("█", fill), strings.Repeat("░", width-fill), done, total)
	p.drew = true
}

func (p *progress) clear() {
	if p.drew {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
