package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// HeadSize is how many leading bytes of every file the engine reads for
// routing by magic bytes.
const HeadSize = 512

// FileInfo is what a scanner sees when deciding whether it wants a file:
// no I/O beyond this.
type FileInfo struct {
	Path string // slash-separated, relative to the scan root
	Size int64
	Head []byte // the first min(Size, HeadSize) bytes
}

// Name is the base name of the file.
func (f FileInfo) Name() string { return path.Base(f.Path) }

// Ext is the lower-case extension including the dot ("" when none).
func (f FileInfo) Ext() string { return strings.ToLower(path.Ext(f.Path)) }

// HasPrefix reports whether the file starts with magic.
func (f FileInfo) HasPrefix(magic []byte) bool { return bytes.HasPrefix(f.Head, magic) }

// Input is one file handed to a scanner. The engine opens and closes it.
type Input struct {
	FileInfo
	// AbsPath is the absolute path on disk.
	AbsPath string
	// File reads the content; it is positioned at offset 0. Use ReadAll for
	// bounded whole-file reads, or the ReaderAt for random access.
	File *os.File
	// Root gives bounded access to other files of the scanned tree (e.g. a
	// requirements "-r other.txt" include, go.sum beside go.mod). Opening
	// through it can never escape the root, symlinks included. Nil when the
	// target is a single file.
	Root *os.Root
}

// ErrTooLarge is returned by bounded reads when the input exceeds the limit.
var ErrTooLarge = errors.New("input exceeds size limit")

// ReadAll reads the whole file if it is at most limit bytes; otherwise it
// returns an error wrapping ErrTooLarge without reading it.
func (in *Input) ReadAll(limit int64) ([]byte, error) {
	if in.Size > limit {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, in.Size, limit)
	}
	if _, err := in.File.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return ReadLimited(in.File, limit)
}

// ReadLimited reads r to EOF, failing with ErrTooLarge beyond limit bytes.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// Result is what one scan of one input produced.
type Result struct {
	Components []Component
	Findings   []Finding
	Errors     []Error
}

// Scanner is a plug-in that claims files by name, size and leading bytes, and
// turns each claimed file into components and findings.
//
// Scan returns an error only when the file could not be scanned at all; the
// engine records it as an Error naming the file. Problems the scanner can
// describe precisely belong in Result.Errors or as findings.
type Scanner interface {
	Name() string
	FileRequired(f FileInfo) bool
	Scan(ctx context.Context, in *Input) (Result, error)
}

// Analyzer runs after all scanners, over the whole report: advisory
// matching, cross-file checks, policy.
type Analyzer interface {
	Name() string
	Analyze(ctx context.Context, r *Report) error
}

// Rule is what is true of a rule everywhere: id, title, default severity,
// rationale and fix. Findings are instances of rules. Each capability
// package exports its rules so `assay explain` and SARIF share one source.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Category    string   `json:"category"` // dependency, model, package, workflow, aiasset, provenance, data, policy
	Description string   `json:"description"`
	Fix         string   `json:"fix"`
	Tags        []string `json:"tags,omitempty"`
}

// New makes a finding of this rule at loc with the rule's defaults.
func (r Rule) New(loc Location, message, evidence string) Finding {
	return Finding{
		RuleID:     r.ID,
		Severity:   r.Severity,
		Title:      r.Title,
		Message:    message,
		Location:   loc,
		Evidence:   evidence,
		Fix:        r.Fix,
		Confidence: "high",
	}
}

// Clip shortens s to at most n bytes (on a rune boundary) for evidence.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
