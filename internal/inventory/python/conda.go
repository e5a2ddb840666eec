package python

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/assay-dev/assay/internal/core"
)

// MaxCondaFileSize bounds conda environment files (YAML decoding costs more
// memory per byte than the other formats; real files are a few KiB).
const MaxCondaFileSize = 8 << 20

func scanConda(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	if in.Size > MaxCondaFileSize {
		return core.Result{}, fmt.Errorf("file too large (%d bytes; limit %d MiB)", in.Size, MaxCondaFileSize>>20)
	}
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parseConda(ctx, s, in, data)
}

func parseConda(ctx context.Context, s *fileScanner, in *core.Input, data []byte) (core.Result, error) {
	var res core.Result
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return res, fmt.Errorf("invalid YAML: %v", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return res, nil // empty document
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return res, errors.New("invalid environment file: top level is not a mapping")
	}
	var deps *yaml.Node
	var channels []string
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch top.Content[i].Value {
		case "dependencies":
			deps = top.Content[i+1]
		case "channels":
			for _, c := range top.Content[i+1].Content {
				if c.Kind == yaml.ScalarNode {
					channels = append(channels, c.Value)
				}
			}
		}
	}
	if deps == nil {
		return res, nil
	}
	if deps.Kind != yaml.SequenceNode {
		return res, fmt.Errorf("line %d: dependencies is not a list", deps.Line)
	}
	p := in.Path
	for _, it := range deps.Content {
		switch it.Kind {
		case yaml.ScalarNode:
			c, err := condaComponent(p, it)
			if err != nil {
				res.Errors = append(res.Errors, posError{line: it.Line, reason: err.Error()}.toCore(p, s.name))
				continue
			}
			res.Components = append(res.Components, c)
		case yaml.MappingNode:
			for i := 0; i+1 < len(it.Content); i += 2 {
				if it.Content[i].Value != "pip" {
					continue
				}
				seq := it.Content[i+1]
				if seq.Kind != yaml.SequenceNode {
					res.Errors = append(res.Errors, posError{line: seq.Line, reason: "pip: is not a list"}.toCore(p, s.name))
					continue
				}
				var lines []logLine
				for _, l := range seq.Content {
					if l.Kind != yaml.ScalarNode {
						res.Errors = append(res.Errors, posError{line: l.Line, reason: "pip entry is not a string"}.toCore(p, s.name))
						continue
					}
					t := strings.TrimSpace(stripComment(l.Value))
					if t != "" {
						lines = append(lines, logLine{line: l.Line, col: l.Column, text: t})
					}
				}
				rs := newReqScan(ctx, s, in.Root, p)
				rs.stack = append(rs.stack, stackEntry{path: p, claimed: true})
				rs.parseLines(p, lines, modeRequire, 0, true, false)
				r := rs.finish()
				res.Components = append(res.Components, r.Components...)
				res.Findings = append(res.Findings, r.Findings...)
				res.Errors = append(res.Errors, r.Errors...)
			}
		}
	}
	return res, nil
}

// condaComponent parses a conda match spec: [channel::]name[ op version[ build]]
// in its "name=1.2=build", "name==1.2", "name>=1.2" and "name 1.2 build" forms.
func condaComponent(p string, n *yaml.Node) (core.Component, error) {
	spec := strings.TrimSpace(n.Value)
	channel := ""
	if i := strings.Index(spec, "::"); i >= 0 {
		channel, spec = spec[:i], spec[i+2:]
	}
	if i := strings.IndexByte(spec, '['); i >= 0 {
		spec = strings.TrimSpace(spec[:i]) // bracket qualifiers are not modelled
	}
	i := 0
	for i < len(spec) && (isNameByte(spec[i])) {
		i++
	}
	name := spec[:i]
	if name == "" || !isAlnum(name[0]) {
		return core.Component{}, fmt.Errorf("invalid conda package spec %q", clip(n.Value))
	}
	rest := strings.TrimSpace(spec[i:])
	var version, build, requirement string
	switch {
	case rest == "":
	case strings.HasPrefix(rest, "=="):
		version = strings.TrimSpace(rest[2:])
		if j := strings.IndexByte(version, '='); j >= 0 {
			version, build = version[:j], version[j+1:]
		}
	case strings.HasPrefix(rest, "=") && strings.Count(rest, "=") >= 2 && !strings.ContainsAny(rest, "<>!,*|"):
		parts := strings.SplitN(rest[1:], "=", 2)
		version, build = parts[0], parts[1]
	case rest[0] >= '0' && rest[0] <= '9':
		f := strings.Fields(rest)
		if strings.ContainsAny(f[0], "*<>=!,|") {
			requirement = f[0]
		} else {
			version = f[0]
		}
		if len(f) > 1 {
			build = f[1]
		}
	default:
		requirement = strings.ReplaceAll(rest, " ", "")
	}
	if strings.Contains(version, "*") {
		requirement, version = "=="+version, ""
	}
	c := core.Component{
		Kind: core.KindPackage, Name: name, Version: version, Ecosystem: EcosystemConda,
		PURL: condaPURL(name, version, build, channel), Requirement: requirement,
		Locations: []core.Location{{Path: p, Line: n.Line, Column: n.Column}}, Direct: true,
		Properties: map[string]string{core.PropSource: core.SourceManifest},
	}
	setProp(&c, propChannel, channel)
	setProp(&c, "build", build)
	return c, nil
}
