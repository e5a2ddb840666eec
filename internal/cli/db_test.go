package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osvZip builds a small OSV export in memory.
func osvZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	recs := map[string]string{
		"PYSEC-2014-13.json": `{"id":"PYSEC-2014-13","modified":"2023-01-01T00:00:00Z","summary":"requests before 2.3.0 leaks netrc passwords on redirect","affected":[{"package":{"ecosystem":"PyPI","name":"requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.3.0"}]}]}]}`,
		"MAL-2099-1.json":    `{"id":"MAL-2099-1","modified":"2023-01-01T00:00:00Z","summary":"test malicious package","affected":[{"package":{"ecosystem":"PyPI","name":"evilpkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
	}
	for n, b := range recs {
		w, _ := zw.Create(n)
		w.Write([]byte(b))
	}
	zw.Close()
	return buf.Bytes()
}

func dbCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDBUpdateStatusScan(t *testing.T) {
	body := osvZip(t)
	mode := "ok"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/PyPI/all.zip" {
			http.NotFound(w, r)
			return
		}
		switch mode {
		case "500":
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		case "truncated":
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:len(body)/2])
			return
		}
		if r.Header.Get("If-None-Match") == `"e1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"e1"`)
		w.Write(body)
	}))
	defer srv.Close()
	cache := t.TempDir()

	code, out, errs := dbCLI(t, nil, "db", "update", "--ecosystem", "PyPI", "--url", srv.URL, "--cache-dir", cache)
	if code != 0 || !strings.Contains(out, "PyPI") || !strings.Contains(out, "updated: 2 records") {
		t.Fatalf("update: %d %q %q", code, out, errs)
	}
	code, out, _ = dbCLI(t, nil, "db", "update", "--ecosystem", "PyPI", "--url", srv.URL, "--cache-dir", cache, "-q")
	if code != 0 || !strings.Contains(out, "unchanged") {
		t.Fatalf("second update: %d %q", code, out)
	}
	for _, m := range []string{"500", "truncated"} {
		mode = m
		code, out, errs = dbCLI(t, nil, "db", "update", "--ecosystem", "PyPI", "--url", srv.URL, "--cache-dir", cache, "-q")
		if code != ExitError || !strings.Contains(out, "previous data kept") || !strings.Contains(errs, "update failed for PyPI") {
			t.Fatalf("%s: %d %q %q", m, code, out, errs)
		}
	}
	mode = "ok"

	code, out, _ = dbCLI(t, nil, "db", "status", "--cache-dir", cache)
	if code != 0 || !strings.Contains(out, "embedded feed") || !strings.Contains(out, "PyPI") || !strings.Contains(out, "2 records") || !strings.Contains(out, "indexed") {
		t.Fatalf("status: %d %q", code, out)
	}
	code, out, _ = dbCLI(t, nil, "db", "status", "--cache-dir", cache, "-f", "json")
	var st struct {
		Embedded struct{ Records int } `json:"embedded"`
		Cached   []struct {
			Ecosystem string
			Records   int
			Indexed   bool
		} `json:"cached"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Embedded.Records < 18 || len(st.Cached) != 1 || st.Cached[0].Records != 2 || !st.Cached[0].Indexed {
		t.Fatalf("status json: %d %s", code, out)
	}
	if code, _, _ := dbCLI(t, nil, "db", "status", "-f", "xml", "--cache-dir", cache); code != ExitError {
		t.Fatalf("bad format: %d", code)
	}

	// A scan uses the cached DB (through ASSAY_CACHE_DIR) and the embedded feed.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("requests==2.2.0\nlitellm==1.82.8\n"), 0o644)
	code, out, errs = dbCLI(t, map[string]string{"ASSAY_CACHE_DIR": cache}, "scan", dir, "-f", "json", "--offline")
	var rep struct {
		Findings []struct {
			RuleID     string   `json:"rule_id"`
			Advisories []string `json:"advisories"`
		} `json:"findings"`
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("scan output: %v %q %q", err, out, errs)
	}
	got := map[string]string{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.RuleID, "ASSAY-DEP") {
			got[f.Advisories[0]] = f.RuleID
		}
	}
	if code != ExitFindings || got["PYSEC-2014-13"] != "ASSAY-DEP-002" || got["MAL-2026-2144"] != "ASSAY-DEP-001" {
		t.Fatalf("scan: exit %d, DEP findings %v", code, got)
	}
	if !strings.Contains(rep.Meta["advisory_db"], "all.zip") {
		t.Errorf("advisory_db meta: %q", rep.Meta["advisory_db"])
	}

	// --db with a missing path is a usage error.
	if code, _, _ := dbCLI(t, map[string]string{"ASSAY_CACHE_DIR": cache}, "scan", dir, "--db", filepath.Join(dir, "nope.zip")); code != ExitError {
		t.Fatalf("missing --db: exit %d", code)
	}
}

func TestDBHelp(t *testing.T) {
	code, out, _ := dbCLI(t, nil, "db")
	if code != 0 || !strings.Contains(out, "update") || !strings.Contains(out, "status") {
		t.Fatalf("%d %q", code, out)
	}
	if code, _, _ := dbCLI(t, nil, "db", "update", "extra-arg"); code != ExitError {
		t.Fatalf("extra arg: %d", code)
	}
}
