package python

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/assay-dev/assay/internal/core"
)

type pipfileEntry struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Markers  string   `json:"markers"`
	Index    string   `json:"index"`
	Extras   []string `json:"extras"`
	Git      string   `json:"git"`
	Ref      string   `json:"ref"`
	Editable bool     `json:"editable"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
}

func scanPipfileLock(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parsePipfileLock(s, in.Root, in.Path, data)
}

// jsonError gives a JSON decode error with its line.
func jsonError(err error, li lineIndex) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at line %d: %v", li.line(int(se.Offset)-1), se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("invalid JSON at line %d: %s has type %s, want %s", li.line(int(te.Offset)-1), te.Field, te.Value, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid JSON: truncated (file ends at line %d)", len(li))
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// parsePipfileLock walks the JSON with a token decoder so every package
// keeps the line of its key.
func parsePipfileLock(s *fileScanner, root *os.Root, p string, data []byte) (core.Result, error) {
	var res core.Result
	li := newLineIndex(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil {
		return res, jsonError(err, li)
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return res, errors.New("invalid Pipfile.lock: top level is not an object")
	}
	declared := manifestNames(root, p, "Pipfile")
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return res, jsonError(err, li)
		}
		section, _ := kt.(string)
		if section != "default" && section != "develop" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return res, jsonError(err, li)
			}
			continue
		}
		if t, err := dec.Token(); err != nil {
			return res, jsonError(err, li)
		} else if d, ok := t.(json.Delim); !ok || d != '{' {
			return res, fmt.Errorf("invalid Pipfile.lock: %q is not an object", section)
		}
		for dec.More() {
			nt, err := dec.Token()
			if err != nil {
				return res, jsonError(err, li)
			}
			name, _ := nt.(string)
			line := li.line(int(dec.InputOffset()) - 1)
			var e pipfileEntry
			if err := dec.Decode(&e); err != nil {
				return res, jsonError(err, li)
			}
			if !validName(name) {
				res.Errors = append(res.Errors, posError{line: line, reason: fmt.Sprintf("invalid package name %q", clip(name))}.toCore(p, s.name))
				continue
			}
			res.Components = append(res.Components, pipfileComponent(s, p, name, line, section, e, declared, &res))
		}
		if _, err := dec.Token(); err != nil { // closing '}'
			return res, jsonError(err, li)
		}
	}
	return res, nil
}

func pipfileComponent(s *fileScanner, p, name string, line int, section string, e pipfileEntry, declared map[string]bool, res *core.Result) core.Component {
	version, pinned := pinnedVersion(strings.ReplaceAll(e.Version, " ", ""))
	req := ""
	if !pinned && e.Version != "*" {
		req = strings.ReplaceAll(e.Version, " ", "")
	}
	c := newPyPI(name, version, req, core.SourceLockfile, core.Location{Path: p, Line: line, Column: 1}, declared[normalizeName(name)])
	if section == "develop" {
		c.Scope = "dev"
	}
	for _, h := range e.Hashes {
		if hh, ok := parseHash(h); ok {
			c.Hashes = append(c.Hashes, hh)
		}
	}
	setProp(&c, propMarker, e.Markers)
	setProp(&c, propExtras, strings.Join(e.Extras, ","))
	if e.Editable {
		setProp(&c, propEditable, "true")
	}
	switch {
	case e.Git != "":
		shown := redactURL(e.Git)
		if e.Ref != "" {
			shown += "@" + e.Ref
		}
		setProp(&c, propURL, shown)
		if !isFullCommit(e.Ref) {
			reason := "no revision is locked"
			if e.Ref != "" {
				reason = fmt.Sprintf("ref %q is not a full commit id", e.Ref)
			}
			f := RuleMutableRef.New(c.Locations[0], fmt.Sprintf("%s is locked to git source %s: %s", name, shown, reason), core.Clip(fmt.Sprintf("%q: {\"git\": %q, \"ref\": %q}", name, redactURL(e.Git), e.Ref), 200))
			f.Component = c.ID()
			res.Findings = append(res.Findings, f)
		}
	case e.File != "":
		setProp(&c, propURL, redactURL(e.File))
	case e.Path != "":
		setProp(&c, propPath, e.Path)
	}
	return c
}

// parsePipfile reads a Pipfile's [packages] and [dev-packages].
func parsePipfile(p string, data []byte) (core.Result, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return core.Result{}, tomlError(err)
	}
	var res core.Result
	text := newTOMLText(string(data))
	for _, sec := range []string{"packages", "dev-packages"} {
		m, _ := doc[sec].(map[string]any)
		for _, name := range sortedKeys(m) {
			if !validName(name) {
				continue
			}
			line, col := text.locateKey(sec, name)
			spec := ""
			switch v := m[name].(type) {
			case string:
				spec = v
			case map[string]any:
				spec = str(v, "version")
			}
			if spec == "*" {
				spec = ""
			}
			spec = strings.ReplaceAll(spec, " ", "")
			version, pinned := pinnedVersion(spec)
			if pinned {
				spec = ""
			}
			c := newPyPI(name, version, spec, core.SourceManifest, core.Location{Path: p, Line: line, Column: col}, true)
			if sec == "dev-packages" {
				c.Scope = "dev"
			}
			res.Components = append(res.Components, c)
		}
	}
	return res, nil
}

func scanPipfile(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error) {
	data, err := readInput(in)
	if err != nil {
		return core.Result{}, err
	}
	if err := requireUTF8(data); err != nil {
		return core.Result{}, err
	}
	return parsePipfile(in.Path, data)
}
