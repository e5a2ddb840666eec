// Package osv is the OSV (Open Source Vulnerability) schema 1.7 model used
// by assay's advisory matching: decoding from JSON or YAML, validation of
// the shape assay relies on, and the small helpers matching needs (alias
// sets, CVSS scores, malicious-record detection).
//
// Bounds: a single record larger than MaxRecordSize is refused before
// decoding; Validate caps the number of affected entries, ranges, events and
// versions it accepts so that a hostile record cannot blow up the index.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxRecordSize bounds one OSV record (real records are < 1 MiB; the
// largest PyPI ones are ~300 KiB because of long version lists).
const MaxRecordSize = 8 << 20

// Limits on one record's structure.
const (
	MaxAffected = 5000
	MaxRanges   = 1000
	MaxEvents   = 5000
	MaxVersions = 200000
)

// Vulnerability is one OSV record.
type Vulnerability struct {
	SchemaVersion    string         `json:"schema_version,omitempty" yaml:"schema_version,omitempty"`
	ID               string         `json:"id" yaml:"id"`
	Modified         string         `json:"modified" yaml:"modified"`
	Published        string         `json:"published,omitempty" yaml:"published,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty" yaml:"withdrawn,omitempty"`
	Aliases          []string       `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	Related          []string       `json:"related,omitempty" yaml:"related,omitempty"`
	Summary          string         `json:"summary,omitempty" yaml:"summary,omitempty"`
	Details          string         `json:"details,omitempty" yaml:"details,omitempty"`
	Severity         []Severity     `json:"severity,omitempty" yaml:"severity,omitempty"`
	Affected         []Affected     `json:"affected,omitempty" yaml:"affected,omitempty"`
	References       []Reference    `json:"references,omitempty" yaml:"references,omitempty"`
	Credits          []Credit       `json:"credits,omitempty" yaml:"credits,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty" yaml:"database_specific,omitempty"`
}

// Severity is a typed severity score (CVSS vector or Ubuntu level).
type Severity struct {
	Type  string `json:"type" yaml:"type"`
	Score string `json:"score" yaml:"score"`
}

// Package names the affected package.
type Package struct {
	Ecosystem string `json:"ecosystem" yaml:"ecosystem"`
	Name      string `json:"name" yaml:"name"`
	PURL      string `json:"purl,omitempty" yaml:"purl,omitempty"`
}

// Affected is one affected package with its ranges and versions.
type Affected struct {
	Package           Package        `json:"package" yaml:"package"`
	Severity          []Severity     `json:"severity,omitempty" yaml:"severity,omitempty"`
	Ranges            []Range        `json:"ranges,omitempty" yaml:"ranges,omitempty"`
	Versions          []string       `json:"versions,omitempty" yaml:"versions,omitempty"`
	EcosystemSpecific map[string]any `json:"ecosystem_specific,omitempty" yaml:"ecosystem_specific,omitempty"`
	DatabaseSpecific  map[string]any `json:"database_specific,omitempty" yaml:"database_specific,omitempty"`
}

// Range is a list of events under one ordering.
type Range struct {
	Type             string         `json:"type" yaml:"type"` // SEMVER, ECOSYSTEM, GIT
	Repo             string         `json:"repo,omitempty" yaml:"repo,omitempty"`
	Events           []Event        `json:"events" yaml:"events"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty" yaml:"database_specific,omitempty"`
}

// Event is one range boundary; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty" yaml:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty" yaml:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty" yaml:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty" yaml:"limit,omitempty"`
}

// Reference is a link.
type Reference struct {
	Type string `json:"type" yaml:"type"`
	URL  string `json:"url" yaml:"url"`
}

// Credit names someone credited.
type Credit struct {
	Name    string   `json:"name" yaml:"name"`
	Contact []string `json:"contact,omitempty" yaml:"contact,omitempty"`
	Type    string   `json:"type,omitempty" yaml:"type,omitempty"`
}

// Parse decodes one OSV record from JSON or (when it does not start with
// "{") YAML, as the pypa advisory-database stores them.
func Parse(data []byte) (*Vulnerability, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("OSV record of %d bytes exceeds %d", len(data), MaxRecordSize)
	}
	t := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf")
	var v Vulnerability
	if len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(t, &v); err != nil {
			return nil, fmt.Errorf("OSV JSON: %w", err)
		}
	} else {
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("OSV YAML: %w", err)
		}
	}
	return &v, nil
}

