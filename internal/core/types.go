// Package core holds the one data model every assay scanner produces and every
// renderer consumes: Component, Finding, Error and Report, plus the Scanner and
// Analyzer interfaces and the rule registry types.
package core

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// SchemaVersion is the version of the JSON output contract (docs/json-schema.md).
const SchemaVersion = "1.0.0"

// ToolName is the name reported in every output.
const ToolName = "assay"

// ToolVersion is set at build time with -ldflags "-X .../core.ToolVersion=...".
var ToolVersion = "0.1.0-dev"

// Severity grades a finding. The zero value is SeverityInfo.
type Severity int

// Severities from least to most severe.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name used in every output.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	for i, n := range severityNames {
		if n == ls {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of critical, high, medium, low, info)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ComponentKind says what a component is.
type ComponentKind string

// Component kinds.
const (
	KindPackage ComponentKind = "package"
	KindModel   ComponentKind = "model"
	KindDataset ComponentKind = "dataset"
	KindService ComponentKind = "service"
	KindAction  ComponentKind = "action"
	KindFile    ComponentKind = "file"
)

// Ecosystem names, spelled as OSV spells them where OSV has them.
const (
	EcosystemPyPI          = "PyPI"
	EcosystemNPM           = "npm"
	EcosystemGo            = "Go"
	EcosystemGitHubActions = "GitHub Actions"
	EcosystemHuggingFace   = "Hugging Face"
	EcosystemDocker        = "Docker"
	EcosystemGitLabCI      = "GitLab CI"
)

// Location points at a place in the scanned tree: a file, and within it a
// line/column (text) or a byte offset (binary), and optionally a member path
// inside an archive. Line and Column are 1-based; 0 means unknown.
type Location struct {
	Path   string `json:"path"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Member string `json:"member,omitempty"`
}

// String renders path[:line[:col]] [member] [@offset].
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.Path)
	if l.Member != "" {
		b.WriteString("!")
		b.WriteString(l.Member)
	}
	if l.Line > 0 {
		fmt.Fprintf(&b, ":%d", l.Line)
		if l.Column > 0 {
			fmt.Fprintf(&b, ":%d", l.Column)
		}
	}
	if l.Offset > 0 {
		fmt.Fprintf(&b, "@%d", l.Offset)
	}
	return b.String()
}

// Hash is a content digest.
type Hash struct {
	Algorithm string `json:"algorithm"` // "sha256", "sha512", "sha1", "md5"
	Value     string `json:"value"`     // lower-case hex
}

// ModelInfo carries the fields a CycloneDX 1.6 modelCard / SPDX 3 AI profile
// needs for models and datasets. All optional.
type ModelInfo struct {
	Format       string            `json:"format,omitempty"`    // pickle, pytorch-zip, safetensors, gguf, onnx, keras, hdf5, numpy, csv, jsonl, parquet ...
	Framework    string            `json:"framework,omitempty"` // pytorch, tensorflow, keras, sklearn, llama.cpp, onnx ...
	Task         string            `json:"task,omitempty"`
	Architecture string            `json:"architecture,omitempty"`
	Revision     string            `json:"revision,omitempty"` // hub commit/tag when referenced by name
	Source       string            `json:"source,omitempty"`   // hub, url, file
	URL          string            `json:"url,omitempty"`
	Parameters   map[string]string `json:"parameters,omitempty"`
}

// Component is something the project depends on.
type Component struct {
	Kind      ComponentKind `json:"kind"`
	Name      string        `json:"name"`
	Version   string        `json:"version,omitempty"`
	Ecosystem string        `json:"ecosystem,omitempty"`
	PURL      string        `json:"purl,omitempty"`
	// Requirement is the declared specifier when the component is not pinned
	// to one version ("litellm>=1.80", "^21.0.0"). Empty for locked versions.
	Requirement string     `json:"requirement,omitempty"`
	Locations   []Location `json:"locations,omitempty"`
	Hashes      []Hash     `json:"hashes,omitempty"`
	Licenses    []string   `json:"licenses,omitempty"`
	// Direct is true when the project declares the component itself, false
	// when it is only pulled in transitively (known from a lockfile).
	Direct bool `json:"direct"`
	// Scope: "" (runtime), "dev", "optional", "test", "build".
	Scope      string            `json:"scope,omitempty"`
	DependsOn  []string          `json:"depends_on,omitempty"` // IDs (purls) of components this one depends on
	Properties map[string]string `json:"properties,omitempty"`
	ML         *ModelInfo        `json:"ml,omitempty"`
}

// ID is the stable reference used in Finding.Component: the purl when there is
// one, else ecosystem/name@version.
func (c *Component) ID() string {
	if c.PURL != "" {
		return c.PURL
	}
	var b strings.Builder
	if c.Ecosystem != "" {
		b.WriteString(c.Ecosystem)
		b.WriteString("/")
	}
	b.WriteString(c.Name)
	if c.Version != "" {
		b.WriteString("@")
		b.WriteString(c.Version)
	}
	return b.String()
}

// Finding is something wrong, with the evidence that proves it.
type Finding struct {
	RuleID     string   `json:"rule_id"`
	Severity   Severity `json:"severity"`
	Title      string   `json:"title"`
	Message    string   `json:"message"`
	Location   Location `json:"location"`
	Component  string   `json:"component,omitempty"`
	Evidence   string   `json:"evidence,omitempty"`
	Advisories []string `json:"advisories,omitempty"`
	Fix        string   `json:"fix,omitempty"`
	Confidence string   `json:"confidence,omitempty"` // high | medium | low
	// Fingerprint is a stable identity (rule, path, member, component,
	// evidence) that survives line shifts; used for baselines and SARIF.
	Fingerprint string `json:"fingerprint,omitempty"`
	// Suppression is set on findings moved to Report.Suppressed.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppression records why a finding was accepted.
type Suppression struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"` // YYYY-MM-DD
	Source  string `json:"source,omitempty"`  // file:line of the baseline/policy entry
}

