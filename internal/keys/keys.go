// Package keys loads, generates and uses the local signing keys assay
// supports: ECDSA P-256 (SHA-256, ASN.1 DER signatures) and ed25519, as
// PKCS#8 / PKIX PEM. Shared by provenance (model/dataset signing) and the
// data gate (batch signing) so both accept the same key files.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	_ "crypto/sha512" // registers SHA-384/512 for crypto.Hash.New
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxKeyFile bounds how much of a key file is read.
const MaxKeyFile = 1 << 20

// Type names a key algorithm.
type Type string

// Supported key types.
const (
	ECDSAP256 Type = "ecdsa-p256"
	Ed25519   Type = "ed25519"
)

// PublicKey is a trusted verification key.
type PublicKey struct {
	Key crypto.PublicKey
	// ID is the hex SHA-256 of the PKIX DER encoding.
	ID string
	// Producer, when set (PEM header "Producer: NAME"), binds the key to one
	// producer id: signatures claiming another producer are rejected.
	Producer string
	// Source is the file (and block index) the key came from.
	Source string
}

// Algorithm returns the signature algorithm name for pub.
func Algorithm(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return "ed25519", nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ecdsa-p256-sha256", nil
		case elliptic.P384(): // verification of model-signing bundles made with P-384 keys
			return "ecdsa-p384-sha384", nil
		case elliptic.P521():
			return "ecdsa-p521-sha512", nil
		}
		return "", fmt.Errorf("unsupported ECDSA curve %s (want P-256)", k.Curve.Params().Name)
	default:
		return "", fmt.Errorf("unsupported public key type %T", pub)
	}
}

// KeyID is the hex SHA-256 of pub's PKIX DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// Generate makes a new key pair and returns the PKCS#8 private PEM and the
// PKIX public PEM.
func Generate(t Type) (privPEM, pubPEM []byte, err error) {
	var (
		priv crypto.Signer
	)
	switch t {
	case ECDSAP256, "":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unknown key type %q (want ecdsa-p256 or ed25519)", t)
	}
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), nil
}

// LoadPrivate reads a PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY").
func LoadPrivate(path string) (crypto.Signer, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	return ParsePrivate(b)
}

// ParsePrivate parses a PEM private key.
func ParsePrivate(b []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PKCS#8 private key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported private key type %T", k)
			}
			if _, err := Algorithm(s.Public()); err != nil {
				return nil, err
			}
			return s, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse EC private key: %w", err)
			}
			if _, err := Algorithm(k.Public()); err != nil {
				return nil, err
			}
			return k, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private keys are not supported; decrypt it first (openssl pkcs8)")
		}
	}
}

// ParsePublic parses every PUBLIC KEY block in b.
func ParsePublic(b []byte, source string) ([]PublicKey, error) {
	var out []PublicKey
	for i := 0; ; i++ {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			continue
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", source, i+1, err)
		}
		if _, err := Algorithm(k); err != nil {
			return nil, fmt.Errorf("%s: block %d: %w", source, i+1, err)
		}
		id, _ := KeyID(k)
		out = append(out, PublicKey{Key: k, ID: id, Producer: strings.TrimSpace(blk.Headers["Producer"]), Source: fmt.Sprintf("%s#%d", source, i+1)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM public key found", source)
	}
	return out, nil
}

// LoadPublic reads trusted public keys from a PEM file (one or more blocks)
// or from every *.pub / *.pem file in a directory.
func LoadPublic(path string) ([]PublicKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			if e.Type().IsRegular() && (strings.HasSuffix(n, ".pub") || strings.HasSuffix(n, ".pem")) {
				files = append(files, filepath.Join(path, n))
			}
		}
		sort.Strings(files)
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no *.pub or *.pem files", path)
		}
	}
	var out []PublicKey
	for _, f := range files {
		b, err := readBounded(f)
		if err != nil {
			return nil, err
		}
		ks, err := ParsePublic(b, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ks...)
	}
	return out, nil
}

// ecdsaHash is the hash paired with an ECDSA curve (as Sigstore pairs
// them): SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521.
func ecdsaHash(k *ecdsa.PublicKey) crypto.Hash {
	switch k.Curve {
	case elliptic.P384():
		return crypto.SHA384
	case elliptic.P521():
		return crypto.SHA512
	}
	return crypto.SHA256
}

func digest(h crypto.Hash, msg []byte) []byte {
	if h == crypto.SHA256 {
		sum := sha256.Sum256(msg)
		return sum[:]
	}
	hh := h.New()
	hh.Write(msg)
	return hh.Sum(nil)
}

// Sign signs msg: ed25519 over the message, ECDSA P-256 over SHA-256(msg)
// with an ASN.1 DER signature (P-384: SHA-384, P-521: SHA-512).
func Sign(s crypto.Signer, msg []byte) ([]byte, error) {
	switch k := s.Public().(type) {
	case ed25519.PublicKey:
		return s.Sign(rand.Reader, msg, crypto.Hash(0))
	case *ecdsa.PublicKey:
		h := ecdsaHash(k)
		return s.Sign(rand.Reader, digest(h, msg), h)
	default:
		return nil, fmt.Errorf("unsupported key type %T", s.Public())
	}
}

// Verify checks sig over msg with pub.
func Verify(pub crypto.PublicKey, msg, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k, msg, sig)
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest(ecdsaHash(k), msg), sig)
	default:
		return false
	}
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxKeyFile {
		return nil, fmt.Errorf("%s: key file larger than %d bytes", path, MaxKeyFile)
	}
	return b, nil
}
