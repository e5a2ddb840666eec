package report

import (
	"errors"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// SARIF renders the report as sarif.
func SARIF(w io.Writer, r *core.Report, opts Options) error {
	return errors.New("sarif output is not implemented yet")
}
