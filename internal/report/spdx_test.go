package report

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
)

func renderSPDX(t *testing.T) []byte {
	t.Helper()
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	var buf bytes.Buffer
	if err := SPDX(&buf, bomReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The official SPDX 2.3 JSON schema is not available from any source this
// project may fetch (see testdata/SOURCES.md), so the document is checked by
// reading it back with the SPDX project's own Go library and by the schema's
// structural rules that matter: id syntax, required fields, date format, and
// relationships that only name elements of the document.
func TestSPDXDocument(t *testing.T) {
	out := renderSPDX(t)
	doc, err := spdxjson.Read(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("tools-golang cannot read the document back: %v", err)
	}
	if doc.SPDXVersion != spdx.Version || doc.DataLicense != "CC0-1.0" || doc.CreationInfo.Created != "2026-01-01T00:00:00Z" {
		t.Errorf("header: %s %s %s", doc.SPDXVersion, doc.DataLicense, doc.CreationInfo.Created)
	}
	idRE := regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)
	ids := map[string]bool{"DOCUMENT": true}
	purls := 0
	for _, p := range doc.Packages {
		if !idRE.MatchString(string(p.PackageSPDXIdentifier)) || p.PackageName == "" || p.PackageDownloadLocation == "" {
			t.Errorf("bad package %+v", p)
		}
		if ids[string(p.PackageSPDXIdentifier)] {
			t.Errorf("duplicate id %s", p.PackageSPDXIdentifier)
		}
		ids[string(p.PackageSPDXIdentifier)] = true
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" && r.Category == "PACKAGE-MANAGER" {
				purls++
			}
		}
	}
	if len(doc.Packages) != 12 || purls != 5 {
		t.Errorf("%d packages, %d purls; want 12 (11 components + project), 5", len(doc.Packages), purls)
	}
	describes, deps := 0, 0
	for _, r := range doc.Relationships {
		if !ids[string(r.RefA.ElementRefID)] || !ids[string(r.RefB.ElementRefID)] {
			t.Errorf("relationship names an unknown element: %+v", r)
		}
		switch r.Relationship {
		case "DESCRIBES":
			describes++
		case "DEPENDS_ON":
			deps++
		}
	}
	// 10 direct/AI components from the project + litellm -> openai.
	if describes != 1 || deps != 11 {
		t.Errorf("DESCRIBES %d DEPENDS_ON %d", describes, deps)
	}
	golden(t, filepath.Join("testdata", "spdx", "sample.spdx.json"), out)
}
