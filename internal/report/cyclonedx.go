package report

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/assay-dev/assay/internal/core"
)

// CycloneDX renders the report as a CycloneDX 1.6 BOM (JSON, or XML when
// opts.XML): packages as libraries, models as machine-learning-model
// components with a modelCard, datasets as data components, CI actions as
// applications, LLM providers as services, the dependency graph, and
// advisory findings as vulnerabilities.
//
// The output is deterministic for a given report: the serial number is a
// UUID derived from the content, and the timestamp is SOURCE_DATE_EPOCH when
// set (reproducible builds), the current time otherwise.
func CycloneDX(w io.Writer, r *core.Report, opts Options) error {
	bom := buildCycloneDX(r, bomTime())
	format := cdx.BOMFileFormatJSON
	if opts.XML {
		format = cdx.BOMFileFormatXML
		// cyclonedx-go does not serialise evidence occurrences to XML; drop
		// the then-empty <evidence/> elements.
		if bom.Components != nil {
			for i := range *bom.Components {
				(*bom.Components)[i].Evidence = nil
			}
		}
	}
	enc := cdx.NewBOMEncoder(w, format)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	return enc.EncodeVersion(bom, cdx.SpecVersion1_6)
}

// bomTime is SOURCE_DATE_EPOCH when set, else now (UTC).
func bomTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Now().UTC()
}

// projectRef is the bom-ref of the scanned project (metadata.component).
const projectRef = "assay:project"

// cdxRefs assigns each component a unique bom-ref: its ID, disambiguated by
// kind and a counter when two components share one.
func componentRefs(cs []core.Component) []string {
	refs := make([]string, len(cs))
	seen := map[string]int{}
	for i := range cs {
		ref := cs[i].ID()
		if cs[i].Kind == core.KindService {
			ref = "service:" + ref
		}
		if n, dup := seen[ref]; dup {
			seen[ref] = n + 1
			ref = fmt.Sprintf("%s#%s-%d", ref, cs[i].Kind, n+1)
		} else {
			seen[ref] = 0
		}
		refs[i] = ref
	}
	return refs
}

// projectName is the scanned directory's (or file's) base name.
func projectName(r *core.Report) string {
	t := r.Target
	if r.Root != "" && (t == "." || t == "" || t == "./") {
		t = r.Root
	}
	n := filepath.Base(filepath.Clean(t))
	if n == "." || n == "/" || n == "" {
		return "project"
	}
	return n
}

func buildCycloneDX(r *core.Report, now time.Time) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SerialNumber = contentUUID(r)
	bom.Version = 1
	tools := []cdx.Component{{Type: cdx.ComponentTypeApplication, Name: r.Tool.Name, Version: r.Tool.Version, BOMRef: "assay:tool"}}
	bom.Metadata = &cdx.Metadata{
		Timestamp: now.Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &tools},
		Component: &cdx.Component{BOMRef: projectRef, Type: cdx.ComponentTypeApplication, Name: projectName(r)},
	}
	if db := r.Meta["advisory_db"]; db != "" {
		bom.Metadata.Properties = &[]cdx.Property{{Name: "assay:advisory_db", Value: db}}
	}

	refs := componentRefs(r.Components)
	byID := map[string]string{}
	var (
		comps    []cdx.Component
		services []cdx.Service
		direct   []string
	)
	for i := range r.Components {
		c := &r.Components[i]
		if _, ok := byID[c.ID()]; !ok {
			byID[c.ID()] = refs[i]
		}
		if c.Direct || c.Kind == core.KindService || c.Kind == core.KindModel || c.Kind == core.KindDataset {
			direct = append(direct, refs[i])
		}
		if c.Kind == core.KindService {
			services = append(services, cdxService(c, refs[i]))
			continue
		}
		comps = append(comps, cdxComponent(c, refs[i]))
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	if len(services) > 0 {
		bom.Services = &services
	}

	// Dependency graph: the project depends on what it declares; each
	// component on what its DependsOn names (unknown ids are dropped).
	deps := []cdx.Dependency{{Ref: projectRef, Dependencies: strSlice(uniqSorted(direct))}}
	for i := range r.Components {
		c := &r.Components[i]
		if c.Kind == core.KindService {
			continue
		}
		var on []string
		for _, id := range c.DependsOn {
			if ref, ok := byID[id]; ok && ref != refs[i] {
				on = append(on, ref)
			}
		}
		deps = append(deps, cdx.Dependency{Ref: refs[i], Dependencies: strSlice(uniqSorted(on))})
	}
	bom.Dependencies = &deps

	if vulns := cdxVulnerabilities(r, byID); len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	return bom
}

