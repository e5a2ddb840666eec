package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type smsRow struct {
	Label string `parquet:"label"`
	Text  string `parquet:"text"`
}

func writeSMSParquet(t *testing.T, path string, lines []string) {
	t.Helper()
	var rows []smsRow
	for _, l := range lines {
		label, text, _ := strings.Cut(l, "\t")
		rows = append(rows, smsRow{label, text})
	}
	if err := parquet.WriteFile(path, rows); err != nil {
		t.Fatal(err)
	}
}

func TestDataScreenParquet(t *testing.T) {
	src, err := os.ReadFile("../datagate/testdata/sms_800.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")[1:]
	dir := t.TempDir()
	base, batch := filepath.Join(dir, "train.parquet"), filepath.Join(dir, "batch.parquet")
	writeSMSParquet(t, base, lines[:600])
	poisoned := append([]string(nil), lines[600:]...)
	for i := 0; i < 6; i++ {
		poisoned = append(poisoned, "ham\tURGENT! You have won a 1000 cash prize tq call 09061701461 now")
	}
	writeSMSParquet(t, batch, poisoned)
	acc, quar := filepath.Join(dir, "ok.parquet"), filepath.Join(dir, "held.parquet")
	code, _, stderr := runCLI(t, "data", "screen", batch, "--baseline", base, "--accept", acc, "--quarantine", quar, "-q")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	a, err := parquet.ReadFile[smsRow](acc)
	if err != nil {
		t.Fatal(err)
	}
	q, err := parquet.ReadFile[smsRow](quar)
	if err != nil {
		t.Fatal(err)
	}
	if len(a)+len(q) != 206 || len(q) < 6 || !strings.Contains(stderr, "206 rows = ") {
		t.Errorf("split %d + %d, want 206 with >= 6 held; stderr %q", len(a), len(q), stderr)
	}
	// a truncated batch is a usage/fatal error naming the file
	data, _ := os.ReadFile(batch)
	cut := filepath.Join(dir, "cut.parquet")
	writeFile(t, cut, string(data[:len(data)/2]))
	code, _, stderr = runCLI(t, "data", "screen", cut, "--baseline", base)
	if code != 2 || !strings.Contains(stderr, "cut.parquet") {
		t.Errorf("truncated: exit %d, stderr %q", code, stderr)
	}
}

func TestDataScreenFieldsFromPolicy(t *testing.T) {
	src, err := os.ReadFile("../datagate/testdata/sms_800.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	dir := t.TempDir()
	base, batch := filepath.Join(dir, "train.tsv"), filepath.Join(dir, "batch.tsv")
	writeFile(t, base, strings.Join(lines[:601], "\n")+"\n")
	writeFile(t, batch, lines[0]+"\n"+strings.Join(lines[700:720], "\n")+"\n")
	pol := filepath.Join(dir, "assay.yaml")
	writeFile(t, pol, "version: 1\ndata:\n  text_field: SMS\n  label_field: Label\n")

	// --policy FILE supplies the fields
	if code, _, stderr := runCLI(t, "data", "screen", batch, "--baseline", base, "--policy", pol, "-q"); code != 0 {
		t.Errorf("--policy: exit %d: %s", code, stderr)
	}
	// explicit flags win over the policy
	if code, _, stderr := runCLI(t, "data", "screen", batch, "--baseline", base, "--policy", pol, "--text-field", "body", "-q"); code != 2 || !strings.Contains(stderr, `"body"`) {
		t.Errorf("flag over policy: exit %d: %s", code, stderr)
	}
	// ./assay.yaml is read when present
	t.Chdir(dir)
	if code, _, stderr := runCLI(t, "data", "screen", "batch.tsv", "--baseline", "train.tsv", "-q"); code != 0 {
		t.Errorf("./assay.yaml: exit %d: %s", code, stderr)
	}
	// an invalid policy is a usage error with its line
	writeFile(t, pol, "data:\n  txt_field: SMS\n")
	if code, _, stderr := runCLI(t, "data", "screen", "batch.tsv", "--baseline", "train.tsv", "-q"); code != 2 || !strings.Contains(stderr, "assay.yaml:2") {
		t.Errorf("invalid policy: exit %d: %s", code, stderr)
	}
}
