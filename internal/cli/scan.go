package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/advisory"
	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
	"github.com/assay-dev/assay/internal/policy"
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
	// failOnSet records an explicit --fail-on, which wins over the policy's fail_on.
	failOnSet bool
}

// failOnFlag is the --fail-on value; it remembers being set explicitly.
type failOnFlag struct{ o *scanOptions }

func (v failOnFlag) String() string { return v.o.failOn }
func (v failOnFlag) Type() string   { return "severity" }
func (v failOnFlag) Set(s string) error {
	v.o.failOn, v.o.failOnSet = s, true
	return nil
}

func addScanFlags(c *cobra.Command, o *scanOptions, defaultFormat string) {
	f := c.Flags()
	f.StringVarP(&o.format, "format", "f", defaultFormat, "output format: "+strings.Join(report.Formats, "|"))
	f.StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	if o.failOn == "" {
		o.failOn = "high"
	}
	f.Var(failOnFlag{o}, "fail-on", "exit 1 when a finding is at or above this severity (critical|high|medium|low|info|none); wins over the policy's fail_on")
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
	c.Flags().StringVar(&o.writeBaseline, "write-baseline", "", "write a baseline accepting every current finding to FILE (e.g. .assayignore.yaml), then report them as suppressed")
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
	return a.buildReportFull(ctx, target, o, failOn, scanners, analyzers, len(caps) == 0)
}

// buildReportWith runs the pipeline with an explicit scanner/analyzer set
// (focused verbs that construct their own scanners use it). Advisory
// matching always runs: every component is checked against known-bad releases.
func (a *app) buildReportWith(ctx context.Context, target string, o *scanOptions, failOn *core.Severity, scanners []core.Scanner, analyzers []core.Analyzer) (*core.Report, error) {
	return a.buildReportFull(ctx, target, o, failOn, scanners, analyzers, false)
}

// buildReportFull is buildReportWith; full says every capability ran, so a
// baseline entry that matched nothing is truly stale.
func (a *app) buildReportFull(ctx context.Context, target string, o *scanOptions, failOn *core.Severity, scanners []core.Scanner, analyzers []core.Analyzer, full bool) (*core.Report, error) {
	pol, entries, err := loadPolicy(target, o)
	if err != nil {
		return nil, err
	}
	adv, err := advisory.NewAnalyzer(advisory.Options{DBPaths: o.db, Offline: o.offline})
	if err != nil {
		return nil, usageErr("advisory data: %v", err)
	}
	if adv != nil {
		analyzers = append(analyzers, adv)
	}
	cfg := engine.Config{Target: target, Scanners: scanners, Analyzers: analyzers, Workers: o.workers}
	if pol != nil {
		if len(pol.SkipPaths) > 0 {
			cfg.Skip = pol.Skip
		}
		if pol.FailOnSet && !o.failOnSet {
			failOn = pol.FailOn
		}
	}
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
	popts := policy.Options{ReportStale: full}
	policy.Enforce(rep, pol, entries, popts)
	if pol != nil {
		setMeta(rep, "policy", pol.Source)
	}
	if o.baseline != "" || len(entries) > 0 {
		setMeta(rep, "baseline", baselineName(target, o))
	}
	if o.writeBaseline != "" {
		if err := a.writeBaseline(rep, o.writeBaseline, popts); err != nil {
			return nil, err
		}
	}
	rep.Finalize(failOn)
	return rep, nil
}

// loadPolicy reads the policy (--policy, else assay.yaml at a directory
// target) and the accepted risks (--baseline, else .assayignore.yaml there).
// A named file that is missing, and any file that does not parse, is a
// usage error: a scan never runs without the policy it was given.
func loadPolicy(target string, o *scanOptions) (*policy.Policy, []*policy.Entry, error) {
	var (
		pol     *policy.Policy
		entries []*policy.Entry
		err     error
	)
	dir := ""
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		dir = target
	}
	// Errors name the file as the user can open it; findings and
	// suppression records name it relative to the scanned root.
	rel := relToTarget(target)
	if path := pickFile(o.policy, dir, policy.DefaultFile); path != "" {
		if pol, err = policy.Load(path); err != nil {
			return nil, nil, usageErr("invalid policy: %v", err)
		}
		if err := pol.CheckRules(registry.Rules()); err != nil {
			return nil, nil, usageErr("invalid policy: %v", err)
		}
		pol.Rename(rel(path))
	}
	if path := pickFile(o.baseline, dir, policy.DefaultBaselineFile); path != "" {
		if entries, err = policy.LoadBaseline(path); err != nil {
			return nil, nil, usageErr("invalid baseline: %v", err)
		}
		for _, e := range entries {
			e.File = rel(path)
		}
	}
	return pol, entries, nil
}

// pickFile returns the explicit path, else dir/name when it exists (an
// existing but unreadable default is returned too, so that it fails loudly).
func pickFile(explicit, dir, name string) string {
	if explicit != "" {
		return explicit
	}
	if dir == "" {
		return ""
	}
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); err != nil {
		return ""
	}
	return p
}

func baselineName(target string, o *scanOptions) string {
	if o.baseline != "" {
		return relToTarget(target)(o.baseline)
	}
	return policy.DefaultBaselineFile
}

// relToTarget reports policy/baseline files relative to the scanned
// directory when they live inside it, so findings about them have a
// repository path.
func relToTarget(target string) func(string) string {
	absT, errT := filepath.Abs(target)
	return func(file string) string {
		absF, err := filepath.Abs(file)
		if err != nil || errT != nil {
			return filepath.ToSlash(file)
		}
		rel, err := filepath.Rel(absT, absF)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(file)
		}
		return filepath.ToSlash(rel)
	}
}

func setMeta(rep *core.Report, k, v string) {
	if rep.Meta == nil {
		rep.Meta = map[string]string{}
	}
	rep.Meta[k] = v
}

// writeBaseline writes a baseline accepting every current finding to path
// (atomically), then applies it, so this run reports them as suppressed.
func (a *app) writeBaseline(rep *core.Report, path string, popts policy.Options) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".assay-baseline-*")
	if err != nil {
		return usageErr("cannot write baseline: %v", err)
	}
	defer os.Remove(tmp.Name())
	n, err := policy.WriteBaseline(tmp, rep, time.Now())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return usageErr("cannot write baseline: %v", err)
	}
	entries, err := policy.LoadBaseline(path)
	if err != nil {
		return usageErr("baseline written to %s does not read back: %v", path, err)
	}
	name := relToTarget(rep.Target)(path)
	for _, e := range entries {
		e.File = name
	}
	policy.ApplyBaseline(rep, entries, popts)
	setMeta(rep, "baseline", name)
	fmt.Fprintf(a.stderr, "assay: wrote %d accepted finding(s) to %s; replace the placeholder reasons and commit it\n", n, path)
	return nil
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

// progressDelay is how long a scan runs before the progress bar appears, so
// quick scans never flash one. Tests set it to 0.
var progressDelay = 300 * time.Millisecond

// progress draws a one-line progress bar on a terminal's stderr.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	drew  bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) update(done, total int) {
	now := time.Now()
	if now.Sub(p.start) < progressDelay {
		return
	}
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
