package workflow

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.out from the current output (FP/FN labels are kept)")

// testKind picks the dialect of a testdata file from its name.
func testKind(name string) fileKind {
	switch {
	case strings.HasPrefix(name, "gitlab"):
		return kindGitLab
	case strings.HasPrefix(name, "action"):
		return kindAction
	}
	return kindWorkflow
}

func auditTestFile(t testing.TB, path string) core.Result {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	// real/ files are named owner__repo__file: audit them as a clone of
	// owner/repo would be (the owner comes from .git/config there).
	owner := ""
	if o, _, ok := strings.Cut(name, "__"); ok {
		owner = o
	}
	return auditSource(name, testKind(name), src, nil, owner)
}

// outLine renders a finding actionlint-style: file:line:col: severity message [rule].
func outLine(f core.Finding) string {
	return fmt.Sprintf("%s: %s %s [%s]", f.Location, f.Severity, f.Message, f.RuleID)
}

// labelled is one case file's labels. Lines of the .out file are findings
// the tool must produce and that are real issues; "FP " lines are findings
// it produces that are not real issues (kept so the test pins behaviour and
// the evaluation counts them); "FN " lines are real issues it misses.
type labelled struct {
	tp, fp, fn []string
}

func readLabels(t testing.TB, path string) labelled {
	t.Helper()
	var l labelled
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return l
		}
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "FP "):
			l.fp = append(l.fp, line[3:])
		case strings.HasPrefix(line, "FN "):
			l.fn = append(l.fn, line[3:])
		default:
			l.tp = append(l.tp, line)
		}
	}
	return l
}

func labelledCases(t testing.TB) []string {
	var files []string
	for _, dir := range []string{"testdata/err", "testdata/real"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.y*ml"))
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no labelled cases")
	}
	return files
}

// TestLabelledCases checks each vulnerable and real case against its .out labels.
func TestLabelledCases(t *testing.T) {
	for _, path := range labelledCases(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res := auditTestFile(t, path)
			for _, e := range res.Errors {
				t.Errorf("unexpected error: %s: %s", e.Path, e.Reason)
			}
			core.SortFindings(res.Findings)
			var got []string
			for _, f := range res.Findings {
				got = append(got, outLine(f))
			}
			outPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".out"
			l := readLabels(t, outPath)
			if *update {
				writeLabels(t, outPath, got, l)
				return
			}
			want := append(append([]string(nil), l.tp...), l.fp...)
			sort.Strings(want)
			sortedGot := append([]string(nil), got...)
			sort.Strings(sortedGot)
			if diff := cmp.Diff(want, sortedGot); diff != "" {
				t.Errorf("findings differ from %s (-want +got):\n%s", outPath, diff)
			}
			for _, fn := range l.fn {
				for _, g := range got {
					if g == fn {
						t.Errorf("known miss is now found; relabel it as a true positive: %s", fn)
					}
				}
			}
		})
	}
}

func writeLabels(t testing.TB, path string, got []string, old labelled) {
	fp := map[string]bool{}
	for _, l := range old.fp {
		fp[l] = true
	}
	var b strings.Builder
	b.WriteString("# labels: one finding a line (file:line:col: severity message [rule]); FP = produced but not a real issue; FN = real issue not detected\n")
	for _, g := range got {
		if fp[g] {
			b.WriteString("FP ")
		}
		b.WriteString(g + "\n")
	}
	for _, fn := range old.fn {
		b.WriteString("FN " + fn + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBenignCases: nothing at medium or above on the benign twins.
func TestBenignCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/ok/*.y*ml")
	if len(files) == 0 {
		t.Fatal("no benign cases")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res := auditTestFile(t, path)
			for _, e := range res.Errors {
				t.Errorf("unexpected error: %s: %s", e.Path, e.Reason)
			}
			for _, f := range res.Findings {
				if f.Severity >= core.SeverityMedium {
					t.Errorf("benign file has %s", outLine(f))
				}
			}
		})
	}
}

// TestDetectionMetrics computes per-rule precision and recall over the
// labelled cases (err/ and real/: labels in .out; ok/: every finding at
// medium or above is a false positive) and prints the table with -v.
func TestDetectionMetrics(t *testing.T) {
	type counts struct{ tp, fp, fn int }
	per := map[string]*counts{}
	get := func(line string) *counts {
		id := line[strings.LastIndex(line, "[")+1 : len(line)-1]
		if per[id] == nil {
			per[id] = &counts{}
		}
		return per[id]
	}
	for _, path := range labelledCases(t) {
		l := readLabels(t, strings.TrimSuffix(path, filepath.Ext(path))+".out")
		for _, x := range l.tp {
			get(x).tp++
		}
		for _, x := range l.fp {
			get(x).fp++
		}
		for _, x := range l.fn {
			get(x).fn++
		}
	}
	ok, _ := filepath.Glob("testdata/ok/*.y*ml")
	for _, path := range ok {
		for _, f := range auditTestFile(t, path).Findings {
			if f.Severity >= core.SeverityMedium {
				get(outLine(f)).fp++
			}
		}
	}
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	b.WriteString("| rule | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|\n")
	var all counts
	for _, id := range ids {
		c := per[id]
		all.tp += c.tp
		all.fp += c.fp
		all.fn += c.fn
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", id, c.tp, c.fp, c.fn, ratio(c.tp, c.tp+c.fp), ratio(c.tp, c.tp+c.fn))
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %s | %s |\n", all.tp, all.fp, all.fn, ratio(all.tp, all.tp+all.fp), ratio(all.tp, all.tp+all.fn))
	t.Logf("labelled cases: %d files + %d benign\n%s", len(labelledCases(t)), len(ok), b.String())
	for _, r := range Rules() {
		if per[r.ID] == nil || per[r.ID].tp == 0 {
			t.Errorf("rule %s has no labelled true positive", r.ID)
		}
	}
}

func ratio(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
