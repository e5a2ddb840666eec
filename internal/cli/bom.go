package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
)

// maxBOMBytes bounds a BOM read by --diff.
const maxBOMBytes = 256 << 20

func (a *app) newBomCmd() *cobra.Command {
	o := &scanOptions{}
	var (
		spdxOut bool
		diff    bool
	)
	c := &cobra.Command{
		Use:   "bom [PATH] | bom --diff OLD.json NEW.json",
		Short: "Write the AI-BOM (CycloneDX 1.6 ML-BOM by default, or SPDX) of a project",
		Long: `Write the AI bill of materials of a project: packages, models referenced in
code and found as files, datasets, LLM services with the model names used, and
CI actions, as CycloneDX 1.6 JSON (default), CycloneDX XML (-f cyclonedx-xml) or
SPDX 2.3 JSON (--spdx or -f spdx). Findings never change the exit code unless
--fail-on is given.

With --diff OLD.json NEW.json, compare two AI-BOMs (CycloneDX or SPDX JSON) and
print the components and services added, removed and changed (version, hashes,
models, endpoints). Exit 0 when they describe the same assets, 1 when anything
changed, 2 when a file cannot be read.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if diff {
				if len(args) != 2 {
					return usageErr("bom --diff needs two files: OLD.json NEW.json")
				}
				format := "text"
				if c.Flags().Changed("format") {
					format = o.format
				}
				return a.bomDiff(args[0], args[1], format)
			}
			if len(args) > 1 {
				return usageErr("bom takes one PATH (or --diff OLD.json NEW.json)")
			}
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			if !c.Flags().Changed("fail-on") {
				o.failOn = "none"
			}
			if spdxOut {
				if c.Flags().Changed("format") && o.format != "spdx" {
					return usageErr("--spdx conflicts with -f %s", o.format)
				}
				o.format = "spdx"
			}
			return a.runScan(c.Context(), target, o, nil)
		},
	}
	addScanFlags(c, o, "cyclonedx")
	c.Flags().BoolVar(&spdxOut, "spdx", false, "write SPDX 2.3 JSON (same as -f spdx)")
	c.Flags().BoolVar(&diff, "diff", false, "compare two AI-BOMs: bom --diff OLD.json NEW.json (-f json for JSON output)")
	return c
}

// bomEntry is one component or service of a BOM, reduced to what a diff
// compares.
type bomEntry struct {
	Key     string   `json:"key"` // identity without version
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Hashes  []string `json:"hashes,omitempty"`
	Models  []string `json:"models,omitempty"`
	Endpts  []string `json:"endpoints,omitempty"`
}

// bomChange is an entry present in both BOMs whose facts differ.
type bomChange struct {
	Key     string   `json:"key"`
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Changes []string `json:"changes"`
}

type bomDiffResult struct {
	Added   []bomEntry  `json:"added"`
	Removed []bomEntry  `json:"removed"`
	Changed []bomChange `json:"changed"`
}

func (a *app) bomDiff(oldPath, newPath, format string) error {
	if format != "text" && format != "json" && format != "table" {
		return usageErr("bom --diff writes text or json, not %q", format)
	}
	oldE, err := readBOM(oldPath)
	if err != nil {
		return usageErr("%v", err)
	}
	newE, err := readBOM(newPath)
	if err != nil {
		return usageErr("%v", err)
	}
	res := diffBOMs(oldE, newE)
	if format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return usageErr("%v", err)
		}
	} else {
		for _, e := range res.Added {
			fmt.Fprintf(a.stdout, "+ %-8s %s\n", e.Kind, label(e.Name, e.Version))
		}
		for _, e := range res.Removed {
			fmt.Fprintf(a.stdout, "- %-8s %s\n", e.Kind, label(e.Name, e.Version))
		}
		for _, c := range res.Changed {
			fmt.Fprintf(a.stdout, "~ %-8s %s: %s\n", c.Kind, c.Name, strings.Join(c.Changes, "; "))
		}
		fmt.Fprintf(a.stdout, "%d added, %d removed, %d changed\n", len(res.Added), len(res.Removed), len(res.Changed))
	}
	if len(res.Added)+len(res.Removed)+len(res.Changed) > 0 {
		return withCode(ExitFindings, nil)
	}
	return nil
}

func label(name, version string) string {
	if version == "" {
		return name
	}
	return name + "@" + version
}

func diffBOMs(oldE, newE map[string]bomEntry) bomDiffResult {
	res := bomDiffResult{Added: []bomEntry{}, Removed: []bomEntry{}, Changed: []bomChange{}}
	for k, n := range newE {
		o, ok := oldE[k]
		if !ok {
			res.Added = append(res.Added, n)
			continue
		}
		var ch []string
		if o.Version != n.Version {
			ch = append(ch, fmt.Sprintf("version %s -> %s", orNone(o.Version), orNone(n.Version)))
		}
		if strings.Join(o.Hashes, ",") != strings.Join(n.Hashes, ",") && len(o.Hashes) > 0 && len(n.Hashes) > 0 {
			ch = append(ch, "hashes changed")
		}
		if d := setDiff("models", o.Models, n.Models); d != "" {
			ch = append(ch, d)
		}
		if d := setDiff("endpoints", o.Endpts, n.Endpts); d != "" {
			ch = append(ch, d)
		}
		if len(ch) > 0 {
			res.Changed = append(res.Changed, bomChange{Key: k, Kind: n.Kind, Name: n.Name, Changes: ch})
		}
	}
	for k, o := range oldE {
		if _, ok := newE[k]; !ok {
			res.Removed = append(res.Removed, o)
		}
	}
	sort.Slice(res.Added, func(i, j int) bool { return res.Added[i].Key < res.Added[j].Key })
	sort.Slice(res.Removed, func(i, j int) bool { return res.Removed[i].Key < res.Removed[j].Key })
	sort.Slice(res.Changed, func(i, j int) bool { return res.Changed[i].Key < res.Changed[j].Key })
	return res
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func setDiff(what string, o, n []string) string {
	om, nm := map[string]bool{}, map[string]bool{}
	for _, s := range o {
		om[s] = true
	}
	for _, s := range n {
		nm[s] = true
	}
	var parts []string
	for _, s := range n {
		if !om[s] {
			parts = append(parts, "+"+s)
		}
	}
	for _, s := range o {
		if !nm[s] {
			parts = append(parts, "-"+s)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return what + " " + strings.Join(parts, " ")
}

// readBOM loads a CycloneDX JSON or SPDX 2.x JSON document into entries
// keyed by identity (purl without version, else kind and name).
func readBOM(path string) (map[string]bomEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := core.ReadLimited(f, maxBOMBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var probe struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a JSON BOM: %v", path, err)
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		return readCycloneDX(b, path)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2"):
		return readSPDX(b, path)
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("<")) {
		return nil, fmt.Errorf("%s: XML BOMs are not supported by --diff; write JSON (-f cyclonedx)", path)
	}
	return nil, fmt.Errorf("%s: neither CycloneDX (bomFormat) nor SPDX 2.x (spdxVersion) JSON", path)
}

// purlKey strips the version (and qualifiers) from a purl.
func purlKey(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if i := strings.LastIndexByte(p, '@'); i > strings.LastIndexByte(p, '/') {
		p = p[:i]
	}
	return p
}

type cdxProp struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxComp struct {
	Type       string    `json:"type"`
	Group      string    `json:"group"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	PURL       string    `json:"purl"`
	Hashes     []cdxHash `json:"hashes"`
	Properties []cdxProp `json:"properties"`
	Components []cdxComp `json:"components"`
	Endpoints  []string  `json:"endpoints"`
	Services   []cdxComp `json:"services"`
}

func readCycloneDX(b []byte, path string) (map[string]bomEntry, error) {
	var doc struct {
		Components []cdxComp `json:"components"`
		Services   []cdxComp `json:"services"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: invalid CycloneDX JSON: %v", path, err)
	}
	out := map[string]bomEntry{}
	var walk func(cs []cdxComp)
	walk = func(cs []cdxComp) {
		for _, c := range cs {
			e := bomEntry{Kind: c.Type, Name: c.Name, Version: c.Version}
			if c.Group != "" {
				e.Name = c.Group + "/" + c.Name
			}
			if c.PURL != "" {
				e.Key = purlKey(c.PURL)
			} else {
				e.Key = c.Type + ":" + e.Name
			}
			for _, h := range c.Hashes {
				e.Hashes = append(e.Hashes, strings.ToLower(h.Alg+":"+h.Content))
			}
			sort.Strings(e.Hashes)
			out[e.Key] = e
			walk(c.Components)
		}
	}
	walk(doc.Components)
	var walkSvc func(ss []cdxComp)
	walkSvc = func(ss []cdxComp) {
		for _, s := range ss {
			e := bomEntry{Kind: "service", Name: s.Name, Version: s.Version, Key: "service:" + s.Name}
			for _, p := range s.Properties {
				if p.Name == "assay:model" {
					e.Models = append(e.Models, p.Value)
				}
			}
			e.Endpts = append(e.Endpts, s.Endpoints...)
			sort.Strings(e.Models)
			sort.Strings(e.Endpts)
			out[e.Key] = e
			walkSvc(s.Services)
		}
	}
	walkSvc(doc.Services)
	return out, nil
}

func readSPDX(b []byte, path string) (map[string]bomEntry, error) {
	var doc struct {
		Packages []struct {
			Name      string `json:"name"`
			SPDXID    string `json:"SPDXID"`
			Version   string `json:"versionInfo"`
			Purpose   string `json:"primaryPackagePurpose"`
			Comment   string `json:"comment"`
			Checksums []struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"checksumValue"`
			} `json:"checksums"`
			ExternalRefs []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: invalid SPDX JSON: %v", path, err)
	}
	out := map[string]bomEntry{}
	for _, p := range doc.Packages {
		if p.SPDXID == "SPDXRef-Package-project" {
			continue
		}
		kind := strings.ToLower(p.Purpose)
		if k, ok := spdxCommentField(p.Comment, "assay kind"); ok {
			kind = strings.Fields(k)[0]
		}
		e := bomEntry{Kind: kind, Name: p.Name, Version: p.Version, Key: kind + ":" + p.Name}
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				e.Key = purlKey(r.Locator)
			}
		}
		for _, c := range p.Checksums {
			e.Hashes = append(e.Hashes, strings.ToLower(c.Algorithm+":"+c.Value))
		}
		sort.Strings(e.Hashes)
		if m, ok := spdxCommentField(p.Comment, "models"); ok {
			e.Models = strings.Split(m, ",")
		}
		if m, ok := spdxCommentField(p.Comment, "endpoint"); ok {
			e.Endpts = strings.Split(m, ",")
		}
		out[e.Key] = e
	}
	return out, nil
}

// spdxCommentField reads "key: value" out of an assay package comment.
func spdxCommentField(comment, key string) (string, bool) {
	for _, part := range strings.Split(comment, "; ") {
		if v, ok := strings.CutPrefix(part, key+": "); ok && v != "" {
			return v, true
		}
	}
	return "", false
}
