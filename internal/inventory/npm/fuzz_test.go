package npm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

// addSeeds adds every testdata file matching the globs as a seed.
func addSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(filepath.Join("testdata", g))
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// checkResult asserts the invariants every parse result keeps.
func checkResult(t *testing.T, rel string, res core.Result) {
	t.Helper()
	for _, c := range res.Components {
		if c.Name == "" || c.Ecosystem != core.EcosystemNPM || len(c.Locations) != 1 || c.Locations[0].Path != rel {
			t.Fatalf("bad component %+v", c)
		}
		if c.Properties[core.PropSource] == "" {
			t.Fatalf("component without source %+v", c)
		}
	}
	for _, fd := range res.Findings {
		if fd.RuleID != RuleUnpinnedSource.ID || fd.Location.Path != rel || len(fd.Evidence) > 204 {
			t.Fatalf("bad finding %+v", fd)
		}
	}
}

func FuzzPackageJSON(f *testing.F) {
	addSeeds(f, "manifest/*.json", "lock/v1-package.json", "yarn/*.json", "corrupt/*package.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		data, err := checkText(data)
		if err != nil {
			return
		}
		if res, err := parsePackageJSON("package.json", data, false); err == nil {
			checkResult(t, "package.json", res)
		}
		rel := "node_modules/x/package.json"
		if res, err := parseInstalledPackageJSON(rel, data); err == nil {
			checkResult(t, rel, res)
		}
	})
}

func FuzzPackageLock(f *testing.F) {
	addSeeds(f, "lock/*.json", "corrupt/*package-lock.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		data, err := checkText(data)
		if err != nil {
			return
		}
		if res, err := parsePackageLock("package-lock.json", data, nil); err == nil {
			checkResult(t, "package-lock.json", res)
		}
	})
}

func FuzzYarnClassic(f *testing.F) {
	addSeeds(f, "yarn/*classic*.lock", "corrupt/*yarn.lock")
	f.Fuzz(func(t *testing.T, data []byte) {
		data, err := checkText(data)
		if err != nil {
			return
		}
		if res, err := parseYarnClassic("yarn.lock", data, nil); err == nil {
			checkResult(t, "yarn.lock", res)
		}
	})
}

func FuzzYarnBerry(f *testing.F) {
	addSeeds(f, "yarn/berry.lock", "corrupt/*berry*")
	f.Fuzz(func(t *testing.T, data []byte) {
		data, err := checkText(data)
		if err != nil {
			return
		}
		if res, err := parseYarnBerry("yarn.lock", data, nil); err == nil {
			checkResult(t, "yarn.lock", res)
		}
	})
}

func FuzzPnpmLock(f *testing.F) {
	addSeeds(f, "pnpm/*.yaml", "corrupt/*pnpm-lock.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		data, err := checkText(data)
		if err != nil {
			return
		}
		if res, err := parsePnpmLock("pnpm-lock.yaml", data); err == nil {
			checkResult(t, "pnpm-lock.yaml", res)
		}
	})
}
