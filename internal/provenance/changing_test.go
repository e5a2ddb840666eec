package provenance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/keys"
)

// A file written to while it is hashed is an error (manifest, shards,
// signing, verification), never a digest.
func TestFileChangingWhileHashed(t *testing.T) {
	dir := modelDir(t)
	victim := filepath.Join(dir, "config.json")
	hit := func(p string) {
		if p == victim {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("more"))
			f.Close()
			later := time.Now().Add(2 * time.Second)
			os.Chtimes(p, later, later)
		}
	}
	testHookHashed = hit
	defer func() { testHookHashed = nil }()

	m, errs, err := BuildManifest(context.Background(), dir, ManifestOptions{})
	if err != nil || len(errs) != 1 || errs[0].Path != "config.json" || !strings.Contains(errs[0].Reason, "changed while being hashed") {
		t.Fatalf("manifest: %v %v", err, errs)
	}
	for _, f := range m.Files {
		if f.Path == "config.json" {
			t.Fatal("a digest was recorded for a changing file")
		}
	}
	if _, _, errs, _ := BuildShards(context.Background(), dir, 1<<20, ManifestOptions{}); len(errs) != 1 || errs[0].Path != "config.json" {
		t.Fatalf("shards: %v", errs)
	}
	priv, _, _ := keys.Generate(keys.Ed25519)
	s, _ := keys.ParsePrivate(priv)
	if _, err := SignDir(context.Background(), dir, s, SignOptions{}); err == nil || !strings.Contains(err.Error(), "changed while being hashed") {
		t.Fatalf("signed a changing directory: %v", err)
	}
	// verification: the file is reported as unverifiable (PRV-023), not as removed
	testHookHashed = nil
	b, pk := signDir(t, dir, keys.Ed25519, SignOptions{})
	testHookHashed = hit
	cs, cur := verifyDir(t, dir, b, pk)
	fs := ChangeFindings(cs, cur.Errors, "", "sig")
	if len(cs) != 0 || len(fs) != 1 || fs[0].RuleID != RuleUnhashable.ID || fs[0].Location.Path != "config.json" {
		t.Fatalf("verify: changes %v findings %+v", kinds(cs), fs)
	}
}
