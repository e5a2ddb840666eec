package pkgscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/pkgscan/archive"
)

const scannerName = "package/inspect"

// Options configure the scanner.
type Options struct {
	// InspectAll treats every file under the target as package content
	// (`assay inspect DIR`). Otherwise only installed trees (site-packages,
	// dist-packages, node_modules), start-up files (.pth, sitecustomize)
	// and package artifacts are claimed, never the project's own code.
	InspectAll bool
	// Limits bound archive reading (zero value: archive.DefaultLimits).
	Limits archive.Limits
}

// Scanner inspects package files and artifacts.
type Scanner struct {
	opts  Options
	mu    sync.Mutex
	npm   map[string]*npmInfo     // package dir → parsed package.json
	owned map[string]*ownedRecord // site dir → paths listed in RECORDs
}

type npmInfo struct {
	pkg     *packageJSON
	targets map[string]bool
}

type ownedRecord struct {
	once  sync.Once
	paths map[string]bool
}

// NewScanner returns a package scanner.
func NewScanner(o Options) *Scanner {
	if o.Limits.MaxEntries == 0 {
		o.Limits = archive.DefaultLimits
	}
	return &Scanner{opts: o, npm: map[string]*npmInfo{}, owned: map[string]*ownedRecord{}}
}

// Name implements core.Scanner.
func (s *Scanner) Name() string { return scannerName }

var artifactExts = []string{".whl", ".tar.gz", ".tgz", ".zip", ".egg", ".tar", ".tar.xz"}

