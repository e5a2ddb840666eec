// Package cli is assay's command line. It runs in-process in tests: Main
// takes its own arguments and writers and returns the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/assay-dev/assay/internal/core"
)

// Exit codes of the CLI contract.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on (or a failed verification)
	ExitError    = 2 // usage or fatal error
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err with an exit code. A nil err with code 1 means "findings".
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageErr is a usage or fatal error: exit 2.
func usageErr(format string, a ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, a...)}
}

// app holds the process environment, so tests can run the CLI in-process.
type app struct {
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
	// ttyOut/ttyErr say whether stdout/stderr are terminals (colour, progress).
	ttyOut, ttyErr bool
	getenv         func(string) string
}

// Main runs assay with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, stdin: stdin, getenv: os.Getenv}
	if f, ok := stdout.(*os.File); ok {
		a.ttyOut = term.IsTerminal(int(f.Fd()))
	}
	if f, ok := stderr.(*os.File); ok {
		a.ttyErr = term.IsTerminal(int(f.Fd()))
	}
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(a.stderr, "assay: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors (unknown flag, bad args) are usage errors.
	fmt.Fprintf(a.stderr, "assay: %v\n", err)
	return ExitError
}

// colorOK reports whether colour may be used on the given stream.
func (a *app) colorOK(tty bool) bool {
	return tty && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "assay",
		Short: "Zero-trust guard for the AI software supply chain",
		Long: `assay inventories every dependency, model, dataset, LLM service and CI step of a
project (an AI-BOM), matches them against known-compromised and known-vulnerable
releases offline, looks inside packages and model files without executing them,
audits CI workflows, verifies hashes and signatures, and turns all of it into one
policy decision for CI.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       core.ToolVersion,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// --version without the -v shorthand: every verb uses -v for --verbose.
	root.Flags().Bool("version", false, "print assay's version")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see '%s --help')", err, c.CommandPath())
	})
	// The explicit list of verbs.
	root.AddCommand(
		a.newScanCmd(),
		a.newModelCmd(),
		a.newInspectCmd(),
		a.newDiffCmd(),
		a.newBomCmd(),
		a.newWorkflowCmd(),
		a.newDBCmd(),
		a.newExplainCmd(),
		a.newManifestCmd(),
		a.newSignCmd(),
		a.newVerifyCmd(),
		a.newKeygenCmd(),
		a.newVerifyArtifactCmd(),
		a.newDataCmd(),
		a.newServeCmd(),
		a.newPushCmd(),
	)
	return root
}
