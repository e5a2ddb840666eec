package provenance

import (
	"errors"
	"fmt"

	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Identity is the expected signer of a keyless bundle: the certificate's
// SAN (email, URI: a CI workflow identity) and the OIDC issuer.
type Identity struct {
	Subject string
	Issuer  string
	// SubjectRegexp / IssuerRegexp, when set, match instead of the exact values.
	SubjectRegexp string
	IssuerRegexp  string
}

// LoadTrustedRoot reads a Sigstore trusted_root.json (offline).
func LoadTrustedRoot(path string) (root.TrustedMaterial, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: %w", path, err)
	}
	return tr, nil
}

// VerifyKeyless verifies a keyless (Fulcio certificate) bundle with
// sigstore-go against trusted material and an expected identity, offline:
// transparency-log entries and timestamps must be embedded in the bundle.
// It returns the signed content and the certificate's subject.
func VerifyKeyless(bundleJSON []byte, tm root.TrustedMaterial, id Identity) (*SignedContent, string, error) {
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, "", fmt.Errorf("not a valid Sigstore bundle: %w", err)
	}
	return VerifyEntity(&b, tm, id)
}

// VerifyEntity verifies any sigstore-go signed entity (a parsed bundle, or
// a test entity) and extracts the model-signing content from its envelope.
func VerifyEntity(e verify.SignedEntity, tm root.TrustedMaterial, id Identity) (*SignedContent, string, error) {
	if id.Subject == "" && id.SubjectRegexp == "" {
		return nil, "", errors.New("keyless verification needs the expected identity (--identity)")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return nil, "", errors.New("keyless verification needs the expected OIDC issuer (--issuer)")
	}
	sig, err := e.SignatureContent()
	if err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	env := sig.EnvelopeContent()
	if env == nil {
		return nil, "", errors.New("bundle signs a blob (messageSignature), not a model manifest (dsseEnvelope)")
	}
	var opts []verify.VerifierOption
	tlogs, err := e.TlogEntries()
	if err != nil {
		return nil, "", fmt.Errorf("bundle tlog entries: %w", err)
	}
	tss, err := e.Timestamps()
	if err != nil {
		return nil, "", fmt.Errorf("bundle timestamps: %w", err)
	}
	switch {
	case len(tlogs) > 0:
		opts = append(opts, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	case len(tss) > 0:
		opts = append(opts, verify.WithSignedTimestamps(1))
	default:
		return nil, "", errors.New("bundle has neither a transparency-log entry nor a signed timestamp: the short-lived certificate cannot be checked offline")
	}
	v, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, "", err
	}
	ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
	if err != nil {
		return nil, "", fmt.Errorf("identity: %w", err)
	}
	res, err := v.Verify(e, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(ci)))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	raw := env.RawEnvelope()
	if raw.PayloadType != PayloadType {
		return nil, "", fmt.Errorf("DSSE payload type %q, want %q", raw.PayloadType, PayloadType)
	}
	payload, err := raw.DecodeB64Payload()
	if err != nil {
		return nil, "", fmt.Errorf("DSSE payload: %w", err)
	}
	sc, err := ParseStatement(payload)
	if err != nil {
		return nil, "", err
	}
	signer := id.Subject
	if res.Signature != nil && res.Signature.Certificate != nil {
		signer = res.Signature.Certificate.SubjectAlternativeName + " (" + res.Signature.Certificate.Issuer + ")"
	}
	return sc, signer, nil
}