func artifactName(p string) bool {
	l := strings.ToLower(p)
	for _, e := range artifactExts {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return false
}

func installedTree(p string) bool {
	r := "/" + p
	return strings.Contains(r, "/site-packages/") || strings.Contains(r, "/dist-packages/") || strings.Contains(r, "/node_modules/")
}

func textHead(h []byte) bool {
	return !bytes.HasPrefix(h, []byte("PK")) && (len(h) == 0 || h[0] != 0x80) && bytes.IndexByte(h, 0) < 0
}

// FileRequired implements core.Scanner: by name, place in the tree and magic.
func (s *Scanner) FileRequired(f core.FileInfo) bool {
	p := f.Path
	if artifactName(p) {
		if archive.Detect(f.Head) == archive.FormatNone {
			return false
		}
		if s.opts.InspectAll && !strings.Contains(p, "/") {
			return true // the artifact given to assay inspect, or one at the top
		}
		return s.looksLikePackageArtifact(f)
	}
	k := classify(p, f.Head)
	if k == fkNone {
		return false
	}
	if k == fkPth && !textHead(f.Head) {
		return false // a PyTorch model saved as .pth: not ours
	}
	if s.opts.InspectAll {
		return true
	}
	base := path.Base(p)
	switch {
	case k == fkPth:
		return true
	case base == "sitecustomize.py" || base == "usercustomize.py":
		return true
	case k == fkShim:
		r := "/" + p
		return strings.Contains(r, "venv/bin/") || strings.Contains(r, "/env/bin/") || strings.Contains(r, "/Scripts/") || installedTree(p)
	case k == fkMetadata:
		return installedTree(p) && strings.HasSuffix(path.Dir(p), ".dist-info")
	}
	return installedTree(p)
}

// looksLikePackageArtifact: in a project scan, claim wheels always, other
// archives only when their name or first member says "package" (datasets
// and model archives are not ours).
func (s *Scanner) looksLikePackageArtifact(f core.FileInfo) bool {
	l := strings.ToLower(path.Base(f.Path))
	if strings.HasSuffix(l, ".whl") || strings.HasSuffix(l, ".egg") {
		return true
	}
	if f.Size > 512<<20 {
		return false
	}
	if installedTree(f.Path) {
		return false // archives shipped inside packages are data
	}
	// sdist / npm tarball / Go module zip names: name-1.2.3.tar.gz, name-1.2.3.tgz, v1.2.3.zip
	if sdistNameRe.MatchString(l) {
		return true
	}
	if archive.Detect(f.Head) == archive.FormatZip && len(f.Head) > 30 {
		n := int(f.Head[26]) | int(f.Head[27])<<8
		if 30+n <= len(f.Head) {
			first := string(f.Head[30 : 30+n])
			if strings.Contains(first, "@v") || strings.HasSuffix(first, "PKG-INFO") || strings.HasSuffix(first, "setup.py") {
				return true
			}
		}
	}
	return false
}

var sdistNameRe = mustRe(`^(?:[a-z0-9@][a-z0-9._-]*-)?v?\d+(?:\.\d+)+[a-z0-9.+-]*\.(?:tar\.gz|tgz|zip|tar\.xz)$`)

// Scan implements core.Scanner.
func (s *Scanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	if artifactName(in.Path) && archive.Detect(in.Head) != archive.FormatNone {
		return s.scanArtifact(ctx, in)
	}
	k := classify(in.Path, in.Head)
	var res core.Result
	if in.Size > maxSource {
		res.Errors = append(res.Errors, core.Error{Path: in.Path, Scanner: scannerName, Reason: fmt.Sprintf("%d bytes exceeds the %d-byte limit for package files; not analysed", in.Size, maxSource)})
		return res, nil
	}
	data, err := in.ReadAll(maxSource)
	if err != nil {
		return res, err
	}
	switch k {
	case fkRecord:
		fs, errs := verifyInstalledRecord(in.Root, in.Path, in.AbsPath, data)
		res.Findings = append(res.Findings, fs...)
		res.Errors = append(res.Errors, errs...)
		return res, nil
	case fkMetadata:
		name, _ := parseMetadata(data)
		if target, why := typosquatOf(name, "pypi"); target != "" {
			loc := core.Location{Path: in.Path, Line: metadataNameLine(data)}
			res.Findings = append(res.Findings, RuleTyposquat.New(loc, fmt.Sprintf("installed package %q imitates %q (%s)", name, target, why), "Name: "+name))
		}
		return res, nil
	}
	fi := fileInput{loc: core.Location{Path: in.Path}, rel: in.Path, data: data, kind: k}
	if k == fkJS {
		fi.lifecycle = s.isLifecycleTarget(in.Root, in.Path)
	}
	fr := analyzeFile(ctx, fi)
	res.Findings = append(res.Findings, fr.findings...)
	res.Errors = append(res.Errors, fr.errs...)
	res.Findings = append(res.Findings, capFindings(core.Location{Path: in.Path}, fr)...)
	if k == fkPth && in.Root != nil && strings.Contains("/"+in.Path, "-packages/") {
		if _, ok := fr.caps[CapInstall]; ok && !s.pthOwned(in.Root, in.Path) {
			res.Findings = append(res.Findings, RuleRecordMissing.New(core.Location{Path: in.Path}, "executable .pth file is not listed in any installed package's RECORD: something other than pip put it there", path.Base(in.Path)))
		}
	}
	return res, nil
}

// capFindings encodes per-file capability evidence as internal findings for
// the capability analyzer.
func capFindings(base core.Location, fr *fileResult) []core.Finding {
	var out []core.Finding
	for _, c := range AllCapabilities {
		h, ok := fr.caps[c]
		if !ok {
			continue
		}
		loc := h.loc
		if loc.Path == "" {
			loc = base
		}
		f := ruleCapEvidence.New(loc, string(c), h.evidence)
		f.Component = h.detail
		out = append(out, f)
	}
	if len(fr.hosts) > 0 {
		hs := make([]string, 0, len(fr.hosts))
		for h := range fr.hosts {
			hs = append(hs, h)
		}
		sort.Strings(hs)
		out = append(out, ruleCapEvidence.New(base, "hosts", strings.Join(hs, ",")))
	}
	return out
}

// npmPackageDir returns the directory of the npm package holding rel.
func npmPackageDir(rel string) string {
	r := "/" + rel
	i := strings.LastIndex(r, "/node_modules/")
	if i < 0 {
		return ""
	}
	rest := r[i+len("/node_modules/"):]
	parts := strings.SplitN(rest, "/", 3)
	n := 1
	if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
		n = 2
	}
	if len(parts) <= n {
		return ""
	}
	return strings.TrimPrefix(r[:i+len("/node_modules/")]+strings.Join(parts[:n], "/"), "/")
}

