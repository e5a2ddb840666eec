// Package npm inventories npm dependencies: package.json (manifests and
// installed node_modules/**/package.json), package-lock.json v1–v3 and
// npm-shrinkwrap.json, yarn.lock (classic v1 and berry v2+) and
// pnpm-lock.yaml (lockfileVersion 5.x, 6.x and 9.x).
//
// Nothing is executed or installed: every file is parsed as data. Bounds:
// lockfiles are refused above MaxLockfileSize (128 MiB of JSON or yarn text,
// MaxYAMLSize = 16 MiB of YAML, whose node tree costs ~22× its size in
// memory), package.json above MaxManifestSize (16 MiB). YAML aliases are never
// followed (lockfiles do not use them), so alias bombs cost nothing; JSON
// nesting is bounded by encoding/json's depth limit. Files that are not valid
// UTF-8, not JSON/YAML, or malformed yield an Error naming the file and the
// reason.
package npm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/assay-dev/assay/internal/core"
)

// Size bounds, in bytes.
const (
	MaxLockfileSize = 128 << 20
	MaxYAMLSize     = 16 << 20
	MaxManifestSize = 16 << 20
)

// Property keys this package sets on components.
const (
	PropAlias    = "npm_alias"    // the local name an aliased dependency is installed under
	PropResolved = "npm_resolved" // the source of a package not from the registry (git/URL/file)
	PropOverride = "npm_override" // the override/resolution spec applied to this name
	PropSpecType = "npm_spec"     // git | url | file | alias | tag (for manifest specs that are not ranges)
	PropBundled  = "npm_bundled"  // "true" when shipped inside another package's tarball
	PropPatched  = "npm_patch"    // yarn berry patch: protocol descriptor
	PropLockfile = "npm_lockfile" // lockfileVersion of the lockfile the component came from
)

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner {
	return []core.Scanner{
		&packageJSONScanner{ws: &wsCache{}},
		packageLockScanner{},
		yarnLockScanner{},
		pnpmLockScanner{},
	}
}

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return nil }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return []core.Rule{RuleUnpinnedSource} }

// RuleUnpinnedSource flags a dependency fetched from git or a URL that is not
// pinned to a commit or by an integrity hash.
var RuleUnpinnedSource = core.Rule{
	ID:       "ASSAY-INV-101",
	Title:    "npm dependency from git or URL not pinned to a commit",
	Severity: core.SeverityMedium,
	Category: "dependency",
	Description: "The dependency is fetched from a git repository or a tarball URL by a reference that can move " +
		"(a branch, a tag, a semver range over git tags, or a URL whose content is not checked by an integrity hash). " +
		"Whoever controls that repository or server can change the code you install at any time without a new " +
		"version, and registry advisories will never cover it.",
	Fix: "Pin git dependencies to a full 40-character commit (`git+https://host/owner/repo.git#<commit>`), " +
		"publish tarball dependencies to a registry, or commit a lockfile that records their integrity hash.",
	Tags: []string{"npm", "supply-chain", "pinning"},
}

// ---- scanners ----

// packageJSONScanner reads project manifests and installed packages'
// package.json; ws caches workspace roots across the files of one run.
type packageJSONScanner struct{ ws *wsCache }

func (*packageJSONScanner) Name() string { return "npm/package-json" }
func (*packageJSONScanner) FileRequired(f core.FileInfo) bool {
	return f.Name() == "package.json"
}
func (s *packageJSONScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	if inNodeModules(in.Path) && !isInstalled(in.Path) {
		return core.Result{}, nil // a file inside an installed package, not a manifest
	}
	data, err := readText(in, MaxManifestSize)
	if err != nil {
		return core.Result{}, err
	}
	if isInstalled(in.Path) {
		return parseInstalledPackageJSON(in.Path, data)
	}
	res, err := parsePackageJSON(in.Path, data, siblingHasLockfile(in))
	if err != nil || s.ws == nil {
		return res, err
	}
	if names := s.ws.workspaceNames(in.Root, in.Path); len(names) > 0 {
		res = dropWorkspaceDeps(res, names)
	}
	return res, nil
}

type packageLockScanner struct{}

