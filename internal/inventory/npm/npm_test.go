package npm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
)

func TestClassifySpec(t *testing.T) {
	tests := []struct {
		spec string
		want specKind
	}{
		{"^1.2.3", specRange},
		{"~1.2", specRange},
		{">=1 <2", specRange},
		{"1.x", specRange},
		{"latest", specRange},
		{"*", specRange},
		{"", specRange},
		{"1.2.3 || 2.0.0", specRange},
		{"1.2.3", specExact},
		{"=1.2.3", specExact},
		{"v1.2.3", specExact},
		{"1.2.3-beta.1+build.5", specExact},
		{"npm:real@^1", specAlias},
		{"workspace:*", specWorkspace},
		{"file:../x", specLocal},
		{"link:../x", specLocal},
		{"./vendor/x.tgz", specLocal},
		{"github:u/r", specGit},
		{"git+https://github.com/u/r.git#main", specGit},
		{"git+ssh://git@github.com/u/r.git", specGit},
		{"git://github.com/u/r.git", specGit},
		{"https://github.com/u/r.git#v1", specGit},
		{"gitlab:u/r", specGit},
		{"u/r", specGit},
		{"u/r#semver:^1", specGit},
		{"https://example.com/x-1.0.0.tgz", specURL},
		{"http://example.com/x.tgz", specURL},
	}
	for _, tc := range tests {
		if got := classifySpec(tc.spec); got != tc.want {
			t.Errorf("classifySpec(%q) = %d, want %d", tc.spec, got, tc.want)
		}
	}
}

func TestGitCommitPinned(t *testing.T) {
	c := "0123456789abcdef0123456789abcdef01234567"
	for spec, want := range map[string]bool{
		"github:u/r":                                  false,
		"github:u/r#main":                             false,
		"github:u/r#v1.2.3":                           false,
		"github:u/r#semver:^1.0.0":                    false,
		"github:u/r#0123456":                          false, // abbreviated: not a full commit
		"github:u/r#" + c:                             true,
		"git+https://h/u/r.git#" + c:                  true,
		"https://h/u/r.git#commit=" + c:               true, // yarn berry
		"https://codeload.github.com/u/r/tar.gz/" + c: true,
		"https://codeload.github.com/u/r/tar.gz/main": false,
	} {
		if got := gitCommitPinned(spec); got != want {
			t.Errorf("gitCommitPinned(%q) = %v, want %v", spec, got, want)
		}
	}
}

