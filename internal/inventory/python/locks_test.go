package python

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/assay-dev/assay/internal/core"
)

func TestUVLockReal(t *testing.T) {
	b, err := os.ReadFile("testdata/real/ollama-python-uv.lock")
	if err != nil {
		t.Fatal(err)
	}
	rep := scanFiles(t, map[string]string{"uv.lock": string(b)})
	if len(rep.Errors) != 0 || len(rep.Findings) != 0 {
		t.Fatalf("errors %+v findings %+v", rep.Errors, rep.Findings)
	}
	if len(rep.Components) != 13 {
		t.Errorf("components = %d, want 13 (14 packages minus the project itself)", len(rep.Components))
	}
	if len(find(rep, "ollama")) != 0 {
		t.Error("the project itself (editable \".\") is listed as a dependency")
	}
	got := one(t, rep, "httpx")
	want := core.Component{
		Kind: "package", Name: "httpx", Version: "0.28.1", Ecosystem: "PyPI", PURL: "pkg:pypi/httpx@0.28.1",
		Locations: []core.Location{{Path: "uv.lock", Line: got.Locations[0].Line, Column: 1}},
		Hashes: []core.Hash{
			{Algorithm: "sha256", Value: "75e98c5f16b0f35b567856f597f06ff2270a374470a5c2392242528e3e3e42fc"}, // sdist
			{Algorithm: "sha256", Value: "d909fcccc110f8c7faf814ca82a9a4d816bc5a6dbfea25d6591d6985b8ba59ad"}, // wheel
		},
		Direct:     true,
		DependsOn:  got.DependsOn,
		Properties: props("source", "lockfile"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("httpx (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Split(string(b), "\n")[got.Locations[0].Line-1], `name = "httpx"`) {
		t.Errorf("line %d is not httpx's name line", got.Locations[0].Line)
	}
	for _, d := range []string{"pkg:pypi/anyio@4.5.2", "pkg:pypi/anyio@4.8.0", "pkg:pypi/certifi@2025.1.31", "pkg:pypi/httpcore@1.0.7", "pkg:pypi/idna@3.10"} {
		if !contains(got.DependsOn, d) {
			t.Errorf("httpx depends_on %v lacks %s", got.DependsOn, d)
		}
	}
	if h11 := one(t, rep, "h11"); h11.Direct || h11.Scope != "" {
		t.Errorf("h11 (transitive runtime) = direct %v scope %q", h11.Direct, h11.Scope)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

const uvWorkspace = `version = 1
requires-python = ">=3.10"

[manifest]
members = ["app", "shared"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "shared" },
    { name = "web", extra = ["fast"] },
]

[package.optional-dependencies]
gpu = [{ name = "torch" }]

[package.dev-dependencies]
test = [{ name = "pytest" }]

[[package]]
name = "shared"
version = "0.1.0"
source = { editable = "libs/shared" }

[[package]]
name = "web"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "core" }]
sdist = { url = "https://files.pythonhosted.org/web-2.0.0.tar.gz", hash = "sha256:` + sha1x + `" }

[package.optional-dependencies]
fast = [{ name = "speedup" }]

[[package]]
name = "core"
version = "1.0.0"
source = { registry = "https://pypi.internal.example.com/simple" }
dependencies = [{ name = "web" }]

[[package]]
name = "speedup"
version = "3.0"
source = { git = "https://github.com/acme/speedup?branch=main#` + commit + `" }

[[package]]
name = "torch"
version = "2.7.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "core" }]

[[package]]
name = "floating"
version = "0.1"
source = { git = "https://github.com/acme/floating?branch=main" }
`

func TestUVLockGraph(t *testing.T) {
	rep := scanFiles(t, map[string]string{"uv.lock": uvWorkspace})
	type row struct {
		Name, Scope string
		Direct      bool
		Deps        []string
		Props       map[string]string
	}
	var got []row
	for _, c := range rep.Components {
		p := map[string]string{}
		for k, v := range c.Properties {
			if k != "source" {
				p[k] = v
			}
		}
		got = append(got, row{c.Name, c.Scope, c.Direct, c.DependsOn, p})
	}
	want := []row{
		{"core", "", false, []string{"pkg:pypi/web@2.0.0"}, map[string]string{"index": "https://pypi.internal.example.com/simple"}},
		{"floating", "", false, nil, map[string]string{"url": "https://github.com/acme/floating?branch=main"}},
		{"pytest", "test", true, []string{"pkg:pypi/core@1.0.0"}, map[string]string{"group": "test"}},
		{"speedup", "", false, nil, map[string]string{"url": "https://github.com/acme/speedup?branch=main#" + commit}},
		{"torch", "optional", true, nil, map[string]string{"group": "gpu"}},
		{"web", "", true, []string{"pkg:pypi/core@1.0.0", "pkg:pypi/speedup@3.0"}, map[string]string{}},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The git source without a resolved commit is the one finding; the
	// commit-locked one is its benign twin.
	if len(rep.Findings) != 1 || rep.Findings[0].Component != "pkg:pypi/floating@0.1" {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestPoetryLock(t *testing.T) {
	b, err := os.ReadFile("testdata/real/langgraph-cli-examples-poetry.lock")
	if err != nil {
		t.Fatal(err)
	}
	manifest := "[tool.poetry.dependencies]\npython = \"^3.9\"\nlanggraph-cli = {path = \"..\", develop = true}\nhttpx = \"^0.27\"\n"
	rep := scanFiles(t, map[string]string{"ex/poetry.lock": string(b), "ex/pyproject.toml": manifest})
	if len(rep.Errors) != 0 || len(rep.Findings) != 0 {
		t.Fatalf("errors %+v findings %+v", rep.Errors, rep.Findings)
	}
	var locked []core.Component
	for _, c := range rep.Components {
		if c.Properties["source"] == "lockfile" {
			locked = append(locked, c)
		}
	}
	if len(locked) != 15 {
		t.Errorf("locked = %d, want 15", len(locked))
	}
	for _, c := range locked {
		wantDirect := c.Name == "langgraph-cli" || c.Name == "httpx"
		if c.Direct != wantDirect {
			t.Errorf("%s direct = %v, want %v (from the pyproject beside the lock)", c.Name, c.Direct, wantDirect)
		}
	}
	var cli core.Component
	for _, c := range locked {
		if c.Name == "langgraph-cli" {
			cli = c
		}
	}
	if cli.Properties["path"] != ".." || !contains(cli.DependsOn, "pkg:pypi/click@8.1.7") {
		t.Errorf("langgraph-cli = %+v", cli)
	}
	anyio := one(t, &core.Report{Components: locked}, "anyio")
	if len(anyio.Hashes) != 2 || anyio.Properties["group"] != "main" || anyio.Scope != "" || anyio.Locations[0].Line != 4 {
		t.Errorf("anyio = %+v", anyio)
	}
}

func TestPoetryLockLegacyAndGit(t *testing.T) {
	const in = `[[package]]
name = "pytest"
version = "7.0.0"
category = "dev"
optional = false

[[package]]
name = "fork"
version = "1.0"
category = "main"
optional = false

[package.source]
type = "git"
url = "https://github.com/me/fork.git"
reference = "main"
resolved_reference = "` + commit + `"

[[package]]
name = "floating"
version = "1.0"
category = "main"
optional = true

[package.source]
type = "git"
url = "https://github.com/me/floating.git"
reference = "main"
resolved_reference = ""

[metadata]
lock-version = "1.1"

[metadata.files]
pytest = [
    {file = "pytest-7.0.0.tar.gz", hash = "sha256:` + sha2x + `"},
]
`
	rep := scanFiles(t, map[string]string{"poetry.lock": in})
	scopes := map[string]string{}
	for _, c := range rep.Components {
		scopes[c.Name] = c.Scope
	}
	if diff := cmp.Diff(map[string]string{"pytest": "dev", "fork": "", "floating": "optional"}, scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if h := one(t, rep, "pytest").Hashes; len(h) != 1 || h[0].Value != sha2x {
		t.Errorf("legacy metadata.files hashes = %+v", h)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Component != "pkg:pypi/floating@1.0" {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestPDMLock(t *testing.T) {
	const in = `# This file is @generated by PDM.
[metadata]
groups = ["default", "test"]
lock_version = "4.4.1"

[[package]]
name = "anyio"
version = "4.2.0"
groups = ["default"]
dependencies = [
    "exceptiongroup>=1.0.2; python_version < \"3.11\"",
    "idna>=2.8",
]
files = [
    {file = "anyio-4.2.0-py3-none-any.whl", hash = "sha256:` + sha1x + `"},
]

[[package]]
name = "idna"
version = "3.6"
groups = ["default"]

[[package]]
name = "pytest"
version = "8.0.0"
groups = ["test"]

[[package]]
name = "gitdep"
version = "0.1"
groups = ["default"]
git = "https://github.com/acme/gitdep.git"
ref = "main"
revision = "` + commit + `"
`
	rep := scanFiles(t, map[string]string{"pdm.lock": in, "pyproject.toml": "[project]\nname='x'\ndependencies=['anyio']\n"})
	type row struct {
		Name, Version, Scope string
		Direct               bool
		Line, Hashes         int
		Deps                 []string
	}
	var got []row
	for _, c := range rep.Components {
		if c.Properties["source"] != "lockfile" {
			continue
		}
		got = append(got, row{c.Name, c.Version, c.Scope, c.Direct, c.Locations[0].Line, len(c.Hashes), c.DependsOn})
	}
	want := []row{
		{"anyio", "4.2.0", "", true, 7, 1, []string{"pkg:pypi/idna@3.6"}},
		{"gitdep", "0.1", "", false, 29, 0, nil},
		{"idna", "3.6", "", false, 19, 0, nil},
		{"pytest", "8.0.0", "test", false, 24, 0, nil},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(rep.Findings) != 0 {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

const pipfileLock = `{
    "_meta": {
        "hash": {"sha256": "abc"},
        "pipfile-spec": 6,
        "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}]
    },
    "default": {
        "requests": {
            "hashes": [
                "sha256:` + sha1x + `",
                "sha256:` + sha2x + `"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.8'",
            "version": "==2.32.3"
        },
        "idna": {"hashes": [], "version": "==3.7"},
        "mylib": {"editable": true, "git": "https://github.com/acme/mylib.git", "ref": "main"}
    },
    "develop": {
        "pytest": {"hashes": [], "version": "==8.0.0"}
    }
}
`

func TestPipfileLock(t *testing.T) {
	rep := scanFiles(t, map[string]string{"Pipfile.lock": pipfileLock, "Pipfile": "[packages]\nrequests = \"*\"\n"})
	type row struct {
		Name, Version, Scope string
		Direct               bool
		Line, Hashes         int
	}
	var got []row
	for _, c := range rep.Components {
		if c.Properties["source"] != "lockfile" {
			continue
		}
		got = append(got, row{c.Name, c.Version, c.Scope, c.Direct, c.Locations[0].Line, len(c.Hashes)})
	}
	want := []row{
		{"idna", "3.7", "", false, 17, 0},
		{"mylib", "", "", false, 18, 0},
		{"pytest", "8.0.0", "dev", false, 21, 0},
		{"requests", "2.32.3", "", true, 8, 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The git entry locked to a branch name is the finding.
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "ASSAY-INV-001" || rep.Findings[0].Location.Line != 18 {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestLockfilesBadInput(t *testing.T) {
	tests := []struct{ file, in, want string }{
		{"uv.lock", "version = 1\n[[package]]\nname = \"a\"\nversion = 1.0.0\n", "invalid TOML at line 4"},
		{"uv.lock", "[[package]]\nname = \"a\"\ndependencies = \"oops\"\n", "invalid TOML"},
		{"poetry.lock", "[[package]\nname = \"a\"\n", "invalid TOML at line 1"},
		{"pdm.lock", "\x00\x00binary", "not a text file"},
		{"Pipfile.lock", "{\"default\": {\"a\": {\"version\": 3}}}", "invalid JSON at line 1"},
		{"Pipfile.lock", "{\"default\": {\n\"a\": \n", "invalid JSON"},
		{"Pipfile.lock", "[1,2]", "top level is not an object"},
		{"uv.lock", "version = 1\nname = \"\xff\"\n", "not valid UTF-8 (line 2)"},
	}
	for _, tc := range tests {
		t.Run(tc.file+" "+tc.want, func(t *testing.T) {
			rep := scanFiles(t, map[string]string{tc.file: tc.in, "requirements.txt": "still==1\n"})
			if len(rep.Errors) != 1 || rep.Errors[0].Path != tc.file || !strings.Contains(rep.Errors[0].Reason, tc.want) {
				t.Errorf("errors = %+v, want one containing %q", rep.Errors, tc.want)
			}
			if len(find(rep, "still")) != 1 {
				t.Error("the scan did not go on")
			}
		})
	}
}

// TestChunkedDecodeMatchesSerial checks the parallel split of large TOML
// lockfiles gives exactly what a single decode gives.
func TestChunkedDecodeMatchesSerial(t *testing.T) {
	data := buildUVLock(3000)
	if len(data) < chunkThreshold {
		t.Fatalf("fixture too small to exercise chunking: %d", len(data))
	}
	offs, _ := packageHeaderLines(data)
	chunked, err := decodeLock(data, offs, mergeUV)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := decodeLock(data, nil, mergeUV) // no offsets: one decode
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(serial, chunked); diff != "" {
		t.Errorf("(-serial +chunked):\n%s", diff)
	}
}
