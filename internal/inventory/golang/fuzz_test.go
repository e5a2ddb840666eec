package golang

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzGoMod feeds arbitrary go.mod and go.sum content to the parser: it must
// return components or an error, never panic, and every component must have
// a name and a location.
func FuzzGoMod(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.go.mod")
	corrupt, _ := filepath.Glob("testdata/corrupt/*")
	seeds = append(seeds, corrupt...)
	seeds = append(seeds, "testdata/ollama/go.mod")
	sum, _ := os.ReadFile("testdata/replace.go.sum")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, sum)
	}
	f.Add([]byte("module m\nrequire (\n\ta.io/b v1.0.0 // indirect\n)\nreplace a.io/b => ../b\n"), []byte("a.io/b v1.0.0 h1:x=\n"))
	f.Fuzz(func(t *testing.T, mod, sum []byte) {
		res, err := ParseGoMod("go.mod", mod, sum, "go.sum")
		if err != nil {
			return
		}
		for _, c := range res.Components {
			if c.Name == "" || len(c.Locations) != 1 || c.Locations[0].Path != "go.mod" {
				t.Fatalf("bad component %+v", c)
			}
		}
		for _, fd := range res.Findings {
			if fd.RuleID != RuleReplace.ID || fd.Location.Path != "go.mod" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}
