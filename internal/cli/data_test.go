package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-dev/assay/internal/keys"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDataScreenEndToEnd(t *testing.T) {
	src, err := os.ReadFile("../datagate/testdata/sms_800.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	dir := t.TempDir()
	base := filepath.Join(dir, "train.tsv")
	batch := filepath.Join(dir, "batch.tsv")
	writeFile(t, base, strings.Join(lines[:601], "\n")+"\n")
	poisoned := append([]string{lines[0]}, lines[601:]...)
	for i := 0; i < 6; i++ {
		poisoned = append(poisoned, "ham\tURGENT! You have won a 1000 cash prize tq call 09061701461 now")
	}
	writeFile(t, batch, strings.Join(poisoned, "\n")+"\n")
	acc, quar := filepath.Join(dir, "ok.tsv"), filepath.Join(dir, "held.tsv")

	code, out, stderr := runCLI(t, "data", "screen", batch, "--baseline", base, "--text-field", "SMS", "--label-field", "Label",
		"--accept", acc, "--quarantine", quar, "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (rows quarantined); stderr: %s", code, stderr)
	}
	var rep struct {
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Location struct {
				Line int `json:"line"`
			} `json:"location"`
		} `json:"findings"`
		Summary struct {
			Failed bool   `json:"failed"`
			FailOn string `json:"fail_on"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	found := false
	for _, f := range rep.Findings {
		if f.RuleID == "ASSAY-DATA-007" || f.RuleID == "ASSAY-DATA-004" {
			found = true
			if f.Location.Line < 2 {
				t.Errorf("finding without batch line: %+v", f)
			}
		}
	}
	if !found || !rep.Summary.Failed || rep.Summary.FailOn != "quarantine" {
		t.Errorf("want trigger/flood finding and failed summary, got %+v", rep)
	}
	if !strings.Contains(stderr, "206 rows = ") {
		t.Errorf("stderr lacks the row accounting: %q", stderr)
	}
	a, _ := os.ReadFile(acc)
	q, _ := os.ReadFile(quar)
	na := strings.Count(string(a), "\n") - 1
	nq := strings.Count(string(q), "\n") - 1
	if na+nq != 206 || nq < 6 {
		t.Errorf("split %d + %d, want 206 rows with >= 6 quarantined", na, nq)
	}

	// a clean batch passes
	clean := filepath.Join(dir, "clean.tsv")
	writeFile(t, clean, lines[0]+"\n"+strings.Join(lines[700:720], "\n")+"\n")
	if code, _, stderr := runCLI(t, "data", "screen", clean, "--baseline", base, "--text-field", "SMS", "--label-field", "Label", "-q"); code != 0 {
		t.Errorf("clean batch exit %d: %s", code, stderr)
	}
	// usage errors
	if code, _, _ := runCLI(t, "data", "screen", batch); code != 2 {
		t.Errorf("missing --baseline: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "data", "screen", filepath.Join(dir, "x.xlsx"), "--baseline", base); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}

func TestDataSignVerifyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	batch := filepath.Join(dir, "batch.jsonl")
	writeFile(t, batch, "{\"text\":\"hello\",\"label\":\"ham\"}\n")
	keyPriv := filepath.Join(dir, "vendor.key")
	keyPub := filepath.Join(dir, "trusted", "vendor.pub")
	priv, pub := genKeyPair(t)
	writeFile(t, keyPriv, string(priv))
	writeFile(t, keyPub, string(pub))
	ledger := filepath.Join(dir, "ledger.jsonl")

	if code, _, stderr := runCLI(t, "data", "sign-batch", batch, "--key", keyPriv, "--producer", "vendor"); code != 0 {
		t.Fatalf("sign-batch exit %d: %s", code, stderr)
	}
	verify := func() (int, string) {
		code, out, stderr := runCLI(t, "data", "verify-batch", batch, "--signature", batch+".sig", "--trusted-keys", filepath.Join(dir, "trusted"), "--ledger", ledger)
		return code, out + stderr
	}
	if code, out := verify(); code != 0 {
		t.Fatalf("first verify exit %d: %s", code, out)
	}
	if code, out := verify(); code != 1 || !strings.Contains(out, "ASSAY-DATA-022") {
		t.Errorf("replay: exit %d: %s", code, out)
	}
	writeFile(t, batch, "{\"text\":\"hello\",\"label\":\"spam\"}\n")
	if code, out := verify(); code != 1 || !strings.Contains(out, "ASSAY-DATA-020") {
		t.Errorf("modified batch: exit %d: %s", code, out)
	}
	if code, _, _ := runCLI(t, "data", "verify-batch", batch, "--signature", batch+".sig"); code != 2 {
		t.Errorf("missing --trusted-keys: exit %d, want 2", code)
	}
}

func genKeyPair(t *testing.T) ([]byte, []byte) {
	t.Helper()
	priv, pub, err := keys.Generate(keys.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}
