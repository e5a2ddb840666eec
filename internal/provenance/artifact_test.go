package provenance

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArtifactName(t *testing.T) {
	for in, want := range map[string]Artifact{
		"torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl": {"PyPI", "torch", "2.5.1", "wheel"},
		"Typing_Extensions-4.12.2-1-py3-none-any.whl":   {"PyPI", "typing-extensions", "4.12.2", "wheel"},
		"zope.interface-7.0.tar.gz":                     {"PyPI", "zope-interface", "7.0", "sdist"},
		"my-pkg-name-1.0.0rc1.zip":                      {"PyPI", "my-pkg-name", "1.0.0rc1", "sdist"},
		"left-pad-1.3.0.tgz":                            {"npm", "left-pad", "1.3.0", "npm-tarball"},
		"babel-core-7.0.0-bridge.0.tgz":                 {"npm", "babel-core", "7.0.0-bridge.0", "npm-tarball"},
	} {
		got, err := ParseArtifactName(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if d := cmp.Diff(want, *got); d != "" {
			t.Errorf("%s (-want +got):\n%s", in, d)
		}
	}
	for _, bad := range []string{"foo.whl", "a-b.whl", "nover.tar.gz", "x.exe", "-1.0.tgz"} {
		if _, err := ParseArtifactName(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCheckArtifact(t *testing.T) {
	dir := t.TempDir()
	wheel := []byte("PK\x03\x04 wheel bytes")
	sum := sha256.Sum256(wheel)
	put(t, dir, "requests-2.32.3-py3-none-any.whl", wheel)
	put(t, dir, "requirements.txt", []byte("requests==2.32.3 \\\n    --hash=sha256:"+hex.EncodeToString(make([]byte, 32))+" \\\n    --hash=sha256:"+hex.EncodeToString(sum[:])+"\nsix==1.16.0\n"))
	tgz := []byte("\x1f\x8b tarball")
	s512 := sha512.Sum512(tgz)
	put(t, dir, "left-pad-1.3.0.tgz", tgz)
	put(t, dir, "package-lock.json", []byte(`{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x","dependencies":{"left-pad":"1.3.0"}},"node_modules/left-pad":{"version":"1.3.0","resolved":"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz","integrity":"sha512-`+base64.StdEncoding.EncodeToString(s512[:])+`"}}}`))
	put(t, dir, "six-1.16.0-py2.py3-none-any.whl", []byte("six"))
	put(t, dir, "numpy-2.0.0-cp312-cp312-linux_x86_64.whl", []byte("np"))
	ctx := context.Background()
	p := func(n string) string { return filepath.Join(dir, n) }

	// benign: matches
	if c, err := CheckArtifact(ctx, p("requests-2.32.3-py3-none-any.whl"), p("requirements.txt")); err != nil || c.Match == nil {
		t.Errorf("wheel: %v %+v", err, c)
	}
	if c, err := CheckArtifact(ctx, p("left-pad-1.3.0.tgz"), p("package-lock.json")); err != nil || c.Match == nil || c.Match.Algorithm != "sha512" {
		t.Errorf("tgz: %v %+v", err, c)
	}
	// malicious: swapped bytes
	put(t, dir, "requests-2.32.3-py3-none-any.whl", append(wheel, '!'))
	if c, err := CheckArtifact(ctx, p("requests-2.32.3-py3-none-any.whl"), p("requirements.txt")); err != nil || c.Match != nil || !c.Pinned {
		t.Errorf("tampered wheel matched: %v %+v", err, c)
	}
	put(t, dir, "left-pad-1.3.0.tgz", append(tgz, '!'))
	if c, err := CheckArtifact(ctx, p("left-pad-1.3.0.tgz"), p("package-lock.json")); err != nil || c.Match != nil {
		t.Errorf("tampered tgz matched: %v %+v", err, c)
	}
	// unpinned and unlisted
	if c, err := CheckArtifact(ctx, p("six-1.16.0-py2.py3-none-any.whl"), p("requirements.txt")); err != nil || c.Pinned {
		t.Errorf("six: %v %+v", err, c)
	}
	if _, err := CheckArtifact(ctx, p("numpy-2.0.0-cp312-cp312-linux_x86_64.whl"), p("requirements.txt")); !errors.Is(err, ErrNotListed) {
		t.Errorf("numpy: %v", err)
	}
	if _, err := CheckArtifact(ctx, p("six-1.16.0-py2.py3-none-any.whl"), p("left-pad-1.3.0.tgz")); err == nil {
		t.Error("a tarball accepted as lockfile")
	}
}
