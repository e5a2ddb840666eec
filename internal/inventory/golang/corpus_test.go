package golang

import (
	"os"
	"path/filepath"
	"testing"
)

const corpusDir = "../../../../shared/corpus/lockfiles"

// TestCorpusEvaluation parses every go.mod of the shared corpus with its
// go.sum and reports counts; any Error or finding fails. Skips when absent.
func TestCorpusEvaluation(t *testing.T) {
	mods, _ := filepath.Glob(filepath.Join(corpusDir, "*", "go.mod"))
	if len(mods) == 0 {
		t.Skip("shared corpus not present")
	}
	for _, p := range mods {
		rel, _ := filepath.Rel(corpusDir, p)
		mod, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "go.sum"))
		res, err := ParseGoMod(rel, mod, sum, "go.sum")
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		direct, hashed := 0, 0
		for _, c := range res.Components {
			if c.Direct {
				direct++
			}
			if len(c.Hashes) > 0 {
				hashed++
			}
		}
		t.Logf("%s: %d components (%d direct, %d with go.sum hash), %d findings, %d errors",
			rel, len(res.Components), direct, hashed, len(res.Findings), len(res.Errors))
		for _, e := range res.Errors {
			t.Errorf("%s: %s", rel, e.Reason)
		}
		for _, f := range res.Findings {
			t.Errorf("%s: unexpected finding %s: %s", rel, f.RuleID, f.Evidence)
		}
	}
}

// BenchmarkParseOllama parses ollama's go.mod (94 requires) and go.sum (452 lines).
func BenchmarkParseOllama(b *testing.B) {
	mod, _ := os.ReadFile("testdata/ollama/go.mod")
	sum, _ := os.ReadFile("testdata/ollama/go.sum")
	b.SetBytes(int64(len(mod) + len(sum)))
	for b.Loop() {
		if _, err := ParseGoMod("go.mod", mod, sum, "go.sum"); err != nil {
			b.Fatal(err)
		}
	}
}
