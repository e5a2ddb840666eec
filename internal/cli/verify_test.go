package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runPrv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func jsonRules(t *testing.T, out string) []string {
	t.Helper()
	var rep struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Location struct {
				Path string `json:"path"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.RuleID+" "+f.Location.Path)
	}
	return ids
}

func TestKeygenSignVerifyCLI(t *testing.T) {
	tmp := t.TempDir()
	model := filepath.Join(tmp, "model")
	writeTree(t, model, map[string]string{"config.json": "{}", "weights.safetensors": strings.Repeat("w", 5000), "tok/vocab.txt": "a\nb\n"})
	key := filepath.Join(tmp, "team")
	if code, _, errOut := runPrv(t, "keygen", "-o", key); code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	st, err := os.Stat(key + ".key")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", err, st)
	}
	if code, _, _ := runPrv(t, "keygen", "-o", key); code != 2 {
		t.Errorf("keygen overwrote existing keys: %d", code)
	}
	if code, _, errOut := runPrv(t, "sign", model, "--key", key+".key"); code != 0 {
		t.Fatalf("sign: %d %s", code, errOut)
	}
	sig := model + ".sig"
	if _, err := os.Stat(sig); err != nil {
		t.Fatal("no DIR.sig written")
	}
	// benign: verifies, exit 0
	code, out, errOut := runPrv(t, "verify", model, "--signature", sig, "--key", key+".pub", "-f", "json")
	if code != 0 || len(jsonRules(t, out)) != 0 || !strings.Contains(errOut, "signature verified") {
		t.Fatalf("verify clean: %d %s %s", code, out, errOut)
	}
	// default signature location (DIR.sig) is found
	if code, _, errOut := runPrv(t, "verify", model, "--key", key+".pub", "-q"); code != 0 {
		t.Fatalf("verify default sig: %d %s", code, errOut)
	}
	// wrong key: exit 1, PRV-020
	other := filepath.Join(tmp, "other")
	runPrv(t, "keygen", "-o", other, "--type", "ed25519")
	code, out, _ = runPrv(t, "verify", model, "--signature", sig, "--key", other+".pub", "-f", "json")
	if ids := jsonRules(t, out); code != 1 || len(ids) != 1 || !strings.HasPrefix(ids[0], "ASSAY-PRV-020") {
		t.Errorf("wrong key: %d %v", code, ids)
	}
	// truncated signature file: exit 1, PRV-020
	raw, _ := os.ReadFile(sig)
	trunc := filepath.Join(tmp, "trunc.sig")
	os.WriteFile(trunc, raw[:len(raw)/2], 0o644)
	code, out, _ = runPrv(t, "verify", model, "--signature", trunc, "--key", key+".pub", "-f", "json")
	if ids := jsonRules(t, out); code != 1 || len(ids) != 1 || !strings.HasPrefix(ids[0], "ASSAY-PRV-020") {
		t.Errorf("truncated: %d %v", code, ids)
	}
	// tampered: changed, added, removed → exit 1 even with --fail-on none
	writeTree(t, model, map[string]string{"config.json": `{"x":1}`, "evil.pkl": "x"})
	os.Remove(filepath.Join(model, "tok/vocab.txt"))
	code, out, _ = runPrv(t, "verify", model, "--signature", sig, "--key", key+".pub", "-f", "json", "--fail-on", "none")
	want := []string{"ASSAY-PRV-010 config.json", "ASSAY-PRV-011 evil.pkl", "ASSAY-PRV-012 tok/vocab.txt"}
	if ids := jsonRules(t, out); code != 1 || strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("tampered: %d %v", code, ids)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	tmp := t.TempDir()
	writeTree(t, tmp, map[string]string{"m/a": "a"})
	m := filepath.Join(tmp, "m")
	for name, args := range map[string][]string{
		"no signature anywhere":   {"verify", m, "--key", "x.pub"},
		"signature without key":   {"verify", m, "--signature", filepath.Join(tmp, "m/a")},
		"key and identity":        {"verify", m, "--signature", "s", "--key", "k", "--identity", "i"},
		"identity without root":   {"verify", m, "--signature", "s", "--identity", "i", "--issuer", "u"},
		"not a directory":         {"verify", filepath.Join(tmp, "m/a"), "--manifest", "x"},
		"sign without key":        {"sign", m},
		"verify-artifact no lock": {"verify-artifact", filepath.Join(tmp, "m/a")},
		"manifest of a file":      {"manifest", filepath.Join(tmp, "m/a")},
	} {
		if code, _, _ := runPrv(t, args...); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
	}
}

func TestManifestAndUnsignedVerifyCLI(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	writeTree(t, data, map[string]string{"train.jsonl": `{"text":"hi"}` + "\n", "labels.csv": "a,b\n", "logs/x.log": "noise"})
	code, out, errOut := runPrv(t, "manifest", data, "--exclude", "logs/")
	if code != 0 || !strings.Contains(out, `"path": "labels.csv"`) || strings.Contains(out, "x.log") {
		t.Fatalf("manifest: %d %s %s", code, out, errOut)
	}
	_, out2, _ := runPrv(t, "manifest", data, "--exclude", "logs/")
	if out != out2 {
		t.Error("manifest output not deterministic")
	}
	mf := filepath.Join(tmp, "data.manifest.json")
	if code, _, _ := runPrv(t, "manifest", data, "--exclude", "logs/", "-o", mf); code != 0 {
		t.Fatal("manifest -o")
	}
	// unchanged: only the "unsigned" finding (medium) → exit 0 at the default fail-on
	code, out, _ = runPrv(t, "verify", data, "--manifest", mf, "-f", "json")
	if ids := jsonRules(t, out); code != 0 || len(ids) != 1 || !strings.HasPrefix(ids[0], "ASSAY-PRV-021") {
		t.Errorf("unsigned clean: %d %v", code, ids)
	}
	// a log changing is ignored (recorded exclude); a data change is not
	writeTree(t, data, map[string]string{"logs/x.log": "more noise", "train.jsonl": `{"text":"poison"}` + "\n"})
	code, out, _ = runPrv(t, "verify", data, "--manifest", mf, "-f", "json")
	if ids := jsonRules(t, out); code != 1 || strings.Join(ids, ",") != "ASSAY-PRV-010 train.jsonl,ASSAY-PRV-021 "+filepath.ToSlash(mf) {
		t.Errorf("unsigned changed: %d %v", code, ids)
	}
	// a manifest with a traversal path is refused, never "verified"
	bad := filepath.Join(tmp, "bad.json")
	os.WriteFile(bad, []byte(`{"type":"assay-manifest","version":1,"algorithm":"sha256","files":[{"path":"../../etc/passwd","size":1,"sha256":"`+strings.Repeat("a", 64)+`"}]}`), 0o644)
	if code, _, _ := runPrv(t, "verify", data, "--manifest", bad); code != 1 {
		t.Errorf("traversal manifest: exit %d", code)
	}
}

func TestVerifyDatasetWithBundleAsManifest(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	writeTree(t, data, map[string]string{"a.csv": "1\n"})
	key := filepath.Join(tmp, "k")
	runPrv(t, "keygen", "-o", key)
	sig := filepath.Join(tmp, "data.sig")
	if code, _, e := runPrv(t, "sign", data, "--key", key+".key", "-o", sig); code != 0 {
		t.Fatal(e)
	}
	// with a key: a real verification
	if code, _, e := runPrv(t, "verify", data, "--manifest", sig, "--key", key+".pub", "-q"); code != 0 {
		t.Errorf("bundle as manifest with key: %d %s", code, e)
	}
	// without a key: integrity against the bundle, signer flagged, never "verified"
	code, out, e := runPrv(t, "verify", data, "--manifest", sig, "-f", "json")
	if ids := jsonRules(t, out); code != 0 || len(ids) != 1 || !strings.HasPrefix(ids[0], "ASSAY-PRV-022") || strings.Contains(e, "signature verified") {
		t.Errorf("bundle as manifest without key: %d %v %s", code, ids, e)
	}
}

func TestVerifyArtifactCLI(t *testing.T) {
	tmp := t.TempDir()
	whl := filepath.Join(tmp, "requests-2.32.3-py3-none-any.whl")
	os.WriteFile(whl, []byte("wheel"), 0o644)
	// sha256("wheel")
	lock := filepath.Join(tmp, "requirements.txt")
	os.WriteFile(lock, []byte("requests==2.32.3 --hash=sha256:ede8ec63bd17b8ed4ff7fc2a9f3d1ff9d5c8c75f7e4b18ec45e7a6cda8ba8c5f\n"), 0o644)
	code, _, _ := runPrv(t, "verify-artifact", whl, "--lock", lock, "-q")
	if code != 1 {
		t.Errorf("mismatch: exit %d", code)
	}
	os.WriteFile(lock, []byte("requests==2.32.3 --hash=sha256:"+sha256hex("wheel")+"\n"), 0o644)
	if code, _, e := runPrv(t, "verify-artifact", whl, "--lock", lock, "-q"); code != 0 {
		t.Errorf("match: exit %d %s", code, e)
	}
	os.WriteFile(lock, []byte("requests==2.32.3\n"), 0o644)
	if code, _, _ := runPrv(t, "verify-artifact", whl, "--lock", lock, "-q"); code != 1 {
		t.Errorf("unpinned: exit %d", code)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
