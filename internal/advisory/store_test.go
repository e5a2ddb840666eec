package advisory

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assay-dev/assay/internal/advisory/osv"
	"github.com/assay-dev/assay/internal/core"
)

func TestEmbeddedFeedValid(t *testing.T) {
	recs, err := FeedRecords()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 18 {
		t.Fatalf("feed has %d records", len(recs))
	}
	idRe := regexp.MustCompile(`^(MAL-\d{4}-\d+|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d+|ASSAY-\d{4}-\d{4}|GO-\d{4}-\d+|PYSEC-\d{4}-\d+)$`)
	seen := map[string]bool{}
	for _, v := range recs {
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", v.ID, err)
		}
		if !idRe.MatchString(v.ID) || seen[v.ID] {
			t.Errorf("%s: bad or duplicate id", v.ID)
		}
		seen[v.ID] = true
		for _, a := range v.Aliases {
			if !idRe.MatchString(a) {
				t.Errorf("%s: bad alias %q", v.ID, a)
			}
		}
		ds := v.DatabaseSpecific
		if k := str(ds, "kind"); k != KindMalicious && k != KindCompromised && k != KindVulnerable {
			t.Errorf("%s: database_specific.kind %q", v.ID, k)
		}
		if c := str(ds, "confidence"); c != "high" && c != "medium" && c != "low" {
			t.Errorf("%s: database_specific.confidence %q", v.ID, c)
		}
		if v.Summary == "" || v.Details == "" || len(v.Affected) == 0 {
			t.Errorf("%s: summary, details and affected are required in the feed", v.ID)
		}
		if str(ds, "kind") != KindVulnerable && len(strs(ds["sources"])) == 0 {
			t.Errorf("%s: incident entries must cite sources", v.ID)
		}
		if len(FromOSV(v, "t")) != len(v.Affected) {
			t.Errorf("%s: not every affected entry converts", v.ID)
		}
	}
	src, err := Feed()
	if err != nil || src.Info().Records != len(recs) {
		t.Fatalf("Feed: %v %+v", err, src.Info())
	}
}

