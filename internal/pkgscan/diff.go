package pkgscan

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/pkgscan/archive"
)

// Snapshot is one release (an artifact or a directory) reduced to what diff
// compares: file hashes, per-file capabilities and findings, and the
// package-wide capability summary. Paths are normalised so releases line up
// (sdist/npm top directory and the version in *.dist-info removed).
type Snapshot struct {
	Target   string
	Files    map[string]SnapFile
	Caps     map[Capability]CapEvidence
	Hosts    map[string]core.Location
	Findings []core.Finding
	Errors   []core.Error
}

// SnapFile is one file of a snapshot.
type SnapFile struct {
	Size   int64
	SHA256 [32]byte
	Caps   map[Capability]CapEvidence
}

var distInfoVer = regexp.MustCompile(`^([^/]+?)-[^-/]+\.(dist-info|egg-info|data)(/|$)`)

func normDiffPath(p string) string {
	if m := distInfoVer.FindStringSubmatch(p); m != nil {
		return m[1] + "." + m[2] + m[3] + p[len(m[0]):]
	}
	return p
}

// TakeSnapshot reads target (an artifact or a directory) without executing
// anything and analyses every code file (no pre-filter: releases are small
// and diff needs every capability).
func TakeSnapshot(ctx context.Context, target string, lim archive.Limits) (*Snapshot, error) {
	if lim.MaxEntries == 0 {
		lim = archive.DefaultLimits
	}
	st, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Target: target, Files: map[string]SnapFile{}, Caps: map[Capability]CapEvidence{}, Hosts: map[string]core.Location{}}
	if st.IsDir() {
		return s, s.fromDir(ctx, target)
	}
	return s, s.fromArtifact(ctx, target, lim)
}

func (s *Snapshot) add(name string, size int64, sum []byte, fr *fileResult) {
	f := SnapFile{Size: size}
	copy(f.SHA256[:], sum)
	if fr != nil {
		f.Caps = map[Capability]CapEvidence{}
		for c, h := range fr.caps {
			ev := CapEvidence{Location: h.loc, Evidence: h.evidence, Detail: h.detail}
			f.Caps[c] = ev
			if _, ok := s.Caps[c]; !ok {
				s.Caps[c] = ev
			}
		}
		for h := range fr.hosts {
			if _, ok := s.Hosts[h]; !ok {
				s.Hosts[h] = core.Location{Path: s.Target, Member: name}
			}
		}
		s.Findings = append(s.Findings, fr.findings...)
		s.Errors = append(s.Errors, fr.errs...)
	}
	s.Files[normDiffPath(name)] = f
}

func (s *Snapshot) fromArtifact(ctx context.Context, target string, lim archive.Limits) error {
	fh, err := os.Open(target)
	if err != nil {
		return err
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(fh, head)
	f := archive.Detect(head[:n])
	if f == archive.FormatNone {
		return fmt.Errorf("%s is neither a directory nor a recognised archive (wheel, zip, tar.gz, tgz)", target)
	}
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	files, probs, errs, err := readArtifact(fh, st.Size(), f, lim)
	if err != nil {
		return err
	}
	for _, p := range probs {
		s.Findings = append(s.Findings, problemFinding(target, p))
	}
	for _, e := range errs {
		e.Path = target
		s.Errors = append(s.Errors, e)
	}
	fs, ferrs, perFile := analyzeArtifactFiles(ctx, target, files, true)
	info := detectArtifact(target, files)
	// findings of files are already in perFile; keep the artifact-level ones
	for _, f := range fs {
		if _, ok := perFile[f.Location.Member]; !ok || f.Location.Member == "" {
			s.Findings = append(s.Findings, f)
		}
	}
	s.Errors = append(s.Errors, ferrs...)
	for _, pf := range files {
		name := pf.name
		if info.prefix != "" {
			name = strings.TrimPrefix(name, info.prefix)
		} else if info.kind == "gomod" {
			name = archive.StripTop(name)
			if i := strings.Index(pf.name, "@v"); i >= 0 {
				if j := strings.IndexByte(pf.name[i:], '/'); j >= 0 {
					name = pf.name[i+j+1:]
				}
			}
		}
		s.add(name, pf.size, pf.sha256, perFile[pf.name])
	}
	return nil
}

func (s *Snapshot) fromDir(ctx context.Context, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			s.Errors = append(s.Errors, core.Error{Path: rel, Scanner: scannerName, Reason: err.Error()})
			return nil
		}
		if d.IsDir() {
			if n := d.Name(); p != dir && (n == ".git" || n == "__pycache__") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			if d.Type()&fs.ModeSymlink != 0 {
				s.Errors = append(s.Errors, core.Error{Path: rel, Scanner: scannerName, Reason: "symbolic link; not followed"})
			}
			return nil
		}
		f, err := root.Open(filepath.FromSlash(rel))
		if err != nil {
			s.Errors = append(s.Errors, core.Error{Path: rel, Scanner: scannerName, Reason: err.Error()})
			return nil
		}
		defer f.Close()
		head := make([]byte, 512)
		n, _ := io.ReadFull(f, head)
		k := classify(rel, head[:n])
		f.Seek(0, io.SeekStart)
		h := sha256.New()
		var fr *fileResult
		st, _ := f.Stat()
		if k != fkNone && st != nil && st.Size() <= maxSource {
			data, err := core.ReadLimited(f, maxSource)
			if err != nil {
				s.Errors = append(s.Errors, core.Error{Path: rel, Scanner: scannerName, Reason: err.Error()})
				return nil
			}
			h.Write(data)
			lifecycle := false
			if k == fkJS {
				lifecycle = dirLifecycle(root, rel)
			}
			fr = analyzeFile(ctx, fileInput{loc: core.Location{Path: rel}, rel: rel, data: data, kind: k, parseAll: true, lifecycle: lifecycle})
		} else {
			io.Copy(h, f)
		}
		size := int64(0)
		if st != nil {
			size = st.Size()
		}
		s.add(rel, size, h.Sum(nil), fr)
		return nil
	})
}

