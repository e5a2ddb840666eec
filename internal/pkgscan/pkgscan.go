// Package pkgscan inspects package artifacts (wheels, sdists, npm tarballs,
// Go module zips) and installed trees (site-packages, node_modules) for
// behaviour no library should have, without executing anything: Python and
// JavaScript are read as tree-sitter syntax trees, archives as bytes.
//
// Pipeline per file: classify by name → a one-pass Aho–Corasick pre-filter
// over the bytes (most files stop here) → tree-sitter parse of candidates →
// facts (normalised calls, literals, assignments, the context each node runs
// in: function, import, install, start-up) → rules whose severity depends on
// that context. A capability analyzer folds per-file evidence into one
// summary per package, and Diff compares two releases.
//
// Bounds: package files larger than 8 MiB are reported, not parsed; syntax
// trees are copied out of tree-sitter up to 3,000,000 nodes and 256 levels
// deep (deeper code is reported as partially analysed). Archives are read through package archive with its limits
// (entries, total/member size, ratio, nesting); while an artifact is read,
// at most 512 MiB of code and metadata members are kept in memory, everything
// else is streamed through sha256. Installed RECORD checks read at most
// 64 MiB per RECORD (.pth, __init__.py, console scripts only).
package pkgscan

import (
	"regexp"

	"github.com/assay-dev/assay/internal/core"
)

// Scanners returns this capability's scanners, for the registry: the
// project-scan mode, which never claims the project's own source code.
func Scanners() []core.Scanner { return []core.Scanner{NewScanner(Options{})} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return []core.Analyzer{&CapabilityAnalyzer{}} }

func mustRe(s string) *regexp.Regexp { return regexp.MustCompile(s) }
