package python

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

// writeTree writes files (slash paths -> content) under a temp dir.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runTree scans dir with this package's scanners and analyzers through the
// real engine and returns the finalized report.
func runTree(t testing.TB, dir string) *core.Report {
	t.Helper()
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners(), Analyzers: Analyzers(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rep.Finalize(nil)
	return rep
}

// scanFiles is writeTree + runTree.
func scanFiles(t testing.TB, files map[string]string) *core.Report {
	t.Helper()
	return runTree(t, writeTree(t, files))
}

// find returns the components named name (any version).
func find(rep *core.Report, name string) []core.Component {
	var out []core.Component
	for _, c := range rep.Components {
		if normalizeName(c.Name) == normalizeName(name) {
			out = append(out, c)
		}
	}
	return out
}

func one(t *testing.T, rep *core.Report, name string) core.Component {
	t.Helper()
	cs := find(rep, name)
	if len(cs) != 1 {
		t.Fatalf("want exactly one component %q, got %d: %+v", name, len(cs), cs)
	}
	return cs[0]
}

func ruleIDs(rep *core.Report) []string {
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.RuleID)
	}
	return ids
}
