package provenance

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/inventory/npm"
	"github.com/assay-dev/assay/internal/inventory/python"
)

// Artifact is a downloaded distribution identified by its file name.
type Artifact struct {
	Ecosystem string
	Name      string // normalised (PyPI: PEP 503; npm: as in the tarball name)
	Version   string
	Kind      string // wheel, sdist, npm-tarball
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// NormalizePyPI is the PEP 503 normalised project name.
func NormalizePyPI(n string) string { return strings.ToLower(pep503.ReplaceAllString(n, "-")) }

// ParseArtifactName identifies a wheel (name-ver[-build]-py-abi-plat.whl),
// an sdist (name-ver.tar.gz|.zip|.tar.bz2|.tar.xz) or an npm tarball
// (name-ver.tgz, scoped packages as scope-name-ver.tgz from npm pack).
func ParseArtifactName(file string) (*Artifact, error) {
	base := filepath.Base(file)
	low := strings.ToLower(base)
	switch {
	case strings.HasSuffix(low, ".whl"):
		parts := strings.Split(base[:len(base)-4], "-")
		if (len(parts) != 5 && len(parts) != 6) || parts[0] == "" || parts[1] == "" {
			return nil, fmt.Errorf("%s: not a wheel file name (name-version[-build]-python-abi-platform.whl)", base)
		}
		return &Artifact{Ecosystem: core.EcosystemPyPI, Name: NormalizePyPI(parts[0]), Version: parts[1], Kind: "wheel"}, nil
	case strings.HasSuffix(low, ".tgz"):
		n, v, ok := splitNameVersion(base[:len(base)-4])
		if !ok {
			return nil, fmt.Errorf("%s: not an npm tarball name (name-version.tgz)", base)
		}
		return &Artifact{Ecosystem: core.EcosystemNPM, Name: n, Version: v, Kind: "npm-tarball"}, nil
	}
	for _, ext := range []string{".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tar"} {
		if strings.HasSuffix(low, ext) {
			n, v, ok := splitNameVersion(base[:len(base)-len(ext)])
			if !ok {
				return nil, fmt.Errorf("%s: not an sdist name (name-version%s)", base, ext)
			}
			return &Artifact{Ecosystem: core.EcosystemPyPI, Name: NormalizePyPI(n), Version: v, Kind: "sdist"}, nil
		}
	}
	return nil, fmt.Errorf("%s: unknown artifact type (want .whl, .tar.gz, .zip or .tgz)", base)
}

// splitNameVersion splits at the first "-" followed by a digit.
func splitNameVersion(s string) (string, string, bool) {
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '-' && s[i+1] >= '0' && s[i+1] <= '9' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

// npmTarballName is how npm pack names a package's tarball stem.
func npmTarballName(n string) string {
	return strings.ReplaceAll(strings.TrimPrefix(n, "@"), "/", "-")
}

// MaxLockfile bounds a lockfile read by verify-artifact.
const MaxLockfile = 64 << 20

// LockedPackages runs the lockfile through the inventory scanner that
// claims it and returns its package components.
func LockedPackages(ctx context.Context, lockPath string) ([]core.Component, error) {
	abs, err := filepath.Abs(lockPath)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", lockPath)
	}
	if st.Size() > MaxLockfile {
		return nil, fmt.Errorf("%s is larger than %d bytes", lockPath, MaxLockfile)
	}
	head := make([]byte, core.HeadSize)
	n, _ := io.ReadFull(f, head)
	root, err := os.OpenRoot(filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	in := &core.Input{FileInfo: core.FileInfo{Path: filepath.Base(abs), Size: st.Size(), Head: head[:n]}, AbsPath: abs, File: f, Root: root}
	scanners := append(python.Scanners(), npm.Scanners()...)
	for _, s := range scanners {
		if !s.FileRequired(in.FileInfo) {
			continue
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		res, err := s.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", lockPath, err)
		}
		var out []core.Component
		for _, c := range res.Components {
			if c.Kind == core.KindPackage {
				out = append(out, c)
			}
		}
		if len(out) == 0 && len(res.Errors) > 0 {
			return nil, fmt.Errorf("%s: %s", lockPath, res.Errors[0].Reason)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: not a lockfile assay reads (requirements*.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock, package-lock.json, yarn.lock, pnpm-lock.yaml)", lockPath)
}

// ArtifactCheck is the verdict of CheckArtifact.
type ArtifactCheck struct {
	Artifact *Artifact
	// Entry is the matching lockfile component (nil when not listed).
	Entry *core.Component
	// Digests of the file, by algorithm (hex).
	Digests map[string]string
	// Match is the pinned hash that matched (nil when none did).
	Match *core.Hash
	// Pinned is false when the entry carries no usable hash.
	Pinned bool
}

// ErrNotListed: the lockfile does not list the artifact's package and version.
var ErrNotListed = errors.New("not listed in the lockfile")

// CheckArtifact hashes file and compares it with the hashes the lockfile
// pins for the same package and version.
func CheckArtifact(ctx context.Context, file, lockPath string) (*ArtifactCheck, error) {
	art, err := ParseArtifactName(file)
	if err != nil {
		return nil, err
	}
	comps, err := LockedPackages(ctx, lockPath)
	if err != nil {
		return nil, err
	}
	chk := &ArtifactCheck{Artifact: art}
	for i := range comps {
		c := &comps[i]
		if c.Ecosystem != art.Ecosystem || !sameVersion(c, art.Version) {
			continue
		}
		match := false
		switch art.Ecosystem {
		case core.EcosystemPyPI:
			match = NormalizePyPI(c.Name) == art.Name
		case core.EcosystemNPM:
			match = npmTarballName(c.Name) == art.Name || c.Name == art.Name
		}
		if match {
			if chk.Entry == nil || len(c.Hashes) > len(chk.Entry.Hashes) {
				chk.Entry = c
			}
		}
	}
	if chk.Entry == nil {
		return chk, ErrNotListed
	}
	algs := map[string]bool{}
	for _, h := range chk.Entry.Hashes {
		switch h.Algorithm {
		case "sha256", "sha384", "sha512":
			algs[h.Algorithm] = true
			chk.Pinned = true
		}
	}
	// sha1 (old npm lockfiles) only when nothing stronger is pinned.
	if !chk.Pinned {
		for _, h := range chk.Entry.Hashes {
			if h.Algorithm == "sha1" {
				algs["sha1"] = true
				chk.Pinned = true
			}
		}
	}
	if !chk.Pinned {
		return chk, nil
	}
	if chk.Digests, err = digestFile(file, algs); err != nil {
		return nil, err
	}
	for i, h := range chk.Entry.Hashes {
		if d, ok := chk.Digests[h.Algorithm]; ok && strings.EqualFold(d, h.Value) {
			chk.Match = &chk.Entry.Hashes[i]
			break
		}
	}
	return chk, nil
}

func sameVersion(c *core.Component, v string) bool {
	if c.Version != "" {
		return c.Version == v || strings.TrimPrefix(c.Version, "v") == v
	}
	r := strings.TrimSpace(c.Requirement)
	return r == "=="+v || r == "==="+v
}

// digestFile streams file once through every requested hash.
func digestFile(file string, algs map[string]bool) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := map[string]hash.Hash{}
	var ws []io.Writer
	for a := range algs {
		var h hash.Hash
		switch a {
		case "sha1":
			h = sha1.New()
		case "sha256":
			h = sha256.New()
		case "sha384":
			h = sha512.New384()
		case "sha512":
			h = sha512.New()
		default:
			continue
		}
		hs[a] = h
		ws = append(ws, h)
	}
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), f, make([]byte, hashBufSize)); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for a, h := range hs {
		out[a] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}
