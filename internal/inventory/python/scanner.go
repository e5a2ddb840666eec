package python

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// fileScanner is one format: a name, a cheap claim test and a scan function.
type fileScanner struct {
	name  string
	match func(core.FileInfo) bool
	scan  func(ctx context.Context, s *fileScanner, in *core.Input) (core.Result, error)
}

func (s *fileScanner) Name() string                      { return s.name }
func (s *fileScanner) FileRequired(f core.FileInfo) bool { return s.match(f) }
func (s *fileScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	res, err := s.scan(ctx, s, in)
	for i := range res.Components {
		qualifyURLPURL(&res.Components[i])
	}
	return res, err
}

// errorf makes a core.Error for the scanned file.
func (s *fileScanner) errorf(p string, format string, args ...any) core.Error {
	return core.Error{Path: p, Scanner: s.name, Reason: fmt.Sprintf(format, args...)}
}

// readInput reads the whole input within MaxFileSize and checks it is text.
func readInput(in *core.Input) ([]byte, error) {
	b, err := in.ReadAll(MaxFileSize)
	if err != nil {
		if errors.Is(err, core.ErrTooLarge) {
			return nil, fmt.Errorf("file too large (%d bytes; limit %d MiB)", in.Size, MaxFileSize>>20)
		}
		return nil, fmt.Errorf("cannot read: %v", err)
	}
	return decodeText(b)
}

func baseIs(name string) func(core.FileInfo) bool {
	return func(f core.FileInfo) bool { return f.Name() == name }
}

// matchRequirements claims requirements*.txt, *requirements*.txt,
// requirements/*.txt, requirements*.lock (rye, uv export) and pip-compile
// inputs (*.in named like requirements, or whose first lines parse as
// requirements - so MANIFEST.in, Makefile.in and config.h.in are left alone).
func matchRequirements(f core.FileInfo) bool {
	base := strings.ToLower(f.Name())
	dir := strings.ToLower(path.Base(path.Dir(f.Path)))
	ext := path.Ext(base)
	switch ext {
	case ".txt":
		if strings.Contains(base, "requirements") {
			return true
		}
		return (dir == "requirements" || dir == "reqs") && !strings.Contains(base, "constraint")
	case ".lock":
		return strings.HasPrefix(base, "requirements")
	case ".in":
		if base == "manifest.in" {
			return false
		}
		if strings.Contains(base, "requirement") || dir == "requirements" || dir == "reqs" {
			return !strings.Contains(base, "constraint")
		}
		return sniffRequirements(f.Head)
	}
	return false
}

// sniffRequirements reports whether the head of a generic *.in file reads as
// a pip requirements file: at least one requirement and nothing else.
func sniffRequirements(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	lines := strings.Split(string(head), "\n")
	if len(head) == core.HeadSize && len(lines) > 1 {
		lines = lines[:len(lines)-1] // last line may be cut
	}
	reqs := 0
	for _, l := range lines {
		t := strings.TrimSpace(stripComment(strings.TrimSuffix(l, "\r")))
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "-r ") || strings.HasPrefix(t, "-c ") || strings.HasPrefix(t, "--") {
			continue
		}
		if !looksLikeRequirement(t) {
			return false
		}
		reqs++
	}
	return reqs > 0
}

// matchConda claims conda environment files.
func matchConda(f core.FileInfo) bool {
	base := strings.ToLower(f.Name())
	ext := path.Ext(base)
	if ext != ".yml" && ext != ".yaml" {
		return false
	}
	stem := strings.TrimSuffix(base, ext)
	if stem == "environment" || stem == "conda-environment" || stem == "conda_environment" {
		return true
	}
	if strings.HasPrefix(stem, "environment") || strings.HasPrefix(stem, "conda") || strings.HasSuffix(stem, "environment") || strings.HasSuffix(stem, "env") {
		return bytes.Contains(f.Head, []byte("dependencies:")) && !strings.Contains(f.Path, ".github/")
	}
	return false
}

// inSitePackages reports whether p lies in a site-packages or dist-packages
// directory (any depth).
func inSitePackages(p string) bool {
	return strings.Contains("/"+p, "/site-packages/") || strings.Contains("/"+p, "/dist-packages/")
}

// matchInstalled claims *.dist-info/METADATA and *.egg-info/PKG-INFO (or a
// bare *.egg-info file) inside site-packages/dist-packages.
func matchInstalled(f core.FileInfo) bool {
	if !inSitePackages(f.Path) {
		return false
	}
	dir := path.Base(path.Dir(f.Path))
	switch f.Name() {
	case "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info")
	}
	// A bare "name-1.0.egg-info" file (distutils) directly in site-packages.
	parent := path.Base(path.Dir(f.Path))
	return strings.HasSuffix(f.Name(), ".egg-info") && (parent == "site-packages" || parent == "dist-packages")
}
