// Package golang inventories Go module dependencies from go.mod, attaching
// the h1: hashes of the go.sum beside it.
//
// go.mod is parsed with golang.org/x/mod/modfile (strict: non-canonical
// versions and unknown directives are errors naming the file and line).
// Every require is a component (Direct unless marked "// indirect"); replace
// directives are applied to the component they affect and recorded in its
// properties; go.sum entries only add hashes (a go.sum-only module is not a
// component). Nothing is downloaded or built.
//
// Bounds: go.mod is refused above MaxGoModSize (16 MiB) and go.sum above
// MaxGoSumSize (64 MiB); non-UTF-8 or binary content is an Error.
package golang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/modfile"

	"github.com/assay-dev/assay/internal/core"
)

// Size bounds, in bytes.
const (
	MaxGoModSize = 16 << 20
	MaxGoSumSize = 64 << 20
)

// HashAlgorithm is the Hash.Algorithm of go.sum "h1:" values: the Go module
// dirhash (SHA-256 over a sorted file list), recorded as its base64 value
// without the "h1:" prefix.
const HashAlgorithm = "go-dirhash-h1"

// Property keys this package sets on components.
const (
	PropReplace         = "go_replace"          // "path" or "path version" a replace directive substituted
	PropReplaces        = "go_replaces"         // "path version" of the module a fork replaced
	PropRequiredVersion = "go_required_version" // the require version a same-module replace overrode
)

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return []core.Scanner{goModScanner{}} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return nil }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return []core.Rule{RuleReplace} }

// RuleReplace flags go.mod replace directives that swap a dependency for a
// different module (a fork) or for a folder outside the scanned tree.
var RuleReplace = core.Rule{
	ID:       "ASSAY-INV-201",
	Title:    "go.mod replace points to a fork or to a local path outside the project",
	Severity: core.SeverityMedium,
	Category: "dependency",
	Description: "A replace directive makes the build use different code than the module the project requires. " +
		"Pointing it at another module path (a fork) hands the dependency to that fork's owner, and advisories " +
		"for the original module no longer describe what is built (medium). Pointing it at a directory outside " +
		"the repository builds whatever is on the build machine at that path, which go.sum does not check and " +
		"reviewers never see (low). Replacing a module with a newer version of itself, or with a folder inside " +
		"the repository, is not reported.",
	Fix: "Remove the replace once upstream has the change you need, or vendor the fork inside the repository, " +
		"review it, and record why it is needed; never point replace at a path outside the repository in committed code.",
	Tags: []string{"go", "supply-chain"},
}

type goModScanner struct{}

func (goModScanner) Name() string                      { return "golang/go-mod" }
func (goModScanner) FileRequired(f core.FileInfo) bool { return f.Name() == "go.mod" }

func (goModScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	data, err := in.ReadAll(MaxGoModSize)
	if err != nil {
		if errors.Is(err, core.ErrTooLarge) {
			return core.Result{}, fmt.Errorf("refusing to parse: file is larger than the %d MiB bound (%v)", MaxGoModSize>>20, err)
		}
		return core.Result{}, fmt.Errorf("cannot read: %v", err)
	}
	var (
		sum    []byte
		sumRel string
	)
	if in.Root != nil {
		sumRel = path.Join(path.Dir(in.Path), "go.sum")
		if f, err := in.Root.Open(sumRel); err == nil {
			sum, err = core.ReadLimited(f, MaxGoSumSize)
			f.Close()
			if err != nil {
				res, perr := ParseGoMod(in.Path, data, nil, "")
				res.Errors = append(res.Errors, core.Error{Path: sumRel, Scanner: "golang/go-mod", Reason: "go.sum not read: " + err.Error()})
				return res, perr
			}
		}
	}
	return ParseGoMod(in.Path, data, sum, sumRel)
}

// checkText rejects binary and non-UTF-8 content.
func checkText(data []byte) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return fmt.Errorf("binary content (NUL byte at offset %d), not a text file", i)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("not valid UTF-8")
	}
	return nil
}

