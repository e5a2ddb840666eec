package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "proj", "requirements.txt"), "litellm==1.82.8\nrequests==2.32.3\n")
	code, report, stderr := runCLI(t, "scan", filepath.Join(dir, "proj"), "-f", "json")
	if code != 1 {
		t.Fatalf("scan exit %d: %s", code, stderr)
	}
	tokenFile := filepath.Join(dir, "token")
	writeFile(t, tokenFile, "s3cret-token-for-tests\n")

	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuf
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "inv.db"), "--token-file", tokenFile}, strings.NewReader(""), io.Discard, &errb)
	}()
	var base string
	re := regexp.MustCompile(`listening on (http://\S+)`)
	for i := 0; i < 200 && base == ""; i++ {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			base = m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	if base == "" {
		cancel()
		t.Fatalf("server did not start: %s", errb.String())
	}
	call := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret-token-for-tests")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if c, m := call("PUT", "/api/v1/projects/acme%2Frag", report); c != 200 {
		t.Fatalf("upload: %d %v", c, m)
	}
	if c, m := call("GET", "/api/v1/affected?purl=pkg:pypi/litellm@1.82.8", ""); c != 200 || m["projects"].(float64) != 1 {
		t.Errorf("affected: %d %v", c, m)
	}
	// assay push: scan + upload in one step
	writeFile(t, filepath.Join(dir, "proj2", "requirements.txt"), "litellm==1.82.7\n")
	code, _, stderr = runCLI(t, "push", filepath.Join(dir, "proj2"), "--server", base, "--project", "acme/two", "--token-file", tokenFile, "-q")
	if code != 1 || !strings.Contains(stderr, "uploaded") {
		t.Errorf("push: exit %d: %s", code, stderr)
	}
	if c, m := call("POST", "/api/v1/affected", litellmOSV); c != 200 || m["projects"].(float64) != 2 {
		t.Errorf("affected after push: %d %v", c, m)
	}
	if code, _, _ := runCLI(t, "push", filepath.Join(dir, "proj2"), "--server", base, "--project", "acme/two", "--token-file", filepath.Join(dir, "proj", "requirements.txt")); code != 2 {
		t.Errorf("push with a wrong token: exit %d, want 2", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

const litellmOSV = `{"schema_version":"1.7.4","id":"MAL-2026-2144","modified":"2026-03-25T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"litellm"},"versions":["1.82.7","1.82.8"]}]}`

func TestServeRequiresToken(t *testing.T) {
	if code, _, stderr := runCLI(t, "serve", "--db", filepath.Join(t.TempDir(), "x.db")); code != 2 || !strings.Contains(stderr, "token") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
