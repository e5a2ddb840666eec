package pkgscan

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
	"github.com/assay-dev/assay/internal/pkgscan/archive"
)

func buildZip(t testing.TB, files []member) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, _ := zw.Create(f.name)
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func components(t *testing.T, target string, inspectAll bool) []core.Component {
	t.Helper()
	rep, err := engine.Run(context.Background(), engine.Config{Target: target, Workers: 1,
		Scanners:  []core.Scanner{NewScanner(Options{InspectAll: inspectAll})},
		Analyzers: []core.Analyzer{&CapabilityAnalyzer{InspectAll: inspectAll}}})
	if err != nil {
		t.Fatal(err)
	}
	rep.Finalize(nil)
	return rep.Components
}

func sha256File(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestArtifactComponent: inspecting an artifact yields the artifact itself as
// one package component (QA B9: a valid wheel reported 0 components).
func TestArtifactComponent(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		file, kind string
		body       []byte
		want       core.Component // Hashes, Locations and Properties are filled in below
	}{
		{"demo-1.0-py3-none-any.whl", "wheel", buildWheel(t, "demo", "1.0", []member{{"demo/__init__.py", "x = 1\n"}}, nil, nil, "Demo_Pkg"),
			core.Component{Name: "Demo_Pkg", Version: "1.0", Ecosystem: "PyPI", PURL: "pkg:pypi/demo-pkg@1.0"}},
		{"demo-2.0.tar.gz", "sdist", buildTgz(t, []member{
			{"demo-2.0/PKG-INFO", "Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n\n"},
			{"demo-2.0/setup.py", "from setuptools import setup\nsetup(name='demo')\n"}}),
			core.Component{Name: "demo", Version: "2.0", Ecosystem: "PyPI", PURL: "pkg:pypi/demo@2.0"}},
		{"scope-pkg-3.1.0.tgz", "npm", buildTgz(t, []member{
			{"package/package.json", `{"name":"@scope/pkg","version":"3.1.0"}`},
			{"package/index.js", "module.exports = 1;\n"}}),
			core.Component{Name: "@scope/pkg", Version: "3.1.0", Ecosystem: "npm", PURL: "pkg:npm/%40scope/pkg@3.1.0"}},
		{"v1.4.2.zip", "gomod", buildZip(t, []member{
			{"github.com/!burnt!sushi/toml@v1.4.2/go.mod", "module github.com/BurntSushi/toml\n"},
			{"github.com/!burnt!sushi/toml@v1.4.2/toml.go", "package toml\n"}}),
			core.Component{Name: "github.com/BurntSushi/toml", Version: "v1.4.2", Ecosystem: "Go", PURL: "pkg:golang/github.com/BurntSushi/toml@v1.4.2"}},
		// no metadata: name and version from the file name
		{"bare-0.3.tar.gz", "sdist", buildTgz(t, []member{{"bare-0.3/setup.py", "from setuptools import setup\n"}}),
			core.Component{Name: "bare", Version: "0.3", Ecosystem: "PyPI", PURL: "pkg:pypi/bare@0.3"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := writeFile(t, dir, c.file, c.body)
			want := c.want
			want.Kind, want.Direct = core.KindPackage, true
			want.Locations = []core.Location{{Path: c.file}}
			want.Hashes = []core.Hash{{Algorithm: "sha256", Value: sha256File(t, p)}}
			want.Properties = map[string]string{"source": "artifact", "artifact_kind": c.kind}
			got := components(t, p, true)
			if d := cmp.Diff([]core.Component{want}, got); d != "" {
				t.Errorf("components (-want +got):\n%s", d)
			}
		})
	}
}

// TestArtifactComponentNone: an archive that is no package names nothing.
func TestArtifactComponentNone(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "data.zip", buildZip(t, []member{{"a/b.txt", "hello\n"}, {"x@vfoo/y", "z"}}))
	if got := components(t, p, true); len(got) != 0 {
		t.Errorf("plain archive gave components: %+v", got)
	}
}

func TestGoZipMember(t *testing.T) {
	for _, c := range []struct {
		in       string
		mod, ver string
		ok       bool
	}{
		{"golang.org/x/mod@v0.42.0/go.mod", "golang.org/x/mod", "v0.42.0", true},
		{"github.com/!burnt!sushi/toml@v1.4.2/toml.go", "github.com/BurntSushi/toml", "v1.4.2", true},
		{"example.com/m@v2.0.0+incompatible/a.go", "example.com/m", "v2.0.0+incompatible", true},
		{"pkg@v1/x", "", "", false},               // not a canonical version
		{"a.zip!m@v1.0.0/x", "", "", false},       // "!" followed by a non-letter... still must be a module path
		{"example.com/m@v1.0.0", "", "", false},   // no file part
		{"../etc@v1.0.0/passwd", "", "", false},   // not a module path
		{"example.com/M@v1.0.0/a", "", "", false}, // unescaped upper case
	} {
		mod, ver, ok := goZipMember(c.in)
		if ok != c.ok || mod != c.mod || ver != c.ver {
			t.Errorf("goZipMember(%q) = %q, %q, %v", c.in, mod, ver, ok)
		}
	}
}

// FuzzArtifactComponent reads arbitrary bytes as an artifact and derives its
// component: never a panic, and any component names a package.
func FuzzArtifactComponent(f *testing.F) {
	f.Add([]byte(nil), "x.zip")
	f.Add(buildWheel(f, "demo", "1.0", []member{{"demo/__init__.py", "x = 1\n"}}, nil, nil, ""), "demo-1.0-py3-none-any.whl")
	f.Add(buildTgz(f, []member{{"package/package.json", `{"name":"@a/b","version":"1.0.0"}`}}), "b-1.0.0.tgz")
	f.Add(buildTgz(f, []member{{"d-1/PKG-INFO", "Name: d\nVersion: 1\n\n"}}), "d-1.tar.gz")
	f.Add(buildZip(f, []member{{"example.com/!m@v1.0.0/a.go", "package m\n"}}), "v1.0.0.zip")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if len(data) > 1<<20 {
			return
		}
		format := archive.Detect(data)
		if format == archive.FormatNone {
			return
		}
		files, _, _, err := readArtifact(bytes.NewReader(data), int64(len(data)), format, DefaultLimitsForTest())
		if err != nil {
			return
		}
		c := artifactComponent(name, detectArtifact(name, files), files)
		if c == nil {
			return
		}
		if c.Name == "" || !printable(c.Name) || !printable(c.Version) || c.Kind != core.KindPackage || c.Properties["source"] != "artifact" {
			t.Fatalf("bad component %+v", c)
		}
	})
}
