package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/assay-dev/assay/internal/core"
)

// informationURI is the project page in SARIF tool.driver.
const informationURI = "https://github.com/assay-dev/assay"

// srcRoot is the uriBaseId every result location is relative to: the
// scanned root, which GitHub code scanning maps to the repository checkout.
const srcRoot = "%SRCROOT%"

// fingerprintKey names assay's own stable fingerprint in partialFingerprints
// (rule, path, archive member, component, evidence; no line number).
const fingerprintKey = "assayFingerprint/v1"

// SARIF renders the report as SARIF 2.1.0 for GitHub code scanning and other
// SARIF consumers: one run, tool.driver.rules for every rule that has a
// result (with help text and markdown, default level and GitHub's
// security-severity), results with repository-relative locations, partial
// fingerprints, and accepted findings as suppressed results. Inputs that
// could not be scanned become tool execution notifications.
func SARIF(w io.Writer, r *core.Report, opts Options) error {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI(r.Tool.Name, informationURI)
	run.Tool.Driver.WithVersion(r.Tool.Version)
	if sv := semverOrEmpty(r.Tool.Version); sv != "" {
		run.Tool.Driver.WithSemanticVersion(sv)
	}

	byID := make(map[string]core.Rule, len(opts.Rules))
	for _, rl := range opts.Rules {
		byID[rl.ID] = rl
	}
	// Rules that appear, in id order, so ruleIndex is stable.
	used := map[string]*core.Finding{}
	for _, fs := range [][]core.Finding{r.Findings, r.Suppressed} {
		for i := range fs {
			if _, ok := used[fs[i].RuleID]; !ok {
				used[fs[i].RuleID] = &fs[i]
			}
		}
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		rl, ok := byID[id]
		if !ok {
			// A finding whose rule is not registered: describe it from the finding.
			f := used[id]
			rl = core.Rule{ID: id, Title: f.Title, Severity: f.Severity, Fix: f.Fix}
		}
		run.Tool.Driver.AddRule(sarifRule(rl))
		index[id] = i
	}

	results := make([]*sarif.Result, 0, len(r.Findings)+len(r.Suppressed))
	for i := range r.Findings {
		results = append(results, sarifResult(&r.Findings[i], index))
	}
	for i := range r.Suppressed {
		results = append(results, sarifResult(&r.Suppressed[i], index))
	}
	run.WithResults(results)

	inv := &sarif.Invocation{ExecutionSuccessful: ptr(true)}
	for _, e := range r.Errors {
		msg := e.Path
		if e.Member != "" {
			msg += "!" + e.Member
		}
		msg += ": " + e.Reason
		if e.Scanner != "" {
			msg += " (" + e.Scanner + ")"
		}
		n := &sarif.Notification{Level: "warning", Message: sarif.NewTextMessage(msg)}
		if e.Path != "" {
			n.Locations = []*sarif.Location{{PhysicalLocation: &sarif.PhysicalLocation{
				ArtifactLocation: &sarif.ArtifactLocation{URI: ptr(pathURI(e.Path)), URIBaseId: ptr(srcRoot)},
			}}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.Invocations = []*sarif.Invocation{inv}
	run.Properties = sarif.Properties{
		"target":     r.Target,
		"failOn":     r.Summary.FailOn,
		"failed":     r.Summary.Failed,
		"exitCode":   r.Summary.ExitCode,
		"components": r.Summary.Components,
		"suppressed": r.Summary.Suppressed,
	}
	log.AddRun(run)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func ptr[T any](v T) *T { return &v }

// semverOrEmpty returns v when it looks like a semantic version.
func semverOrEmpty(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' || strings.Count(strings.SplitN(v, "-", 2)[0], ".") != 2 {
		return ""
	}
	return v
}

// sarifLevel maps severities onto SARIF's three levels.
func sarifLevel(s core.Severity) string {
	switch {
	case s >= core.SeverityHigh:
		return "error"
	case s == core.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is GitHub's 0–10 score: critical > 9, high 7–8.9,
// medium 4–6.9, low 0.1–3.9. Info gets none.
func securitySeverity(s core.Severity) string {
	switch s {
	case core.SeverityCritical:
		return "9.5"
	case core.SeverityHigh:
		return "8.0"
	case core.SeverityMedium:
		return "5.5"
	case core.SeverityLow:
		return "3.0"
	default:
		return ""
	}
}

func sarifRule(rl core.Rule) *sarif.ReportingDescriptor {
	title := rl.Title
	if title == "" {
		title = rl.ID
	}
	d := sarif.NewRule(rl.ID).WithName(ruleName(title))
	d.ShortDescription = sarif.NewMultiformatMessageString(title)
	full := rl.Description
	if full == "" {
		full = title
	}
	d.FullDescription = sarif.NewMultiformatMessageString(full)
	text := full
	// Rule texts are assay's own and may use Markdown; only raw HTML is neutralised.
	md := "**" + noHTML(title) + "** (" + rl.Severity.String() + ")\n\n" + noHTML(full)
	if rl.Fix != "" {
		text += "\n\nFix: " + rl.Fix
		md += "\n\n**Fix:** " + noHTML(rl.Fix)
	}
	md += "\n\nRun `assay explain " + rl.ID + "` for details."
	d.Help = sarif.NewMultiformatMessageString(text).WithMarkdown(md)
	d.DefaultConfiguration = sarif.NewReportingConfiguration().WithLevel(sarifLevel(rl.Severity))
	props := sarif.Properties{"precision": "high", "problem.severity": problemSeverity(rl.Severity)}
	tags := []string{"security", "supply-chain"}
	if rl.Category != "" {
		tags = append(tags, rl.Category)
	}
	tags = append(tags, rl.Tags...)
	props["tags"] = uniqueStrings(tags)
	if ss := securitySeverity(rl.Severity); ss != "" {
		props["security-severity"] = ss
	}
	d.Properties = props
	return d
}

func problemSeverity(s core.Severity) string {
	switch sarifLevel(s) {
	case "error":
		return "error"
	case "warning":
		return "warning"
	default:
		return "recommendation"
	}
}

// ruleName turns a title into an identifier-like SARIF rule name.
func ruleName(title string) string {
	var b strings.Builder
	up := true
	for _, c := range title {
		switch {
		case c >= 'a' && c <= 'z':
			if up {
				c -= 'a' - 'A'
			}
			b.WriteRune(c)
			up = false
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func sarifResult(f *core.Finding, index map[string]int) *sarif.Result {
	res := sarif.NewRuleResult(f.RuleID).WithRuleIndex(index[f.RuleID]).WithLevel(sarifLevel(f.Severity))
	msg := f.Title
	if f.Message != "" && f.Message != f.Title {
		msg = f.Message
	}
	if f.Location.Member != "" {
		msg += " (in archive member " + f.Location.Member + ")"
	}
	if f.Component != "" && !strings.Contains(msg, f.Component) {
		msg += " [" + f.Component + "]"
	}
	res.WithMessage(sarif.NewTextMessage(msg))
	if f.Location.Path != "" {
		pl := &sarif.PhysicalLocation{ArtifactLocation: &sarif.ArtifactLocation{URI: ptr(pathURI(f.Location.Path)), URIBaseId: ptr(srcRoot)}}
		switch {
		case f.Location.Line > 0:
			reg := sarif.NewRegion().WithStartLine(f.Location.Line)
			if f.Location.Column > 0 {
				reg.WithStartColumn(f.Location.Column)
			}
			pl.Region = reg
		case f.Location.Offset > 0:
			pl.Region = sarif.NewRegion().WithByteOffset(int(f.Location.Offset))
		}
		loc := &sarif.Location{PhysicalLocation: pl}
		if f.Location.Member != "" {
			loc.LogicalLocations = []*sarif.LogicalLocation{{FullyQualifiedName: ptr(f.Location.Path + "!" + f.Location.Member), Kind: ptr("member")}}
		}
		res.Locations = []*sarif.Location{loc}
	}
	fp := f.Fingerprint
	if fp == "" {
		fp = f.ComputeFingerprint()
	}
	res.PartialFingerprints = map[string]interface{}{fingerprintKey: fp}
	props := sarif.Properties{"severity": f.Severity.String()}
	if f.Component != "" {
		props["component"] = f.Component
	}
	if f.Evidence != "" {
		props["evidence"] = core.Clip(f.Evidence, 2048)
	}
	if len(f.Advisories) > 0 {
		props["advisories"] = f.Advisories
	}
	if f.Fix != "" {
		props["fix"] = f.Fix
	}
	if f.Confidence != "" {
		props["confidence"] = f.Confidence
	}
	if f.Location.Member != "" {
		props["member"] = f.Location.Member
	}
	if ss := securitySeverity(f.Severity); ss != "" {
		props["security-severity"] = ss
	}
	res.Properties = props
	if s := f.Suppression; s != nil {
		just := s.Reason
		if s.Expires != "" {
			just += " (accepted until " + s.Expires + ")"
		}
		if s.Source != "" {
			just += " [" + s.Source + "]"
		}
		sup := sarif.NewSuppression("external").WithStatus("accepted").WithJustifcation(just).WithGuid(guidFrom(fp + "\x00" + s.Source))
		if s.Source != "" {
			if file, line, ok := splitSource(s.Source); ok {
				sup.WithLocation(&sarif.Location{PhysicalLocation: &sarif.PhysicalLocation{
					ArtifactLocation: &sarif.ArtifactLocation{URI: ptr(pathURI(file))},
					Region:           sarif.NewRegion().WithStartLine(line),
				}})
			}
		}
		if sup.Location == nil {
			sup.WithLocation(&sarif.Location{Message: sarif.NewTextMessage("assay policy")})
		}
		res.Suppressions = []*sarif.Suppression{sup}
	}
	return res
}

// splitSource splits "file:line".
func splitSource(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, false
	}
	var n int
	if _, err := fmt.Sscanf(s[i+1:], "%d", &n); err != nil || n <= 0 {
		return "", 0, false
	}
	return s[:i], n, true
}

// guidFrom derives a deterministic RFC 4122-shaped GUID (version 5 layout)
// from s, so suppressions are stable across runs.
func guidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// pathURI percent-encodes each segment of a slash-separated relative path
// into a relative URI reference. ":" is encoded too: a relative reference
// whose first segment holds a colon would parse as a scheme
// ("run-10:00.pkl").
func pathURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	return strings.Join(segs, "/")
}

// noHTML neutralises raw HTML in trusted Markdown.
func noHTML(s string) string { return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s) }
