package registry

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md")

var idRe = regexp.MustCompile(`^ASSAY-[A-Z]+-[0-9A-Z]+$`)

func TestRulesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if !idRe.MatchString(r.ID) {
			t.Errorf("rule id %q does not match %s", r.ID, idRe)
		}
		if seen[r.ID] {
			t.Errorf("rule %s registered twice", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Description == "" || r.Fix == "" || r.Category == "" {
			t.Errorf("rule %s lacks title, description, fix or category", r.ID)
		}
	}
	if _, ok := Rule("ASSAY-NOPE-000"); ok {
		t.Error("Rule found an unknown id")
	}
}

// RulesMarkdown renders the rule reference.
func rulesMarkdown() string {
	var b strings.Builder
	b.WriteString("# Rules\n\n")
	b.WriteString("Every finding assay reports comes from one of these rules. `assay explain RULE_ID` prints the same\n")
	b.WriteString("text. Severities are defaults; a policy (`assay.yaml`) can re-grade or disable any rule.\n")
	b.WriteString("This file is generated from the rule registry: `go test ./internal/registry -update`.\n\n")
	cats := []string{}
	byCat := map[string][]string{}
	for _, r := range Rules() {
		if _, ok := byCat[r.Category]; !ok {
			cats = append(cats, r.Category)
		}
		byCat[r.Category] = append(byCat[r.Category], r.ID)
	}
	b.WriteString("| id | severity | title |\n|---|---|---|\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Title)
	}
	b.WriteString("\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "## %s\n\n**%s** · default severity **%s** · category %s\n\n%s\n\n**Fix:** %s\n\n", r.ID, r.Title, r.Severity, r.Category, r.Description, r.Fix)
	}
	return b.String()
}

func TestRulesDocUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "rules.md")
	want := rulesMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/rules.md is out of date: run go test ./internal/registry -update")
	}
}
