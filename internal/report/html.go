package report

import (
	"errors"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// HTML renders the report as html.
func HTML(w io.Writer, r *core.Report, opts Options) error {
	return errors.New("html output is not implemented yet")
}
