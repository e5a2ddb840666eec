package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/registry"
)

func TestExplainRule(t *testing.T) {
	code, out, errb := polRun(t, "explain", "ASSAY-POL-010")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, want := range []string{"ASSAY-POL-010  Accepted risk has expired", "severity: medium", "Why it matters", "Fix", "expires date forward"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	// Case-insensitive, and the ASSAY- prefix may be left out.
	for _, id := range []string{"assay-pol-010", "pol-010"} {
		if code, out2, _ := polRun(t, "explain", id); code != 0 || out2 != out {
			t.Errorf("explain %s: exit %d", id, code)
		}
	}
}

func TestExplainJSON(t *testing.T) {
	code, out, _ := polRun(t, "explain", "ASSAY-POL-001", "-f", "json")
	var r core.Rule
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.ID != "ASSAY-POL-001" || r.Severity != core.SeverityCritical || r.Fix == "" {
		t.Errorf("exit %d rule %+v\n%s", code, r, out)
	}
}

func TestExplainList(t *testing.T) {
	code, out, _ := polRun(t, "explain", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	all := registry.Rules()
	for _, r := range all {
		if !strings.Contains(out, r.ID) {
			t.Errorf("--list lacks %s", r.ID)
		}
	}
	if !strings.HasPrefix(out, "ID") || !strings.Contains(out, "rules · assay explain RULE_ID") {
		t.Errorf("--list layout:\n%.300s", out)
	}
	code, out, _ = polRun(t, "explain", "--list", "-f", "json")
	var rs []core.Rule
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != len(all) {
		t.Errorf("--list -f json: exit %d, %d rules (want %d)", code, len(rs), len(all))
	}
}

func TestExplainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain"}, "give one RULE_ID"},
		{[]string{"explain", "ASSAY-NOPE-999"}, `no rule "ASSAY-NOPE-999"`},
		{[]string{"explain", "ASSAY-POL"}, "matches 8 rules"},
		{[]string{"explain", "--list", "ASSAY-POL-001"}, "not both"},
		{[]string{"explain", "ASSAY-POL-001", "-f", "xml"}, "--format"},
	} {
		code, _, errb := polRun(t, tc.args...)
		if code != 2 || !strings.Contains(errb, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tc.args, code, errb, tc.want)
		}
	}
}

// Every registered rule carries what explain and SARIF print.
func TestEveryRuleIsExplainable(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range registry.Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Description == "" || r.Fix == "" {
			t.Errorf("%s lacks title, description or fix", r.ID)
		}
	}
}
