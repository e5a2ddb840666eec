package report

import (
	"errors"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// SPDX renders the report as spdx.
func SPDX(w io.Writer, r *core.Report, opts Options) error {
	return errors.New("spdx output is not implemented yet")
}
