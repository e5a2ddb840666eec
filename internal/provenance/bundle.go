package provenance

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/assay-dev/assay/internal/keys"
)

// OpenSSF model-signing v1.0 constants (sigstore/model-transparency).
const (
	// PredicateType is the model-signing v1.0 predicate.
	PredicateType = "https://model_signing/signature/v1.0"
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// BundleMediaType is the Sigstore bundle v0.3 JSON media type.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// MaxBundle bounds a signature bundle read from disk (a bundle over a
// million-file dataset is ~150 MB of JSON; this leaves room).
const MaxBundle = 256 << 20

// Bundle is the subset of a Sigstore bundle (v0.1–v0.3 JSON) that assay
// reads and writes. Unknown fields are ignored on read.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial VerificationMaterial `json:"verificationMaterial"`
	DSSEEnvelope         *Envelope            `json:"dsseEnvelope,omitempty"`
	// MessageSignature is only detected, never produced: a bundle over a
	// blob is not a model signature.
	MessageSignature json.RawMessage `json:"messageSignature,omitempty"`
}

// VerificationMaterial says how to check the signature: a public key hint
// (key-signed) or a certificate (keyless), plus transparency-log entries.
type VerificationMaterial struct {
	PublicKey            *PublicKeyID    `json:"publicKey,omitempty"`
	Certificate          json.RawMessage `json:"certificate,omitempty"`
	X509CertificateChain json.RawMessage `json:"x509CertificateChain,omitempty"`
	TlogEntries          json.RawMessage `json:"tlogEntries,omitempty"`
	TimestampData        json.RawMessage `json:"timestampVerificationData,omitempty"`
}

// PublicKeyID is the bundle's key hint: model-signing writes the hex
// SHA-256 of the signer's SubjectPublicKeyInfo PEM.
type PublicKeyID struct {
	Hint string `json:"hint,omitempty"`
}

// Envelope is a DSSE envelope; Payload and Sig are base64 in JSON.
type Envelope struct {
	Payload     []byte         `json:"payload"`
	PayloadType string         `json:"payloadType"`
	Signatures  []EnvSignature `json:"signatures"`
}

// EnvSignature is one DSSE signature.
type EnvSignature struct {
	Sig   []byte `json:"sig"`
	KeyID string `json:"keyid"` // written as "" as model_signing does
}

// Statement is an in-toto Statement v1 carrying a model-signing predicate.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Predicate `json:"predicate"`
}

// Subject is an in-toto ResourceDescriptor naming the model and its root digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Predicate is the model-signing v1.0 predicate. Fields other than
// serialization and resources are ignored by v1.0 verifiers; assay adds
// its symlink records under "assay_symlinks".
type Predicate struct {
	Serialization Serialization  `json:"serialization"`
	Resources     []Resource     `json:"resources"`
	Symlinks      []SymlinkEntry `json:"assay_symlinks,omitempty"`
}

// Serialization records how the manifest was computed, so a verifier can
// recompute it: "files" (one digest per file) or "shards" (one per
// shard_size range of each file).
type Serialization struct {
	Method        string   `json:"method"`
	HashType      string   `json:"hash_type"`
	AllowSymlinks bool     `json:"allow_symlinks"`
	ShardSize     int64    `json:"shard_size,omitempty"`
	IgnorePaths   []string `json:"ignore_paths,omitempty"`
}

// Resource is one hashed object: a file ("path") or a shard ("path:start:end").
type Resource struct {
	Name      string `json:"name"`
	Algorithm string `json:"algorithm"`
	Digest    string `json:"digest"`
}

// PAE is the DSSE v1 pre-authentication encoding of payload.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// KeyHint is the model-signing public key hint: hex SHA-256 of the PKIX PEM.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return hex.EncodeToString(s[:]), nil
}

// NewStatement converts a manifest (files, or shards when sm is non-nil)
// into a model-signing v1.0 statement named name. Resources are sorted by
// name and the subject digest is SHA-256 over the concatenated raw
// resource digests, as model-signing defines it.
func NewStatement(name string, ser Serialization, res []Resource, links []SymlinkEntry) (*Statement, error) {
	res = append([]Resource(nil), res...)
	sort.Slice(res, func(i, j int) bool { return res[i].Name < res[j].Name })
	root, err := rootDigest(res)
	if err != nil {
		return nil, err
	}
	return &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: name, Digest: map[string]string{"sha256": root}}},
		PredicateType: PredicateType,
		Predicate:     Predicate{Serialization: ser, Resources: res, Symlinks: links},
	}, nil
}