// writeZip writes an OSV export with the given records (name -> JSON).
func writeZip(t testing.TB, path string, recs map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range recs {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testRecords(t testing.TB) map[string][]byte {
	recs := map[string][]byte{}
	for _, p := range []string{"testdata/db/pypi/MAL-2026-2144.json", "testdata/db/pypi/PYSEC-2014-13.yaml", "testdata/db/npm/MAL-2025-47141.json", "testdata/db/pypi/PYSEC-2023-73.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		recs[filepath.Base(p)] = b
	}
	return recs
}

func TestZipIndexReuse(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	zp := filepath.Join(dir, "all.zip")
	recs := testRecords(t)
	recs["broken.json"] = []byte(`{"id": "X-1"`)
	writeZip(t, zp, recs)
	s1, err := Open(zp, "db", cache)
	if err != nil {
		t.Fatal(err)
	}
	info := s1.Info()
	if info.Index == "" || info.Records != 4 || info.Withdrawn != 1 || info.Invalid != 1 {
		t.Fatalf("first open: %+v", info)
	}
	es, err := s1.Lookup(key("PyPI", "LiteLLM"))
	if err != nil || len(es) != 1 || es[0].ID != "MAL-2026-2144" {
		t.Fatalf("lookup: %v %+v", err, es)
	}
	if es, _ := s1.Lookup(key("PyPI", "nope")); len(es) != 0 {
		t.Fatal("lookup of unknown name returned entries")
	}
	s1.Close()
	// Second open: the pointer hits, no rebuild (index mtime unchanged).
	st1, _ := os.Stat(info.Index)
	time.Sleep(10 * time.Millisecond)
	s2, err := Open(zp, "db", cache)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(s2.Info().Index)
	if !st1.ModTime().Equal(st2.ModTime()) || s2.Info().Index != info.Index {
		t.Fatal("index rebuilt although the source did not change")
	}
	s2.Close()
	// Touching the file (same content) re-hashes but reuses the index.
	now := time.Now().Add(time.Minute)
	os.Chtimes(zp, now, now)
	s3, err := Open(zp, "db", cache)
	if err != nil || s3.Info().Index != info.Index {
		t.Fatalf("touch: %v", err)
	}
	s3.Close()
	// A corrupt index is rebuilt, not trusted.
	os.WriteFile(info.Index, []byte("ASSAYIX1 garbage"), 0o644)
	s4, err := Open(zp, "db", cache)
	if err != nil {
		t.Fatal(err)
	}
	if es, _ := s4.Lookup(key("npm", "@ctrl/tinycolor")); len(es) != 1 || es[0].Ranges != nil {
		t.Fatalf("after rebuild: %+v", es)
	}
	s4.Close()
	// Changed content: new index.
	delete(recs, "broken.json")
	writeZip(t, zp, recs)
	s5, err := Open(zp, "db", cache)
	if err != nil || s5.Info().Index == info.Index || s5.Info().Invalid != 0 {
		t.Fatalf("changed content: %v %+v", err, s5.Info())
	}
	s5.Close()
}

func TestZipWithoutCacheAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	zp := filepath.Join(dir, "all.zip")
	writeZip(t, zp, testRecords(t))
	s, err := Open(zp, "db", "")
	if err != nil || s.Info().Index != "" || s.Info().Records != 4 {
		t.Fatalf("in-memory: %v %+v", err, s.Info())
	}
	b, _ := os.ReadFile(zp)
	trunc := filepath.Join(dir, "trunc.zip")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	if _, err := Open(trunc, "db", t.TempDir()); err == nil {
		t.Fatal("truncated zip accepted")
	}
	if _, err := ValidateZip(trunc); err == nil {
		t.Fatal("ValidateZip accepted a truncated zip")
	}
	// A record that inflates past the per-record limit (highly compressible
	// padding) is counted invalid; the rest of the export still loads.
	bomb := testRecords(t)
	bomb["bomb.json"] = append([]byte(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","details":"`), bytes.Repeat([]byte("A"), osv.MaxRecordSize+10)...)
	bz := filepath.Join(dir, "bomb.zip")
	writeZip(t, bz, bomb)
	if st, _ := os.Stat(bz); st.Size() > 1<<20 {
		t.Fatalf("bomb fixture not compressed: %d", st.Size())
	}
	sb, err := Open(bz, "db", "")
	if err != nil || sb.Info().Invalid != 1 || sb.Info().Records != 4 || !strings.Contains(sb.Info().Errors[0], "exceeds") {
		t.Fatalf("bomb: %v %+v", err, sb.Info())
	}
	empty := filepath.Join(dir, "empty.zip")
	writeZip(t, empty, map[string][]byte{"README.txt": []byte("hi")})
	if _, err := ValidateZip(empty); err == nil {
		t.Fatal("ValidateZip accepted a zip without records")
	}
}

func TestDirIndex(t *testing.T) {
	cache := t.TempDir()
	s, err := Open("testdata/db", "db", cache)
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Index == "" || s.Info().Records != 7 {
		t.Fatalf("%+v", s.Info())
	}
	s.Close()
	s2, err := Open("testdata/db", "db", cache)
	if err != nil || s2.Info().Index != s.Info().Index {
		t.Fatal("directory index not reused")
	}
	s2.Close()
}

func FuzzIndex(f *testing.F) {
	dir, cache := f.TempDir(), f.TempDir()
	zp := filepath.Join(dir, "all.zip")
	writeZip(f, zp, testRecords(f))
	s, err := Open(zp, "db", cache)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(s.Info().Index)
	s.Close()
	f.Add(good)
	f.Add([]byte(indexMagic))
	f.Add(good[:len(good)/2])
	p := filepath.Join(dir, "fuzz.idx")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Skip()
		}
		ix, err := openIndex(p)
		if err != nil {
			return
		}
		defer ix.close()
		for _, k := range []string{key("PyPI", "litellm"), key("npm", "@ctrl/tinycolor"), "", "\xff"} {
			es, _ := ix.lookup(k)
			pr := newParser()
			for i := range es {
				pr.Affects(&es[i], "1.0.0")
				pr.LowestFixedAbove(&es[i], "1.0.0")
			}
		}
	})
}

func FuzzRecordMatch(f *testing.F) {
	for _, p := range []string{"testdata/db/pypi/MAL-2026-2144.json", "testdata/db/pypi/PYSEC-2023-221.yaml", "feed/GHSA-69fq-xp46-6x23.json", "feed/GHSA-c67j-w6g6-q2cm.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "1.82.8", ">=1.80")
	}
	f.Fuzz(func(t *testing.T, rec []byte, ver, req string) {
		v, err := osv.Parse(rec)
		if err != nil || v.Validate() != nil {
			return
		}
		es := FromOSV(v, "fuzz")
		m := newMatcher(nil)
		for i := range es {
			c := core.Component{Kind: core.KindPackage, Ecosystem: es[i].Ecosystem, Name: es[i].Name, Version: ver, Locations: []core.Location{{Path: "x"}}}
			m.component(&c, es[i:i+1])
			c.Version, c.Requirement = "", req
			m.component(&c, es[i:i+1])
		}
	})
}

func serveZip(t *testing.T, body []byte, etag string, hits *atomic.Int32, mode *atomic.Value) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !strings.HasSuffix(r.URL.Path, "/all.zip") {
			http.NotFound(w, r)
			return
		}
		switch mode.Load().(string) {
		case "500":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "truncated":
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/3])
			return // the server closes the connection short
		case "badzip":
			w.Write([]byte("this is not a zip file at all"))
			return
		case "interrupt":
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(http.StatusOK)
			w.Write(body[:100])
			if hj, ok := w.(http.Hijacker); ok {
				conn, _, _ := hj.Hijack()
				conn.Close()
			}
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Mon, 23 Nov 2026 00:00:00 GMT")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
}

func TestUpdate(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	zp := filepath.Join(dir, "src.zip")
	writeZip(t, zp, testRecords(t))
	body, _ := os.ReadFile(zp)
	var hits atomic.Int32
	var mode atomic.Value
	mode.Store("ok")
	srv := serveZip(t, body, `"v1"`, &hits, &mode)
	defer srv.Close()
	upd := func() UpdateResult {
		res := Update(context.Background(), UpdateOptions{Ecosystems: []string{"PyPI"}, BaseURL: srv.URL, CacheDir: cache, Client: srv.Client()})
		if len(res) != 1 {
			t.Fatalf("results: %+v", res)
		}
		return res[0]
	}
	r := upd()
	if r.Err != nil || r.Status != "updated" || r.Meta.Records != 4 || r.Meta.ETag != `"v1"` || r.Meta.Size != int64(len(body)) || len(r.Meta.SHA256) != 64 {
		t.Fatalf("first update: %+v", r)
	}
	installed, _ := os.ReadFile(filepath.Join(cache, "db", "PyPI", "all.zip"))
	if !bytes.Equal(installed, body) {
		t.Fatal("installed export differs from the served one")
	}
	if r := upd(); r.Err != nil || r.Status != "unchanged" {
		t.Fatalf("conditional GET: %+v", r)
	}
	for _, m := range []string{"500", "truncated", "badzip", "interrupt"} {
		mode.Store(m)
		r := upd()
		if r.Err == nil || r.Status != "failed" {
			t.Errorf("%s: want failure, got %+v", m, r)
		}
		now, _ := os.ReadFile(filepath.Join(cache, "db", "PyPI", "all.zip"))
		if !bytes.Equal(now, body) {
			t.Fatalf("%s: old export not intact", m)
		}
		left, _ := filepath.Glob(filepath.Join(cache, "db", "PyPI", ".download-*"))
		if len(left) != 0 {
			t.Errorf("%s: temp files left: %v", m, left)
		}
	}
	// A new export replaces the old one and its index.
	mode.Store("ok")
	recs2 := testRecords(t)
	delete(recs2, "PYSEC-2023-73.yaml")
	zp2 := filepath.Join(dir, "src2.zip")
	writeZip(t, zp2, recs2)
	body2, _ := os.ReadFile(zp2)
	srv2 := serveZip(t, body2, `"v2"`, &hits, &mode)
	defer srv2.Close()
	res := Update(context.Background(), UpdateOptions{Ecosystems: []string{"PyPI"}, BaseURL: srv2.URL, CacheDir: cache, Client: srv2.Client()})
	if res[0].Err != nil || res[0].Status != "updated" || res[0].Meta.Records != 3 {
		t.Fatalf("second export: %+v", res[0])
	}
	if idx, _ := filepath.Glob(filepath.Join(cache, "index", "*.idx")); len(idx) != 1 {
		t.Fatalf("stale indexes kept: %v", idx)
	}
	// The cached DB is used by scans automatically.
	a, err := NewAnalyzer(Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	rep := core.NewReport(".")
	rep.Components = []core.Component{pkg("PyPI", "requests", "2.0.0", "", "requirements.txt", 1, "manifest")}
	if err := a.Analyze(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Advisories[0] != "PYSEC-2014-13" {
		t.Fatalf("cached DB not used: %+v", rep.Findings)
	}
	st, err := GetStatus(cache)
	if err != nil || len(st.Cached) != 1 || !st.Cached[0].Indexed || st.Cached[0].Records != 3 {
		t.Fatalf("status: %v %+v", err, st)
	}
}
