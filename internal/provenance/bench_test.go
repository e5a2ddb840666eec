package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkParseStatement parses and validates a 10,000-file model-signing
// statement (what verify does before hashing anything).
func BenchmarkParseStatement(b *testing.B) {
	res := make([]Resource, 10000)
	for i := range res {
		d := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		res[i] = Resource{Name: fmt.Sprintf("shards/part-%03d/file-%05d.safetensors", i/100, i), Algorithm: "sha256", Digest: hex.EncodeToString(d[:])}
	}
	st, err := NewStatement("model", Serialization{Method: "files", HashType: "sha256"}, res, nil)
	if err != nil {
		b.Fatal(err)
	}
	payload, _ := json.Marshal(st)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseStatement(payload); err != nil {
			b.Fatal(err)
		}
	}
}
