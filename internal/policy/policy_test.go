package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

func sevp(s core.Severity) *core.Severity { return &s }

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := Parse([]byte(src), "assay.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestParseFullExample(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data, "full.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !p.FailOnSet || p.FailOn == nil || *p.FailOn != core.SeverityHigh {
		t.Errorf("fail_on = %v (set %v), want high", p.FailOn, p.FailOnSet)
	}
	if !p.RequirePinnedActions || !p.RequireLockfileHashes || p.AllowPickleModels || !p.RequireSignedModels || !p.RequirePinnedModelRevisions {
		t.Errorf("switches not all strict: %+v", p)
	}
	got := []string{}
	for _, o := range p.Rules {
		s := o.Pattern
		if o.Disabled {
			s += "=off"
		}
		if o.Severity != nil {
			s += "=" + o.Severity.String()
		}
		got = append(got, s)
	}
	want := []string{"ASSAY-GL-*=medium", "ASSAY-DATA-*=off", "ASSAY-PKG-*=high", "ASSAY-POL-011=low"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rules (-want +got):\n%s", d)
	}
	if len(p.DenyPackages) != 4 || len(p.AllowPackages) != 0 || len(p.DenyHosts) != 3 || len(p.AllowHosts) != 3 || len(p.AllowPublishers) != 4 || len(p.SkipPaths) != 3 || len(p.Ignore) != 1 {
		t.Errorf("list sizes: deny=%d allow=%d denyHosts=%d allowHosts=%d publishers=%d skip=%d ignore=%d",
			len(p.DenyPackages), len(p.AllowPackages), len(p.DenyHosts), len(p.AllowHosts), len(p.AllowPublishers), len(p.SkipPaths), len(p.Ignore))
	}
	if e := p.Ignore[0]; e.Rule != "ASSAY-GHA-003" || e.Expires != "2027-06-30" || e.Source() != "full.yaml:120" {
		t.Errorf("ignore[0] = %+v (source %s)", e, e.Source())
	}
}

