package report

import (
	"errors"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// CycloneDX renders the report as cyclonedx.
func CycloneDX(w io.Writer, r *core.Report, opts Options) error {
	return errors.New("cyclonedx output is not implemented yet")
}