func (packageLockScanner) Name() string { return "npm/package-lock" }
func (packageLockScanner) FileRequired(f core.FileInfo) bool {
	n := f.Name()
	return n == "package-lock.json" || n == "npm-shrinkwrap.json"
}
func (packageLockScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	data, err := readText(in, MaxLockfileSize)
	if err != nil {
		return core.Result{}, err
	}
	return parsePackageLock(in.Path, data, firstManifest(siblingManifests(in)))
}

type yarnLockScanner struct{}

func (yarnLockScanner) Name() string                      { return "npm/yarn-lock" }
func (yarnLockScanner) FileRequired(f core.FileInfo) bool { return f.Name() == "yarn.lock" }
func (yarnLockScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	data, err := readText(in, MaxLockfileSize)
	if err != nil {
		return core.Result{}, err
	}
	return parseYarnLock(in.Path, data, siblingManifests(in))
}

type pnpmLockScanner struct{}

func (pnpmLockScanner) Name() string { return "npm/pnpm-lock" }
func (pnpmLockScanner) FileRequired(f core.FileInfo) bool {
	n := f.Name()
	return n == "pnpm-lock.yaml" || n == "pnpm-lock.yml"
}
func (pnpmLockScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	data, err := readText(in, MaxYAMLSize)
	if err != nil {
		return core.Result{}, err
	}
	return parsePnpmLock(in.Path, data)
}

// readText reads the whole input within limit and checks it is UTF-8 text.
func readText(in *core.Input, limit int64) ([]byte, error) {
	data, err := in.ReadAll(limit)
	if err != nil {
		if errors.Is(err, core.ErrTooLarge) {
			return nil, fmt.Errorf("refusing to parse: file is larger than the %d MiB bound (%v)", limit>>20, err)
		}
		return nil, fmt.Errorf("cannot read: %v", err)
	}
	return checkText(data)
}

// checkText strips a UTF-8 BOM and rejects binary or non-UTF-8 content.
func checkText(data []byte) ([]byte, error) {
	data = stripBOM(data)
	if i := indexNUL(data); i >= 0 {
		return nil, fmt.Errorf("binary content (NUL byte at offset %d), not a text file", i)
	}
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return nil, fmt.Errorf("not valid UTF-8 (first invalid byte at offset %d)", off)
	}
	return data, nil
}

func stripBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// isInstalled reports whether rel is the package.json of a package installed
// under node_modules (node_modules/<name>/package.json or
// node_modules/@scope/<name>/package.json), not a project manifest.
func isInstalled(rel string) bool {
	i := strings.LastIndex(rel, "node_modules/")
	if i < 0 || (i > 0 && rel[i-1] != '/') {
		return false
	}
	rest := strings.TrimSuffix(rel[i+len("node_modules/"):], "/package.json")
	if rest == rel[i+len("node_modules/"):] {
		return false
	}
	parts := strings.Split(rest, "/")
	if strings.HasPrefix(rest, "@") {
		return len(parts) == 2
	}
	return len(parts) == 1
}

// inNodeModules reports whether rel lies anywhere under a node_modules dir.
func inNodeModules(rel string) bool {
	return strings.HasPrefix(rel, "node_modules/") || strings.Contains(rel, "/node_modules/")
}

// lockfileNames are the lockfiles that pin a package.json beside them.
var lockfileNames = []string{"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"}

// siblingHasLockfile reports whether a lockfile sits beside the manifest or
// in a folder above it (a monorepo's root lockfile pins its members), up to
// maxWorkspaceDepth levels.
func siblingHasLockfile(in *core.Input) bool {
	if in.Root == nil {
		return false
	}
	dir := path.Dir(in.Path)
	for i := 0; i < maxWorkspaceDepth; i++ {
		for _, n := range lockfileNames {
			if _, err := in.Root.Stat(path.Join(dir, n)); err == nil {
				return true
			}
		}
		if dir == "." || dir == "/" || dir == "" {
			return false
		}
		dir = path.Dir(dir)
	}
	return false
}

// readManifest reads and parses one package.json through the root (nil on
// any failure).
func readManifest(root *os.Root, name string) *manifest {
	f, err := root.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := core.ReadLimited(f, MaxManifestSize)
	if err != nil {
		return nil
	}
	data, err = checkText(data)
	if err != nil {
		return nil
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil
	}
	return m
}

func firstManifest(ms []*manifest) *manifest {
	if len(ms) == 0 {
		return nil
	}
	return ms[0]
}
