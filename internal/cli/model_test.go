package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evilPickle is os.system("id") as a protocol-2 pickle.
func evilPickle() []byte {
	var b bytes.Buffer
	b.WriteString("\x80\x02cos\nsystem\nX")
	binary.Write(&b, binary.LittleEndian, uint32(2))
	b.WriteString("id\x85R.")
	return b.Bytes()
}

func safetensorsBytes() []byte {
	hdr := `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}`
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(hdr)))
	b.WriteString(hdr)
	b.Write(make([]byte, 8))
	return b.Bytes()
}

func runModel(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"model"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestModelVerbFindsPayload(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.pkl"), evilPickle(), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.safetensors"), safetensorsBytes(), 0o644)
	code, out, stderr := runModel(t, dir, "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (stderr %s)", code, stderr)
	}
	var rep struct {
		Components []struct {
			Name       string            `json:"name"`
			Kind       string            `json:"kind"`
			Properties map[string]string `json:"properties"`
		} `json:"components"`
		Findings []struct {
			RuleID   string `json:"rule_id"`
			Severity string `json:"severity"`
			Location struct {
				Path   string `json:"path"`
				Offset int64  `json:"offset"`
			} `json:"location"`
			Evidence string `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(rep.Components) != 2 {
		t.Errorf("components = %+v", rep.Components)
	}
	var crit bool
	for _, f := range rep.Findings {
		if f.RuleID == "ASSAY-MDL-002" && f.Severity == "critical" && f.Location.Path == "model.pkl" && f.Location.Offset == 2 && strings.Contains(f.Evidence, `os.system("id",)`) {
			crit = true
		}
	}
	if !crit {
		t.Errorf("no critical MDL-002 on model.pkl@2: %+v", rep.Findings)
	}
}

func TestModelVerbBenignAndFlags(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ok.safetensors")
	os.WriteFile(p, safetensorsBytes(), 0o644)
	// A single file, a pinned digest is not required to pass at --fail-on high.
	code, out, _ := runModel(t, p, "-q")
	if code != 0 || !strings.Contains(out, "1 components") {
		t.Errorf("exit %d, out %q", code, out)
	}
	// --hash-limit below the file size: no hash, a note instead.
	code, out, _ = runModel(t, p, "-f", "json", "--hash-limit", "16B")
	if code != 0 || !strings.Contains(out, "not computed: file larger than 16 bytes") {
		t.Errorf("hash-limit: exit %d, %s", code, out)
	}
	if code, _, stderr := runModel(t, p, "--hash-limit", "lots"); code != 2 || !strings.Contains(stderr, "hash-limit") {
		t.Errorf("bad --hash-limit: exit %d, %q", code, stderr)
	}
	if code, _, _ := runModel(t, filepath.Join(dir, "missing.pt")); code != 2 {
		t.Errorf("missing path: exit %d", code)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"256MiB": 256 << 20, "1GiB": 1 << 30, "10": 10, "5KB": 5000, "0": -1, "off": -1, "64kib": 64 << 10} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "12XB", "MiB"} {
		if _, err := parseByteSize(bad); err == nil {
			t.Errorf("parseByteSize(%q) accepted", bad)
		}
	}
}