func TestParseIntegrity(t *testing.T) {
	got := parseIntegrity("sha512-FS+XFBNvn3GTAWq26joslQgWNoFu08F4kl0J4CgdNKADkdSGXQyTCnKteIAJy96Br6YbpEU1LSzV5dYtjMkMDg== sha1-VgiurfwAvmwpAd9fmGF4jeDVl8g= md5-xxx sha256-!!!")
	want := []core.Hash{
		{Algorithm: "sha512", Value: "152f9714136f9f7193016ab6ea3a2c95081636816ed3c178925d09e0281d34a00391d4865d0c930a72ad788009cbde81afa61ba445352d2cd5e5d62d8cc90c0e"},
		{Algorithm: "sha1", Value: "5608aeadfc00be6c2901df5f9861788de0d597c8"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPurl(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"@scope/name", "1.2.3"}: "pkg:npm/%40scope/name@1.2.3",
		{"left-pad", ""}:         "pkg:npm/left-pad",
		{"react", "19.1.0"}:      "pkg:npm/react@19.1.0",
	} {
		if got := purlFor(in[0], in[1]); got != want {
			t.Errorf("purlFor(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

// TestUnpinnedBenignTwins: the same kinds of sources, pinned, are silent in
// every format.
func TestUnpinnedBenignTwins(t *testing.T) {
	c := "0123456789abcdef0123456789abcdef01234567"
	pj := `{"dependencies": {"a": "github:u/a#` + c + `", "b": "git+https://h/u/b.git#` + c + `", "c": "^1.0.0", "d": "https://example.com/d-1.0.0.tgz"}}`
	res, err := parsePackageJSON("package.json", []byte(pj), true) // a lockfile pins d's integrity
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Errorf("package.json findings: %+v", fviews(res.Findings))
	}
	// Without a lockfile beside it, the tarball is the malicious twin.
	res, _ = parsePackageJSON("package.json", []byte(pj), false)
	if got := fviews(res.Findings); len(got) != 1 || !strings.HasPrefix(got[0].Evidence, "d@https://") {
		t.Errorf("package.json without lockfile findings: %+v", got)
	}
	lock := `{"lockfileVersion": 3, "packages": {"": {"dependencies": {"a": "github:u/a"}},
	  "node_modules/a": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/u/a.git#` + c + `"},
	  "node_modules/d": {"version": "1.0.0", "resolved": "https://example.com/d-1.0.0.tgz", "integrity": "sha512-AAAA"}}}`
	res, err = parsePackageLock("package-lock.json", []byte(lock), nil)
	if err != nil || len(res.Findings) != 0 {
		t.Errorf("lock: err %v findings %+v", err, fviews(res.Findings))
	}
	yarnLock := "# yarn lockfile v1\n\n\"a@github:u/a\":\n  version \"1.0.0\"\n  resolved \"https://codeload.github.com/u/a/tar.gz/" + c + "\"\n"
	res, err = parseYarnLock("yarn.lock", []byte(yarnLock), nil)
	if err != nil || len(res.Findings) != 0 || len(res.Components) != 1 {
		t.Errorf("yarn: err %v findings %+v components %d", err, fviews(res.Findings), len(res.Components))
	}
}

func TestCorrupt(t *testing.T) {
	tests := []struct {
		file, kind, want string
	}{
		{"binary-package-lock.json", "lock", "binary content"},
		{"latin1-package-lock.json", "lock", "not valid UTF-8"},
		{"truncated-package-lock.json", "lock", "malformed JSON"},
		{"array-package-lock.json", "lock", "not a JSON object"},
		{"orphan-yarn.lock", "yarn", "line 3: indented line outside an entry"},
		{"unterminated-yarn.lock", "yarn", "line 3: unterminated quoted string"},
		{"malformed-berry-yarn.lock", "yarn", "malformed YAML"},
		{"malformed-pnpm-lock.yaml", "pnpm", "malformed YAML"},
		{"list-pnpm-lock.yaml", "pnpm", "not a YAML mapping"},
		{"noversion-pnpm-lock.yaml", "pnpm", "no lockfileVersion"},
		{"trailing-package.json", "pj", "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := checkText(readFixture(t, "corrupt/"+tc.file))
			if err == nil {
				switch tc.kind {
				case "lock":
					_, err = parsePackageLock(tc.file, data, nil)
				case "yarn":
					_, err = parseYarnLock(tc.file, data, nil)
				case "pnpm":
					_, err = parsePnpmLock(tc.file, data)
				case "pj":
					_, err = parsePackageJSON(tc.file, data, false)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

// TestWrongTypes: values of the wrong JSON type are errors for that entry
// only; the rest of the file is still inventoried.
func TestWrongTypes(t *testing.T) {
	res, err := parsePackageLock("package-lock.json", readFixture(t, "corrupt/wrongtypes-package-lock.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || res.Components[0].Name != "y" {
		t.Errorf("components = %+v", views(res.Components))
	}
	if len(res.Errors) != 2 || res.Errors[0].Reason != `packages["node_modules/x"] at line 1: field "version" is a JSON number, expected string` ||
		!strings.Contains(res.Errors[1].Reason, `packages["node_modules/x"] at line 1 has no version`) {
		t.Errorf("errors = %+v", res.Errors)
	}
	res, err = parsePackageJSON("package.json", readFixture(t, "corrupt/wrongtypes-package.json"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || len(res.Errors) != 2 || !strings.Contains(res.Errors[0].Reason, "dependencies.b at line 1 is not a string") {
		t.Errorf("components %+v errors %+v", views(res.Components), res.Errors)
	}
}

// TestAliasBomb: a billion-laughs YAML costs no more than its text: aliases
// are never expanded, and nothing aliased becomes a component.
func TestAliasBomb(t *testing.T) {
	res, err := parsePnpmLock("pnpm-lock.yaml", readFixture(t, "corrupt/alias-bomb-pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || res.Components[0].Direct {
		t.Errorf("components = %+v", views(res.Components))
	}
}

func TestInstalled(t *testing.T) {
	tests := []struct {
		rel  string
		want []view
		errs int
	}{
		{"node_modules/@scope/pkg/package.json", []view{{Name: "@scope/pkg", Version: "2.3.4", Line: 2}}, 0},
		{"node_modules/alias-dir/package.json", []view{{Name: "real-name", Version: "1.0.0", Line: 1, Props: map[string]string{PropAlias: "alias-dir"}}}, 0},
		{"node_modules/old/package.json", []view{{Name: "old", Version: "0.1.0", Line: 5, Hashes: "sha512"}}, 0},
	}
	for _, tc := range tests {
		if !isInstalled(tc.rel) {
			t.Fatalf("isInstalled(%q) = false", tc.rel)
		}
		res, err := parseInstalledPackageJSON(tc.rel, readFixture(t, "installed/"+tc.rel))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, views(res.Components)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.rel, diff)
		}
		if res.Components[0].Properties[core.PropSource] != core.SourceInstalled {
			t.Errorf("%s: source = %q", tc.rel, res.Components[0].Properties[core.PropSource])
		}
	}
	for rel, want := range map[string]bool{
		"node_modules/foo/dist/package.json":         false,
		"node_modules/a/node_modules/b/package.json": true,
		"app/node_modules/@s/n/package.json":         true,
		"package.json":                               false,
		"my_node_modules/x/package.json":             false,
	} {
		if got := isInstalled(rel); got != want {
			t.Errorf("isInstalled(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestEngine runs the npm scanners in the real walk over a small tree: a
// project with package.json + package-lock.json, installed packages, a yarn
// workspace subproject, a binary lockfile, and a lockfile above the bound.
func TestEngine(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", []byte(`{"name": "app", "dependencies": {"ollama": "^0.6.0", "tarball": "https://example.com/t-1.0.0.tgz"}}`))
	write("package-lock.json", readFixture(t, "lock/ollama-v3.json"))
	write("node_modules/ollama/package.json", []byte(`{"name": "ollama", "version": "0.6.0"}`))
	write("node_modules/ollama/dist/package.json", []byte(`{"type": "module"}`))
	write("web/package.json", readFixture(t, "yarn/classic-package.json"))
	write("web/yarn.lock", readFixture(t, "yarn/classic-sources.lock"))
	write("broken/package-lock.json", readFixture(t, "corrupt/binary-package-lock.json"))
	big := filepath.Join(dir, "huge", "pnpm-lock.yaml")
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxYAMLSize + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()

	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	direct := map[string]bool{}
	for _, c := range rep.Components {
		bySource[c.Properties[core.PropSource]]++
		if c.Direct && c.Properties[core.PropSource] == core.SourceLockfile {
			direct[c.Locations[0].Path+" "+c.Name] = true
		}
	}
	if diff := cmp.Diff(map[string]int{"manifest": 2 + 6, "lockfile": 9 + 9, "installed": 1}, bySource); diff != "" {
		t.Errorf("components by source (-want +got):\n%s", diff)
	}
	// web/yarn.lock direct deps come from web/package.json read through the root.
	for _, n := range []string{"web/yarn.lock @scope/a", "web/yarn.lock dev-tool", "package-lock.json ollama"} {
		if !direct[n] {
			t.Errorf("%s not direct; direct = %v", n, direct)
		}
	}
	// The root package.json has a lockfile beside it: its tarball is not flagged there.
	for _, f := range rep.Findings {
		if f.Location.Path == "package.json" {
			t.Errorf("unexpected finding %+v", f)
		}
	}
	var reasons []string
	for _, e := range rep.Errors {
		reasons = append(reasons, e.Path+": "+e.Reason)
	}
	if len(rep.Errors) != 2 || !strings.Contains(strings.Join(reasons, "\n"), "broken/package-lock.json: binary content") ||
		!strings.Contains(strings.Join(reasons, "\n"), "huge/pnpm-lock.yaml: refusing to parse: file is larger than the 16 MiB bound") {
		t.Errorf("errors:\n%s", strings.Join(reasons, "\n"))
	}
}

func TestRules(t *testing.T) {
	for _, r := range Rules() {
		if r.ID == "" || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
}

// TestWorkspaceMembers: dependencies on the project's own workspace
// packages (npm/yarn "workspaces", pnpm-workspace.yaml) are not registry
// components, in the root and in members; other dependencies are kept.
func TestWorkspaceMembers(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"name": "mono", "workspaces": ["packages/*"], "devDependencies": {"@mono/a": "^1.0.0", "turbo": "^2.0.0"}}`)
	write("packages/a/package.json", `{"name": "@mono/a", "dependencies": {"@mono/b": "^1.0.0", "lodash": "^4.17.21"}}`)
	write("packages/b/package.json", `{"name": "@mono/b", "dependencies": {"utils": "*"}}`)
	write("pn/pnpm-workspace.yaml", "packages:\n  - 'libs/*'\n  - '!**/test/**'\n")
	write("pn/package.json", `{"name": "pn", "dependencies": {"utils": "workspace:*", "zod": "^3"}}`)
	write("pn/libs/utils/package.json", `{"name": "utils", "dependencies": {"@pn/core": "^1.0.0"}}`)
	write("pn/libs/app/package.json", `{"name": "app", "dependencies": {"utils": "^1.0.0", "react": "^19"}}`)
	write("pn/pnpm-lock.yaml", "lockfileVersion: '9.0'\n")
	write("pn/libs/tar/package.json", `{"name": "tar", "dependencies": {"t": "https://example.com/t-1.0.0.tgz"}}`)
	write("solo/package.json", `{"name": "solo", "dependencies": {"t": "https://example.com/t-1.0.0.tgz"}}`)
	rep, err := engine.Run(context.Background(), engine.Config{Target: dir, Scanners: Scanners()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range rep.Components {
		got = append(got, c.Locations[0].Path+" "+c.Name)
	}
	sortStrings(got)
	want := []string{
		"package.json turbo",
		"packages/a/package.json lodash",
		"packages/b/package.json utils", // not a workspace of mono: a registry package
		"pn/libs/app/package.json react",
		"pn/libs/tar/package.json t",
		"pn/libs/utils/package.json @pn/core",
		"pn/package.json zod",
		"solo/package.json t",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The member's tarball is pinned by the root pnpm-lock.yaml; solo has no lockfile.
	if len(rep.Findings) != 1 || rep.Findings[0].Location.Path != "solo/package.json" {
		t.Errorf("findings = %+v", rep.Findings)
	}
}
