// Package python inventories Python dependencies: requirements files
// (requirements*.txt, *.in, requirements*.lock, with -r/-c includes),
// pyproject.toml (PEP 621, PEP 735, Poetry, PDM, uv), poetry.lock, uv.lock,
// pdm.lock, Pipfile.lock, conda environment files (with their pip section)
// and installed distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO in
// site-packages/dist-packages).
//
// Everything is read as bytes and parsed statically; nothing is imported,
// built or installed. Bounds: a manifest or lockfile over MaxFileSize (64 MiB)
// is refused with an Error; requirements includes are followed at most
// MaxIncludeDepth (16) deep and MaxIncludeFiles (256) files per scanned file;
// METADATA headers are read up to MaxMetadataHeader (1 MiB) and the body
// (the long description) is never read.
//
// Includes: "-r other.txt" is parsed and its requirements are reported
// located in other.txt. When the engine also visits other.txt on its own (its
// name is one this package claims), the two scans yield identical components,
// which the report merges; findings and errors located in a claimed include
// are reported only by that file's own scan, so nothing is reported twice.
// "-c constraints.txt" files add no components: a constraint is recorded as
// the "constraint" property of the unpinned requirement it narrows.
package python

import (
	"github.com/assay-dev/assay/internal/core"
)

// Bounds on untrusted input.
const (
	// MaxFileSize is the largest manifest or lockfile parsed.
	MaxFileSize = 64 << 20
	// MaxIncludeDepth bounds nested -r/-c includes.
	MaxIncludeDepth = 16
	// MaxIncludeFiles bounds how many files one requirements scan opens.
	MaxIncludeFiles = 256
	// MaxMetadataHeader bounds the header block read from METADATA/PKG-INFO.
	MaxMetadataHeader = 1 << 20
)

// Rule metadata.
var (
	// RuleMutableRef flags URL/VCS dependencies not pinned to immutable content.
	RuleMutableRef = core.Rule{
		ID:       "ASSAY-INV-001",
		Title:    "Dependency fetched from a mutable URL or VCS reference",
		Severity: core.SeverityMedium,
		Category: "dependency",
		Description: "The dependency is installed from a VCS repository at a branch, a tag or no revision " +
			"at all, or from an archive URL without a hash. Whoever controls that branch, tag or server " +
			"can change the code you install without any change to your files - the package-manager " +
			"twin of a GitHub Action pinned to a mutable tag (compare the tj-actions/changed-files and " +
			"trivy-action tag rewrites). Advisory databases cannot match such a dependency to a release, " +
			"and two installs of the same commit of your project can run different code.",
		Fix: "Pin the reference to a full commit id (git+https://host/org/repo.git@<40-hex sha>), add " +
			"--hash=sha256:<digest> to archive URLs, or depend on a released version from the index.",
		Tags: []string{"supply-chain", "pinning", "pypi"},
	}
	// RuleExtraIndex flags --extra-index-url (dependency confusion).
	RuleExtraIndex = core.Rule{
		ID:       "ASSAY-INV-002",
		Title:    "Extra package index enables dependency confusion",
		Severity: core.SeverityMedium,
		Category: "dependency",
		Description: "pip merges every index given with --extra-index-url with the main index and " +
			"installs the highest version it finds for each name, from whichever index has it. Anyone " +
			"who registers a private or index-only package name on the public index with a higher " +
			"version gets their code installed: in December 2022 a malicious 'torchtriton' on PyPI was " +
			"installed by everyone following PyTorch's nightly instructions, which used " +
			"--extra-index-url https://download.pytorch.org/whl/nightly. The official PyTorch index is " +
			"reported at low severity (PyTorch now reserves its dependency names on PyPI), other extra " +
			"indexes at medium. Files in hash-checking mode (every requirement has --hash) are not " +
			"reported: a substituted package fails the hash check.",
		Fix: "Use a single index (--index-url) that proxies PyPI, or pin every requirement with " +
			"--hash (pip-compile --generate-hashes, uv pip compile --generate-hashes), or move to uv " +
			"with an explicit index per private package ([[tool.uv.index]] explicit = true).",
		Tags: []string{"supply-chain", "dependency-confusion", "pypi"},
	}
)

// Scanners returns this capability's scanners, for the registry.
func Scanners() []core.Scanner {
	return []core.Scanner{
		&fileScanner{name: "pypi/requirements", match: matchRequirements, scan: scanRequirements},
		&fileScanner{name: "pypi/pyproject", match: baseIs("pyproject.toml"), scan: scanPyproject},
		&fileScanner{name: "pypi/uv-lock", match: baseIs("uv.lock"), scan: scanUVLock},
		&fileScanner{name: "pypi/poetry-lock", match: baseIs("poetry.lock"), scan: scanPoetryLock},
		&fileScanner{name: "pypi/pdm-lock", match: baseIs("pdm.lock"), scan: scanPDMLock},
		&fileScanner{name: "pypi/pipfile-lock", match: baseIs("Pipfile.lock"), scan: scanPipfileLock},
		&fileScanner{name: "pypi/pipfile", match: baseIs("Pipfile"), scan: scanPipfile},
		&fileScanner{name: "conda/environment", match: matchConda, scan: scanConda},
		&fileScanner{name: "pypi/installed", match: matchInstalled, scan: scanInstalled},
	}
}

// Analyzers returns this capability's whole-report analyzers, for the registry.
func Analyzers() []core.Analyzer { return []core.Analyzer{installedGraph{}} }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return []core.Rule{RuleMutableRef, RuleExtraIndex} }
