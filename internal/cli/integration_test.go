package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSignedModelIsPinned: a model directory signed with a key the project
// trusts (.assay/keys) verifies inside assay scan, its model component is
// marked signature=verified, and the "no hash pinned" rule stays quiet for
// it — but fires again once the file changes.
func TestSignedModelIsPinned(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "models", "clf")
	writeFile(t, filepath.Join(model, "model.pkl"), "\x80\x02}q\x00.") // benign protocol-2 pickle: {}
	writeFile(t, filepath.Join(model, "config.json"), `{"labels":["ham","spam"]}`)
	keyBase := filepath.Join(dir, ".assay", "keys", "team")
	if code, _, stderr := runCLI(t, "keygen", "-o", keyBase); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sign", model, "--key", keyBase+".key"); code != 0 {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	_ = os.Remove(keyBase + ".key") // only the public key stays in the repository

	scan := func() (map[string]int, string) {
		code, out, stderr := runCLI(t, "scan", dir, "-f", "json", "--fail-on", "none")
		if code != 0 {
			t.Fatalf("scan exit %d: %s", code, stderr)
		}
		var rep struct {
			Components []struct {
				Name       string            `json:"name"`
				Kind       string            `json:"kind"`
				Properties map[string]string `json:"properties"`
			} `json:"components"`
			Findings []struct {
				RuleID string `json:"rule_id"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		rules := map[string]int{}
		for _, f := range rep.Findings {
			rules[f.RuleID]++
		}
		sig := ""
		for _, c := range rep.Components {
			if c.Kind == "model" && filepath.Base(c.Name) == "model.pkl" {
				sig = c.Properties["signature"]
			}
		}
		return rules, sig
	}
	rules, sig := scan()
	if sig != "verified" || rules["ASSAY-MDL-005"] != 0 || rules["ASSAY-PRV-010"] != 0 {
		t.Errorf("signed model: signature=%q, findings %v", sig, rules)
	}
	writeFile(t, filepath.Join(model, "model.pkl"), "\x80\x02}q\x00(X\x01\x00\x00\x00aK\x01u.")
	rules, sig = scan()
	if sig == "verified" || rules["ASSAY-PRV-010"] == 0 {
		t.Errorf("changed model: signature=%q, findings %v", sig, rules)
	}
}
