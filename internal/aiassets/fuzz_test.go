package aiassets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func addSeeds(f *testing.F, exts ...string) {
	entries, err := os.ReadDir(filepath.Join("testdata", "seeds"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, ext := range exts {
			if strings.HasSuffix(e.Name(), ext) {
				b, err := os.ReadFile(filepath.Join("testdata", "seeds", e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

// FuzzReadNotebook: any bytes give a notebook (possibly empty) or an error,
// never a panic, and the line map covers the code.
func FuzzReadNotebook(f *testing.F) {
	addSeeds(f, ".ipynb")
	f.Add([]byte(`{"cells": [{"cell_type": "code", "source": "import openai\n"}]}`))
	f.Add([]byte(`{"cells": [{"cell_type": "code", "source": ["a\n", "b"]}, {"cell_type": "code", "source": "c\nd"}]}`))
	f.Add([]byte(`{"cells": [`))
	f.Fuzz(func(t *testing.T, b []byte) {
		nb, _ := readNotebook(b)
		if nb == nil {
			t.Fatal("nil notebook")
		}
		if len(nb.code) > maxNotebookCode+len(b) {
			t.Fatalf("code %d bytes from a %d-byte input", len(nb.code), len(b))
		}
		rows := strings.Count(string(nb.code), "\n")
		if len(nb.code) > 0 && len(nb.lines) < rows {
			t.Fatalf("%d code lines but %d mapped", rows, len(nb.lines))
		}
		for _, l := range nb.lines {
			if l < 1 || l > strings.Count(string(b), "\n")+1 {
				t.Fatalf("line %d outside the file", l)
			}
		}
	})
}

// FuzzDiscovery runs the whole per-file pass (pre-filter, tree-sitter,
// semantics, key search) on Python, JavaScript and notebook input.
func FuzzDiscovery(f *testing.F) {
	addSeeds(f, ".py", ".ts", ".ipynb")
	f.Add([]byte("from transformers import AutoModel\nAutoModel.from_pretrained('a/b', trust_remote_code=True)\n"))
	f.Add([]byte("x = " + strings.Repeat("[", 300) + "openai"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, ext := range []string{".py", ".ts"} {
			res := scanSource(ctx, "f"+ext, ext, b, nil)
			for _, fd := range res.Findings {
				if fd.Location.Line < 1 || fd.Location.Path != "f"+ext {
					t.Fatalf("bad location %+v", fd.Location)
				}
			}
		}
		res := scanNotebook(ctx, "f.ipynb", b, nil)
		for _, fd := range res.Findings {
			if fd.Location.Path != "f.ipynb" {
				t.Fatalf("bad location %+v", fd.Location)
			}
		}
	})
}
