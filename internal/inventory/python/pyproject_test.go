package python

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/assay-dev/assay/internal/core"
)

const pyprojectAll = `[build-system]
requires = ["hatchling>=1.20", "hatch-vcs"]

[project]
name = "ragsvc"
requires-python = ">=3.10"
dependencies = [
    "litellm>=1.80,<2",
    "openai==1.99.5",
    "langchain-core[extras] ~= 0.3 ; python_version >= '3.10'",
    "mylib @ git+https://github.com/acme/mylib@main",
]

[project.optional-dependencies]
gpu = ["torch==2.7.0"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]

[tool.uv]
dev-dependencies = ["ipython"]

[tool.pdm.dev-dependencies]
docs = ["mkdocs>=1.5"]
`

func TestPyprojectPEP621(t *testing.T) {
	rep := scanFiles(t, map[string]string{"svc/pyproject.toml": pyprojectAll})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	type row struct {
		Name, Version, Requirement, Scope, Group string
		Line, Col                                int
	}
	var got []row
	for _, c := range rep.Components {
		got = append(got, row{c.Name, c.Version, c.Requirement, c.Scope, c.Properties["group"], c.Locations[0].Line, c.Locations[0].Column})
		if !c.Direct || c.Properties["source"] != "manifest" || c.Ecosystem != "PyPI" {
			t.Errorf("%s: direct=%v source=%q", c.Name, c.Direct, c.Properties["source"])
		}
	}
	want := []row{
		{"hatch-vcs", "", "", "build", "", 2, 32},
		{"hatchling", "", ">=1.20", "build", "", 2, 13},
		{"ipython", "", "", "dev", "dev", 22, 21},
		{"langchain-core", "", "~=0.3", "", "", 10, 5},
		{"litellm", "", ">=1.80,<2", "", "", 8, 5},
		{"mkdocs", "", ">=1.5", "dev", "docs", 25, 9},
		{"mylib", "", "", "", "", 11, 5},
		{"openai", "1.99.5", "", "", "", 9, 5},
		{"pytest", "", ">=8", "test", "test", 18, 9},
		{"ruff", "", "", "dev", "lint", 19, 9},
		{"torch", "2.7.0", "", "optional", "gpu", 15, 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	lc := one(t, rep, "langchain-core")
	if lc.Properties["marker"] != "python_version >= '3.10'" || lc.Properties["extras"] != "extras" {
		t.Errorf("langchain-core properties = %v", lc.Properties)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].RuleID != "ASSAY-INV-001" || rep.Findings[0].Location.Line != 11 {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestPyprojectMutableRefSuppressedByLock(t *testing.T) {
	// Benign twin: with a lockfile beside it, the branch is resolved to a
	// commit in the lock (whose own entry is checked there).
	rep := scanFiles(t, map[string]string{"svc/pyproject.toml": pyprojectAll, "svc/uv.lock": "version = 1\n"})
	if len(rep.Findings) != 0 {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestPyprojectPoetry(t *testing.T) {
	const in = `[tool.poetry]
name = "client"

[tool.poetry.dependencies]
python = "^3.9"
pydantic = "> 2, < 3"
aiohttp = "^3.11"
"zope.interface" = "~5.4"
exact = "1.2.3"
anything = "*"
either = "^1.0 || ^2.0"
requests = { version = "^2.31", extras = ["socks"], optional = true, markers = "sys_platform == 'linux'" }
local = { path = "../local", develop = true }
fork = { git = "https://github.com/me/fork.git", branch = "fix" }
pinnedfork = { git = "https://github.com/me/fork2.git", rev = "0123456789abcdef0123456789abcdef01234567" }
multi = [
  { version = "<2", python = "<3.10" },
  { version = ">=2", python = ">=3.10" },
]

[tool.poetry.group.dev.dependencies]
pytest = "^8"

[tool.poetry.dev-dependencies]
black = "^0.24.1"
`
	rep := scanFiles(t, map[string]string{"pyproject.toml": in})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	type row struct {
		Name, Version, Requirement, Declared, Scope string
		Line                                        int
	}
	var got []row
	for _, c := range rep.Components {
		got = append(got, row{c.Name, c.Version, c.Requirement, c.Properties["declared"], c.Scope, c.Locations[0].Line})
	}
	want := []row{
		{"aiohttp", "", ">=3.11,<4.0", "^3.11", "", 7},
		{"anything", "", "", "", "", 10},
		{"black", "", ">=0.24.1,<0.25", "^0.24.1", "dev", 25},
		{"either", "", "^1.0 || ^2.0", "", "", 11},
		{"exact", "1.2.3", "", "", "", 9},
		{"fork", "", "", "", "", 14},
		{"local", "", "", "", "", 13},
		{"multi", "", "<2", "", "", 16},
		{"multi", "", ">=2", "", "", 16},
		{"pinnedfork", "", "", "", "", 15},
		{"pydantic", "", ">2,<3", "> 2, < 3", "", 6},
		{"pytest", "", ">=8,<9", "^8", "dev", 22},
		{"requests", "", ">=2.31,<3.0", "^2.31", "optional", 12},
		{"zope.interface", "", ">=5.4,<5.5", "~5.4", "", 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	r := one(t, rep, "requests")
	if r.Properties["extras"] != "socks" || r.Properties["marker"] != "sys_platform == 'linux'" {
		t.Errorf("requests = %v", r.Properties)
	}
	if p := one(t, rep, "local").Properties; p["path"] != "../local" || p["editable"] != "true" {
		t.Errorf("local = %v", p)
	}
	// Malicious: branch; benign twin: full commit rev.
	if len(rep.Findings) != 1 || rep.Findings[0].Component != "pkg:pypi/fork" || rep.Findings[0].Location.Line != 14 {
		t.Errorf("findings = %+v", rep.Findings)
	}
}

func TestPoetryToPEP440(t *testing.T) {
	tests := []struct{ in, want string }{
		{"^1.2.3", ">=1.2.3,<2.0"},
		{"^0.2.3", ">=0.2.3,<0.3"},
		{"^0.0.3", ">=0.0.3,<0.0.4"},
		{"^0", ">=0,<1"},
		{"^1", ">=1,<2"},
		{"~1.2.3", ">=1.2.3,<1.3"},
		{"~1.2", ">=1.2,<1.3"},
		{"~1", ">=1,<2"},
		{"~=1.2", "~=1.2"},
		{"1.2.3", "==1.2.3"},
		{"1.2.*", "==1.2.*"},
		{">= 2, < 3", ">=2,<3"},
		{">=1.2 <2", ">=1.2,<2"},
		{"*", ""},
		{"=1.0", "==1.0"},
	}
	for _, tc := range tests {
		got, ok := poetryToPEP440(tc.in)
		if !ok || got != tc.want {
			t.Errorf("poetryToPEP440(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := poetryToPEP440("^1 || ^2"); ok {
		t.Error("a union must not translate")
	}
}

func TestPyprojectUV(t *testing.T) {
	t.Run("uv sources git branch and unsafe index strategy", func(t *testing.T) {
		const in = `[project]
name = "x"
dependencies = ["internal-sdk", "torch>=2"]

[tool.uv]
index-strategy = "unsafe-best-match"

[tool.uv.sources]
internal-sdk = { git = "https://github.com/acme/internal-sdk", branch = "main" }
torch = [{ index = "pytorch-cu128" }]
`
		rep := scanFiles(t, map[string]string{"pyproject.toml": in})
		got := map[string]int{}
		for _, f := range rep.Findings {
			got[f.RuleID] = f.Location.Line
		}
		if diff := cmp.Diff(map[string]int{"ASSAY-INV-001": 9, "ASSAY-INV-002": 6}, got); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
		if u := one(t, rep, "internal-sdk").Properties["url"]; u != "https://github.com/acme/internal-sdk@main" {
			t.Errorf("url = %q", u)
		}
	})
	t.Run("benign twin: pinned rev, default index strategy", func(t *testing.T) {
		const in = `[project]
name = "x"
dependencies = ["internal-sdk"]

[tool.uv]
index-strategy = "first-index"

[tool.uv.sources]
internal-sdk = { git = "https://github.com/acme/internal-sdk", rev = "0123456789abcdef0123456789abcdef01234567" }
`
		rep := scanFiles(t, map[string]string{"pyproject.toml": in})
		if len(rep.Findings) != 0 {
			t.Errorf("findings = %+v", rep.Findings)
		}
	})
}

func TestPyprojectRealFiles(t *testing.T) {
	tests := []struct {
		fixture string
		comps   int
		direct  map[string]string // name -> scope
	}{
		{"openai-pyproject.toml", 35, map[string]string{"httpx2": "", "numpy": "optional", "mypy": "dev", "hatchling": "dev"}},
		{"tgi-clients-pyproject.toml", 7, map[string]string{"pydantic": "", "pytest": "dev", "poetry-core": "build"}},
		{"ollama-python-pyproject.toml", 4, map[string]string{"httpx": "", "pydantic": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			b, err := os.ReadFile("testdata/real/" + tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			rep := scanFiles(t, map[string]string{"pyproject.toml": string(b)})
			if len(rep.Errors) != 0 {
				t.Fatalf("errors: %+v", rep.Errors)
			}
			n := 0
			for _, c := range rep.Components {
				n += len(c.Locations)
				for _, l := range c.Locations {
					if l.Line == 0 {
						t.Errorf("%s has no line", c.Name)
					}
				}
			}
			if n != tc.comps {
				t.Errorf("declarations = %d, want %d", n, tc.comps)
			}
			for name, scope := range tc.direct {
				found := false
				for _, c := range find(rep, name) {
					if c.Scope == scope {
						found = true
					}
				}
				if !found {
					t.Errorf("%s with scope %q not found in %+v", name, scope, find(rep, name))
				}
			}
			if len(rep.Findings) != 0 {
				t.Errorf("findings on a benign real file: %+v", rep.Findings)
			}
		})
	}
}

func TestPyprojectBadInput(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"malformed TOML", "[project]\ndependencies = [\"a\",\n", "invalid TOML at line"},
		{"binary", "\x00\x01\x02", "not a text file"},
		{"non-UTF-8", "[project]\nname = \"caf\xe9\"\n", "not valid UTF-8 (line 2)"},
		{"dependencies not an array", "[project]\ndependencies = \"requests\"\n", "line 2: project.dependencies is not an array"},
		{"bad requirement", "[project]\ndependencies = [\n  \"requests>>2\",\n]\n", "line 3: requests>>2: invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanFiles(t, map[string]string{"pyproject.toml": tc.in})
			if len(rep.Errors) != 1 || rep.Errors[0].Path != "pyproject.toml" || !strings.Contains(rep.Errors[0].Reason, tc.want) {
				t.Errorf("errors = %+v, want one containing %q", rep.Errors, tc.want)
			}
		})
	}
}

func TestPipfile(t *testing.T) {
	const in = `[[source]]
url = "https://pypi.org/simple"

[packages]
requests = "*"
flask = "==3.0.0"
django = {version = ">=4.2", extras = ["argon2"]}

[dev-packages]
pytest = ">=8"
`
	rep := scanFiles(t, map[string]string{"Pipfile": in})
	type row struct {
		Name, Version, Req, Scope string
		Line                      int
	}
	var got []row
	for _, c := range rep.Components {
		got = append(got, row{c.Name, c.Version, c.Requirement, c.Scope, c.Locations[0].Line})
	}
	want := []row{{"django", "", ">=4.2", "", 7}, {"flask", "3.0.0", "", "", 6}, {"pytest", "", ">=8", "dev", 10}, {"requests", "", "", "", 5}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_ = core.SourceManifest
}