var (
	idRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-[A-Za-z0-9._:-]+$`)
	// referenceTypes and creditTypes are the enums of OSV schema 1.7.
	referenceTypes = map[string]bool{"ADVISORY": true, "ARTICLE": true, "DETECTION": true, "DISCUSSION": true, "REPORT": true, "FIX": true, "INTRODUCED": true, "GIT": true, "PACKAGE": true, "EVIDENCE": true, "WEB": true}
	severityTypes  = map[string]bool{"CVSS_V2": true, "CVSS_V3": true, "CVSS_V4": true, "Ubuntu": true}
	rangeTypes     = map[string]bool{"SEMVER": true, "ECOSYSTEM": true, "GIT": true}
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid OSV record")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func validTime(s string) bool {
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return true
	}
	return false
}

// Validate checks the shape assay relies on (OSV schema 1.7): id and
// modified required, RFC 3339 timestamps, package ecosystem and name, range
// types SEMVER|ECOSYSTEM|GIT (GIT needs repo), each event exactly one of
// introduced|fixed|last_affected|limit, every range with an introduced
// event and never both fixed and last_affected, known severity and
// reference types, and the structural limits above.
func (v *Vulnerability) Validate() error {
	if v.ID == "" {
		return invalid("missing id")
	}
	if !idRe.MatchString(v.ID) || len(v.ID) > 128 {
		return invalid("id %q is not PREFIX-ID", v.ID)
	}
	if v.Modified == "" {
		return invalid("%s: missing modified", v.ID)
	}
	for name, ts := range map[string]string{"modified": v.Modified, "published": v.Published, "withdrawn": v.Withdrawn} {
		if ts != "" && !validTime(ts) {
			return invalid("%s: %s %q is not an RFC 3339 time", v.ID, name, ts)
		}
	}
	for _, s := range v.Severity {
		if err := validSeverity(v.ID, s); err != nil {
			return err
		}
	}
	if len(v.Affected) > MaxAffected {
		return invalid("%s: %d affected entries (limit %d)", v.ID, len(v.Affected), MaxAffected)
	}
	for i, a := range v.Affected {
		hasGit := false
		for _, r := range a.Ranges {
			if r.Type == "GIT" {
				hasGit = true
			}
		}
		if (a.Package.Ecosystem == "" || a.Package.Name == "") && !hasGit {
			return invalid("%s: affected[%d]: package ecosystem and name required", v.ID, i)
		}
		if len(a.Ranges) > MaxRanges || len(a.Versions) > MaxVersions {
			return invalid("%s: affected[%d]: too many ranges or versions", v.ID, i)
		}
		for _, s := range a.Severity {
			if err := validSeverity(v.ID, s); err != nil {
				return err
			}
		}
		for j, r := range a.Ranges {
			if !rangeTypes[r.Type] {
				return invalid("%s: affected[%d].ranges[%d]: type %q", v.ID, i, j, r.Type)
			}
			if r.Type == "GIT" && r.Repo == "" {
				return invalid("%s: affected[%d].ranges[%d]: GIT range without repo", v.ID, i, j)
			}
			if len(r.Events) == 0 || len(r.Events) > MaxEvents {
				return invalid("%s: affected[%d].ranges[%d]: %d events", v.ID, i, j, len(r.Events))
			}
			intro, fixed, last := false, false, false
			for k, e := range r.Events {
				n := 0
				for _, f := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if f != "" {
						n++
					}
				}
				if n != 1 {
					return invalid("%s: affected[%d].ranges[%d].events[%d]: want exactly one of introduced|fixed|last_affected|limit", v.ID, i, j, k)
				}
				intro = intro || e.Introduced != ""
				fixed = fixed || e.Fixed != ""
				last = last || e.LastAffected != ""
			}
			if !intro {
				return invalid("%s: affected[%d].ranges[%d]: no introduced event", v.ID, i, j)
			}
			if fixed && last {
				return invalid("%s: affected[%d].ranges[%d]: both fixed and last_affected", v.ID, i, j)
			}
		}
	}
	for _, r := range v.References {
		if !referenceTypes[r.Type] || r.URL == "" {
			return invalid("%s: reference %q %q", v.ID, r.Type, r.URL)
		}
	}
	return nil
}

func validSeverity(id string, s Severity) error {
	if !severityTypes[s.Type] || s.Score == "" {
		return invalid("%s: severity %q %q", id, s.Type, s.Score)
	}
	return nil
}

// IDs returns the record id followed by its aliases.
func (v *Vulnerability) IDs() []string {
	return append([]string{v.ID}, v.Aliases...)
}

// IsMalicious reports an OpenSSF malicious-packages record (MAL- id or
// alias, or malicious-packages-origins in database_specific).
func (v *Vulnerability) IsMalicious() bool {
	for _, id := range v.IDs() {
		if strings.HasPrefix(id, "MAL-") {
			return true
		}
	}
	_, ok := v.DatabaseSpecific["malicious-packages-origins"]
	return ok
}

// lean mirrors Vulnerability without the fields matching never reads
// (references, credits, ecosystem_specific): encoding/json skips
// them without allocating, which halves the cost of indexing an export.
type lean struct {
	SchemaVersion    string         `json:"schema_version"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published"`
	Withdrawn        string         `json:"withdrawn"`
	Aliases          []string       `json:"aliases"`
	Summary          string         `json:"summary"`
	Details          string         `json:"details"`
	Severity         []Severity     `json:"severity"`
	Affected         []leanAffected `json:"affected"`
	DatabaseSpecific *leanDS        `json:"database_specific"`
}

