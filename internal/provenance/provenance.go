// Package provenance hashes, signs and verifies manifests of model and
// dataset directories (OpenSSF model-signing v1.0 bundles: an in-toto
// statement in a DSSE envelope inside a Sigstore bundle), and checks
// hash-pinned installs.
//
// Bounds: files are hashed by streaming 1 MiB buffers per worker (memory is
// workers × 1 MiB whatever the file sizes); a bundle is read up to
// MaxBundle (256 MiB), a manifest up to 256 MiB, a statement up to 5
// million resources. Nothing scanned is ever executed.
package provenance

import "github.com/assay-dev/assay/internal/core"

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner { return []core.Scanner{sigScanner{}} }

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return []core.Analyzer{pinAnalyzer{}, signedMarker{}} }
