package core

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSeverityRoundTrip(t *testing.T) {
	for _, name := range []string{"info", "low", "medium", "high", "critical"} {
		s, err := ParseSeverity(strings.ToUpper(name))
		if err != nil {
			t.Fatalf("ParseSeverity(%q): %v", name, err)
		}
		if s.String() != name {
			t.Errorf("String() = %q, want %q", s.String(), name)
		}
		b, _ := json.Marshal(s)
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("JSON round trip of %q: got %v, %v", name, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe) succeeded, want error")
	}
	if !(SeverityCritical > SeverityHigh && SeverityHigh > SeverityMedium && SeverityLow > SeverityInfo) {
		t.Error("severities are not ordered")
	}
}

func TestMergeComponents(t *testing.T) {
	in := []Component{
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "torch", Version: "2.5.0", Locations: []Location{{Path: "b.txt", Line: 2}}},
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "litellm", Version: "1.82.8", Locations: []Location{{Path: "a.txt", Line: 1}}},
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "torch", Version: "2.5.0", Direct: true, Locations: []Location{{Path: "a.txt", Line: 5}}, Hashes: []Hash{{"sha256", "ab"}}},
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "torch", Version: "2.6.0", Locations: []Location{{Path: "c.txt", Line: 1}}},
	}
	got := MergeComponents(in)
	want := []Component{
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "litellm", Version: "1.82.8", Locations: []Location{{Path: "a.txt", Line: 1}}},
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "torch", Version: "2.5.0", Direct: true, Locations: []Location{{Path: "a.txt", Line: 5}, {Path: "b.txt", Line: 2}}, Hashes: []Hash{{"sha256", "ab"}}},
		{Kind: KindPackage, Ecosystem: EcosystemPyPI, Name: "torch", Version: "2.6.0", Locations: []Location{{Path: "c.txt", Line: 1}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("MergeComponents (-want +got):\n%s", d)
	}
}

func TestFinalizeSummaryAndExit(t *testing.T) {
	high := SeverityHigh
	tests := []struct {
		name     string
		sevs     []Severity
		failOn   *Severity
		wantFail bool
	}{
		{"empty", nil, &high, false},
		{"below", []Severity{SeverityMedium, SeverityLow}, &high, false},
		{"at", []Severity{SeverityHigh}, &high, true},
		{"above", []Severity{SeverityCritical}, &high, true},
		{"never", []Severity{SeverityCritical}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReport(".")
			for _, s := range tc.sevs {
				r.Findings = append(r.Findings, Finding{RuleID: "X", Severity: s, Location: Location{Path: "f"}})
			}
			r.Finalize(tc.failOn)
			if r.Summary.Failed != tc.wantFail {
				t.Errorf("Failed = %v, want %v", r.Summary.Failed, tc.wantFail)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.wantFail]; r.Summary.ExitCode != want {
				t.Errorf("ExitCode = %d, want %d", r.Summary.ExitCode, want)
			}
			if r.Summary.Findings != len(tc.sevs) {
				t.Errorf("Findings = %d, want %d", r.Summary.Findings, len(tc.sevs))
			}
			for i := 1; i < len(r.Findings); i++ {
				if r.Findings[i-1].Severity < r.Findings[i].Severity {
					t.Errorf("findings not sorted by severity: %v", r.Findings)
				}
			}
		})
	}
}

func TestFingerprintIgnoresLine(t *testing.T) {
	a := Finding{RuleID: "R", Location: Location{Path: "p", Line: 3}, Evidence: "x  = 1"}
	b := Finding{RuleID: "R", Location: Location{Path: "p", Line: 9}, Evidence: "x = 1"}
	c := Finding{RuleID: "R", Location: Location{Path: "q", Line: 3}, Evidence: "x = 1"}
	if a.ComputeFingerprint() != b.ComputeFingerprint() {
		t.Error("fingerprint changed with line/whitespace")
	}
	if a.ComputeFingerprint() == c.ComputeFingerprint() {
		t.Error("fingerprint ignores path")
	}
}

func TestReportJSONContract(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Target: "."}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"schema_version"`, `"tool"`, `"target"`, `"components":[]`, `"findings":[]`, `"errors":[]`, `"summary"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
}

func TestClip(t *testing.T) {
	if got := Clip("héllo", 2); got != "h…" {
		t.Errorf("Clip on rune boundary = %q", got)
	}
	if got := Clip("abc", 5); got != "abc" {
		t.Errorf("Clip short = %q", got)
	}
}
