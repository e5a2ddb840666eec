package datagate

import (
	"bufio"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/keys"
)

// SignatureType identifies assay batch signature documents.
const SignatureType = "assay-batch-signature"

// maxSignatureFile bounds a signature document.
const maxSignatureFile = 64 << 10

// BatchSignature is a detached signature over a batch's content hash, size,
// producer id and signing time.
type BatchSignature struct {
	Type      string `json:"type"`
	Version   int    `json:"version"`
	Batch     string `json:"batch,omitempty"` // file name at signing time (informational)
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Producer  string `json:"producer"`
	Timestamp string `json:"timestamp"` // RFC 3339, UTC
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`
	Signature string `json:"signature"` // base64
}

// payload is the exact byte string signed.
func (s *BatchSignature) payload() []byte {
	return []byte("assay-batch-v1\n" + s.SHA256 + "\n" + strconv.FormatInt(s.Size, 10) + "\n" + s.Producer + "\n" + s.Timestamp + "\n")
}

// HashFile returns the hex SHA-256 and size of a file, streaming.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func validProducer(p string) error {
	if p == "" {
		return errors.New("producer id is empty")
	}
	if len(p) > 256 || strings.ContainsAny(p, "\n\r\x00") {
		return errors.New("producer id must be one line of at most 256 bytes")
	}
	return nil
}

// SignBatch signs the batch at path as producer with signer.
func SignBatch(path, producer string, signer crypto.Signer, now time.Time) (*BatchSignature, error) {
	if err := validProducer(producer); err != nil {
		return nil, err
	}
	sum, size, err := HashFile(path)
	if err != nil {
		return nil, err
	}
	alg, err := keys.Algorithm(signer.Public())
	if err != nil {
		return nil, err
	}
	id, err := keys.KeyID(signer.Public())
	if err != nil {
		return nil, err
	}
	s := &BatchSignature{Type: SignatureType, Version: 1, Batch: baseName(path), SHA256: sum, Size: size, Producer: producer,
		Timestamp: now.UTC().Format(time.RFC3339), KeyID: id, Algorithm: alg}
	sig, err := keys.Sign(signer, s.payload())
	if err != nil {
		return nil, err
	}
	s.Signature = base64.StdEncoding.EncodeToString(sig)
	return s, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// ParseSignature parses and validates the shape of a signature document.
func ParseSignature(b []byte) (*BatchSignature, error) {
	if len(b) > maxSignatureFile {
		return nil, fmt.Errorf("signature file larger than %d bytes", maxSignatureFile)
	}
	var s BatchSignature
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a batch signature: %v", err)
	}
	switch {
	case s.Type != SignatureType:
		return nil, fmt.Errorf("type is %q, want %q", s.Type, SignatureType)
	case s.Version != 1:
		return nil, fmt.Errorf("unsupported version %d", s.Version)
	case len(s.SHA256) != 64 || !isHex(s.SHA256):
		return nil, errors.New("sha256 must be 64 hex digits")
	case s.Size < 0:
		return nil, errors.New("negative size")
	case len(s.KeyID) != 64 || !isHex(s.KeyID):
		return nil, errors.New("key_id must be 64 hex digits")
	case s.Signature == "":
		return nil, errors.New("signature is empty")
	}
	if err := validProducer(s.Producer); err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.RFC3339, s.Timestamp); err != nil {
		return nil, fmt.Errorf("timestamp: %v", err)
	}
	if _, err := base64.StdEncoding.DecodeString(s.Signature); err != nil {
		return nil, fmt.Errorf("signature is not base64: %v", err)
	}
	return &s, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// LedgerEntry records one accepted batch.
type LedgerEntry struct {
	SHA256     string `json:"sha256"`
	Producer   string `json:"producer"`
	Timestamp  string `json:"timestamp"`
	KeyID      string `json:"key_id"`
	Batch      string `json:"batch,omitempty"`
	AcceptedAt string `json:"accepted_at"`
}

// readLedger returns the accepted entries by content hash. A missing ledger
// is empty; a corrupt line is an error (a ledger that cannot be read must not
// let replays through).
func readLedger(path string) (map[string]LedgerEntry, error) {
	out := map[string]LedgerEntry{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e LedgerEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || len(e.SHA256) != 64 {
			return nil, fmt.Errorf("%s:%d: corrupt ledger entry", path, line)
		}
		out[e.SHA256] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return out, nil
}

func appendLedger(path string, e LedgerEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// VerifyResult is the verdict on one batch.
type VerifyResult struct {
	Accepted  bool
	Signature *BatchSignature
	Key       *keys.PublicKey
	Findings  []core.Finding
}

// VerifyBatch checks the batch at path against its signature document, the
// trusted keys and (when ledgerPath is set) the ledger of accepted batches;
// on acceptance the batch is recorded in the ledger. sigPath names the
// signature in findings.
func VerifyBatch(path string, sigDoc []byte, sigPath string, trusted []keys.PublicKey, ledgerPath string, now time.Time) (*VerifyResult, error) {
	res := &VerifyResult{}
	loc := core.Location{Path: path}
	s, err := ParseSignature(sigDoc)
	if err != nil {
		res.Findings = append(res.Findings, ruleSigBad.New(core.Location{Path: sigPath}, "signature document is invalid: "+err.Error(), ""))
		return res, nil
	}
	res.Signature = s
	sum, size, err := HashFile(path)
	if err != nil {
		return nil, err
	}
	if sum != s.SHA256 || size != s.Size {
		res.Findings = append(res.Findings, ruleSigBad.New(loc,
			fmt.Sprintf("batch was modified after signing: sha256 %s (%d bytes) now, %s (%d bytes) signed by %q at %s", sum, size, s.SHA256, s.Size, s.Producer, s.Timestamp), ""))
		return res, nil
	}
	var key *keys.PublicKey
	for i := range trusted {
		if trusted[i].ID == s.KeyID {
			key = &trusted[i]
			break
		}
	}
	if key == nil {
		res.Findings = append(res.Findings, ruleSigUntrusted.New(loc,
			fmt.Sprintf("signed with key %s…, which is not among the %d trusted keys", s.KeyID[:16], len(trusted)), "producer "+s.Producer))
		return res, nil
	}
	res.Key = key
	alg, _ := keys.Algorithm(key.Key)
	raw, _ := base64.StdEncoding.DecodeString(s.Signature)
	if alg != s.Algorithm || !keys.Verify(key.Key, s.payload(), raw) {
		res.Findings = append(res.Findings, ruleSigBad.New(loc, fmt.Sprintf("signature does not verify with trusted key %s (%s)", key.Source, alg), ""))
		return res, nil
	}
	if key.Producer != "" && key.Producer != s.Producer {
		res.Findings = append(res.Findings, ruleSigUntrusted.New(loc,
			fmt.Sprintf("key %s is bound to producer %q, but the signature claims %q", key.Source, key.Producer, s.Producer), ""))
		return res, nil
	}
	if ledgerPath != "" {
		led, err := readLedger(ledgerPath)
		if err != nil {
			return nil, err
		}
		if prev, ok := led[s.SHA256]; ok {
			res.Findings = append(res.Findings, ruleReplay.New(loc,
				fmt.Sprintf("a batch with sha256 %s was already accepted at %s (producer %q, signed %s)", s.SHA256, prev.AcceptedAt, prev.Producer, prev.Timestamp), ""))
			return res, nil
		}
		if err := appendLedger(ledgerPath, LedgerEntry{SHA256: s.SHA256, Producer: s.Producer, Timestamp: s.Timestamp, KeyID: s.KeyID, Batch: s.Batch, AcceptedAt: now.UTC().Format(time.RFC3339)}); err != nil {
			return nil, fmt.Errorf("cannot record the batch in the ledger: %w", err)
		}
	}
	res.Accepted = true
	return res, nil
}

// jsonEncode writes v as indented JSON.
func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
