// Package advisory matches components against an embedded feed of AI
// supply-chain incidents and against full OSV data, offline.
package advisory

import "github.com/assay-dev/assay/internal/core"

// Options configures advisory matching.
type Options struct {
	// DBPaths are extra OSV sources: directories, all.zip exports, single JSON files.
	DBPaths []string
	// Offline forbids any network access (the default scan never uses the network).
	Offline bool
	// CacheDir overrides the user cache dir where `assay db update` stores data.
	CacheDir string
}

// NewAnalyzer returns the analyzer that matches report components against
// the embedded feed, the cached DB and opts.DBPaths.
func NewAnalyzer(opts Options) (core.Analyzer, error) { return nil, nil }

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return nil }
