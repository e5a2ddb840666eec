package provenance

import (
	"os"
	"testing"

	"github.com/assay-dev/assay/internal/keys"
)

// FuzzParseBundle: any bytes parse or fail cleanly; a parsed bundle never
// verifies against a key that did not sign it, and its statement parser
// never accepts an escaping path.
func FuzzParseBundle(f *testing.F) {
	if b, err := os.ReadFile("testdata/modelsigning-v1.1.0/model/model.sig"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"00"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{}}`))
	f.Add([]byte(`{}`))
	_, pub, _ := keys.Generate(keys.Ed25519)
	pk, _ := keys.ParsePublic(pub, "k")
	f.Fuzz(func(t *testing.T, b []byte) {
		bd, err := ParseBundle(b)
		if err != nil {
			return
		}
		if _, _, err := VerifyKeyBundle(bd, pk); err == nil {
			t.Fatal("fuzzed bundle verified against an unrelated key")
		}
		if sc, err := UnverifiedContent(bd); err == nil {
			for name := range sc.Digests {
				if err := checkPath(resourcePath(sc.Serialization.Method, name)); err != nil {
					t.Fatalf("unsafe resource %q accepted", name)
				}
			}
		}
	})
}

// FuzzParseStatement: statements parse or fail cleanly; accepted ones
// have only safe paths and 64-hex digests.
func FuzzParseStatement(f *testing.F) {
	f.Add(stmtJSON(`[{"name":"a/b.bin","algorithm":"sha256","digest":"`+string(make([]byte, 0))+`abababababababababababababababababababababababababababababababab"}]`, ""))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://model_signing/Digests/v0.1","subject":[{"name":"x","digest":{"sha256":"00"}}]}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://model_signing/signature/v1.0","subject":[{"name":"m","digest":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}],"predicate":{"serialization":{"method":"shards","hash_type":"sha256","shard_size":10},"resources":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseStatement(b)
		if err != nil {
			return
		}
		for name, d := range sc.Digests {
			if len(d) != 64 {
				t.Fatalf("digest %q", d)
			}
			if err := checkPath(resourcePath(sc.Serialization.Method, name)); err != nil {
				t.Fatalf("unsafe resource %q accepted", name)
			}
		}
	})
}

// FuzzParseArtifactName: names parse or fail, never panic.
func FuzzParseArtifactName(f *testing.F) {
	for _, s := range []string{"torch-2.5.1-cp312-cp312-manylinux1_x86_64.whl", "left-pad-1.3.0.tgz", "a-1.tar.gz", "-.whl"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArtifactName(s)
		if err == nil && (a.Name == "" || a.Version == "") {
			t.Fatalf("%q: empty name or version", s)
		}
	})
}
