package pkgscan

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// recordEntry is one line of a dist-info RECORD.
type recordEntry struct {
	path string
	algo string
	hash []byte // raw digest; nil when the line has none
	line int
}

// parseRecord parses RECORD (CSV: path,algo=urlsafe-b64-digest,size).
// Paths with commas are quoted; we handle the common quoting only.
func parseRecord(b []byte) []recordEntry {
	var out []recordEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		if l == "" {
			continue
		}
		var p, rest string
		if strings.HasPrefix(l, `"`) {
			end := strings.Index(l[1:], `",`)
			if end < 0 {
				continue
			}
			p = strings.ReplaceAll(l[1:1+end], `""`, `"`)
			rest = l[end+3:]
		} else {
			i := strings.IndexByte(l, ',')
			if i < 0 {
				p = l
			} else {
				p, rest = l[:i], l[i+1:]
			}
		}
		e := recordEntry{path: p, line: n}
		h := rest
		if i := strings.IndexByte(h, ','); i >= 0 {
			h = h[:i]
		}
		if algo, digest, ok := strings.Cut(h, "="); ok {
			if d, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(digest, "=")); err == nil {
				e.algo, e.hash = algo, d
			}
		}
		out = append(out, e)
	}
	return out
}

var wheelNameRe = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-([^-]+)(?:-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$`)

// parseMetadata reads Name and Version from METADATA / PKG-INFO headers.
func parseMetadata(b []byte) (name, version string) {
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		b = b[:i+1]
	}
	r := textproto.NewReader(bufio.NewReader(io.LimitReader(bytes.NewReader(b), 1<<20)))
	h, _ := r.ReadMIMEHeader()
	return strings.TrimSpace(h.Get("Name")), strings.TrimSpace(h.Get("Version"))
}

func metadataNameLine(b []byte) int {
	i := bytes.Index(b, []byte("\nName:"))
	if i < 0 {
		return 1
	}
	return bytes.Count(b[:i+1], []byte("\n")) + 1
}

// verifyInstalledRecord checks the RECORD of an installed dist-info against
// the files on disk that matter most for tampering: .pth files, package
// __init__.py files and console scripts. Reads are bounded by
// recordVerifyBudget bytes per RECORD.
const recordVerifyBudget = 64 << 20

func verifyInstalledRecord(root *os.Root, recordRel, recordAbs string, data []byte) ([]core.Finding, []core.Error) {
	var (
		fs   []core.Finding
		errs []core.Error
	)
	if root == nil {
		return nil, nil
	}
	siteDir := path.Dir(path.Dir(recordRel)) // dir holding the .dist-info
	budget := int64(recordVerifyBudget)
	for _, e := range parseRecord(data) {
		if e.hash == nil || e.algo != "sha256" {
			continue
		}
		p := path.Clean(path.Join(siteDir, e.path))
		if strings.HasPrefix(p, "../") || p == ".." || path.IsAbs(e.path) {
			// console scripts live in ../../../bin relative to site-packages
			if !strings.Contains(e.path, "/bin/") {
				continue
			}
		}
		base := path.Base(p)
		want := strings.HasSuffix(base, ".pth") || base == "__init__.py" || strings.Contains(e.path, "/bin/") || base == "sitecustomize.py" || base == "usercustomize.py"
		if !want {
			continue
		}
		f, err := root.Open(p)
		if err != nil {
			continue // outside the root or removed: not our concern here
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() || st.Size() > budget {
			f.Close()
			continue
		}
		budget -= st.Size()
		h := sha256.New()
		_, err = io.Copy(h, io.LimitReader(f, st.Size()+1))
		f.Close()
		if err != nil {
			errs = append(errs, core.Error{Path: p, Scanner: scannerName, Reason: "cannot read for RECORD check: " + err.Error()})
			continue
		}
		if !bytes.Equal(h.Sum(nil), e.hash) {
			loc := core.Location{Path: recordRel, Line: e.line}
			f := RuleRecordMismatch.New(loc, fmt.Sprintf("%s does not match the sha256 in RECORD: modified after installation", p), clipEvidence(e.path))
			if strings.Contains("/"+filepath.ToSlash(recordAbs), "/dist-packages/") || strings.Contains("/"+recordRel, "/dist-packages/") {
				// Debian/Ubuntu patch files of system packages after the wheel build
				f.Severity = core.SeverityMedium
				f.Message += " (dist-packages: the system package manager may have patched it; compare with the distribution's package)"
			}
			fs = append(fs, f)
		}
	}
	return fs, errs
}

// checkWheel verifies a wheel artifact: RECORD hashes of every member,
// members missing from RECORD, and METADATA/dist-info vs the file name.
func checkWheel(artifact string, files []pkgFile) []core.Finding {
	var out []core.Finding
	base := path.Base(artifact)
	m := wheelNameRe.FindStringSubmatch(base)
	var recordFile, metaFile *pkgFile
	distInfo := ""
	for i := range files {
		f := &files[i]
		if strings.Contains(f.name, "!") {
			continue
		}
		dir, name := path.Split(f.name)
		dir = strings.TrimSuffix(dir, "/")
		if strings.HasSuffix(dir, ".dist-info") && !strings.Contains(dir, "/") {
			distInfo = dir
			switch name {
			case "RECORD":
				recordFile = f
			case "METADATA":
				metaFile = f
			}
		}
	}
	if recordFile == nil {
		loc := core.Location{Path: artifact}
		out = append(out, RuleRecordMissing.New(loc, "wheel has no .dist-info/RECORD: its contents cannot be checked", base))
		return out
	}
	rec := parseRecord(recordFile.data)
	listed := map[string]recordEntry{}
	for _, e := range rec {
		listed[e.path] = e
	}
	for i := range files {
		f := &files[i]
		if strings.Contains(f.name, "!") {
			continue
		}
		b := path.Base(f.name)
		if strings.HasPrefix(f.name, distInfo+"/") && (b == "RECORD" || b == "RECORD.jws" || b == "RECORD.p7s") {
			continue
		}
		e, ok := listed[f.name]
		if !ok {
			fd := RuleRecordMissing.New(core.Location{Path: artifact, Member: f.name}, fmt.Sprintf("%s is in the wheel but not in RECORD", f.name), f.name)
			if k := classify(f.name, nil); k == fkPth || k == fkPython || k == fkJS {
				fd.Severity = core.SeverityHigh
			}
			out = append(out, fd)
			continue
		}
		if e.hash != nil && e.algo == "sha256" && f.sha256 != nil && !bytes.Equal(e.hash, f.sha256) {
			out = append(out, RuleRecordMismatch.New(core.Location{Path: artifact, Member: f.name}, fmt.Sprintf("%s does not match its RECORD sha256", f.name), clipEvidence(recordLine(recordFile.data, e.line))))
		}
	}
	if m != nil && metaFile != nil {
		name, ver := parseMetadata(metaFile.data)
		wantName, wantVer := normName(m[1]), m[2]
		switch {
		case name != "" && normName(name) != wantName:
			out = append(out, RuleMetadataName.New(core.Location{Path: artifact, Member: metaFile.name, Line: metadataNameLine(metaFile.data)}, fmt.Sprintf("METADATA says %q but the file name says %q", name, m[1]), "Name: "+name))
		case ver != "" && ver != wantVer && normVersion(ver) != normVersion(wantVer):
			out = append(out, RuleMetadataName.New(core.Location{Path: artifact, Member: metaFile.name}, fmt.Sprintf("METADATA version %q but the file name says %q", ver, wantVer), "Version: "+ver))
		}
		if di := strings.TrimSuffix(distInfo, ".dist-info"); di != "" {
			if j := strings.LastIndexByte(di, '-'); j > 0 && normName(di[:j]) != wantName {
				out = append(out, RuleMetadataName.New(core.Location{Path: artifact, Member: distInfo}, fmt.Sprintf("dist-info directory %q does not belong to %q", distInfo, m[1]), distInfo))
			}
		}
	}
	return out
}

func normVersion(v string) string { return strings.ReplaceAll(strings.ToLower(v), "_", "-") }

func recordLine(b []byte, n int) string {
	lines := bytes.SplitN(b, []byte("\n"), n+1)
	if n-1 < len(lines) && n >= 1 {
		return string(lines[n-1])
	}
	return ""
}
