package python

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/assay-dev/assay/internal/core"
)

// addFixtures seeds f with every testdata/real file whose name contains sub.
func addFixtures(f *testing.F, sub string) {
	ents, _ := os.ReadDir("testdata/real")
	for _, e := range ents {
		if strings.Contains(e.Name(), sub) {
			b, err := os.ReadFile(filepath.Join("testdata/real", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkResult asserts the invariants every parser keeps on any input.
func checkResult(t *testing.T, res core.Result) {
	t.Helper()
	for _, c := range res.Components {
		if c.Name == "" || c.Kind != core.KindPackage || c.Properties[core.PropSource] == "" || len(c.Locations) == 0 {
			t.Fatalf("bad component %+v", c)
		}
		if c.Ecosystem == core.EcosystemPyPI && !validName(c.Name) {
			t.Fatalf("invalid name %q", c.Name)
		}
		if c.Version != "" && c.Requirement != "" {
			t.Fatalf("both version and requirement: %+v", c)
		}
		for _, h := range c.Hashes {
			if !isHex(h.Value) || strings.ToLower(h.Value) != h.Value {
				t.Fatalf("bad hash %+v", h)
			}
		}
	}
	for _, e := range res.Errors {
		if e.Path == "" || e.Reason == "" {
			t.Fatalf("bad error %+v", e)
		}
	}
	for _, fd := range res.Findings {
		if fd.RuleID == "" || fd.Location.Path == "" {
			t.Fatalf("bad finding %+v", fd)
		}
	}
}

func FuzzPEP508(f *testing.F) {
	for _, s := range []string{"a", "a==1", "A.b-c_d[x, y] >= 1.0, < 2 ; python_version < '3.9'", "x @ https://e.com/x.whl ; os_name == 'nt'",
		"x (>=1)", "x[", "x==", "1x", "x @", "x;", "x===1+local", "torch==2.*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReq(s)
		if err != nil {
			return
		}
		if !validName(r.Name) {
			t.Fatalf("accepted invalid name %q from %q", r.Name, s)
		}
		if v, ok := r.pinned(); ok && v == "" {
			t.Fatalf("empty pinned version from %q", s)
		}
		_ = isPEP508URL(s)
		u := parseURLRef(s)
		_ = u.mutableReason(false)
		_ = redactURL(s)
	})
}

func FuzzRequirements(f *testing.F) {
	addFixtures(f, "requirements")
	for _, s := range []string{
		"-r a.txt\nx==1\n", "-c c.txt\n-e .\n", "a==1 \\\n --hash=sha256:" + sha1x + "\n# via b\n",
		"--extra-index-url https://u:p@h/simple\n", "-r ../x\n-r /abs\n-r ${X}\n", "git+https://h/o/r@main#egg=r\n",
		"\xff\xfe" + "a\x00=\x00=\x001\x00", "a==1\n    # via\n    #   -r requirements.in\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	for name, content := range map[string]string{"a.txt": "-r b.txt\nfrom-a==1\n", "b.txt": "-r a.txt\n-c c.txt\n", "c.txt": "x==2\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { root.Close() })
	s := &fileScanner{name: "pypi/requirements"}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := decodeText(data)
		if err != nil {
			return
		}
		rs := newReqScan(context.Background(), s, root, "requirements.txt")
		rs.stack = append(rs.stack, stackEntry{path: "requirements.txt", claimed: true})
		rs.parseFile("requirements.txt", text, modeRequire, 0, true)
		checkResult(t, rs.finish())
	})
}

func FuzzPyproject(f *testing.F) {
	addFixtures(f, "pyproject")
	f.Add([]byte(pyprojectAll))
	f.Add([]byte("[tool.poetry.dependencies]\nx = {git = \"https://h/r\", branch = \"b\"}\ny = [{version = \"^1\"}]\n[tool.uv.sources]\nx = {git = \"h\"}\n"))
	s := &fileScanner{name: "pypi/pyproject"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if requireUTF8(data) != nil {
			return
		}
		res, err := parsePyproject(s, nil, "pyproject.toml", data)
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

// fuzzLock runs a TOML lockfile parser, and checks the chunked decode
// agrees with a single decode (chunking forced even for tiny inputs).
func fuzzLock[D any](f *testing.F, merge func(*D, *D), parse func([]byte) (core.Result, error)) {
	old := chunkMin
	chunkMin = 0
	f.Cleanup(func() { chunkMin = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		if requireUTF8(data) != nil {
			return
		}
		var serial D
		serr := toml.Unmarshal(data, &serial)
		offs, _ := packageHeaderLines(data)
		chunked, cerr := decodeLock(data, offs, merge)
		if serr == nil {
			if cerr != nil {
				t.Fatalf("chunked decode failed where serial succeeded: %v", cerr)
			}
			if !reflect.DeepEqual(&serial, chunked) {
				t.Fatalf("chunked decode differs from serial")
			}
		}
		res, err := parse(data)
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

func FuzzUVLock(f *testing.F) {
	addFixtures(f, "uv.lock")
	f.Add([]byte(uvWorkspace))
	f.Add(buildUVLock(6))
	s := &fileScanner{name: "pypi/uv-lock"}
	fuzzLock(f, mergeUV, func(d []byte) (core.Result, error) { return parseUVLock(s, "uv.lock", d) })
}

func FuzzPoetryLock(f *testing.F) {
	addFixtures(f, "poetry.lock")
	f.Add(buildPoetryLock(6))
	s := &fileScanner{name: "pypi/poetry-lock"}
	fuzzLock(f, mergePoetry, func(d []byte) (core.Result, error) { return parsePoetryLock(s, nil, "poetry.lock", d) })
}

func FuzzPDMLock(f *testing.F) {
	f.Add([]byte("[metadata]\ngroups = [\"default\"]\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"b>=1\"]\n[[package]]\nname = \"b\"\nversion = \"2\"\ngit = \"https://h/b\"\n"))
	s := &fileScanner{name: "pypi/pdm-lock"}
	fuzzLock(f, mergePDM, func(d []byte) (core.Result, error) { return parsePDMLock(s, nil, "pdm.lock", d) })
}

func FuzzPipfileLock(f *testing.F) {
	f.Add([]byte(pipfileLock))
	f.Add([]byte(`{"default": {"a": {"version": "==1", "git": "x"}}, "develop": {}}`))
	s := &fileScanner{name: "pypi/pipfile-lock"}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parsePipfileLock(s, nil, "Pipfile.lock", data)
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

func FuzzConda(f *testing.F) {
	f.Add([]byte(condaEnv))
	f.Add([]byte("dependencies:\n  - a::b==1=c\n  - x 1.0\n  - pip:\n    - -r r.txt\n"))
	s := &fileScanner{name: "conda/environment"}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		in := &core.Input{FileInfo: core.FileInfo{Path: "environment.yml"}}
		res, err := parseConda(context.Background(), s, in, data)
		if err != nil {
			return
		}
		for _, c := range res.Components {
			if c.Name == "" || len(c.Locations) == 0 {
				t.Fatalf("bad component %+v", c)
			}
		}
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add([]byte(metadataRequests))
	f.Add([]byte("Name: x\nVersion: 1\nLicense: a\n  b\nRequires-Dist: y ; extra == 'z'\n"))
	s := &fileScanner{name: "pypi/installed"}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readMetadataHeaders(bytes.NewReader(data), 4096)
		if err != nil {
			return
		}
		res, err := installedComponent(s, "site-packages/x.dist-info/METADATA", m)
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}