func strSlice(s []string) *[]string {
	if len(s) == 0 {
		return nil
	}
	return &s
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// contentUUID derives an RFC 4122 (version 5 layout) UUID from the report's
// content, so the same project state yields the same serial number.
func contentUUID(r *core.Report) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", r.Tool.Version, projectName(r))
	for i := range r.Components {
		c := &r.Components[i]
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", c.Kind, c.ID(), c.Requirement)
		for _, hs := range c.Hashes {
			fmt.Fprintf(h, "%s:%s\x00", hs.Algorithm, hs.Value)
		}
	}
	for i := range r.Findings {
		fmt.Fprintf(h, "%s\x00", r.Findings[i].Fingerprint)
	}
	b := h.Sum(nil)[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var cdxHashAlgs = map[string]cdx.HashAlgorithm{
	"sha1": cdx.HashAlgoSHA1, "sha256": cdx.HashAlgoSHA256, "sha384": cdx.HashAlgoSHA384, "sha512": cdx.HashAlgoSHA512,
	"md5": cdx.HashAlgoMD5, "sha3-256": cdx.HashAlgoSHA3_256, "sha3-512": cdx.HashAlgoSHA3_512, "blake2b-256": cdx.HashAlgoBlake2b_256,
}

func cdxHashes(hs []core.Hash) *[]cdx.Hash {
	var out []cdx.Hash
	for _, h := range hs {
		alg, ok := cdxHashAlgs[strings.ToLower(h.Algorithm)]
		if !ok || h.Value == "" {
			continue
		}
		out = append(out, cdx.Hash{Algorithm: alg, Value: strings.ToLower(h.Value)})
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

// commonSPDX are license ids that are certainly on the SPDX list (and in the
// CycloneDX license enum); anything else is given by name or expression.
var commonSPDX = map[string]bool{
	"MIT": true, "Apache-2.0": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "ISC": true, "MPL-2.0": true,
	"GPL-2.0-only": true, "GPL-2.0-or-later": true, "GPL-3.0-only": true, "GPL-3.0-or-later": true, "LGPL-2.1-only": true,
	"LGPL-2.1-or-later": true, "LGPL-3.0-only": true, "LGPL-3.0-or-later": true, "AGPL-3.0-only": true, "AGPL-3.0-or-later": true,
	"Unlicense": true, "CC0-1.0": true, "CC-BY-4.0": true, "CC-BY-SA-4.0": true, "CC-BY-NC-4.0": true, "PSF-2.0": true,
	"Python-2.0": true, "BSL-1.0": true, "0BSD": true, "Zlib": true, "EPL-2.0": true, "Artistic-2.0": true, "OpenSSL": true,
	"MIT-0": true, "BlueOak-1.0.0": true, "WTFPL": true, "CDDL-1.0": true, "EUPL-1.2": true, "OFL-1.1": true, "Unicode-DFS-2016": true,
}

func cdxLicenses(ls []string) *cdx.Licenses {
	var out cdx.Licenses
	for _, l := range ls {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case commonSPDX[l]:
			out = append(out, cdx.LicenseChoice{License: &cdx.License{ID: l}})
		case strings.Contains(l, " OR ") || strings.Contains(l, " AND ") || strings.Contains(l, " WITH "):
			out = append(out, cdx.LicenseChoice{Expression: l})
		default:
			out = append(out, cdx.LicenseChoice{License: &cdx.License{Name: l}})
		}
	}
	// CycloneDX allows either licenses or a single expression.
	hasExpr := false
	for _, lc := range out {
		if lc.Expression != "" {
			hasExpr = true
		}
	}
	if hasExpr && len(out) > 1 {
		parts := make([]string, 0, len(out))
		for _, lc := range out {
			switch {
			case lc.Expression != "":
				parts = append(parts, "("+lc.Expression+")")
			case lc.License.ID != "":
				parts = append(parts, lc.License.ID)
			default:
				parts = append(parts, "LicenseRef-"+sanitizeRef(lc.License.Name))
			}
		}
		out = cdx.Licenses{{Expression: strings.Join(parts, " AND ")}}
	}
	if len(out) == 0 {
		return nil
	}
	return &out
}

func sanitizeRef(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

func cdxScope(s string) cdx.Scope {
	switch s {
	case "":
		return cdx.ScopeRequired
	case "optional":
		return cdx.ScopeOptional
	default: // dev, test, build: not part of what ships
		return cdx.ScopeExcluded
	}
}

// props renders a component's facts that CycloneDX has no field for.
func props(c *core.Component) []cdx.Property {
	var ps []cdx.Property
	add := func(k, v string) {
		if v != "" {
			ps = append(ps, cdx.Property{Name: k, Value: v})
		}
	}
	add("assay:kind", string(c.Kind))
	add("assay:ecosystem", c.Ecosystem)
	add("assay:requirement", c.Requirement)
	if c.Kind == core.KindPackage || c.Kind == core.KindAction {
		add("assay:direct", strconv.FormatBool(c.Direct))
	}
	if c.ML != nil {
		add("assay:ml:format", c.ML.Format)
		add("assay:ml:framework", c.ML.Framework)
		add("assay:ml:source", c.ML.Source)
		add("assay:ml:revision", c.ML.Revision)
		keys := make([]string, 0, len(c.ML.Parameters))
		for k := range c.ML.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add("assay:ml:param:"+k, c.ML.Parameters[k])
		}
	}
	keys := make([]string, 0, len(c.Properties))
	for k := range c.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "models" && c.Kind == core.KindService || k == core.PropFormat && c.ML != nil && c.ML.Format == c.Properties[k] {
			continue
		}
		add("assay:"+k, c.Properties[k])
	}
	return ps
}

func occurrences(locs []core.Location) *cdx.Evidence {
	if len(locs) == 0 {
		return nil
	}
	occ := make([]cdx.EvidenceOccurrence, 0, len(locs))
	for _, l := range locs {
		o := cdx.EvidenceOccurrence{Location: l.Path}
		if l.Member != "" {
			o.Location = l.Path + "!" + l.Member
		}
		if l.Line > 0 {
			line := l.Line
			o.Line = &line
		}
		if l.Offset > 0 {
			off := int(l.Offset)
			o.Offset = &off
		}
		occ = append(occ, o)
	}
	return &cdx.Evidence{Occurrences: &occ}
}

func cdxComponent(c *core.Component, ref string) cdx.Component {
	out := cdx.Component{
		BOMRef:     ref,
		Name:       c.Name,
		Version:    c.Version,
		PackageURL: c.PURL,
		Hashes:     cdxHashes(c.Hashes),
		Licenses:   cdxLicenses(c.Licenses),
		Evidence:   occurrences(c.Locations),
	}
	switch c.Kind {
	case core.KindPackage:
		out.Type = cdx.ComponentTypeLibrary
		out.Scope = cdxScope(c.Scope)
	case core.KindModel:
		out.Type = cdx.ComponentTypeMachineLearningModel
		out.ModelCard = modelCard(c)
		out.ExternalReferences = hubLinks(c)
	case core.KindDataset:
		out.Type = cdx.ComponentTypeData
		d := cdx.ComponentData{Type: cdx.ComponentDataTypeDataset, Name: c.Name}
		if c.ML != nil && c.ML.URL != "" {
			d.Contents = &cdx.ComponentDataContents{URL: c.ML.URL}
		}
		out.Data = &[]cdx.ComponentData{d}
		out.ExternalReferences = hubLinks(c)
	case core.KindAction:
		// A CI action is code the pipeline runs: an application, identified
		// by its pkg:githubactions purl.
		out.Type = cdx.ComponentTypeApplication
	default:
		out.Type = cdx.ComponentTypeFile
	}
	if ps := props(c); len(ps) > 0 {
		out.Properties = &ps
	}
	return out
}

func modelCard(c *core.Component) *cdx.MLModelCard {
	if c.ML == nil {
		return nil
	}
	mp := &cdx.MLModelParameters{Task: c.ML.Task, ModelArchitecture: c.ML.Architecture}
	if mp.Task == "" && mp.ModelArchitecture == "" {
		return nil
	}
	return &cdx.MLModelCard{ModelParameters: mp}
}

// hubLinks points hub models and datasets at their page.
func hubLinks(c *core.Component) *[]cdx.ExternalReference {
	var u string
	switch {
	case c.Ecosystem == core.EcosystemHuggingFace && c.Kind == core.KindModel:
		u = "https://huggingface.co/" + c.Name
	case c.Ecosystem == core.EcosystemHuggingFace && c.Kind == core.KindDataset:
		u = "https://huggingface.co/datasets/" + c.Name
	case c.ML != nil && c.ML.URL != "":
		u = c.ML.URL
	default:
		return nil
	}
	if c.Version != "" && c.Ecosystem == core.EcosystemHuggingFace {
		u += "/tree/" + c.Version
	}
	return &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: u}}
}

