package report

import (
	"errors"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// Markdown renders the report as markdown.
func Markdown(w io.Writer, r *core.Report, opts Options) error {
	return errors.New("markdown output is not implemented yet")
}
