package workflow

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const sharedCorpus = "../../../shared/corpus/workflows"

// TestCorpusDump prints every finding over the shared corpus (evaluation
// aid; skipped when the corpus is absent or without -v).
func TestCorpusDump(t *testing.T) {
	if !testing.Verbose() || os.Getenv("ASSAY_DUMP") == "" {
		t.Skip("set ASSAY_DUMP=1 and -v")
	}
	files, _ := filepath.Glob(filepath.Join(sharedCorpus, "*", "*"))
	if len(files) == 0 {
		t.Skip("no shared corpus")
	}
	sort.Strings(files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(sharedCorpus, f)
		owner, _, _ := strings.Cut(filepath.Base(filepath.Dir(f)), "__")
		res := auditSource(rel, kindWorkflow, src, nil, owner)
		for _, fd := range res.Findings {
			if os.Getenv("ASSAY_DUMP") == "all" || fd.Severity >= 2 {
				fmt.Printf("%s: %s %s: %s | %s\n", fd.Location, fd.Severity, fd.RuleID, fd.Message, fd.Evidence)
			}
		}
		for _, e := range res.Errors {
			fmt.Printf("ERROR %s: %s\n", e.Path, e.Reason)
		}
	}
}
