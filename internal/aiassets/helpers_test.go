package aiassets

import (
	"context"
	"testing"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

// scanTree runs this capability's scanners and analyzers over dir.
func scanTree(t testing.TB, dir string) *core.Report {
	t.Helper()
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners(), Analyzers: Analyzers()})
	if err != nil {
		t.Fatal(err)
	}
	rep.Finalize(nil)
	return rep
}
