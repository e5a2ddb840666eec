package osv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBaseScore(t *testing.T) {
	for vec, want := range map[string]float64{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10.0,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N": 5.4,
		"CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N": 1.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N": 0,
		"CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:N": 8.2,
	} {
		got, ok := BaseScore(vec)
		if !ok || got != want {
			t.Errorf("%s: got %v %v, want %v", vec, got, ok, want)
		}
	}
	if s, ok := BaseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"); !ok || Band(s) != "critical" {
		t.Errorf("v4 critical vector: %v %v", s, ok)
	}
	for _, bad := range []string{"", "CVSS:3.1", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV:N/AC:L", "CVSS:2.0/AV:N"} {
		if _, ok := BaseScore(bad); ok {
			t.Errorf("%q: want !ok", bad)
		}
	}
}

func TestParseRealRecords(t *testing.T) {
	files, _ := filepath.Glob("testdata/records/*")
	if len(files) == 0 {
		t.Fatal("no testdata records")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := Parse(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := v.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if v.ID == "" || len(v.Affected) == 0 {
			t.Errorf("%s: empty record", f)
		}
		if strings.HasPrefix(filepath.Base(f), "MAL-") != v.IsMalicious() {
			t.Errorf("%s: IsMalicious=%v", f, v.IsMalicious())
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := map[string]string{
		"no id":        `{"modified":"2024-01-01T00:00:00Z"}`,
		"no modified":  `{"id":"X-1"}`,
		"bad time":     `{"id":"X-1","modified":"yesterday"}`,
		"no package":   `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"versions":["1"]}]}`,
		"bad range":    `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"DATE","events":[{"introduced":"0"}]}]}]}`,
		"no intro":     `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"1"}]}]}]}`,
		"two keys":     `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`,
		"fixed+last":   `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1"},{"last_affected":"2"}]}]}]}`,
		"git no repo":  `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"GIT","events":[{"introduced":"0"}]}]}]}`,
		"bad severity": `{"id":"X-1","modified":"2024-01-01T00:00:00Z","severity":[{"type":"CVSS_V9","score":"x"}]}`,
		"bad ref":      `{"id":"X-1","modified":"2024-01-01T00:00:00Z","references":[{"type":"BLOG","url":"https://x"}]}`,
	}
	for name, js := range cases {
		v, err := Parse([]byte(js))
		if err != nil {
			t.Errorf("%s: parse: %v", name, err)
			continue
		}
		if err := v.Validate(); err == nil {
			t.Errorf("%s: want validation error", name)
		}
	}
	if _, err := Parse(make([]byte, MaxRecordSize+1)); err == nil {
		t.Error("oversized record accepted")
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/records/*")
	for _, fn := range files {
		if b, err := os.ReadFile(fn); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`))
	f.Add([]byte("id: X-1\nmodified: 2024-01-01T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Parse(b)
		if err != nil {
			return
		}
		_ = v.Validate()
		_ = v.IsMalicious()
		for _, s := range v.Severity {
			BaseScore(s.Score)
		}
	})
}

func TestParseLeanMatchesParse(t *testing.T) {
	files, _ := filepath.Glob("testdata/records/*.json")
	files = append(files, "../feed/GHSA-69fq-xp46-6x23.json", "../feed/MAL-2026-2144.json", "../feed/CVE-2025-30154.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		full, err1 := Parse(b)
		lean, err2 := ParseLean(b)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if full.ID != lean.ID || len(full.Affected) != len(lean.Affected) || full.IsMalicious() != lean.IsMalicious() || lean.Validate() != nil {
			t.Errorf("%s: lean decode differs", f)
		}
		for _, k := range []string{"kind", "confidence", "fix", "incident"} {
			if full.DatabaseSpecific[k] != lean.DatabaseSpecific[k] {
				t.Errorf("%s: database_specific.%s differs", f, k)
			}
		}
		for i := range full.Affected {
			fw, _ := full.Affected[i].DatabaseSpecific["tag_rewrite_window"].(map[string]any)
			lw, _ := lean.Affected[i].DatabaseSpecific["tag_rewrite_window"].(map[string]any)
			if (fw == nil) != (lw == nil) || (fw != nil && fw["start"] != lw["start"]) {
				t.Errorf("%s: affected[%d] window differs", f, i)
			}
		}
	}
}

func TestParseLeanFallback(t *testing.T) {
	b := []byte(`{"id":"X-1","modified":"2024-01-01T00:00:00Z","database_specific":{"severity":{"score":9},"iocs":{"domains":[1,2]}},"affected":[{"package":{"ecosystem":"PyPI","name":"a"},"versions":["1"]}]}`)
	v, err := ParseLean(b)
	if err != nil || v.ID != "X-1" || v.Validate() != nil {
		t.Fatalf("fallback: %v %+v", err, v)
	}
	if _, err := ParseLean([]byte(`{"id":`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}
