package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/core"
)

const token = "test-token-0123456789"

func report(target string, pkgs ...[2]string) *core.Report {
	r := core.NewReport(target)
	for _, p := range pkgs {
		r.Components = append(r.Components, core.Component{Kind: core.KindPackage, Ecosystem: core.EcosystemPyPI, Name: p[0], Version: p[1],
			PURL: "pkg:pypi/" + strings.ToLower(p[0]) + "@" + p[1], Direct: true, Locations: []core.Location{{Path: "requirements.txt", Line: 3}}})
	}
	r.Findings = append(r.Findings, core.Finding{RuleID: "ASSAY-DEP-001", Severity: core.SeverityCritical, Title: "t", Message: "m",
		Location: core.Location{Path: "requirements.txt", Line: 3}, Advisories: []string{"MAL-2026-2144", "PYSEC-2026-2"}})
	r.Finalize(nil)
	return r
}

func newTestServer(t testing.TB, dsn string) (*httptest.Server, *Store) {
	t.Helper()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "inv.db")
	}
	st, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(st, Options{Token: token, Now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); st.Close() })
	return ts, st
}

func do(t testing.TB, ts *httptest.Server, method, path string, body []byte, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if auth {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const litellmMAL = `{
  "schema_version": "1.7.4",
  "id": "MAL-2026-2144",
  "aliases": ["PYSEC-2026-2"],
  "modified": "2026-03-25T00:00:00Z",
  "summary": "Malicious code in litellm (PyPI)",
  "affected": [{"package": {"ecosystem": "PyPI", "name": "litellm"}, "versions": ["1.82.7", "1.82.8"]}]
}`

func TestInventoryAPI(t *testing.T) {
	ts, _ := newTestServer(t, "")
	runAPI(t, ts)
}

// TestInventoryAPIPostgres runs the same checks against PostgreSQL when
// ASSAY_TEST_POSTGRES_DSN names a database (CI without one skips).
func TestInventoryAPIPostgres(t *testing.T) {
	dsn := os.Getenv("ASSAY_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("ASSAY_TEST_POSTGRES_DSN not set")
	}
	ts, st := newTestServer(t, dsn)
	for _, p := range []string{"team/rag", "other"} {
		_ = st.DeleteProject(context.Background(), p)
	}
	runAPI(t, ts)
}

func runAPI(t *testing.T, ts *httptest.Server) {
	if code, _ := do(t, ts, "GET", "/healthz", nil, false); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, _ := do(t, ts, "GET", "/api/v1/projects", nil, false); code != 401 {
		t.Errorf("no token: %d, want 401", code)
	}
	rag := mustJSON(t, report("rag", [2]string{"litellm", "1.82.8"}, [2]string{"torch", "2.5.1"}))
	other := mustJSON(t, report("other", [2]string{"LiteLLM", "1.83.0"}))
	if code, m := do(t, ts, "PUT", "/api/v1/projects/team%2Frag", rag, true); code != 200 || m["components"].(float64) != 2 {
		t.Fatalf("put rag: %d %v", code, m)
	}
	if code, m := do(t, ts, "PUT", "/api/v1/projects/other", other, true); code != 200 {
		t.Fatalf("put other: %d %v", code, m)
	}
	code, m := do(t, ts, "GET", "/api/v1/projects", nil, true)
	if code != 200 || len(m["projects"].([]any)) != 2 {
		t.Fatalf("projects: %d %v", code, m)
	}
	// who has litellm 1.82.8? by purl, exact version
	code, m = do(t, ts, "GET", "/api/v1/affected?purl=pkg:pypi/litellm@1.82.8", nil, true)
	if code != 200 || m["projects"].(float64) != 1 || m["hits"].([]any)[0].(map[string]any)["project"] != "team/rag" {
		t.Errorf("affected by purl: %d %v", code, m)
	}
	// any version, PEP 503 name normalisation (LiteLLM)
	if _, m = do(t, ts, "GET", "/api/v1/affected?ecosystem=pypi&name=LITELLM", nil, true); m["projects"].(float64) != 2 {
		t.Errorf("affected by name: %v", m)
	}
	// an advisory lands: only the project with an affected version
	code, m = do(t, ts, "POST", "/api/v1/affected", []byte(litellmMAL), true)
	if code != 200 || m["projects"].(float64) != 1 {
		t.Fatalf("affected by advisory: %d %v", code, m)
	}
	hit := m["hits"].([]any)[0].(map[string]any)
	if hit["project"] != "team/rag" || hit["version"] != "1.82.8" || !strings.Contains(fmt.Sprint(hit["advisories"]), "PYSEC-2026-2") {
		t.Errorf("advisory hit: %v", hit)
	}
	if _, m = do(t, ts, "GET", "/api/v1/findings?advisory=PYSEC-2026-2", nil, true); len(m["findings"].([]any)) != 2 {
		t.Errorf("findings by advisory: %v", m)
	}
	// re-upload replaces the inventory
	fixed := mustJSON(t, report("rag", [2]string{"litellm", "1.83.0"}))
	do(t, ts, "PUT", "/api/v1/projects/team%2Frag", fixed, true)
	if _, m = do(t, ts, "POST", "/api/v1/affected", []byte(litellmMAL), true); m["projects"].(float64) != 0 {
		t.Errorf("after fix: %v", m)
	}
	// bad input
	for _, tc := range []struct {
		method, path string
		body         []byte
		want         int
	}{
		{"PUT", "/api/v1/projects/x", []byte("not json"), 400},
		{"PUT", "/api/v1/projects/x", []byte(`{"schema_version":"9.0.0"}`), 400},
		{"PUT", "/api/v1/projects/bad%20name", rag, 400},
		{"PUT", "/api/v1/projects/x", bytes.Repeat([]byte(" "), MaxReportBytes+1), 413},
		{"POST", "/api/v1/affected", []byte(`{"id":"x"}`), 400},
		{"GET", "/api/v1/affected?purl=nonsense", nil, 400},
		{"GET", "/api/v1/affected", nil, 400},
		{"DELETE", "/api/v1/projects/nope", nil, 404},
	} {
		if code, m := do(t, ts, tc.method, tc.path, tc.body, true); code != tc.want {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, code, m, tc.want)
		}
	}
	if code, _ := do(t, ts, "DELETE", "/api/v1/projects/other", nil, true); code != 204 {
		t.Errorf("delete: %d", code)
	}
}

func TestNewRequiresToken(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := New(st, Options{Token: "short"}); err == nil {
		t.Error("short token accepted")
	}
}

func FuzzDecodeReport(f *testing.F) {
	f.Add(mustJSON(f, report("x", [2]string{"a", "1"})))
	f.Add([]byte(`{"schema_version":"1.0.0","components":[{"kind":"package","severity":"bogus"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := decodeReport(b)
		if err == nil && !strings.HasPrefix(rep.SchemaVersion, "1.") {
			t.Fatal("accepted a non-1.x report")
		}
	})
}

// BenchmarkWhoIsAffected stores 2,000 projects × 250 components and times
// the "which projects contain litellm 1.82.8?" query.
func BenchmarkWhoIsAffected(b *testing.B) {
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "inv.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for p := 0; p < 2000; p++ {
		var pkgs [][2]string
		for c := 0; c < 250; c++ {
			pkgs = append(pkgs, [2]string{fmt.Sprintf("pkg%d", (p*7+c)%5000), fmt.Sprintf("1.%d.0", c%20)})
		}
		if p%50 == 0 {
			pkgs = append(pkgs, [2]string{"litellm", "1.82.8"})
		}
		if _, err := st.PutReport(ctx, fmt.Sprintf("proj-%04d", p), report("x", pkgs...), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hits, err := st.Components(ctx, "PyPI", "litellm", "1.82.8")
		if err != nil || len(hits) != 40 {
			b.Fatalf("%d hits, %v", len(hits), err)
		}
	}
}
