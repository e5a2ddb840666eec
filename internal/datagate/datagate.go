// Package datagate authenticates, screens and quarantines training-data batches.
package datagate

import "github.com/assay-dev/assay/internal/core"

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule { return nil }