// ComputeFingerprint returns a stable identity for f that does not depend on
// its line number, so baselines survive unrelated edits.
func (f *Finding) ComputeFingerprint() string {
	h := sha256.New()
	for _, s := range []string{f.RuleID, f.Location.Path, f.Location.Member, f.Component, strings.Join(strings.Fields(f.Evidence), " "), strings.Join(f.Advisories, ",")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Error is an input that could not be read or scanned, with the reason.
// Errors never abort a scan.
type Error struct {
	Path    string `json:"path"`
	Member  string `json:"member,omitempty"`
	Scanner string `json:"scanner,omitempty"`
	Reason  string `json:"reason"`
}

// Tool identifies the producer of a report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary is the decision and the counts.
type Summary struct {
	Components  int            `json:"components"`
	Findings    int            `json:"findings"`
	Errors      int            `json:"errors"`
	Suppressed  int            `json:"suppressed"`
	BySeverity  map[string]int `json:"by_severity"`
	FailOn      string         `json:"fail_on"`
	Failed      bool           `json:"failed"`
	ExitCode    int            `json:"exit_code"`
	FilesWalked int            `json:"files_walked"`
	DurationMS  int64          `json:"duration_ms"`
}

// Report is everything one run found. Renderers see nothing else.
type Report struct {
	SchemaVersion string      `json:"schema_version"`
	Tool          Tool        `json:"tool"`
	Target        string      `json:"target"`
	Components    []Component `json:"components"`
	Findings      []Finding   `json:"findings"`
	Suppressed    []Finding   `json:"suppressed,omitempty"`
	Errors        []Error     `json:"errors"`
	Summary       Summary     `json:"summary"`
	// Root is the absolute path scanned (not serialised); analyzers use it.
	Root string `json:"-"`
	// Meta carries run facts for renderers (e.g. "advisory_db"); serialised.
	Meta map[string]string `json:"meta,omitempty"`
}

// NewReport returns an empty report for target.
func NewReport(target string) *Report {
	return &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: ToolName, Version: ToolVersion},
		Target:        target,
		Components:    []Component{},
		Findings:      []Finding{},
		Errors:        []Error{},
	}
}

// Add appends a scanner result.
func (r *Report) Add(res Result) {
	r.Components = append(r.Components, res.Components...)
	r.Findings = append(r.Findings, res.Findings...)
	r.Errors = append(r.Errors, res.Errors...)
}

// MaxSeverity returns the highest severity among findings and whether any exist.
func (r *Report) MaxSeverity() (Severity, bool) {
	if len(r.Findings) == 0 {
		return 0, false
	}
	m := SeverityInfo
	for i := range r.Findings {
		if r.Findings[i].Severity > m {
			m = r.Findings[i].Severity
		}
	}
	return m, true
}

