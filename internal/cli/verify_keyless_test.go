package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/assay-dev/assay/internal/provenance"
)

// TestVerifyKeylessCLI mints a real keyless bundle with sigstore-go's
// in-memory VirtualSigstore, writes it and the matching trusted_root.json to
// disk, and verifies through the CLI: right identity passes, wrong identity
// and a tampered directory fail.
func TestVerifyKeylessCLI(t *testing.T) {
	tmp := t.TempDir()
	model := filepath.Join(tmp, "model")
	writeTree(t, model, map[string]string{"weights.bin": "w", "config.json": "{}"})
	st, err := provenance.BuildStatement(context.Background(), model, provenance.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(st)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	const subj, iss = "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"
	ent, err := vs.Attest(subj, iss, payload)
	if err != nil {
		t.Fatal(err)
	}
	// entity → protobuf bundle v0.3 JSON
	vc, _ := ent.VerificationContent()
	cert := vc.Certificate()
	sc, _ := ent.SignatureContent()
	env := sc.EnvelopeContent().RawEnvelope()
	var sigs []*protodsse.Signature
	for _, s := range env.Signatures {
		raw, _ := base64.StdEncoding.DecodeString(s.Sig)
		sigs = append(sigs, &protodsse.Signature{Sig: raw, Keyid: s.KeyID})
	}
	body, _ := base64.StdEncoding.DecodeString(env.Payload)
	tlogs, _ := ent.TlogEntries()
	tss, _ := ent.Timestamps()
	pb := &protobundle.Bundle{
		MediaType: provenance.BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw}},
			TimestampVerificationData: &protobundle.TimestampVerificationData{},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: body, PayloadType: env.PayloadType, Signatures: sigs}},
	}
	// The in-memory log entries cannot be re-serialised (sigstore-go keeps
	// no canonical body for them), so this bundle carries the RFC 3161
	// signed timestamp only; the transparency-log path is covered by
	// provenance.TestKeyless on the entity itself.
	_ = tlogs
	for _, ts := range tss {
		pb.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps = append(pb.VerificationMaterial.TimestampVerificationData.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	bj, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	sig := filepath.Join(tmp, "model.sig")
	os.WriteFile(sig, bj, 0o644)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), vs.CTLogs(), vs.TimestampingAuthorities(), vs.RekorLogs())
	if err != nil {
		t.Fatal(err)
	}
	trj, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(tmp, "trusted_root.json")
	os.WriteFile(trPath, trj, 0o644)

	args := func(identity string) []string {
		return []string{"verify", model, "--signature", sig, "--identity", identity, "--issuer", iss, "--trusted-root", trPath, "-f", "json"}
	}
	code, out, errOut := runPrv(t, args(subj)...)
	if code != 0 || len(jsonRules(t, out)) != 0 || !strings.Contains(errOut, "signature verified") {
		t.Fatalf("keyless verify: %d %s %s", code, out, errOut)
	}
	code, out, _ = runPrv(t, args("https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main")...)
	if ids := jsonRules(t, out); code != 1 || len(ids) != 1 || !strings.HasPrefix(ids[0], "ASSAY-PRV-020") {
		t.Errorf("wrong identity: %d %v", code, ids)
	}
	writeTree(t, model, map[string]string{"weights.bin": "poisoned"})
	code, out, _ = runPrv(t, args(subj)...)
	if ids := jsonRules(t, out); code != 1 || len(ids) != 1 || ids[0] != "ASSAY-PRV-010 weights.bin" {
		t.Errorf("tampered: %d %v", code, ids)
	}
}
