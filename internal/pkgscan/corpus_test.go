package pkgscan

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

var detectionTable = flag.String("detection-table", "", "write the per-rule precision/recall table (markdown) to this file")

// alertAt is the severity from which a finding counts as an alert in the
// evaluation: low findings are notes (benign .pth shapes, prepare scripts).
const alertAt = core.SeverityMedium

func alerts(t *testing.T, dir string) map[string]core.Severity {
	t.Helper()
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Workers: 1,
		Scanners:  []core.Scanner{NewScanner(Options{InspectAll: true})},
		Analyzers: []core.Analyzer{&CapabilityAnalyzer{InspectAll: true}}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]core.Severity{}
	for _, f := range rep.Findings {
		if f.Severity >= alertAt && f.Severity > out[f.RuleID]-1 {
			if s, ok := out[f.RuleID]; !ok || f.Severity > s {
				out[f.RuleID] = f.Severity
			}
		}
	}
	return out
}

type ruleStats struct{ tp, fp, fn int }

// TestDetectionCorpus measures precision and recall per rule over the
// labelled corpus in testdata/corpus: malicious samples written from public
// write-ups of real incidents (each with an EXPECT file naming the rules
// that must alert), benign samples shaped like popular libraries (nothing
// may alert at medium or above).
func TestDetectionCorpus(t *testing.T) {
	stats := map[string]*ruleStats{}
	st := func(id string) *ruleStats {
		if stats[id] == nil {
			stats[id] = &ruleStats{}
		}
		return stats[id]
	}
	nMal, nBen := 0, 0
	mal, _ := filepath.Glob("testdata/corpus/malicious/*")
	for _, d := range mal {
		b, err := os.ReadFile(filepath.Join(d, "EXPECT"))
		if err != nil {
			t.Fatalf("%s: no EXPECT file", d)
		}
		nMal++
		got := alerts(t, d)
		for _, id := range strings.Fields(string(b)) {
			if _, ok := got[id]; ok {
				st(id).tp++
			} else {
				st(id).fn++
				t.Errorf("missed: %s should alert %s (got %v)", filepath.Base(d), id, got)
			}
		}
	}
	ben, _ := filepath.Glob("testdata/corpus/benign/*")
	for _, d := range ben {
		nBen++
		for id, sev := range alerts(t, d) {
			st(id).fp++
			t.Errorf("false positive: benign %s alerts %s (%s)", filepath.Base(d), id, sev)
		}
	}
	if nMal < 40 || nBen < 40 {
		t.Errorf("corpus too small: %d malicious, %d benign (want ≥ 40 each)", nMal, nBen)
	}
	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	fmt.Fprintf(&b, "| rule | title | TP | FP | FN | precision | recall |\n|---|---|---:|---:|---:|---:|---:|\n")
	var tTP, tFP, tFN int
	for _, id := range ids {
		s := stats[id]
		tTP, tFP, tFN = tTP+s.tp, tFP+s.fp, tFN+s.fn
		title := ""
		for _, r := range Rules() {
			if r.ID == id {
				title = r.Title
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s |\n", id, title, s.tp, s.fp, s.fn, ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn))
		// floors: every rule must keep precision ≥ 0.8 and recall ≥ 0.75
		if s.tp+s.fp > 0 && float64(s.tp)/float64(s.tp+s.fp) < 0.8 {
			t.Errorf("%s precision %s below floor 0.80", id, ratio(s.tp, s.tp+s.fp))
		}
		if s.tp+s.fn > 0 && float64(s.tp)/float64(s.tp+s.fn) < 0.75 {
			t.Errorf("%s recall %s below floor 0.75", id, ratio(s.tp, s.tp+s.fn))
		}
	}
	fmt.Fprintf(&b, "| **all** | | %d | %d | %d | %s | %s |\n", tTP, tFP, tFN, ratio(tTP, tTP+tFP), ratio(tTP, tTP+tFN))
	fmt.Fprintf(&b, "\n%d malicious samples, %d benign samples; an alert is a finding at medium or above.\n", nMal, nBen)
	t.Log("\n" + b.String())
	if *detectionTable != "" {
		if err := os.WriteFile(*detectionTable, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
