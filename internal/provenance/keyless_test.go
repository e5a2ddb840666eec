package provenance

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Keyless bundles are minted in memory by sigstore-go's VirtualSigstore
// (a real Fulcio-like CA, Rekor-like log and TSA), then verified offline.
func TestKeyless(t *testing.T) {
	dir := modelDir(t)
	st, err := BuildStatement(context.Background(), dir, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(st)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const subj, iss = "ci@example.com", "https://token.actions.githubusercontent.com"
	ent, err := vs.Attest(subj, iss, payload)
	if err != nil {
		t.Fatal(err)
	}
	// benign: expected identity verifies and yields the manifest
	sc, who, err := VerifyEntity(ent, vs, Identity{Subject: subj, Issuer: iss})
	if err != nil {
		t.Fatalf("keyless verify: %v", err)
	}
	if len(sc.Digests) != 3 || who == "" {
		t.Errorf("content %v signer %q", sc.Digests, who)
	}
	cur, _ := Recompute(context.Background(), dir, sc.Serialization, nil, 0)
	if cs := CompareSigned(sc, cur); len(cs) != 0 {
		t.Errorf("clean dir changes: %v", kinds(cs))
	}
	// malicious: wrong subject, wrong issuer, another CA, regexp that does not match
	other, _ := ca.NewVirtualSigstore()
	for name, tc := range map[string]struct {
		id Identity
		tm *ca.VirtualSigstore
	}{
		"wrong subject":  {Identity{Subject: "attacker@example.com", Issuer: iss}, vs},
		"wrong issuer":   {Identity{Subject: subj, Issuer: "https://accounts.google.com"}, vs},
		"untrusted root": {Identity{Subject: subj, Issuer: iss}, other},
		"regexp":         {Identity{SubjectRegexp: "^release@", Issuer: iss}, vs},
		"no identity":    {Identity{Issuer: iss}, vs},
	} {
		if _, _, err := VerifyEntity(ent, tc.tm, tc.id); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// a keyless entity over a statement that is not model-signing is refused
	bad, _ := vs.Attest(subj, iss, []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[],"predicate":{}}`))
	if _, _, err := VerifyEntity(bad, vs, Identity{Subject: subj, Issuer: iss}); err == nil {
		t.Error("non model-signing statement accepted")
	}
}

func TestVerifyKeylessRejectsGarbage(t *testing.T) {
	vs, _ := ca.NewVirtualSigstore()
	for _, in := range []string{``, `{}`, `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`} {
		if _, _, err := VerifyKeyless([]byte(in), vs, Identity{Subject: "a", Issuer: "b"}); err == nil {
			t.Errorf("%q verified", in)
		}
	}
}