func dirLifecycle(root *os.Root, rel string) bool {
	for d := path.Dir(rel); ; d = path.Dir(d) {
		if b, err := readRootFile(root, path.Join(d, "package.json"), 8<<20); err == nil {
			p, err := parsePackageJSON(b)
			if err != nil {
				return false
			}
			r := strings.TrimPrefix(strings.TrimPrefix(rel, d), "/")
			return lifecycleTargets(p)[r]
		}
		if d == "." || d == "/" || d == "" {
			return false
		}
	}
}

// Diff compares two snapshots and returns findings: ASSAY-PKG-900 for every
// capability NEW has and OLD lacks (package-wide, plus new start-up/install
// hooks per file and hosts never contacted before), findings NEW has that
// OLD did not (same rule, file and evidence), and ASSAY-PKG-902 (info) for
// each file added, removed or changed.
func Diff(oldS, newS *Snapshot) []core.Finding {
	var out []core.Finding
	newLoc := func(l core.Location) core.Location {
		if l.Member == "" {
			return core.Location{Path: newS.Target, Member: l.Path, Line: l.Line, Column: l.Column}
		}
		return l
	}
	// package-wide capability gains
	for _, c := range AllCapabilities {
		ev, ok := newS.Caps[c]
		if !ok {
			continue
		}
		if _, had := oldS.Caps[c]; had {
			continue
		}
		sev := gainSeverity[c]
		f := RuleNewCapability.New(newLoc(ev.Location), fmt.Sprintf("new capability %q: %s (the old release had none)", c, capWhat(c, ev)), ev.Evidence)
		f.Severity = sev
		out = append(out, f)
	}
	// start-up / install hooks added even when the old release had one
	if _, had := oldS.Caps[CapInstall]; had {
		for _, p := range sortedKeys(newS.Files) {
			nf := newS.Files[p]
			ev, ok := nf.Caps[CapInstall]
			if !ok {
				continue
			}
			if of, ok := oldS.Files[p]; ok {
				if _, was := of.Caps[CapInstall]; was && of.SHA256 == nf.SHA256 {
					continue
				}
				if _, was := of.Caps[CapInstall]; was && ev.Detail != ".pth executable line" {
					continue
				}
			}
			f := RuleNewCapability.New(newLoc(ev.Location), fmt.Sprintf("new install/start-up code: %s in %s", ev.Detail, p), ev.Evidence)
			f.Severity = core.SeverityHigh
			out = append(out, f)
		}
	}
	// hosts
	var hosts []string
	for h := range newS.Hosts {
		if _, ok := oldS.Hosts[h]; !ok {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	if len(hosts) > 0 {
		sev := core.SeverityMedium
		if _, ok := newS.Caps[CapSecrets]; ok {
			sev = core.SeverityHigh
		}
		f := RuleNewCapability.New(newS.Hosts[hosts[0]], fmt.Sprintf("contacts hosts the old release never did: %s", strings.Join(hosts, ", ")), strings.Join(hosts, " "))
		f.Severity = sev
		out = append(out, f)
	}
	// findings that are new in this release
	oldFP := map[string]bool{}
	for _, f := range oldS.Findings {
		oldFP[diffKey(oldS, f)] = true
	}
	for _, f := range newS.Findings {
		if f.Severity < core.SeverityMedium || oldFP[diffKey(newS, f)] {
			continue
		}
		f.Location = newLoc(f.Location)
		f.Message = "new in this release: " + f.Message
		out = append(out, f)
	}
	// file-level changes
	for _, p := range sortedKeys(newS.Files) {
		nf := newS.Files[p]
		of, ok := oldS.Files[p]
		switch {
		case !ok:
			out = append(out, RuleFileChanged.New(core.Location{Path: newS.Target, Member: p}, "added: "+p, fmt.Sprintf("+%d bytes", nf.Size)))
		case of.SHA256 != nf.SHA256:
			out = append(out, RuleFileChanged.New(core.Location{Path: newS.Target, Member: p}, "changed: "+p, fmt.Sprintf("%d → %d bytes", of.Size, nf.Size)))
		}
	}
	for _, p := range sortedKeys(oldS.Files) {
		if _, ok := newS.Files[p]; !ok {
			out = append(out, RuleFileChanged.New(core.Location{Path: oldS.Target, Member: p}, "removed: "+p, fmt.Sprintf("-%d bytes", oldS.Files[p].Size)))
		}
	}
	return out
}

func capWhat(c Capability, ev CapEvidence) string {
	loc := ev.Location.Member
	if loc == "" {
		loc = ev.Location.Path
	}
	if ev.Detail != "" {
		return fmt.Sprintf("%s in %s", ev.Detail, loc)
	}
	return loc
}

func diffKey(s *Snapshot, f core.Finding) string {
	p := f.Location.Member
	if p == "" {
		p = f.Location.Path
	}
	return f.RuleID + "\x00" + normDiffPath(stripPrefixFor(s, p)) + "\x00" + strings.Join(strings.Fields(f.Evidence), " ")
}

func stripPrefixFor(s *Snapshot, p string) string {
	if _, ok := s.Files[normDiffPath(p)]; ok {
		return p
	}
	return archive.StripTop(p)
}

func sortedKeys(m map[string]SnapFile) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
