package provenance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/keys"
)

func modelDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "model")
	put(t, dir, "config.json", []byte(`{"arch":"llama"}`))
	put(t, dir, "model.safetensors", bytes.Repeat([]byte{1, 2, 3}, 700000))
	put(t, dir, "tok/tokenizer.json", []byte(`{}`))
	put(t, dir, ".git/HEAD", []byte("ref"))
	return dir
}

func signDir(t *testing.T, dir string, typ keys.Type, o SignOptions) (*Bundle, []keys.PublicKey) {
	t.Helper()
	priv, pub, err := keys.Generate(typ)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := keys.ParsePrivate(priv)
	pk, _ := keys.ParsePublic(pub, "k.pub")
	b, err := SignDir(context.Background(), dir, s, o)
	if err != nil {
		t.Fatal(err)
	}
	// round-trip through JSON as a file would
	raw, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	return back, pk
}

func verifyDir(t *testing.T, dir string, b *Bundle, pk []keys.PublicKey) ([]Change, *Current) {
	t.Helper()
	sc, _, err := VerifyKeyBundle(b, pk)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	cur, err := Recompute(context.Background(), dir, sc.Serialization, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return CompareSigned(sc, cur), cur
}

func kinds(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+" "+c.Path)
	}
	return out
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, typ := range []keys.Type{keys.ECDSAP256, keys.Ed25519} {
		for _, shard := range []int64{0, 100000} {
			t.Run(fmt.Sprintf("%s/shard%d", typ, shard), func(t *testing.T) {
				dir := modelDir(t)
				b, pk := signDir(t, dir, typ, SignOptions{ShardSize: shard})
				// benign twin: untouched directory verifies with no changes
				if cs, cur := verifyDir(t, dir, b, pk); len(cs) != 0 || len(cur.Errors) != 0 {
					t.Fatalf("clean dir: changes %v errors %v", kinds(cs), cur.Errors)
				}
				// malicious: change, add, remove
				put(t, dir, "config.json", []byte(`{"arch":"evil"}`))
				put(t, dir, "extra.pkl", []byte("c__builtin__\nexec\n"))
				if err := os.Remove(filepath.Join(dir, "tok/tokenizer.json")); err != nil {
					t.Fatal(err)
				}
				f, _ := os.OpenFile(filepath.Join(dir, "model.safetensors"), os.O_WRONLY, 0)
				f.WriteAt([]byte{9}, 1500000) // one byte deep inside a later shard
				f.Close()
				cs, _ := verifyDir(t, dir, b, pk)
				want := []string{"changed config.json", "added extra.pkl", "changed model.safetensors", "removed tok/tokenizer.json"}
				if d := cmp.Diff(want, kinds(cs)); d != "" {
					t.Errorf("changes (-want +got):\n%s", d)
				}
				fs := ChangeFindings(cs, nil, "models/m", "m.sig")
				if len(fs) != 4 || fs[0].RuleID != RuleChanged.ID || fs[0].Location.Path != "models/m/config.json" || fs[1].RuleID != RuleAdded.ID || fs[3].RuleID != RuleRemoved.ID {
					t.Errorf("findings: %+v", fs)
				}
			})
		}
	}
}

func TestStatementFormat(t *testing.T) {
	dir := modelDir(t)
	b, _ := signDir(t, dir, keys.ECDSAP256, SignOptions{Ignore: []string{"*.log"}})
	if b.MediaType != BundleMediaType || b.DSSEEnvelope.PayloadType != PayloadType || len(b.Hint()) != 64 {
		t.Fatalf("bundle header: %+v", b)
	}
	var st map[string]any
	if err := json.Unmarshal(b.DSSEEnvelope.Payload, &st); err != nil {
		t.Fatal(err)
	}
	if st["_type"] != StatementType || st["predicateType"] != PredicateType {
		t.Errorf("statement header %v %v", st["_type"], st["predicateType"])
	}
	pred := st["predicate"].(map[string]any)
	ser := pred["serialization"].(map[string]any)
	if ser["method"] != "files" || ser["hash_type"] != "sha256" || ser["allow_symlinks"] != false {
		t.Errorf("serialization %v", ser)
	}
	res := pred["resources"].([]any)
	var names []string
	for _, r := range res {
		m := r.(map[string]any)
		if m["algorithm"] != "sha256" {
			t.Errorf("algorithm %v", m["algorithm"])
		}
		names = append(names, m["name"].(string))
	}
	if d := cmp.Diff([]string{"config.json", "model.safetensors", "tok/tokenizer.json"}, names); d != "" {
		t.Errorf("resources (-want +got):\n%s", d)
	}
	subj := st["subject"].([]any)[0].(map[string]any)
	if subj["name"] != "model" {
		t.Errorf("subject name %v", subj["name"])
	}
}

