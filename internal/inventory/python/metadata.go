package python

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/assay-dev/assay/internal/core"
)

// pkgMetadata is the header block of a core-metadata file (METADATA,
// PKG-INFO): the fields the inventory needs.
type pkgMetadata struct {
	Name, Version         string
	NameLine, VersionLine int
	LicenseExpression     string
	License               string
	Classifiers           []string
	RequiresDist          []string
}

// readMetadataHeaders reads RFC 822-style headers up to the first blank
// line (the long description after it is never read), at most max bytes.
func readMetadataHeaders(r io.Reader, max int) (pkgMetadata, error) {
	var m pkgMetadata
	br := bufio.NewReaderSize(io.LimitReader(r, int64(max)+1), 64<<10)
	read := 0
	lineNo := 0
	var key string
	var val strings.Builder
	keyLine := 0
	flush := func() {
		if key == "" {
			return
		}
		v := strings.TrimSpace(val.String())
		switch strings.ToLower(key) {
		case "name":
			m.Name, m.NameLine = v, keyLine
		case "version":
			m.Version, m.VersionLine = v, keyLine
		case "license-expression":
			m.LicenseExpression = v
		case "license":
			m.License = v
		case "classifier":
			m.Classifiers = append(m.Classifiers, v)
		case "requires-dist":
			m.RequiresDist = append(m.RequiresDist, v)
		}
		key = ""
		val.Reset()
	}
	for {
		line, err := br.ReadString('\n')
		read += len(line)
		if read > max {
			return m, fmt.Errorf("metadata headers exceed %d bytes", max)
		}
		if len(line) > 0 {
			lineNo++
			if lineNo == 1 && strings.IndexByte(line, 0) >= 0 {
				return m, errNotText
			}
			if !utf8.ValidString(line) {
				return m, fmt.Errorf("line %d: not valid UTF-8", lineNo)
			}
			t := strings.TrimRight(line, "\r\n")
			if t == "" {
				flush()
				break // end of headers
			}
			if t[0] == ' ' || t[0] == '\t' {
				if key != "" {
					val.WriteString("\n")
					val.WriteString(strings.TrimSpace(t))
				}
				continue
			}
			flush()
			k, v, ok := strings.Cut(t, ":")
			if !ok {
				return m, fmt.Errorf("line %d: not a metadata header", lineNo)
			}
			key, keyLine = k, lineNo
			val.WriteString(v)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				flush()
				break
			}
			return m, err
		}
	}
	return m, nil
}

func scanInstalled(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	m, err := readMetadataHeaders(in.File, MaxMetadataHeader)
	if err != nil {
		return core.Result{}, err
	}
	return installedComponent(s, in.Path, m)
}

func installedComponent(s *fileScanner, p string, m pkgMetadata) (core.Result, error) {
	var res core.Result
	if m.Name == "" || m.Version == "" {
		return res, errors.New("metadata has no Name or Version header")
	}
	if !validName(m.Name) {
		return res, fmt.Errorf("line %d: invalid package name %q", m.NameLine, clip(m.Name))
	}
	c := newPyPI(m.Name, m.Version, "", core.SourceInstalled, core.Location{Path: p, Line: m.NameLine, Column: 1}, false)
	c.Licenses = metadataLicenses(m)
	var deps []string
	for _, rd := range m.RequiresDist {
		r, err := parseReq(rd)
		if err != nil {
			continue
		}
		if strings.Contains(r.Marker, "extra") {
			continue // only installed when an extra was asked for
		}
		deps = append(deps, pypiPURL(r.Name, ""))
	}
	c.DependsOn = dedupeStrings(deps)
	if len(c.DependsOn) > 0 {
		sort.Strings(c.DependsOn)
	}
	setProp(&c, "site", sitePackagesDir(p))
	res.Components = append(res.Components, c)
	return res, nil
}

// sitePackagesDir returns the site-packages/dist-packages directory holding p.
func sitePackagesDir(p string) string {
	d := path.Dir(p)
	for d != "." && d != "/" && d != "" {
		b := path.Base(d)
		if b == "site-packages" || b == "dist-packages" {
			return d
		}
		d = path.Dir(d)
	}
	return ""
}

// classifierSPDX maps common trove license classifiers to SPDX ids.
var classifierSPDX = map[string]string{
	"MIT License":                                   "MIT",
	"Apache Software License":                       "Apache-2.0",
	"BSD License":                                   "BSD-3-Clause",
	"ISC License (ISCL)":                            "ISC",
	"Mozilla Public License 2.0 (MPL 2.0)":          "MPL-2.0",
	"Python Software Foundation License":            "PSF-2.0",
	"GNU General Public License v2 (GPLv2)":         "GPL-2.0-only",
	"GNU General Public License v3 (GPLv3)":         "GPL-3.0-only",
	"GNU Affero General Public License v3":          "AGPL-3.0-only",
	"The Unlicense (Unlicense)":                     "Unlicense",
	"GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
	"GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
}

// metadataLicenses prefers License-Expression (PEP 639), then a short
// License field, then license classifiers.
func metadataLicenses(m pkgMetadata) []string {
	if m.LicenseExpression != "" {
		return []string{m.LicenseExpression}
	}
	if l := strings.TrimSpace(m.License); l != "" && !strings.Contains(l, "\n") && len(l) <= 80 && !strings.EqualFold(l, "UNKNOWN") {
		return []string{l}
	}
	var out []string
	for _, c := range m.Classifiers {
		if !strings.HasPrefix(c, "License ::") {
			continue
		}
		parts := strings.Split(c, "::")
		last := strings.TrimSpace(parts[len(parts)-1])
		if id, ok := classifierSPDX[last]; ok {
			last = id
		}
		if last != "" && last != "OSI Approved" {
			out = append(out, last)
		}
	}
	return out
}

// installedGraph resolves the Requires-Dist edges of installed
// distributions to the versions installed beside them.
type installedGraph struct{}

func (installedGraph) Name() string { return "pypi/installed-graph" }

func (installedGraph) Analyze(ctx context.Context, r *core.Report) error {
	bySite := map[string]map[string]string{}
	for i := range r.Components {
		c := &r.Components[i]
		if c.Ecosystem != core.EcosystemPyPI || c.Properties[core.PropSource] != core.SourceInstalled {
			continue
		}
		site := c.Properties["site"]
		if bySite[site] == nil {
			bySite[site] = map[string]string{}
		}
		bySite[site][normalizeName(c.Name)] = c.PURL
	}
	for i := range r.Components {
		c := &r.Components[i]
		if c.Ecosystem != core.EcosystemPyPI || c.Properties[core.PropSource] != core.SourceInstalled {
			continue
		}
		names := bySite[c.Properties["site"]]
		out := c.DependsOn[:0]
		for _, d := range c.DependsOn {
			n := strings.TrimPrefix(d, "pkg:pypi/")
			if purl, ok := names[n]; ok {
				out = append(out, purl)
			}
		}
		c.DependsOn = out
		if len(out) == 0 {
			c.DependsOn = nil
		}
	}
	return nil
}
