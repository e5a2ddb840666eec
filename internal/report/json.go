package report

import (
	"encoding/json"
	"io"

	"github.com/assay-dev/assay/internal/core"
)

// JSON writes the report in the versioned JSON contract (docs/json-schema.md).
func JSON(w io.Writer, r *core.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