// ParseGoMod inventories one go.mod (rel is its path relative to the scan
// root) and attaches hashes from the go.sum content sum (may be nil; sumRel
// names it in errors).
func ParseGoMod(rel string, data, sum []byte, sumRel string) (core.Result, error) {
	if err := checkText(data); err != nil {
		return core.Result{}, err
	}
	f, err := parseModfile(rel, data)
	if err != nil {
		return core.Result{}, err
	}
	var res core.Result
	var hashes map[string]string
	if sum != nil {
		var errs []core.Error
		hashes, errs = ParseGoSum(sumRel, sum)
		res.Errors = append(res.Errors, errs...)
	}
	// replace directives: version-specific ones win over path-wide ones.
	exact := map[string]*modfile.Replace{}
	wide := map[string]*modfile.Replace{}
	for _, r := range f.Replace {
		if r.Old.Version != "" {
			exact[r.Old.Path+"@"+r.Old.Version] = r
		} else {
			wide[r.Old.Path] = r
		}
		if fd, ok := replaceFinding(rel, r); ok {
			res.Findings = append(res.Findings, fd)
		}
	}
	for _, r := range f.Require {
		name, version := r.Mod.Path, r.Mod.Version
		c := core.Component{
			Kind:       core.KindPackage,
			Ecosystem:  core.EcosystemGo,
			Direct:     !r.Indirect,
			Properties: map[string]string{core.PropSource: core.SourceManifest},
		}
		if r.Syntax != nil {
			c.Locations = []core.Location{{Path: rel, Line: r.Syntax.Start.Line, Column: r.Syntax.Start.LineRune}}
		} else {
			c.Locations = []core.Location{{Path: rel}}
		}
		rp := exact[name+"@"+version]
		if rp == nil {
			rp = wide[name]
		}
		local := false
		if rp != nil {
			switch {
			case rp.New.Version == "": // a directory
				local = true
				c.Properties[PropReplace] = rp.New.Path
			case rp.New.Path == name:
				c.Properties[PropRequiredVersion] = version
				c.Properties[PropReplace] = rp.New.Path + " " + rp.New.Version
				version = rp.New.Version
			default:
				c.Properties[PropReplaces] = name + " " + version
				c.Properties[PropReplace] = rp.New.Path + " " + rp.New.Version
				name, version = rp.New.Path, rp.New.Version
			}
		}
		c.Name, c.Version = name, version
		c.PURL = purlFor(name, version)
		if h, ok := hashes[name+" "+version]; ok && !local {
			c.Hashes = []core.Hash{{Algorithm: HashAlgorithm, Value: h}}
		}
		res.Components = append(res.Components, c)
	}
	return res, nil
}

// parseModfile parses strictly, turning panics of the library into errors.
func parseModfile(rel string, data []byte) (f *modfile.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("malformed go.mod: parser failed: %v", p)
		}
	}()
	f, err = modfile.Parse(rel, data, nil)
	if err != nil {
		return nil, fmt.Errorf("malformed go.mod: %s", core.Clip(err.Error(), 500))
	}
	return f, nil
}

// purlFor builds pkg:golang/<module path>@<version>.
func purlFor(mod, version string) string {
	ns, name := "", mod
	if i := strings.LastIndexByte(mod, '/'); i >= 0 {
		ns, name = mod[:i], mod[i+1:]
	}
	if name == "" {
		return ""
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// ParseGoSum returns "module version" -> base64 h1 hash (module zips only,
// not the "/go.mod" lines) and an Error per malformed line (at most 10).
func ParseGoSum(rel string, data []byte) (map[string]string, []core.Error) {
	out := map[string]string{}
	var errs []core.Error
	bad := 0
	if err := checkText(data); err != nil {
		return out, []core.Error{{Path: rel, Scanner: "golang/go-mod", Reason: "go.sum: " + err.Error()}}
	}
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		lineNo++
		fs := strings.Fields(string(line))
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 3 || !strings.HasPrefix(fs[2], "h1:") {
			bad++
			if bad <= 10 {
				errs = append(errs, core.Error{Path: rel, Scanner: "golang/go-mod",
					Reason: fmt.Sprintf("go.sum line %d: malformed entry %q", lineNo, core.Clip(string(line), 120))})
			}
			continue
		}
		if strings.HasSuffix(fs[1], "/go.mod") {
			continue
		}
		out[fs[0]+" "+fs[1]] = strings.TrimPrefix(fs[2], "h1:")
	}
	if bad > 10 {
		errs = append(errs, core.Error{Path: rel, Scanner: "golang/go-mod", Reason: fmt.Sprintf("go.sum: %d more malformed lines", bad-10)})
	}
	return out, errs
}

// replaceFinding reports a replace to another module or to a directory
// outside the scanned tree.
func replaceFinding(rel string, r *modfile.Replace) (core.Finding, bool) {
	loc := core.Location{Path: rel}
	if r.Syntax != nil {
		loc.Line, loc.Column = r.Syntax.Start.Line, r.Syntax.Start.LineRune
	}
	old := r.Old.Path
	if r.Old.Version != "" {
		old += " " + r.Old.Version
	}
	evidence := core.Clip("replace "+old+" => "+strings.TrimSpace(r.New.Path+" "+r.New.Version), 300)
	if r.New.Version == "" {
		target := r.New.Path
		if path.IsAbs(target) || isWindowsAbs(target) {
			f := RuleReplace.New(loc, fmt.Sprintf("%s is replaced by the absolute path %s, outside the repository", r.Old.Path, target), evidence)
			f.Severity = core.SeverityLow
			f.Component = purlFor(r.Old.Path, r.Old.Version)
			return f, true
		}
		joined := path.Join(path.Dir(rel), strings.ReplaceAll(target, `\`, "/"))
		if joined == ".." || strings.HasPrefix(joined, "../") {
			f := RuleReplace.New(loc, fmt.Sprintf("%s is replaced by the directory %s, outside the scanned tree", r.Old.Path, target), evidence)
			f.Severity = core.SeverityLow
			f.Component = purlFor(r.Old.Path, r.Old.Version)
			return f, true
		}
		return core.Finding{}, false
	}
	if r.New.Path == r.Old.Path {
		return core.Finding{}, false // same module, another version: a pin, not a fork
	}
	f := RuleReplace.New(loc, fmt.Sprintf("%s is replaced by a different module, %s %s", r.Old.Path, r.New.Path, r.New.Version), evidence)
	f.Component = purlFor(r.New.Path, r.New.Version)
	return f, true
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') ||
		strings.HasPrefix(p, `\\`)
}