// providerOrgs and default endpoints of well-known LLM providers.
var providerInfo = map[string]struct{ org, endpoint string }{
	"openai":       {"OpenAI", "https://api.openai.com/v1"},
	"azure-openai": {"Microsoft", ""},
	"anthropic":    {"Anthropic", "https://api.anthropic.com"},
	"google-genai": {"Google", "https://generativelanguage.googleapis.com"},
	"vertexai":     {"Google", ""},
	"bedrock":      {"Amazon Web Services", ""},
	"mistral":      {"Mistral AI", "https://api.mistral.ai"},
	"cohere":       {"Cohere", "https://api.cohere.com"},
	"groq":         {"Groq", "https://api.groq.com/openai/v1"},
	"together":     {"Together AI", "https://api.together.xyz/v1"},
}

func cdxService(c *core.Component, ref string) cdx.Service {
	s := cdx.Service{BOMRef: ref, Name: c.Name, Version: c.Version}
	info, known := providerInfo[c.Name]
	if known {
		s.Provider = &cdx.OrganizationalEntity{Name: info.org}
	}
	var eps []string
	if v := c.Properties["endpoint"]; v != "" {
		eps = strings.Split(v, ",")
	} else if info.endpoint != "" {
		eps = []string{info.endpoint}
	}
	if len(eps) > 0 {
		s.Endpoints = &eps
	}
	yes := true
	s.Authenticated = &yes
	s.CrossesTrustBoundary = &yes
	s.Data = &[]cdx.DataClassification{{Flow: cdx.DataFlowBidirectional, Classification: "prompts-and-completions"}}
	ps := props(c)
	for _, m := range strings.Split(c.Properties["models"], ",") {
		if m != "" {
			ps = append(ps, cdx.Property{Name: "assay:model", Value: m})
		}
	}
	for _, l := range c.Locations {
		ps = append(ps, cdx.Property{Name: "assay:location", Value: l.String()})
	}
	if len(ps) > 0 {
		s.Properties = &ps
	}
	return s
}