// The reference implementation's own bundle (model_signing v1.1.0, key
// signing with P-384) verifies, and a changed file is caught.
func TestModelSigningReferenceBundle(t *testing.T) {
	raw, err := os.ReadFile("testdata/modelsigning-v1.1.0/model/model.sig")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := keys.LoadPublic("testdata/modelsigning-v1.1.0/signing-key-pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	src := "testdata/modelsigning-v1.1.0/model"
	dir := t.TempDir()
	for _, n := range []string{"signme-1", "signme-2", "ignore-me", "model.sig"} {
		b, _ := os.ReadFile(filepath.Join(src, n))
		put(t, dir, n, b)
	}
	if cs, cur := verifyDir(t, dir, b, pk); len(cs) != 0 || len(cur.Errors) != 0 {
		t.Fatalf("reference bundle: changes %v errors %v", kinds(cs), cur.Errors)
	}
	put(t, dir, "signme-2", []byte("tampered"))
	if cs, _ := verifyDir(t, dir, b, pk); len(cs) != 1 || cs[0].Path != "signme-2" || cs[0].Kind != "changed" {
		t.Errorf("tamper: %v", kinds(cs))
	}
}

func TestBadSignatures(t *testing.T) {
	dir := modelDir(t)
	b, pk := signDir(t, dir, keys.ECDSAP256, SignOptions{})
	_, other := signDir(t, dir, keys.ECDSAP256, SignOptions{})
	_, otherEd := signDir(t, dir, keys.Ed25519, SignOptions{})

	reencode := func(f func(*Bundle)) *Bundle {
		raw, _ := b.Encode()
		c, _ := ParseBundle(raw)
		f(c)
		return c
	}
	cases := map[string]struct {
		b  *Bundle
		pk []keys.PublicKey
	}{
		"wrong key":         {b, other},
		"wrong key type":    {b, otherEd},
		"wrong key no hint": {reencode(func(c *Bundle) { c.VerificationMaterial.PublicKey = nil }), other},
		"payload edited": {reencode(func(c *Bundle) {
			c.DSSEEnvelope.Payload = bytes.Replace(c.DSSEEnvelope.Payload, []byte("config.json"), []byte("config.jsoN"), 1)
		}), pk},
		"signature truncated":  {reencode(func(c *Bundle) { c.DSSEEnvelope.Signatures[0].Sig = c.DSSEEnvelope.Signatures[0].Sig[:20] }), pk},
		"signature bit flip":   {reencode(func(c *Bundle) { c.DSSEEnvelope.Signatures[0].Sig[10] ^= 1 }), pk},
		"payload type changed": {reencode(func(c *Bundle) { c.DSSEEnvelope.PayloadType = "application/json" }), pk},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := VerifyKeyBundle(tc.b, tc.pk); err == nil {
				t.Fatal("verified a bad signature")
			}
		})
	}
	// benign twin: the untouched bundle verifies with the right key among others
	if _, k, err := VerifyKeyBundle(b, append(append([]keys.PublicKey{}, other...), pk...)); err != nil || k.ID != pk[0].ID {
		t.Fatalf("good bundle: %v", err)
	}
}