func (s *Scanner) isLifecycleTarget(root *os.Root, rel string) bool {
	if root == nil {
		return false
	}
	dir := npmPackageDir(rel)
	if dir == "" && s.opts.InspectAll {
		// an unpacked package: the nearest package.json upwards
		for d := path.Dir(rel); ; d = path.Dir(d) {
			if _, err := root.Stat(path.Join(d, "package.json")); err == nil {
				dir = d
				break
			}
			if d == "." || d == "/" || d == "" {
				break
			}
		}
	}
	if dir == "" {
		return false
	}
	s.mu.Lock()
	info, ok := s.npm[dir]
	s.mu.Unlock()
	if !ok {
		info = &npmInfo{}
		if b, err := readRootFile(root, path.Join(dir, "package.json"), 8<<20); err == nil {
			if p, err := parsePackageJSON(b); err == nil {
				info.pkg = p
				info.targets = lifecycleTargets(p)
			}
		}
		s.mu.Lock()
		s.npm[dir] = info
		s.mu.Unlock()
	}
	if info.targets == nil {
		return false
	}
	r := strings.TrimPrefix(strings.TrimPrefix(rel, dir), "/")
	return info.targets[r]
}

func readRootFile(root *os.Root, p string, limit int64) ([]byte, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return core.ReadLimited(f, limit)
}

// pthOwned reports whether some RECORD in the .pth's directory lists it.
func (s *Scanner) pthOwned(root *os.Root, rel string) bool {
	dir := path.Dir(rel)
	s.mu.Lock()
	o, ok := s.owned[dir]
	if !ok {
		o = &ownedRecord{}
		s.owned[dir] = o
	}
	s.mu.Unlock()
	o.once.Do(func() {
		o.paths = map[string]bool{}
		d, err := root.Open(dir)
		if err != nil {
			return
		}
		ents, _ := d.ReadDir(20000)
		d.Close()
		for _, e := range ents {
			if !e.IsDir() || !strings.HasSuffix(e.Name(), ".dist-info") {
				continue
			}
			b, err := readRootFile(root, path.Join(dir, e.Name(), "RECORD"), 16<<20)
			if err != nil {
				continue
			}
			for _, r := range parseRecord(b) {
				o.paths[path.Clean(r.path)] = true
			}
		}
	})
	return o.paths[path.Base(rel)]
}

// --- artifacts ------------------------------------------------------------------

// pkgFile is one member of an artifact.
type pkgFile struct {
	name   string // member path (with "!" for nested archives)
	size   int64
	sha256 []byte
	data   []byte // retained for analysis (code and metadata only)
	kind   fileKind
}

// artifactRetainBudget bounds the code and metadata kept in memory while an
// artifact is read (analysis needs package.json/RECORD before the code).
const artifactRetainBudget = 512 << 20