func rootDigest(res []Resource) (string, error) {
	h := sha256.New()
	for _, r := range res {
		d, err := hex.DecodeString(r.Digest)
		if err != nil {
			return "", fmt.Errorf("resource %q: digest is not hex", r.Name)
		}
		h.Write(d)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FileResources turns a manifest's files into "files" resources.
func FileResources(m *Manifest) []Resource {
	out := make([]Resource, len(m.Files))
	for i, f := range m.Files {
		out[i] = Resource{Name: f.Path, Algorithm: "sha256", Digest: f.SHA256}
	}
	return out
}

// SignStatement encodes st and signs it with s into a key-signed bundle
// (DSSE over PAE, public key hint, no transparency log): fully offline.
func SignStatement(st *Statement, s crypto.Signer) (*Bundle, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	sig, err := keys.Sign(s, PAE(PayloadType, payload))
	if err != nil {
		return nil, err
	}
	hint, err := KeyHint(s.Public())
	if err != nil {
		return nil, err
	}
	return &Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: VerificationMaterial{PublicKey: &PublicKeyID{Hint: hint}, TlogEntries: json.RawMessage("[]")},
		DSSEEnvelope:         &Envelope{Payload: payload, PayloadType: PayloadType, Signatures: []EnvSignature{{Sig: sig}}},
	}, nil
}

// Encode writes b as indented JSON.
func (b *Bundle) Encode() ([]byte, error) {
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// ErrNotBundle says the bytes are not a Sigstore bundle at all.
var ErrNotBundle = errors.New("not a Sigstore bundle")

// ParseBundle parses a Sigstore bundle JSON holding a DSSE envelope. It
// checks shape only; no signature is trusted here.
func ParseBundle(b []byte) (*Bundle, error) {
	if len(b) > MaxBundle {
		return nil, fmt.Errorf("bundle larger than %d bytes", MaxBundle)
	}
	var bd Bundle
	if err := json.Unmarshal(b, &bd); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotBundle, err)
	}
	if !strings.HasPrefix(bd.MediaType, "application/vnd.dev.sigstore.bundle") {
		return nil, fmt.Errorf("%w: media type %q", ErrNotBundle, bd.MediaType)
	}
	if bd.DSSEEnvelope == nil {
		if len(bd.MessageSignature) > 0 {
			return nil, errors.New("bundle signs a blob (messageSignature), not a model manifest (dsseEnvelope)")
		}
		return nil, errors.New("bundle has no DSSE envelope")
	}
	env := bd.DSSEEnvelope
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("DSSE payload type %q, want %q", env.PayloadType, PayloadType)
	}
	if len(env.Payload) == 0 {
		return nil, errors.New("DSSE envelope has an empty payload")
	}
	if len(env.Signatures) == 0 {
		return nil, errors.New("DSSE envelope has no signature")
	}
	for i, s := range env.Signatures {
		if len(s.Sig) == 0 {
			return nil, fmt.Errorf("DSSE signature %d is empty", i+1)
		}
	}
	return &bd, nil
}

// IsKeyless reports whether the bundle carries a certificate (Fulcio/keyless).
func (b *Bundle) IsKeyless() bool {
	return len(b.VerificationMaterial.Certificate) > 0 || len(b.VerificationMaterial.X509CertificateChain) > 0
}

// Hint returns the public key hint, if any.
func (b *Bundle) Hint() string {
	if b.VerificationMaterial.PublicKey == nil {
		return ""
	}
	return b.VerificationMaterial.PublicKey.Hint
}

// ErrBadSignature is returned when no trusted key verifies the envelope.
var ErrBadSignature = errors.New("signature does not verify")