// The documented example must stay valid.
func TestDocsExampleParses(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "assay.example.yaml"))
	if err != nil {
		t.Skipf("docs example not present: %v", err)
	}
	if _, err := Parse(data, "docs/assay.example.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		p, err := Parse([]byte(src), "assay.yaml")
		if err != nil || p == nil {
			t.Errorf("Parse(%q) = %v, %v; want empty policy", src, p, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // substring of the error, which starts with file:line
	}{
		{"unknown key with suggestion", "fail_on: high\nrequire_pined_actions: true\n", `assay.yaml:2:1: policy: unknown key "require_pined_actions" (did you mean "require_pinned_actions"?)`},
		{"unknown key lists known", "frobnicate: 1\n", `assay.yaml:1:1: policy: unknown key "frobnicate" (known: `},
		{"nested unknown key", "packages:\n  denied: [x]\n", `assay.yaml:2:3: packages: unknown key "denied" (did you mean "deny"?)`},
		{"bad severity", "fail_on: severe\n", `assay.yaml:1:10: fail_on: unknown severity "severe"`},
		{"bad bool", "require_signed_models: yes please\n", `assay.yaml:1:24: require_signed_models must be true or false, got "yes please"`},
		{"bool as string", "require_signed_models: \"true\"\n", `must be true or false`},
		{"not a mapping", "- a\n- b\n", `assay.yaml:1:1: policy must be a mapping, got a list`},
		{"duplicate key", "fail_on: high\nfail_on: low\n", `assay.yaml:2:1: policy: duplicate key "fail_on"`},
		{"anchor", "hosts:\n  deny: &d [a.com]\n  allow: *d\n", `anchors and aliases are not supported`},
		{"yaml syntax", "fail_on: [high\n", `assay.yaml:`},
		{"tab indentation", "packages:\n\tdeny: [x]\n", `assay.yaml:2:`},
		{"rule severity", "rules:\n  ASSAY-GHA-001: urgent\n", `assay.yaml:2:18: rules.ASSAY-GHA-001: "urgent" is not a severity`},
		{"rule key not an id", "rules:\n  \"rm -rf /\": off\n", `assay.yaml:2:3: rules: "rm -rf /" is not a rule id or glob`},
		{"rule mapping unknown", "rules:\n  ASSAY-GHA-*: {sev: high}\n", `rules.ASSAY-GHA-*: unknown key "sev" (did you mean "severity"?)`},
		{"rule list", "rules: [ASSAY-GHA-001]\n", `assay.yaml:1:8: rules must be a mapping`},
		{"deny not list", "packages:\n  deny: litellm\n", `assay.yaml:2:9: packages.deny must be a list, got a scalar`},
		{"deny entry no name", "packages:\n  deny:\n    - version: 1.0\n", `assay.yaml:3:7: packages.deny entry: needs name or purl`},
		{"deny bad version spec", "packages:\n  deny:\n    - name: x\n      version: \">= 1 2\"\n", `packages.deny: bad version`},
		{"deny bad purl", "packages:\n  deny:\n    - purl: pypi/x\n", `must start with pkg:`},
		{"bad glob", "paths:\n  skip: [\"a/[b\"]\n", `assay.yaml:2:10: paths.skip: unterminated [`},
		{"empty string", "hosts:\n  deny: [\"\"]\n", `hosts.deny entry must not be empty`},
		{"null value", "fail_on:\n", `fail_on must be a string, got nothing (null)`},
		{"version", "version: 2\n", `version: unsupported version "2"`},
		{"ignore without reason", "ignore:\n  - rule: ASSAY-GHA-001\n", `assay.yaml:2:5: ignore entry needs a reason`},
		{"ignore bad date", "ignore:\n  - rule: X\n    reason: r\n    expires: 31/12/2026\n", `assay.yaml:4:14: ignore.expires: "31/12/2026" is not a date (want YYYY-MM-DD)`},
		{"ignore nothing to match", "ignore:\n  - path: a\n    reason: r\n", `ignore entry needs a rule, an advisory or a fingerprint`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "assay.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tc.want)
			}
			var el ErrorList
			var e *Error
			if !errors.As(err, &el) && !errors.As(err, &e) {
				t.Errorf("error %T is neither ErrorList nor *Error", err)
			}
		})
	}
}

