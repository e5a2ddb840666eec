package provenance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"
)

// Multi-buffer files and unaligned multi-MiB shards hash exactly as
// sha256 over the same bytes does.
func TestLargeFileAndShardDigests(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 9<<20+123)
	rand.New(rand.NewSource(7)).Read(data)
	put(t, dir, "big.bin", data)
	m, errs, err := BuildManifest(context.Background(), dir, ManifestOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if m.Files[0].SHA256 != sum(data) || m.Files[0].Size != int64(len(data)) {
		t.Errorf("mapped file digest differs")
	}
	const shard = 5<<20 + 7 // not page-aligned
	res, _, errs, err := BuildShards(context.Background(), dir, shard, ManifestOptions{})
	if err != nil || len(errs) > 0 || len(res) != 2 {
		t.Fatal(err, errs, res)
	}
	for i, r := range res {
		s, e := int64(i)*shard, min(int64(i+1)*shard, int64(len(data)))
		want := sha256.Sum256(data[s:e])
		if r.Digest != hex.EncodeToString(want[:]) || r.Name != shardName("big.bin", s, e) {
			t.Errorf("shard %d: %s %s", i, r.Name, r.Digest)
		}
	}
}

// A statement asking for absurdly small shards (untrusted input in a
// scanned tree) is refused before any shard list is allocated.
func TestTinyShardsRefused(t *testing.T) {
	dir := t.TempDir()
	put(t, dir, "a.bin", make([]byte, 3<<20))
	if _, _, _, err := BuildShards(context.Background(), dir, 1, ManifestOptions{}); err == nil {
		t.Fatal("1-byte shards over 3 MiB accepted")
	}
	if _, _, _, err := BuildShards(context.Background(), dir, 4096, ManifestOptions{}); err != nil {
		t.Fatalf("768 shards refused: %v", err)
	}
}
