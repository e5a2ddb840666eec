package keys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateSignVerify(t *testing.T) {
	for _, typ := range []Type{ECDSAP256, Ed25519} {
		t.Run(string(typ), func(t *testing.T) {
			privPEM, pubPEM, err := Generate(typ)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParsePrivate(privPEM)
			if err != nil {
				t.Fatal(err)
			}
			pubs, err := ParsePublic(pubPEM, "test")
			if err != nil || len(pubs) != 1 {
				t.Fatalf("ParsePublic: %v %v", pubs, err)
			}
			msg := []byte("batch sha256 abc")
			sig, err := Sign(s, msg)
			if err != nil {
				t.Fatal(err)
			}
			if !Verify(pubs[0].Key, msg, sig) {
				t.Error("valid signature rejected")
			}
			if Verify(pubs[0].Key, []byte("batch sha256 abd"), sig) {
				t.Error("signature accepted for a different message")
			}
			bad := append([]byte(nil), sig...)
			bad[len(bad)/2] ^= 1
			if Verify(pubs[0].Key, msg, bad) {
				t.Error("tampered signature accepted")
			}
			if Verify(pubs[0].Key, msg, sig[:len(sig)-3]) {
				t.Error("truncated signature accepted")
			}
			id, _ := KeyID(s.Public())
			if id != pubs[0].ID || len(id) != 64 {
				t.Errorf("key ids differ: %s vs %s", id, pubs[0].ID)
			}
		})
	}
}

func TestWrongKeyRejected(t *testing.T) {
	p1, _, _ := Generate(Ed25519)
	_, pub2, _ := Generate(Ed25519)
	s, _ := ParsePrivate(p1)
	ks, _ := ParsePublic(pub2, "x")
	sig, _ := Sign(s, []byte("m"))
	if Verify(ks[0].Key, []byte("m"), sig) {
		t.Error("signature verified with the wrong key")
	}
}

func TestLoadPublicDirAndProducerHeader(t *testing.T) {
	dir := t.TempDir()
	_, pub, _ := Generate(ECDSAP256)
	withHdr := strings.Replace(string(pub), "-----BEGIN PUBLIC KEY-----\n", "-----BEGIN PUBLIC KEY-----\nProducer: labelling-vendor\n\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "vendor.pub"), []byte(withHdr), 0o644); err != nil {
		t.Fatal(err)
	}
	_, pub2, _ := Generate(Ed25519)
	if err := os.WriteFile(filepath.Join(dir, "team.pem"), pub2, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	ks, err := LoadPublic(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].Producer != "" || ks[1].Producer != "labelling-vendor" { // sorted: team.pem, vendor.pub
		t.Errorf("got %+v", ks)
	}
}

func TestBadInputs(t *testing.T) {
	for name, in := range map[string]string{
		"empty":     "",
		"garbage":   "not a key",
		"bad der":   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"encrypted": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
	} {
		if _, err := ParsePrivate([]byte(in)); err == nil {
			t.Errorf("%s: ParsePrivate succeeded", name)
		}
		if _, err := ParsePublic([]byte(in), name); err == nil {
			t.Errorf("%s: ParsePublic succeeded", name)
		}
	}
	big := filepath.Join(t.TempDir(), "big.pem")
	if err := os.WriteFile(big, make([]byte, MaxKeyFile+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivate(big); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("oversized key file: %v", err)
	}
}

func FuzzParseKeys(f *testing.F) {
	priv, pub, _ := Generate(ECDSAP256)
	f.Add(priv)
	f.Add(pub)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nProducer: x\n\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParsePrivate(b)
		_, _ = ParsePublic(b, "fuzz")
	})
}
