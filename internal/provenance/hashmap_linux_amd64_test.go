//go:build linux && amd64

package provenance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mapped file truncated between mapping and hashing faults (SIGBUS) on
// the missing pages: that is "changed while being hashed", not a crash.
func TestMappedFileTruncatedWhileHashed(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "model.bin")
	data := bytes.Repeat([]byte("0123456789abcdef"), (4<<20)/16)
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	calls := 0
	testHookMapped = func(p string) {
		calls++
		if p == big {
			if err := os.Truncate(p, 4096); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { testHookMapped = nil }()
	m, errs, err := BuildManifest(context.Background(), dir, ManifestOptions{})
	if calls == 0 {
		t.Fatal("the file was not mapped")
	}
	if err != nil || len(errs) != 1 || errs[0].Path != "model.bin" || !strings.Contains(errs[0].Reason, "changed while being hashed") || !strings.Contains(errs[0].Reason, "memory fault") {
		t.Fatalf("manifest: %v %v", err, errs)
	}
	if len(m.Files) != 0 {
		t.Fatalf("a digest was recorded for a truncated file: %+v", m.Files)
	}
	// shards: the second shard's window is truncated away too
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, errs, err := BuildShards(context.Background(), dir, 1<<20, ManifestOptions{}); err != nil || len(errs) != 1 || errs[0].Path != "model.bin" {
		t.Fatalf("shards: %v %v", err, errs)
	}
}

// The mapped path gives the same digests as reading, for whole files and
// for ranges that do not start on a page boundary.
func TestMappedMatchesRead(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, mmapWindow+3*mmapMin+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range [][2]int64{{0, int64(len(data))}, {1000, int64(len(data)) - 7}, {mmapWindow - 5, mmapWindow + mmapMin + 1}} {
		h := sha256.New()
		mapped, err := hashMapped(context.Background(), f, h, r[0], r[1])
		if !mapped || err != nil {
			t.Fatalf("%v: mapped=%v err=%v", r, mapped, err)
		}
		want := sha256.Sum256(data[r[0]:r[1]])
		if got := hex.EncodeToString(h.Sum(nil)); got != hex.EncodeToString(want[:]) {
			t.Fatalf("%v: digest %s, want %x", r, got, want)
		}
	}
}