// Finalize merges duplicate components, fills fingerprints, sorts everything
// deterministically and computes the summary for the given fail-on threshold
// (nil: never fail).
func (r *Report) Finalize(failOn *Severity) {
	r.Components = MergeComponents(r.Components)
	for i := range r.Findings {
		if r.Findings[i].Fingerprint == "" {
			r.Findings[i].Fingerprint = r.Findings[i].ComputeFingerprint()
		}
	}
	SortFindings(r.Findings)
	SortFindings(r.Suppressed)
	sort.SliceStable(r.Errors, func(i, j int) bool {
		a, b := r.Errors[i], r.Errors[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Member != b.Member {
			return a.Member < b.Member
		}
		return a.Reason < b.Reason
	})
	s := &r.Summary
	s.Components = len(r.Components)
	s.Findings = len(r.Findings)
	s.Errors = len(r.Errors)
	s.Suppressed = len(r.Suppressed)
	s.BySeverity = map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}
	s.Failed = false
	for i := range r.Findings {
		sev := r.Findings[i].Severity
		s.BySeverity[sev.String()]++
		if failOn != nil && sev >= *failOn {
			s.Failed = true
		}
	}
	if failOn != nil {
		s.FailOn = failOn.String()
	} else {
		s.FailOn = "none"
	}
	if s.Failed {
		s.ExitCode = 1
	} else {
		s.ExitCode = 0
	}
}

// SortFindings orders by severity (most severe first), then path, line, rule.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Location.Path != b.Location.Path {
			return a.Location.Path < b.Location.Path
		}
		if a.Location.Member != b.Location.Member {
			return a.Location.Member < b.Location.Member
		}
		if a.Location.Line != b.Location.Line {
			return a.Location.Line < b.Location.Line
		}
		if a.Location.Offset != b.Location.Offset {
			return a.Location.Offset < b.Location.Offset
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.Component < b.Component
	})
}

// componentKey identifies duplicates to merge.
func componentKey(c *Component) string {
	return string(c.Kind) + "\x00" + c.Ecosystem + "\x00" + strings.ToLower(c.Name) + "\x00" + c.Version + "\x00" + c.Requirement + "\x00" + c.PURL
}

// MergeComponents merges components that are the same thing found in several
// places (union of locations, hashes, licenses, depends_on; direct if any is
// direct) and sorts the result.
func MergeComponents(cs []Component) []Component {
	idx := make(map[string]int, len(cs))
	out := make([]Component, 0, len(cs))
	for _, c := range cs {
		k := componentKey(&c)
		if i, ok := idx[k]; ok {
			m := &out[i]
			m.Locations = appendUniqueLoc(m.Locations, c.Locations...)
			m.Hashes = appendUniqueHash(m.Hashes, c.Hashes...)
			m.Licenses = appendUniqueStr(m.Licenses, c.Licenses...)
			m.DependsOn = appendUniqueStr(m.DependsOn, c.DependsOn...)
			m.Direct = m.Direct || c.Direct
			if m.Scope != "" && c.Scope == "" {
				m.Scope = "" // runtime anywhere wins
			}
			for pk, pv := range c.Properties {
				if m.Properties == nil {
					m.Properties = map[string]string{}
				}
				if _, ok := m.Properties[pk]; !ok {
					m.Properties[pk] = pv
				}
			}
			if m.ML == nil {
				m.ML = c.ML
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, c)
	}
	for i := range out {
		sort.SliceStable(out[i].Locations, func(a, b int) bool {
			la, lb := out[i].Locations[a], out[i].Locations[b]
			if la.Path != lb.Path {
				return la.Path < lb.Path
			}
			return la.Line < lb.Line
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Requirement < b.Requirement
	})
	return out
}

func appendUniqueLoc(dst []Location, src ...Location) []Location {
	for _, s := range src {
		dup := false
		for _, d := range dst {
			if d == s {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

func appendUniqueHash(dst []Hash, src ...Hash) []Hash {
	for _, s := range src {
		dup := false
		for _, d := range dst {
			if d == s {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

func appendUniqueStr(dst []string, src ...string) []string {
	for _, s := range src {
		dup := false
		for _, d := range dst {
			if d == s {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, s)
		}
	}
	return dst
}

// MarshalJSON keeps nil slices as [] for the stable contract.
func (r *Report) MarshalJSON() ([]byte, error) {
	type alias Report
	a := (*alias)(r)
	if a.Components == nil {
		a.Components = []Component{}
	}
	if a.Findings == nil {
		a.Findings = []Finding{}
	}
	if a.Errors == nil {
		a.Errors = []Error{}
	}
	return json.Marshal(a)
}

// Well-known Component.Properties keys and values shared across capabilities.
const (
	// PropSource says where a package component was found: SourceManifest
	// (requirements.txt, pyproject.toml, package.json, go.mod), SourceLockfile
	// (poetry.lock, uv.lock, package-lock.json, go.sum ...) or SourceInstalled
	// (dist-info METADATA, node_modules package.json).
	PropSource      = "source"
	SourceManifest  = "manifest"
	SourceLockfile  = "lockfile"
	SourceInstalled = "installed"
	// PropSignature is set to "verified" by provenance on model/dataset/file
	// components covered by a verified signature, "unsigned-manifest" when
	// only an unsigned manifest covers them.
	PropSignature = "signature"
	// PropFormat is the file format of a model/dataset file component.
	PropFormat = "format"
)