func TestParseBundleRejects(t *testing.T) {
	for name, in := range map[string]string{
		"truncated":     `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payl`,
		"not bundle":    `{"type":"assay-manifest"}`,
		"message sig":   `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{"signature":"AA=="}}`,
		"no signatures": `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[]}}`,
		"empty sig":     `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":""}]}}`,
		"bad base64":    `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"!!","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`,
		"array":         `[]`,
		"empty":         ``,
	} {
		if _, err := ParseBundle([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func stmtJSON(res string, rootDigestOverride string) []byte {
	var rs []Resource
	_ = json.Unmarshal([]byte(res), &rs)
	d, _ := rootDigest(rs)
	if rootDigestOverride != "" {
		d = rootDigestOverride
	}
	st := map[string]any{
		"_type": StatementType, "predicateType": PredicateType,
		"subject":   []any{map[string]any{"name": "m", "digest": map[string]string{"sha256": d}}},
		"predicate": map[string]any{"serialization": map[string]any{"method": "files", "hash_type": "sha256", "allow_symlinks": false}, "resources": json.RawMessage(res)},
	}
	b, _ := json.Marshal(st)
	return b
}

func TestParseStatementRejects(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for name, tc := range map[string]struct {
		res, root string
	}{
		"dotdot":        {`[{"name":"../etc/passwd","algorithm":"sha256","digest":"` + h + `"}]`, ""},
		"inner dotdot":  {`[{"name":"a/../../x","algorithm":"sha256","digest":"` + h + `"}]`, ""},
		"absolute":      {`[{"name":"/etc/passwd","algorithm":"sha256","digest":"` + h + `"}]`, ""},
		"duplicate":     {`[{"name":"a","algorithm":"sha256","digest":"` + h + `"},{"name":"a","algorithm":"sha256","digest":"` + h + `"}]`, ""},
		"short digest":  {`[{"name":"a","algorithm":"sha256","digest":"abcd"}]`, ""},
		"md5":           {`[{"name":"a","algorithm":"md5","digest":"` + h + `"}]`, ""},
		"root mismatch": {`[{"name":"a","algorithm":"sha256","digest":"` + h + `"}]`, strings.Repeat("0", 64)},
	} {
		if _, err := ParseStatement(stmtJSON(tc.res, tc.root)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// benign twin
	if sc, err := ParseStatement(stmtJSON(`[{"name":"a/b.bin","algorithm":"sha256","digest":"`+h+`"}]`, "")); err != nil || sc.Digests["a/b.bin"] != h {
		t.Errorf("good statement: %v", err)
	}
}

func TestSignRefusesUnreadableAndEscapingLinks(t *testing.T) {
	dir := modelDir(t)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	priv, pubPEM, _ := keys.Generate(keys.ECDSAP256)
	s, _ := keys.ParsePrivate(priv)
	if _, err := SignDir(context.Background(), dir, s, SignOptions{}); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("signed a symlink out of the directory: %v", err)
	}
	os.Remove(filepath.Join(dir, "escape"))
	// benign twin: a link inside is recorded, and retargeting it is caught
	if err := os.Symlink("config.json", filepath.Join(dir, "cfg")); err != nil {
		t.Fatal(err)
	}
	b, err := SignDir(context.Background(), dir, s, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := keys.ParsePublic(pubPEM, "k")
	if cs, _ := verifyDir(t, dir, b, pk); len(cs) != 0 {
		t.Fatalf("clean: %v", kinds(cs))
	}
	os.Remove(filepath.Join(dir, "cfg"))
	os.Symlink("model.safetensors", filepath.Join(dir, "cfg"))
	if cs, _ := verifyDir(t, dir, b, pk); len(cs) != 1 || !cs[0].Link || cs[0].Kind != "changed" {
		t.Fatalf("retarget: %+v", cs)
	}
}

func TestUnsignedManifestContent(t *testing.T) {
	dir := modelDir(t)
	m, errs, err := BuildManifest(context.Background(), dir, ManifestOptions{})
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	sc := ManifestContent(m)
	cur, _ := Recompute(context.Background(), dir, sc.Serialization, nil, 0)
	if cs := CompareSigned(sc, cur); len(cs) != 0 {
		t.Fatalf("clean: %v", kinds(cs))
	}
	put(t, dir, "config.json", []byte("x"))
	cur, _ = Recompute(context.Background(), dir, sc.Serialization, nil, 0)
	if cs := CompareSigned(sc, cur); len(cs) != 1 {
		t.Fatalf("changed: %v", kinds(cs))
	}
}

func TestLoadManifestOrBundle(t *testing.T) {
	dir := modelDir(t)
	b, _ := signDir(t, dir, keys.ECDSAP256, SignOptions{})
	raw, _ := b.Encode()
	p := filepath.Join(t.TempDir(), "data.sig")
	os.WriteFile(p, raw, 0o644)
	if m, r, bd, err := LoadManifestOrBundle(p); err != nil || m != nil || bd == nil || r == nil {
		t.Errorf("bundle via --manifest: %v", err)
	}
	m, _, _ := BuildManifest(context.Background(), dir, ManifestOptions{})
	var buf bytes.Buffer
	m.Encode(&buf)
	os.WriteFile(p, buf.Bytes(), 0o644)
	if m2, _, bd, err := LoadManifestOrBundle(p); err != nil || m2 == nil || bd != nil {
		t.Errorf("manifest: %v", err)
	}
	os.WriteFile(p, []byte(`{"type":"assay-manifest","version":1,"algorithm":"sha256","files":[{"path":"../x","size":1,"sha256":"`+strings.Repeat("a", 64)+`"}]}`), 0o644)
	if _, _, _, err := LoadManifestOrBundle(p); err == nil {
		t.Error("manifest with .. accepted")
	}
}
