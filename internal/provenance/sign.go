package provenance

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/assay-dev/assay/internal/keys"
)

// DefaultIgnore are the paths model-signing leaves out of a model's
// manifest by default; assay records them the same way.
var DefaultIgnore = []string{".git", ".gitattributes", ".github", ".gitignore"}

// SignOptions tune SignDir.
type SignOptions struct {
	// Ignore holds extra paths or glob patterns to leave out.
	Ignore []string
	// ShardSize > 0 selects the model-signing "shards" serialization.
	ShardSize int64
	Workers   int
	// SigPath is where the bundle will be written; when it lies inside the
	// directory it is left out of the manifest (and recorded as ignored).
	SigPath string
}

// relInside returns p relative to dir when p lies inside dir.
func relInside(dir, p string) (string, bool) {
	if p == "" {
		return "", false
	}
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// BuildStatement hashes dir and returns the model-signing statement over
// it. Any file that cannot be hashed, or a symlink leading out of the
// directory, is an error: assay never signs what it could not read.
func BuildStatement(ctx context.Context, dir string, o SignOptions) (*Statement, error) {
	ignore := append(append([]string{}, DefaultIgnore...), o.Ignore...)
	exclude := map[string]bool{}
	if rel, ok := relInside(dir, o.SigPath); ok {
		exclude[rel] = true
		ignore = append(ignore, rel)
	}
	mo := ManifestOptions{Ignore: ignore, Workers: o.Workers, Exclude: exclude}
	ser := Serialization{Method: "files", HashType: "sha256", AllowSymlinks: false, IgnorePaths: ignore}
	var (
		res   []Resource
		links []SymlinkEntry
		errs  []HashError
	)
	if o.ShardSize > 0 {
		ser.Method, ser.ShardSize = "shards", o.ShardSize
		var err error
		if res, links, errs, err = BuildShards(ctx, dir, o.ShardSize, mo); err != nil {
			return nil, err
		}
	} else {
		m, herrs, err := BuildManifest(ctx, dir, mo)
		if err != nil {
			return nil, err
		}
		res, links, errs = FileResources(m), m.Symlinks, herrs
	}
	if len(errs) > 0 {
		var b strings.Builder
		for i, e := range errs {
			if i == 5 {
				fmt.Fprintf(&b, "; and %d more", len(errs)-5)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(e.Error())
		}
		return nil, fmt.Errorf("cannot sign: %s", b.String())
	}
	for _, l := range links {
		if l.Outside {
			return nil, fmt.Errorf("cannot sign: symlink %s points outside the directory (%s)", l.Path, l.Target)
		}
	}
	name := filepath.Base(filepath.Clean(dir))
	if abs, err := filepath.Abs(dir); err == nil {
		name = filepath.Base(abs)
	}
	return NewStatement(name, ser, res, links)
}

// SignDir hashes dir and signs it with s into a key-signed bundle.
func SignDir(ctx context.Context, dir string, s crypto.Signer, o SignOptions) (*Bundle, error) {
	st, err := BuildStatement(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	return SignStatement(st, s)
}

// ReadBundleFile reads and parses a bundle file (bounded).
func ReadBundleFile(p string) ([]byte, *Bundle, error) {
	b, err := readBounded(p, MaxBundle)
	if err != nil {
		return nil, nil, err
	}
	bd, err := ParseBundle(b)
	return b, bd, err
}

func readBounded(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, limit)
	}
	b := make([]byte, st.Size())
	n, err := f.ReadAt(b, 0)
	if err != nil && n != len(b) {
		return nil, err
	}
	return b[:n], nil
}

// VerifyKeyBundle checks a key-signed bundle against trusted keys and
// returns the signed content and the key that verified it.
func VerifyKeyBundle(b *Bundle, trusted []keys.PublicKey) (*SignedContent, *keys.PublicKey, error) {
	k, err := b.VerifyWithKeys(trusted)
	if err != nil {
		return nil, nil, err
	}
	sc, err := ParseStatement(b.DSSEEnvelope.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signed payload is not a model-signing statement: %v", ErrBadSignature, err)
	}
	return sc, k, nil
}

// UnverifiedContent parses a bundle's statement WITHOUT checking the
// signature: for reporting what changed when no trusted key is at hand.
// Callers must never call the result verified.
func UnverifiedContent(b *Bundle) (*SignedContent, error) {
	return ParseStatement(b.DSSEEnvelope.Payload)
}

// ErrNoTrust is returned when neither keys nor an identity were given.
var ErrNoTrust = errors.New("no trusted key or identity")

// LoadManifestOrBundle reads FILE given to --manifest: an assay manifest,
// or a model-signing bundle (then the caller verifies it as a signature).
func LoadManifestOrBundle(p string) (*Manifest, []byte, *Bundle, error) {
	b, err := readBounded(p, maxManifestFile)
	if err != nil {
		return nil, nil, nil, err
	}
	if bd, berr := ParseBundle(b); berr == nil {
		return nil, b, bd, nil
	} else if !errors.Is(berr, ErrNotBundle) {
		return nil, b, nil, berr
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, nil, nil, nil
}
