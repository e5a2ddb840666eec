package npm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// corpusDir is the shared corpus of real lockfiles (absent in a user's clone).
const corpusDir = "../../../../shared/corpus/lockfiles"

// parseByName routes a corpus file (renamed "<dir>_<name>") to its parser.
func parseByName(t testing.TB, path string, data []byte) (core.Result, error, bool) {
	base := filepath.Base(path)
	data, err := checkText(data)
	if err != nil {
		return core.Result{}, err, true
	}
	switch {
	case strings.HasSuffix(base, "package-lock.json"), strings.HasSuffix(base, "npm-shrinkwrap.json"):
		r, err := parsePackageLock(base, data, nil)
		return r, err, true
	case strings.HasSuffix(base, "yarn.lock"):
		r, err := parseYarnLock(base, data, nil)
		return r, err, true
	case strings.HasSuffix(base, "pnpm-lock.yaml"):
		r, err := parsePnpmLock(base, data)
		return r, err, true
	case strings.HasSuffix(base, "package.json"):
		r, err := parsePackageJSON(base, data, true)
		return r, err, true
	}
	return core.Result{}, nil, false
}

// TestCorpusEvaluation parses every npm file of the shared corpus and reports
// counts; any Error fails the test. Skips when the corpus is absent.
func TestCorpusEvaluation(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("shared corpus not present: ", err)
	}
	files := 0
	_ = filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res, perr, ok := parseByName(t, p, data)
		if !ok {
			return nil
		}
		files++
		rel, _ := filepath.Rel(corpusDir, p)
		if perr != nil {
			t.Errorf("%s: %v", rel, perr)
			return nil
		}
		for _, e := range res.Errors {
			t.Errorf("%s: error %s", rel, e.Reason)
		}
		direct, hashed, withDeps := 0, 0, 0
		scopes := map[string]int{}
		for _, c := range res.Components {
			if c.Direct {
				direct++
			}
			if len(c.Hashes) > 0 {
				hashed++
			}
			if len(c.DependsOn) > 0 {
				withDeps++
			}
			scopes[c.Scope]++
		}
		t.Logf("%s: %d components (%d direct, %d hashed, %d with depends_on, scopes %v), %d findings",
			rel, len(res.Components), direct, hashed, withDeps, scopes, len(res.Findings))
		for _, f := range res.Findings {
			t.Errorf("%s: unexpected finding %s at %s: %s", rel, f.RuleID, f.Location, f.Evidence)
		}
		return nil
	})
	if files == 0 {
		t.Fatal("no npm files found in the corpus")
	}
}