// readArtifact streams every member once: hashing it, and keeping the bytes
// of code and metadata members for analysis.
func readArtifact(r io.ReaderAt, size int64, f archive.Format, lim archive.Limits) ([]pkgFile, []archive.Problem, []core.Error, error) {
	var (
		files    []pkgFile
		errs     []core.Error
		retained int64
	)
	probs, err := archive.Walk(r, size, f, lim, func(e archive.Entry, open func() (io.Reader, error)) error {
		name := archive.Clean(e.Path)
		k := classify(name, nil)
		if path.Base(name) == "RECORD" || path.Base(name) == "METADATA" || path.Base(name) == "PKG-INFO" {
			k = classify(name, nil)
			if k == fkNone && path.Base(name) == "RECORD" {
				k = fkRecord
			}
		}
		rd, err := open()
		if err != nil {
			errs = append(errs, core.Error{Member: name, Scanner: scannerName, Reason: "cannot read member: " + err.Error()})
			return nil
		}
		h := sha256.New()
		keep := k != fkNone && e.Size <= maxSource && retained+e.Size <= artifactRetainBudget
		pf := pkgFile{name: name, size: e.Size, kind: k}
		if keep {
			var buf bytes.Buffer
			n, err := io.Copy(io.MultiWriter(h, &buf), io.LimitReader(rd, maxSource+1))
			if err != nil {
				errs = append(errs, core.Error{Member: name, Scanner: scannerName, Reason: "cannot read member: " + err.Error()})
				return nil
			}
			if n > maxSource {
				errs = append(errs, core.Error{Member: name, Scanner: scannerName, Reason: "member larger than its declared size; not analysed"})
				io.Copy(h, rd)
			} else {
				pf.data = buf.Bytes()
				retained += n
			}
			pf.size = n
		} else {
			n, err := io.Copy(h, rd)
			if err != nil {
				errs = append(errs, core.Error{Member: name, Scanner: scannerName, Reason: "cannot read member: " + err.Error()})
				return nil
			}
			pf.size = n
			if k != fkNone && n <= maxSource {
				errs = append(errs, core.Error{Member: name, Scanner: scannerName, Reason: "artifact code exceeds the in-memory budget; member not analysed"})
			}
		}
		pf.sha256 = h.Sum(nil)
		files = append(files, pf)
		return nil
	})
	return files, probs, errs, err
}

func problemFinding(artifact string, p archive.Problem) core.Finding {
	loc := core.Location{Path: artifact, Member: p.Member}
	switch p.Kind {
	case archive.ProblemTraversal:
		return RuleArchiveTraversal.New(loc, fmt.Sprintf("member %q: %s", p.Member, p.Detail), p.Member)
	case archive.ProblemLink, archive.ProblemSpecial:
		f := RuleArchiveLink.New(loc, fmt.Sprintf("member %q: %s", p.Member, p.Detail), p.Member+" -> "+p.Link)
		if p.Kind == archive.ProblemLink && archive.UnsafeName(p.Link) == "" && !strings.HasPrefix(p.Link, "~") {
			f.Severity = core.SeverityLow
			f.Message += " (target stays inside the archive)"
		}
		return f
	case archive.ProblemDuplicate:
		return RuleArchiveDuplicate.New(loc, fmt.Sprintf("member %q: %s", p.Member, p.Detail), p.Member)
	}
	return RuleArchiveLimits.New(loc, p.String(), p.Member)
}

// artifactKind guesses what an archive is from its members.
type artifactInfo struct {
	kind   string // wheel, sdist, npm, gomod, archive
	prefix string // top directory wrapping sdist/npm content ("" for wheels)
}

func detectArtifact(name string, files []pkgFile) artifactInfo {
	l := strings.ToLower(name)
	if strings.HasSuffix(l, ".whl") {
		return artifactInfo{kind: "wheel"}
	}
	if len(files) > 0 {
		// Every member of a Go module zip is "<module>@<version>/..."
		// (escaped paths may contain "!", which elsewhere marks nesting).
		if _, _, ok := goZipMember(files[0].name); ok {
			return artifactInfo{kind: "gomod"}
		}
	}
	for _, f := range files {
		if strings.Contains(f.name, "!") {
			continue
		}
		parts := strings.SplitN(f.name, "/", 3)
		if len(parts) == 2 && parts[0] == "package" && parts[1] == "package.json" {
			return artifactInfo{kind: "npm", prefix: "package/"}
		}
		if len(parts) == 2 && (parts[1] == "PKG-INFO" || parts[1] == "setup.py" || parts[1] == "pyproject.toml") {
			return artifactInfo{kind: "sdist", prefix: parts[0] + "/"}
		}
	}
	return artifactInfo{kind: "archive"}
}