// VerifyWithKeys checks the DSSE signature against trusted public keys and
// returns the key that verified it. The bundle's hint only selects; it is
// never trusted: every candidate key is checked cryptographically.
func (b *Bundle) VerifyWithKeys(trusted []keys.PublicKey) (*keys.PublicKey, error) {
	if b.IsKeyless() {
		return nil, errors.New("bundle is keyless (certificate); verify it with --identity, --issuer and --trusted-root")
	}
	if len(trusted) == 0 {
		return nil, errors.New("no trusted public key given")
	}
	msg := PAE(b.DSSEEnvelope.PayloadType, b.DSSEEnvelope.Payload)
	hint := b.Hint()
	hintMatched := false
	for i := range trusted {
		k := &trusted[i]
		if hint != "" {
			if h, err := KeyHint(k.Key); err != nil || h != hint {
				continue
			}
			hintMatched = true
		}
		for _, s := range b.DSSEEnvelope.Signatures {
			if keys.Verify(k.Key, msg, s.Sig) {
				return k, nil
			}
		}
	}
	if hint != "" && !hintMatched {
		return nil, fmt.Errorf("%w: signed by key %s…, which is not among the trusted keys", ErrBadSignature, clip(hint, 16))
	}
	return nil, fmt.Errorf("%w: the envelope or its signature was altered, or it was made by another key", ErrBadSignature)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// SignedContent is what a verified (or merely parsed) statement says was signed.
type SignedContent struct {
	Name          string
	Serialization Serialization
	// Digests maps each resource name to its hex digest.
	Digests  map[string]string
	Symlinks []SymlinkEntry
	// Legacy is true for the pre-1.0 "Digests/v0.1" predicate.
	Legacy bool
}

// maxResources bounds a statement's resource list.
const maxResources = 5_000_000

// ParseStatement decodes and validates an in-toto statement payload:
// statement and predicate types, one subject whose digest matches the
// resources, safe relative resource paths, no duplicates, hex digests.
func ParseStatement(payload []byte) (*SignedContent, error) {
	var raw struct {
		Type          string          `json:"_type"`
		Subject       []Subject       `json:"subject"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("statement is not JSON: %v", err)
	}
	if raw.Type != StatementType {
		return nil, fmt.Errorf("statement type %q, want %q", raw.Type, StatementType)
	}
	sc := &SignedContent{Digests: map[string]string{}}
	switch raw.PredicateType {
	case PredicateType:
	case "https://model_signing/Digests/v0.1":
		// model-signing v0.2: one subject per file, sha256.
		sc.Legacy = true
		sc.Name = "legacy"
		sc.Serialization = Serialization{Method: "files", HashType: "sha256"}
		if len(raw.Subject) > maxResources {
			return nil, errors.New("too many subjects")
		}
		for _, s := range raw.Subject {
			if err := addDigest(sc, s.Name, "sha256", s.Digest["sha256"]); err != nil {
				return nil, err
			}
		}
		return sc, nil
	default:
		return nil, fmt.Errorf("predicate type %q, want %q", raw.PredicateType, PredicateType)
	}
	if len(raw.Subject) != 1 {
		return nil, fmt.Errorf("statement has %d subjects, want 1", len(raw.Subject))
	}
	var p Predicate
	if err := json.Unmarshal(raw.Predicate, &p); err != nil {
		return nil, fmt.Errorf("predicate: %v", err)
	}
	sc.Name = raw.Subject[0].Name
	sc.Serialization = p.Serialization
	switch p.Serialization.Method {
	case "files":
	case "shards":
		if p.Serialization.ShardSize <= 0 {
			return nil, errors.New("shards serialization without a positive shard_size")
		}
	default:
		return nil, fmt.Errorf("unsupported serialization method %q", p.Serialization.Method)
	}
	if p.Serialization.HashType != "sha256" {
		return nil, fmt.Errorf("unsupported hash type %q (assay verifies sha256)", p.Serialization.HashType)
	}
	for _, ip := range p.Serialization.IgnorePaths {
		if ip == "" || strings.ContainsAny(ip, "\x00") {
			return nil, fmt.Errorf("bad ignore path %q", ip)
		}
	}
	if len(p.Resources) > maxResources {
		return nil, errors.New("too many resources")
	}
	for _, r := range p.Resources {
		if err := addDigest(sc, r.Name, r.Algorithm, r.Digest); err != nil {
			return nil, err
		}
	}
	// Root digest over the resources in the order they appear.
	want := raw.Subject[0].Digest["sha256"]
	got, err := rootDigest(p.Resources)
	if err != nil {
		return nil, err
	}
	if want != got {
		return nil, fmt.Errorf("statement is inconsistent: subject digest %s, resources hash to %s", clip(want, 16), clip(got, 16))
	}
	for _, s := range p.Symlinks {
		if err := checkPath(s.Path); err != nil {
			return nil, err
		}
	}
	sc.Symlinks = p.Symlinks
	return sc, nil
}

func addDigest(sc *SignedContent, name, alg, digest string) error {
	if alg != "sha256" && !strings.HasPrefix(alg, "sha256") {
		return fmt.Errorf("resource %q: unsupported algorithm %q", name, alg)
	}
	p := name
	if sc.Serialization.Method == "shards" {
		var err error
		if p, _, _, err = splitShard(name); err != nil {
			return err
		}
	}
	if err := checkPath(p); err != nil {
		return err
	}
	if len(digest) != 64 {
		return fmt.Errorf("resource %q: sha256 digest must be 64 hex digits", name)
	}
	if _, err := hex.DecodeString(digest); err != nil {
		return fmt.Errorf("resource %q: digest is not hex", name)
	}
	if _, dup := sc.Digests[name]; dup {
		return fmt.Errorf("resource %q listed twice", name)
	}
	sc.Digests[name] = strings.ToLower(digest)
	return nil
}

// splitShard splits "path:start:end" (the path may itself hold colons).
func splitShard(name string) (string, int64, int64, error) {
	j := strings.LastIndexByte(name, ':')
	if j <= 0 {
		return "", 0, 0, fmt.Errorf("shard resource %q: want path:start:end", name)
	}
	i := strings.LastIndexByte(name[:j], ':')
	if i <= 0 {
		return "", 0, 0, fmt.Errorf("shard resource %q: want path:start:end", name)
	}
	start, err1 := strconv.ParseInt(name[i+1:j], 10, 64)
	end, err2 := strconv.ParseInt(name[j+1:], 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return "", 0, 0, fmt.Errorf("shard resource %q: bad range", name)
	}
	return name[:i], start, end, nil
}
