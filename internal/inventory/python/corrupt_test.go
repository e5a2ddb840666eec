package python

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCorruptFiles: every file in testdata/corrupt yields exactly one Error
// naming it, and the scan of the rest goes on.
func TestCorruptFiles(t *testing.T) {
	ents, err := os.ReadDir("testdata/corrupt")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"ok/requirements.txt": "fine==1\n"}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata/corrupt", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()+"/"+e.Name()] = string(b)
	}
	rep := scanFiles(t, files)
	perFile := map[string]int{}
	for _, e := range rep.Errors {
		perFile[filepath.Base(e.Path)]++
		t.Logf("%s: %s", e.Path, e.Reason)
	}
	for _, e := range ents {
		if perFile[e.Name()] != 1 {
			t.Errorf("%s: %d errors, want 1", e.Name(), perFile[e.Name()])
		}
	}
	if len(find(rep, "fine")) != 1 {
		t.Error("the scan did not go on")
	}
}