// leanDS holds the database_specific keys assay reads; everything else
// (cwe_ids, origins' details, ...) is skipped without allocating.
type leanDS struct {
	Kind       string              `json:"kind"`
	Confidence string              `json:"confidence"`
	Fix        string              `json:"fix"`
	NextClean  string              `json:"next_clean"`
	LastSafe   string              `json:"last_safe"`
	Incident   string              `json:"incident"`
	Severity   string              `json:"severity"`
	Via        string              `json:"via"`
	IOCs       map[string][]string `json:"iocs"`
	SafeRefs   []string            `json:"safe_refs"`
	Origins    json.RawMessage     `json:"malicious-packages-origins"`
	Window     *struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"tag_rewrite_window"`
}

// toMap rebuilds the generic form Vulnerability carries, with only the
// keys that were present.
func (d *leanDS) toMap() map[string]any {
	if d == nil {
		return nil
	}
	m := map[string]any{}
	for k, v := range map[string]string{"kind": d.Kind, "confidence": d.Confidence, "fix": d.Fix, "next_clean": d.NextClean,
		"last_safe": d.LastSafe, "incident": d.Incident, "severity": d.Severity, "via": d.Via} {
		if v != "" {
			m[k] = v
		}
	}
	if len(d.IOCs) > 0 {
		iocs := map[string]any{}
		for k, l := range d.IOCs {
			a := make([]any, len(l))
			for i, s := range l {
				a[i] = s
			}
			iocs[k] = a
		}
		m["iocs"] = iocs
	}
	if len(d.SafeRefs) > 0 {
		a := make([]any, len(d.SafeRefs))
		for i, s := range d.SafeRefs {
			a[i] = s
		}
		m["safe_refs"] = a
	}
	if len(d.Origins) > 0 && string(d.Origins) != "null" {
		m["malicious-packages-origins"] = true
	}
	if d.Window != nil {
		m["tag_rewrite_window"] = map[string]any{"start": d.Window.Start, "end": d.Window.End}
	}
	return m
}

type leanAffected struct {
	Package          Package     `json:"package"`
	Severity         []Severity  `json:"severity"`
	Ranges           []leanRange `json:"ranges"`
	Versions         []string    `json:"versions"`
	DatabaseSpecific *leanDS     `json:"database_specific"`
}

type leanRange struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo"`
	Events []Event `json:"events"`
}

// ParseLean is Parse for indexing: JSON records are decoded without
// references, credits and ecosystem_specific; YAML records go through Parse.
func ParseLean(data []byte) (*Vulnerability, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("OSV record of %d bytes exceeds %d", len(data), MaxRecordSize)
	}
	t := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf")
	if len(t) == 0 || t[0] != '{' {
		return Parse(data)
	}
	var l lean
	if err := json.Unmarshal(t, &l); err != nil {
		// A database_specific field of an unexpected type (or plain bad
		// JSON): the generic decoder decides.
		return Parse(data)
	}
	v := &Vulnerability{SchemaVersion: l.SchemaVersion, ID: l.ID, Modified: l.Modified, Published: l.Published,
		Withdrawn: l.Withdrawn, Aliases: l.Aliases, Summary: l.Summary, Details: l.Details, Severity: l.Severity, DatabaseSpecific: l.DatabaseSpecific.toMap()}
	if len(l.Affected) > 0 {
		v.Affected = make([]Affected, len(l.Affected))
	}
	for i, a := range l.Affected {
		v.Affected[i] = Affected{Package: a.Package, Severity: a.Severity, Versions: a.Versions, DatabaseSpecific: a.DatabaseSpecific.toMap()}
		if len(a.Ranges) > 0 {
			v.Affected[i].Ranges = make([]Range, len(a.Ranges))
		}
		for j, r := range a.Ranges {
			v.Affected[i].Ranges[j] = Range{Type: r.Type, Repo: r.Repo, Events: r.Events}
		}
	}
	return v, nil
}
