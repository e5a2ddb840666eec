package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/assay-dev/assay/internal/core"
)

// SPDX renders the report as an SPDX 2.3 JSON document: one package per
// component (purl external refs, checksums, declared licenses when they are
// SPDX ids or expressions), a root package for the project that the document
// DESCRIBES, and DEPENDS_ON relationships from the project to what it
// declares and between components. SPDX 2.3 has no model, dataset or service
// type: the component kind and its ML facts go into the package comment and
// primaryPackagePurpose (FILE for data/model files, OTHER otherwise).
func SPDX(w io.Writer, r *core.Report, opts Options) error {
	doc := buildSPDX(r, bomTime())
	return spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
}

const spdxProjectID = common.ElementID("Package-project")

func buildSPDX(r *core.Report, now time.Time) *spdx.Document {
	name := projectName(r)
	uuid := strings.TrimPrefix(contentUUID(r), "urn:uuid:")
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: "https://github.com/assay-dev/assay/spdx/" + sanitizeRef(name) + "-" + uuid,
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: r.Tool.Name + "-" + r.Tool.Version}},
			Created:  now.Format("2006-01-02T15:04:05Z"),
		},
	}
	root := &spdx.Package{
		PackageName:             name,
		PackageSPDXIdentifier:   spdxProjectID,
		PackageDownloadLocation: "NOASSERTION",
		PrimaryPackagePurpose:   "APPLICATION",
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  "NOASSERTION",
		PackageCopyrightText:    "NOASSERTION",
		PackageComment:          "The scanned project (" + r.Target + ").",
	}
	doc.Packages = append(doc.Packages, root)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", string(spdxProjectID)), Relationship: "DESCRIBES"})

	ids := make([]common.ElementID, len(r.Components))
	byID := map[string]common.ElementID{}
	for i := range r.Components {
		c := &r.Components[i]
		ids[i] = common.ElementID(fmt.Sprintf("%s-%d-%s", kindTag(c.Kind), i+1, spdxIDPart(c.Name)))
		if _, ok := byID[c.ID()]; !ok {
			byID[c.ID()] = ids[i]
		}
		doc.Packages = append(doc.Packages, spdxPackage(c, ids[i]))
		if c.Direct || c.Kind == core.KindService || c.Kind == core.KindModel || c.Kind == core.KindDataset {
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA: common.MakeDocElementID("", string(spdxProjectID)), RefB: common.MakeDocElementID("", string(ids[i])), Relationship: "DEPENDS_ON"})
		}
	}
	for i := range r.Components {
		seen := map[common.ElementID]bool{}
		deps := append([]string(nil), r.Components[i].DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			to, ok := byID[d]
			if !ok || to == ids[i] || seen[to] {
				continue
			}
			seen[to] = true
			doc.Relationships = append(doc.Relationships, &spdx.Relationship{
				RefA: common.MakeDocElementID("", string(ids[i])), RefB: common.MakeDocElementID("", string(to)), Relationship: "DEPENDS_ON"})
		}
	}
	return doc
}

func kindTag(k core.ComponentKind) string {
	switch k {
	case core.KindPackage:
		return "Package"
	case core.KindModel:
		return "Model"
	case core.KindDataset:
		return "Dataset"
	case core.KindService:
		return "Service"
	case core.KindAction:
		return "Action"
	}
	return "File"
}

// spdxIDPart keeps the characters an SPDX id allows ([A-Za-z0-9.-]).
func spdxIDPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 64 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

var spdxChecksums = map[string]common.ChecksumAlgorithm{
	"sha1": common.SHA1, "sha256": common.SHA256, "sha384": common.SHA384, "sha512": common.SHA512, "md5": common.MD5,
	"sha3-256": common.SHA3_256, "sha3-512": common.SHA3_512,
}