var cdxSeverities = map[core.Severity]cdx.Severity{
	core.SeverityCritical: cdx.SeverityCritical, core.SeverityHigh: cdx.SeverityHigh, core.SeverityMedium: cdx.SeverityMedium,
	core.SeverityLow: cdx.SeverityLow, core.SeverityInfo: cdx.SeverityInfo,
}

// cdxVulnerabilities turns advisory findings (those naming advisories and a
// component in the BOM) into CycloneDX vulnerabilities, one per advisory id.
func cdxVulnerabilities(r *core.Report, byID map[string]string) []cdx.Vulnerability {
	idx := map[string]int{}
	var out []cdx.Vulnerability
	for i := range r.Findings {
		f := &r.Findings[i]
		if len(f.Advisories) == 0 || f.Component == "" {
			continue
		}
		ref, ok := byID[f.Component]
		if !ok {
			continue
		}
		id := f.Advisories[0]
		if j, ok := idx[id]; ok {
			affects := append(*out[j].Affects, cdx.Affects{Ref: ref})
			out[j].Affects = &affects
			continue
		}
		v := cdx.Vulnerability{
			BOMRef:         "vuln:" + id,
			ID:             id,
			Source:         &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id},
			Ratings:        &[]cdx.VulnerabilityRating{{Severity: cdxSeverities[f.Severity], Method: cdx.ScoringMethodOther}},
			Description:    f.Title,
			Detail:         f.Message,
			Recommendation: f.Fix,
			Affects:        &[]cdx.Affects{{Ref: ref}},
			Properties:     &[]cdx.Property{{Name: "assay:rule", Value: f.RuleID}},
		}
		if len(f.Advisories) > 1 {
			var refs []cdx.VulnerabilityReference
			for _, a := range f.Advisories[1:] {
				refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + a}})
			}
			v.References = &refs
		}
		idx[id] = len(out)
		out = append(out, v)
	}
	return out
}