func TestParseReportsSeveralErrors(t *testing.T) {
	_, err := Parse([]byte("fail_on: x\nbogus: 1\nrequire_signed_models: 3\n"), "p.yaml")
	var el ErrorList
	if !errors.As(err, &el) || len(el) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i, line := range []int{1, 2, 3} {
		if el[i].Line != line {
			t.Errorf("error %d at line %d, want %d", i, el[i].Line, line)
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse(make([]byte, MaxFileSize+1), "big.yaml")
	if err == nil || !strings.Contains(err.Error(), "limited to") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml: cannot read") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("dir: err = %v", err)
	}
}

func TestCheckRules(t *testing.T) {
	p := mustParse(t, "rules:\n  ASSAY-GHA-01: off\n  ASSAY-GHA-*: high\n  assay-gha-002: low\n")
	known := []core.Rule{{ID: "ASSAY-GHA-001"}, {ID: "ASSAY-GHA-002"}}
	err := p.CheckRules(known)
	if err == nil || !strings.Contains(err.Error(), `assay.yaml:2: rules: no rule has the id "ASSAY-GHA-01" (did you mean ASSAY-GHA-001?)`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("only the typo should be reported: %v", err)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat  string
		kind globKind
		yes  []string
		no   []string
	}{
		{"*.pkl", globPath, []string{"a.pkl", "models/a.pkl", "x/y/z.pkl"}, []string{"a.pkl.txt", "pkl"}},
		{"vendor", globPath, []string{"vendor", "vendor/a.py", "x/vendor/b/c"}, []string{"vendors", "a/vendorx"}},
		{"/vendor", globPath, []string{"vendor/a.py"}, []string{"x/vendor/a.py"}},
		{"third_party/**", globPath, []string{"third_party/a", "third_party/a/b/c"}, []string{"x/third_party/a"}},
		{"tests/fixtures/", globPath, []string{"tests/fixtures", "tests/fixtures/a.yml"}, []string{"tests/fixtures2"}},
		{"**/testdata/*.json", globPath, []string{"testdata/a.json", "a/b/testdata/c.json"}, []string{"testdata/x/a.json"}},
		{"src/[ab].py", globPath, []string{"src/a.py", "src/b.py"}, []string{"src/c.py"}},
		{"src/[!a].py", globPath, []string{"src/c.py"}, []string{"src/a.py"}},
		{".github/workflows/*.yml", globPath, []string{".github/workflows/ci.yml"}, []string{".github/workflows/x/ci.yml", "a/.github/workflows/ci.yml"}},
		{"ASSAY-GHA-*", globID, []string{"assay-gha-001", "assay-gha-"}, []string{"assay-gl-001"}},
		{"assay-gha-001", globID, []string{"assay-gha-001"}, []string{"assay-gha-0011"}},
		{"pkg:npm/%40nx/*", globName, []string{"pkg:npm/%40nx/devkit"}, []string{"pkg:npm/%40nx/devkit/x", "pkg:npm/nx"}},
		{"webhook.site", globHost, []string{"webhook.site", "a.webhook.site"}, []string{"notwebhook.site", "webhook.site.evil"}},
		{"*.ngrok.io", globHost, []string{"a.ngrok.io", "a.b.ngrok.io"}, []string{"ngrok.io", "ngrok.io.x"}},
	}
	for _, tc := range tests {
		g, err := compileGlob(tc.pat, tc.kind)
		if err != nil {
			t.Fatalf("compile %q: %v", tc.pat, err)
		}
		for _, s := range tc.yes {
			if !g.match(s) && !g.match(s) {
				t.Errorf("%q should match %q", tc.pat, s)
			}
		}
		for _, s := range tc.no {
			if g.match(s) || (tc.kind != globPath && g.match(s)) {
				t.Errorf("%q should not match %q", tc.pat, s)
			}
		}
	}
}

func TestCompareVersions(t *testing.T) {
	// Each line: a < b.
	for _, pair := range [][2]string{
		{"1.82.6", "1.82.7"}, {"1.9", "1.10"}, {"1.0", "1.0.1"}, {"1.0rc1", "1.0"}, {"v1.2.3", "1.2.4"},
		{"2.5.1", "2.6.0"}, {"1.0.0-alpha", "1.0.0"}, {"1.0.0-alpha", "1.0.0-beta"}, {"0.0.9", "0.1"},
	} {
		if c := compareVersions(pair[0], pair[1]); c >= 0 {
			t.Errorf("compare(%s, %s) = %d, want < 0", pair[0], pair[1], c)
		}
		if c := compareVersions(pair[1], pair[0]); c <= 0 {
			t.Errorf("compare(%s, %s) = %d, want > 0", pair[1], pair[0], c)
		}
	}
	for _, pair := range [][2]string{{"1.0", "1.0.0"}, {"v2", "2"}, {"1.2.3+build", "1.2.3"}, {"01.2", "1.2"}} {
		if c := compareVersions(pair[0], pair[1]); c != 0 {
			t.Errorf("compare(%s, %s) = %d, want 0", pair[0], pair[1], c)
		}
	}
	vs, err := parseVersionSpec(">=1.82.7, <1.83")
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{"1.82.6": false, "1.82.7": true, "1.82.8": true, "1.83.0": false} {
		if got := vs.matches("PyPI", v); got != want {
			t.Errorf("%s in %s = %v, want %v", v, vs.text, got, want)
		}
	}
	// Ecosystem semantics where the generic order is wrong: a PEP 440 dev
	// release sorts before its pre-releases, and "1.0.post1" after "1.0".
	pep, _ := parseVersionSpec("<1.0a1")
	if !pep.matches("PyPI", "1.0.dev3") {
		t.Error("PyPI: 1.0.dev3 should be < 1.0a1")
	}
	post, _ := parseVersionSpec(">1.0")
	if !post.matches("PyPI", "1.0.post1") {
		t.Error("PyPI: 1.0.post1 should be > 1.0")
	}
}