// spdxLicense is the declared license as an SPDX expression, or NOASSERTION
// when any license is not a known id or expression.
func spdxLicense(ls []string) string {
	var parts []string
	for _, l := range ls {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case commonSPDX[l]:
			parts = append(parts, l)
		case strings.Contains(l, " OR ") || strings.Contains(l, " AND ") || strings.Contains(l, " WITH "):
			parts = append(parts, "("+l+")")
		default:
			return "NOASSERTION"
		}
	}
	switch len(parts) {
	case 0:
		return "NOASSERTION"
	case 1:
		return strings.TrimSuffix(strings.TrimPrefix(parts[0], "("), ")")
	}
	return strings.Join(parts, " AND ")
}

func spdxPackage(c *core.Component, id common.ElementID) *spdx.Package {
	p := &spdx.Package{
		PackageName:             c.Name,
		PackageSPDXIdentifier:   id,
		PackageVersion:          c.Version,
		PackageDownloadLocation: "NOASSERTION",
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  spdxLicense(c.Licenses),
		PackageCopyrightText:    "NOASSERTION",
	}
	for _, h := range c.Hashes {
		if alg, ok := spdxChecksums[strings.ToLower(h.Algorithm)]; ok && h.Value != "" {
			p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: alg, Value: strings.ToLower(h.Value)})
		}
	}
	if c.PURL != "" {
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
			Category: "PACKAGE-MANAGER", RefType: "purl", Locator: c.PURL})
	}
	switch c.Kind {
	case core.KindPackage:
		p.PrimaryPackagePurpose = "LIBRARY"
	case core.KindAction:
		p.PrimaryPackagePurpose = "APPLICATION"
	case core.KindModel, core.KindDataset, core.KindFile:
		if c.ML != nil && c.ML.Source == "file" || c.Kind == core.KindFile || c.Ecosystem == "" && c.ML != nil && c.ML.Source == "" {
			p.PrimaryPackagePurpose = "FILE"
		} else {
			p.PrimaryPackagePurpose = "OTHER"
		}
	default:
		p.PrimaryPackagePurpose = "OTHER"
	}
	if c.Ecosystem == core.EcosystemHuggingFace {
		switch c.Kind {
		case core.KindModel:
			p.PackageDownloadLocation = "https://huggingface.co/" + c.Name
		case core.KindDataset:
			p.PackageDownloadLocation = "https://huggingface.co/datasets/" + c.Name
		}
	} else if c.ML != nil && c.ML.URL != "" {
		p.PackageDownloadLocation = c.ML.URL
	}
	p.PackageComment = spdxComment(c)
	return p
}

// spdxComment states what SPDX 2.3 has no field for: kind, ecosystem, ML
// facts, service models and endpoints, where it was found.
func spdxComment(c *core.Component) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	kind := string(c.Kind)
	switch c.Kind {
	case core.KindModel:
		kind = "machine-learning-model"
	case core.KindService:
		kind = "service (LLM API)"
	}
	add("assay kind", kind)
	add("ecosystem", c.Ecosystem)
	add("requirement", c.Requirement)
	if c.ML != nil {
		add("format", c.ML.Format)
		add("framework", c.ML.Framework)
		add("task", c.ML.Task)
		add("architecture", c.ML.Architecture)
		add("revision", c.ML.Revision)
		add("source", c.ML.Source)
	}
	keys := make([]string, 0, len(c.Properties))
	for k := range c.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == core.PropFormat && c.ML != nil && c.ML.Format == c.Properties[k] {
			continue
		}
		add(k, c.Properties[k])
	}
	if len(c.Locations) > 0 {
		locs := make([]string, 0, len(c.Locations))
		for i, l := range c.Locations {
			if i == 10 {
				locs = append(locs, fmt.Sprintf("… %d more", len(c.Locations)-10))
				break
			}
			locs = append(locs, l.String())
		}
		add("found at", strings.Join(locs, ", "))
	}
	return strings.Join(parts, "; ")
}
