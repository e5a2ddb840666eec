package pkgscan

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/assay-dev/assay/internal/core"
)

// artifactComponent describes the inspected artifact itself as a package
// component: name and version from its metadata (wheel METADATA, sdist
// PKG-INFO, npm package/package.json, the Go module zip's member paths),
// falling back to the file name; nil when neither names the package (a
// plain archive).
func artifactComponent(artifact string, info artifactInfo, files []pkgFile) *core.Component {
	var name, version, eco, purl string
	switch info.kind {
	case "wheel":
		if f := topMember(files, "", ".dist-info/METADATA"); f != nil {
			name, version = parseMetadata(f.data)
		}
		if m := wheelNameRe.FindStringSubmatch(path.Base(artifact)); m != nil && (name == "" || version == "") {
			name, version = m[1], m[2]
		}
		eco = "PyPI"
	case "sdist":
		if f := topMember(files, info.prefix, "PKG-INFO"); f != nil {
			name, version = parseMetadata(f.data)
		}
		if name == "" || version == "" {
			name, version = splitNameVersion(path.Base(artifact))
		}
		eco = "PyPI"
	case "npm":
		if f := topMember(files, info.prefix, "package.json"); f != nil {
			if p, err := parsePackageJSON(f.data); err == nil {
				name, version = strings.TrimSpace(p.Name), strings.TrimSpace(p.Version)
			}
		}
		if name == "" || version == "" {
			name, version = splitNameVersion(path.Base(artifact))
		}
		eco = "npm"
	case "gomod":
		name, version = goModuleOf(files)
		eco = "Go"
	default:
		return nil
	}
	if name == "" || !printable(name) || !printable(version) {
		return nil
	}
	switch eco {
	case "PyPI":
		purl = packageurl.NewPackageURL(packageurl.TypePyPi, "", normName(name), version, nil, "").ToString()
	case "npm":
		ns, n := "", name
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, n = name[:i], name[i+1:]
			}
		}
		if n != "" {
			purl = packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
		}
	case "Go":
		ns, n := "", name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			ns, n = name[:i], name[i+1:]
		}
		if n != "" {
			purl = packageurl.NewPackageURL(packageurl.TypeGolang, ns, n, version, nil, "").ToString()
		}
	}
	return &core.Component{
		Kind:       core.KindPackage,
		Name:       name,
		Version:    version,
		Ecosystem:  eco,
		PURL:       purl,
		Locations:  []core.Location{{Path: artifact}},
		Direct:     true, // the artifact is what was inspected
		Properties: map[string]string{"source": "artifact", "artifact_kind": info.kind},
	}
}

// topMember returns the retained member directly under prefix whose name
// ends in suffix ("<dist>.dist-info/METADATA" for wheels: one level down).
func topMember(files []pkgFile, prefix, suffix string) *pkgFile {
	depth := strings.Count(prefix, "/") + strings.Count(suffix, "/")
	for i := range files {
		f := &files[i]
		if f.data != nil && strings.HasPrefix(f.name, prefix) && strings.HasSuffix(f.name, suffix) && strings.Count(f.name, "/") == depth && !strings.Contains(f.name, "!") {
			return f
		}
	}
	return nil
}

var nameVersionRe = regexp.MustCompile(`^(.+?)-v?(\d+(?:\.\d+)*[A-Za-z0-9.+-]*?)\.(?:tar\.gz|tgz|zip|tar\.xz|tar)$`)

// splitNameVersion splits "name-1.2.3.tar.gz" into name and version.
func splitNameVersion(base string) (string, string) {
	if m := nameVersionRe.FindStringSubmatch(base); m != nil {
		return m[1], m[2]
	}
	return "", ""
}

// goModuleOf reads module path and version from a Go module zip, whose
// members are all "<escaped module path>@<escaped version>/...".
func goModuleOf(files []pkgFile) (string, string) {
	for _, f := range files {
		if mod, ver, ok := goZipMember(f.name); ok {
			return mod, ver
		}
	}
	return "", ""
}

// goZipMember splits a Go module zip member name "<module>@<version>/file"
// (both escaped as the module proxy does); ok only for a valid module path
// and a canonical semantic version.
func goZipMember(name string) (mod, ver string, ok bool) {
	at := strings.Index(name, "@v")
	if at <= 0 {
		return "", "", false
	}
	rest := name[at+1:]
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return "", "", false
	}
	mod, err := module.UnescapePath(name[:at])
	if err != nil {
		return "", "", false
	}
	ver, err = module.UnescapeVersion(rest[:slash])
	if err != nil || !semver.IsValid(ver) || semver.Canonical(ver) != ver && !strings.HasSuffix(ver, "+incompatible") {
		return "", "", false
	}
	return mod, ver, true
}

// printable: no control characters (names end up in reports and purls).
func printable(s string) bool {
	if len(s) > 214 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// fileSHA256 hashes the whole artifact (bounded by its size).
func fileSHA256(r io.ReaderAt, size int64) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
