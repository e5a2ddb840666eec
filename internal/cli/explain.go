package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/registry"
)

func (a *app) newExplainCmd() *cobra.Command {
	var (
		list   bool
		format string
	)
	c := &cobra.Command{
		Use:   "explain RULE_ID | --list",
		Short: "Print a rule's rationale and fix",
		Long: `Print what a rule checks, why it matters, and how to fix its findings. Rule ids
are case-insensitive; a unique prefix is enough (assay explain gha-001).
--list prints every rule: id, default severity, category and title.`,
		Example: `  assay explain ASSAY-GHA-001
  assay explain --list
  assay explain --list -f json`,
		Args: func(c *cobra.Command, args []string) error {
			if list && len(args) > 0 {
				return usageErr("give a RULE_ID or --list, not both")
			}
			if !list && len(args) != 1 {
				return usageErr("give one RULE_ID (or --list to see them all)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format: want text or json, got %q", format)
			}
			rules := registry.Rules()
			if list {
				return writeRuleList(a.stdout, rules, format)
			}
			r, err := findRule(rules, args[0])
			if err != nil {
				return err
			}
			return writeRule(a.stdout, r, format)
		},
	}
	c.Flags().BoolVar(&list, "list", false, "list every rule")
	c.Flags().StringVarP(&format, "format", "f", "text", "output format: text|json")
	return c
}

// findRule looks an id up case-insensitively, accepting a unique suffix or
// prefix ("gha-001", "ASSAY-GHA-0" when only one rule matches).
func findRule(rules []core.Rule, id string) (core.Rule, error) {
	want := strings.ToUpper(strings.TrimSpace(id))
	if want == "" {
		return core.Rule{}, usageErr("empty rule id")
	}
	var partial []core.Rule
	for _, r := range rules {
		up := strings.ToUpper(r.ID)
		if up == want {
			return r, nil
		}
		if strings.HasPrefix(up, want) || strings.HasPrefix(up, "ASSAY-"+want) {
			partial = append(partial, r)
		}
	}
	if len(partial) == 1 {
		return partial[0], nil
	}
	if len(partial) > 1 {
		ids := make([]string, 0, len(partial))
		for _, r := range partial {
			ids = append(ids, r.ID)
		}
		if len(ids) > 12 {
			ids = append(ids[:12], "…")
		}
		return core.Rule{}, usageErr("%q matches %d rules: %s", id, len(partial), strings.Join(ids, ", "))
	}
	return core.Rule{}, usageErr("no rule %q; `assay explain --list` lists every rule", id)
}

func writeRule(w io.Writer, r core.Rule, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	bw := &errw{w: w}
	bw.printf("%s  %s\n", r.ID, r.Title)
	bw.printf("severity: %s (default; a policy can re-grade it)", r.Severity)
	if r.Category != "" {
		bw.printf(" · category: %s", r.Category)
	}
	if len(r.Tags) > 0 {
		bw.printf(" · tags: %s", strings.Join(r.Tags, ", "))
	}
	bw.printf("\n\nWhy it matters\n%s\n", wrap(r.Description, 78, "  "))
	if r.Fix != "" {
		bw.printf("\nFix\n%s\n", wrap(r.Fix, 78, "  "))
	}
	bw.printf("\nIn assay.yaml:  rules: {%s: off}  disables it; {%s: critical} re-grades it.\n", r.ID, r.ID)
	bw.printf("In .assayignore.yaml:  - {rule: %s, path: ..., reason: ..., expires: YYYY-MM-DD}\n", r.ID)
	return bw.err
}

func writeRuleList(w io.Writer, rules []core.Rule, format string) error {
	sort.Slice(rules, func(i, j int) bool { return rules[i].ID < rules[j].ID })
	if format == "json" {
		if rules == nil {
			rules = []core.Rule{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rules)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tCATEGORY\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Category, r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d rules · assay explain RULE_ID for the rationale and fix\n", len(rules))
	return err
}

// wrap word-wraps s at width columns with an indent, keeping paragraphs.
func wrap(s string, width int, indent string) string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(s), "\n") {
		words := strings.Fields(para)
		line := indent
		for _, wd := range words {
			if len(line) > len(indent) && len(line)+1+len(wd) > width {
				out = append(out, line)
				line = indent
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += wd
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

type errw struct {
	w   io.Writer
	err error
}

func (e *errw) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
