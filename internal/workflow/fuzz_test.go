package workflow

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// FuzzAudit feeds arbitrary bytes to the loader and every check, as each
// dialect. Seeds: every testdata case plus a few hand-made edge cases.
func FuzzAudit(f *testing.F) {
	for _, glob := range []string{"testdata/err/*.y*ml", "testdata/ok/*.y*ml", "testdata/real/*.y*ml", "testdata/corrupt/*"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err == nil && len(b) < 64<<10 {
				f.Add(b, uint8(testKind(filepath.Base(p))))
			}
		}
	}
	f.Add([]byte("on: pull_request_target\njobs:\n  j:\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: '${{ github.head_ref }}'}\n      - run: echo ${{ github.event.issue.title }}\n"), uint8(0))
	f.Add([]byte("a: &a [*a]\n"), uint8(0))
	f.Add([]byte("runs: {using: composite, steps: [{run: '${{ github.head_ref }}'}]}"), uint8(1))
	f.Add([]byte("include: [{project: x, ref: main}]\nj: {image: 'a:b', script: ['curl https://x | sh']}"), uint8(2))
	f.Fuzz(func(t *testing.T, src []byte, k uint8) {
		kind := fileKind(k % 3)
		res := auditSource("f.yml", kind, src, nil, "owner")
		for _, fd := range res.Findings {
			if fd.RuleID == "" || fd.Location.Path != "f.yml" || fd.Severity < core.SeverityInfo || fd.Severity > core.SeverityCritical {
				t.Fatalf("malformed finding %+v", fd)
			}
			if fd.Location.Line < 0 || fd.Location.Column < 0 {
				t.Fatalf("negative position %+v", fd.Location)
			}
		}
		for _, e := range res.Errors {
			if e.Path == "" || e.Reason == "" {
				t.Fatalf("malformed error %+v", e)
			}
		}
	})
}

// FuzzExpr fuzzes the ${{ }} extractor and the expression lexer.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{"${{ github.event.issue.title }}", "${{ contains(github.event.issue.title, 'x') }}", "${{ github['event'][0].x }}", "${{ '}}' }}", "${{ a[[[ }}", "${{ toJSON(github.event) }} ${{ env.X }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sp := range findExprs(s) {
			for _, r := range contextRefs(sp.Inner) {
				if len(r.Path) == 0 {
					t.Fatalf("empty path in %q", sp.Inner)
				}
				_ = untrusted(r.Path)
			}
		}
		_ = findPipeInstalls(s)
	})
}
