package npm

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// view is the part of a component the table tests compare.
type view struct {
	Name, Version, Req string
	Direct             bool
	Scope              string
	Line               int
	Hashes             string
	DependsOn          []string
	Props              map[string]string
}

func views(cs []core.Component) []view {
	out := make([]view, 0, len(cs))
	for _, c := range cs {
		v := view{Name: c.Name, Version: c.Version, Req: c.Requirement, Direct: c.Direct, Scope: c.Scope, DependsOn: c.DependsOn}
		if len(c.Locations) > 0 {
			v.Line = c.Locations[0].Line
		}
		var hs []string
		for _, h := range c.Hashes {
			hs = append(hs, h.Algorithm)
		}
		v.Hashes = strings.Join(hs, ",")
		for k, val := range c.Properties {
			if k == core.PropSource || k == PropLockfile {
				continue
			}
			if v.Props == nil {
				v.Props = map[string]string{}
			}
			v.Props[k] = val
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version+out[i].Req < out[j].Version+out[j].Req
	})
	return out
}

// fview is the part of a finding the tests compare.
type fview struct {
	Rule      string
	Line      int
	Component string
	Evidence  string
}

func fviews(fs []core.Finding) []fview {
	out := make([]fview, 0, len(fs))
	for _, f := range fs {
		out = append(out, fview{f.RuleID, f.Location.Line, f.Component, f.Evidence})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func manifestFixture(t testing.TB, name string) *manifest {
	t.Helper()
	m, err := decodeManifest(readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parseFixture runs the parser a fixture kind names: pj (package.json), lock
// (package-lock), lock1 (package-lock with the v1 sibling manifest), yarn,
// yarnc (yarn.lock with the classic sibling manifest), pnpm.
func parseFixture(t testing.TB, file, kind string) (core.Result, error) {
	t.Helper()
	data := readFixture(t, file)
	switch kind {
	case "pj":
		return parsePackageJSON("package.json", data, false)
	case "lock":
		return parsePackageLock("package-lock.json", data, nil)
	case "lock1":
		return parsePackageLock("package-lock.json", data, manifestFixture(t, "lock/v1-package.json"))
	case "yarn":
		return parseYarnLock("yarn.lock", data, nil)
	case "yarnc":
		return parseYarnLock("yarn.lock", data, []*manifest{manifestFixture(t, "yarn/classic-package.json")})
	case "pnpm":
		return parsePnpmLock("pnpm-lock.yaml", data)
	}
	t.Fatalf("unknown fixture kind %q", kind)
	return core.Result{}, nil
}

func sortStrings(s []string) { sort.Strings(s) }
