// Package workflow audits CI workflows (GitHub Actions, GitLab CI) for mutable refs, injection and dangerous triggers.
package workflow

import "github.com/assay-dev/assay/internal/core"

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return nil }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return nil }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return nil }