// analyzeArtifactFiles runs every rule over an artifact's members.
func analyzeArtifactFiles(ctx context.Context, artifact string, files []pkgFile, parseAll bool) (findings []core.Finding, errs []core.Error, perFile map[string]*fileResult) {
	info := detectArtifact(artifact, files)
	perFile = map[string]*fileResult{}
	var targets map[string]bool
	if info.kind == "npm" {
		for _, f := range files {
			if f.name == "package/package.json" && f.data != nil {
				if p, err := parsePackageJSON(f.data); err == nil {
					targets = lifecycleTargets(p)
				}
			}
		}
	}
	if info.kind == "wheel" {
		findings = append(findings, checkWheel(artifact, files)...)
		if m := wheelNameRe.FindStringSubmatch(path.Base(artifact)); m != nil {
			if t, why := typosquatOf(m[1], "pypi"); t != "" {
				findings = append(findings, RuleTyposquat.New(core.Location{Path: artifact}, fmt.Sprintf("wheel %q imitates %q (%s)", m[1], t, why), path.Base(artifact)))
			}
		}
	}
	for _, f := range files {
		if f.data == nil || f.kind == fkNone {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		rel := strings.TrimPrefix(f.name, info.prefix)
		switch f.kind {
		case fkRecord:
			continue
		case fkMetadata:
			if info.kind == "sdist" && path.Base(f.name) == "PKG-INFO" && strings.Count(f.name, "/") == 1 {
				name, _ := parseMetadata(f.data)
				if t, why := typosquatOf(name, "pypi"); t != "" {
					findings = append(findings, RuleTyposquat.New(core.Location{Path: artifact, Member: f.name, Line: metadataNameLine(f.data)}, fmt.Sprintf("sdist %q imitates %q (%s)", name, t, why), "Name: "+name))
				}
			}
			continue
		case fkPackageJSON:
			if info.kind == "npm" && f.name != "package/package.json" {
				continue // nested package.json files are fixtures, not lifecycle
			}
		}
		fi := fileInput{loc: core.Location{Path: artifact, Member: f.name}, rel: rel, data: f.data, kind: f.kind, parseAll: parseAll}
		if f.kind == fkJS && targets != nil {
			fi.lifecycle = targets[rel]
		}
		fr := analyzeFile(ctx, fi)
		perFile[f.name] = fr
		findings = append(findings, fr.findings...)
		for _, e := range fr.errs {
			e.Path = artifact
			errs = append(errs, e)
		}
	}
	return
}

func (s *Scanner) scanArtifact(ctx context.Context, in *core.Input) (core.Result, error) {
	var res core.Result
	f := archive.Detect(in.Head)
	files, probs, errs, err := readArtifact(in.File, in.Size, f, s.opts.Limits)
	if err != nil {
		if !s.opts.InspectAll && !strings.HasSuffix(strings.ToLower(in.Path), ".whl") {
			return res, nil // a project archive that is not a readable package: not ours
		}
		return res, fmt.Errorf("cannot read archive: %w", err)
	}
	info := detectArtifact(in.Path, files)
	if !s.opts.InspectAll && info.kind == "archive" {
		return res, nil // not a package
	}
	if c := artifactComponent(in.Path, info, files); c != nil {
		if sum, err := fileSHA256(in.File, in.Size); err == nil {
			c.Hashes = []core.Hash{{Algorithm: "sha256", Value: sum}}
		} else {
			res.Errors = append(res.Errors, core.Error{Path: in.Path, Scanner: scannerName, Reason: "cannot hash artifact: " + err.Error()})
		}
		res.Components = append(res.Components, *c)
	}
	for _, p := range probs {
		res.Findings = append(res.Findings, problemFinding(in.Path, p))
	}
	for _, e := range errs {
		e.Path = in.Path
		res.Errors = append(res.Errors, e)
	}
	fs, ferrs, perFile := analyzeArtifactFiles(ctx, in.Path, files, false)
	res.Findings = append(res.Findings, fs...)
	res.Errors = append(res.Errors, ferrs...)
	names := make([]string, 0, len(perFile))
	for n := range perFile {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		res.Findings = append(res.Findings, capFindings(core.Location{Path: in.Path, Member: n}, perFile[n])...)
	}
	return res, nil
}

// fsys helpers used by Snapshot (diff) for directories.
var _ fs.FS = os.DirFS(".")
