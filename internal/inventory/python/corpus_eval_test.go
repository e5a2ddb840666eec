package python

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the shared corpus of real manifests and lockfiles; the
// evaluation skips when it is absent (a user's clone has none).
const corpusDir = "../../../../shared/corpus/lockfiles"

// canonicalName maps the corpus' flattened file names back to the names
// the scanners claim ("libs_langgraph_uv.lock" -> "libs_langgraph/uv.lock").
func canonicalName(base string) (string, bool) {
	for _, suf := range []string{"uv.lock", "poetry.lock", "pyproject.toml", "pdm.lock", "Pipfile.lock"} {
		if strings.HasSuffix(base, suf) {
			prefix := strings.TrimSuffix(strings.TrimSuffix(base, suf), "_")
			if prefix == "" {
				return suf, true
			}
			return prefix + "/" + suf, true
		}
	}
	if strings.Contains(base, "requirements") && (strings.HasSuffix(base, ".txt") || strings.HasSuffix(base, ".lock")) {
		return base, true
	}
	return "", false
}

// TestCorpusEvaluation parses every Python manifest and lockfile of the
// shared corpus and requires zero Errors; run with -v for the counts.
func TestCorpusEvaluation(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("shared corpus not present:", err)
	}
	repos, _ := os.ReadDir(corpusDir)
	files := map[string]string{}
	for _, r := range repos {
		ents, _ := os.ReadDir(filepath.Join(corpusDir, r.Name()))
		for _, e := range ents {
			name, ok := canonicalName(e.Name())
			if !ok {
				continue
			}
			b, err := os.ReadFile(filepath.Join(corpusDir, r.Name(), e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[r.Name()+"/"+name] = string(b)
		}
	}
	rep := scanFiles(t, files)
	type count struct{ comps, direct, hashed int }
	per := map[string]*count{}
	// Count per file before merging hides duplicates: use locations.
	for _, c := range rep.Components {
		for _, l := range c.Locations {
			k := l.Path
			if per[k] == nil {
				per[k] = &count{}
			}
			per[k].comps++
			if c.Direct {
				per[k].direct++
			}
			if len(c.Hashes) > 0 {
				per[k].hashed++
			}
		}
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := 0
	for _, k := range keys {
		c := per[k]
		if c == nil {
			c = &count{}
		}
		total += c.comps
		t.Logf("%-75s components=%4d direct=%4d with-hashes=%4d", k, c.comps, c.direct, c.hashed)
		if c.comps == 0 && !strings.HasPrefix(k, "huggingface__peft/pyproject") && !strings.HasPrefix(k, "huggingface__huggingface_hub/pyproject") {
			t.Errorf("%s: no components", k)
		}
	}
	t.Logf("files=%d component-locations=%d merged-components=%d findings=%d errors=%d", len(files), total, len(rep.Components), len(rep.Findings), len(rep.Errors))
	for _, e := range rep.Errors {
		t.Errorf("error: %s: %s", e.Path, e.Reason)
	}
	for _, f := range rep.Findings {
		t.Logf("finding: %s %s %s: %s", f.RuleID, f.Severity, f.Location, f.Message)
	}
}
