package policy

import (
	"strings"
	"testing"
)

func TestParseDataSection(t *testing.T) {
	p, err := Parse([]byte("version: 1\ndata:\n  text_field: SMS\n  label_field: Label\n"), "assay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.DataTextField != "SMS" || p.DataLabelField != "Label" {
		t.Errorf("data fields = %q, %q", p.DataTextField, p.DataLabelField)
	}
	// absent section: empty fields (the CLI defaults apply)
	p, err = Parse([]byte("version: 1\n"), "assay.yaml")
	if err != nil || p.DataTextField != "" || p.DataLabelField != "" {
		t.Errorf("no data section: %+v, %v", p, err)
	}
	for _, tc := range []struct{ doc, want string }{
		{"data:\n  text_feld: x\n", "assay.yaml:2"},
		{"data:\n  text_field: \"\"\n", "data.text_field must not be empty"},
		{"data:\n  label_field: [a]\n", "assay.yaml:2"},
		{"data: yes\n", "assay.yaml:1"},
	} {
		_, err := Parse([]byte(tc.doc), "assay.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.doc, err, tc.want)
		}
	}
}
