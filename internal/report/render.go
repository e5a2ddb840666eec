// Package report renders a core.Report as table, JSON, SARIF, CycloneDX,
// SPDX, HTML or Markdown. Renderers see the Report and the rule registry,
// nothing else.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// Options tune rendering.
type Options struct {
	// Color enables ANSI colour (table only); the CLI sets it only on a TTY
	// and never when NO_COLOR is set.
	Color bool
	// Quiet prints only the summary line (table only).
	Quiet bool
	// Verbose adds info findings and error details (table only).
	Verbose bool
	// Rules is the rule registry, for SARIF rules and help text.
	Rules []core.Rule
	// XML selects CycloneDX XML instead of JSON.
	XML bool
}

// Formats lists the accepted -f values.
var Formats = []string{"table", "json", "sarif", "cyclonedx", "cyclonedx-xml", "spdx", "html", "markdown"}

// renderers maps a format to its renderer. Each lives in its own file.
var renderers = map[string]func(io.Writer, *core.Report, Options) error{
	"table":         Table,
	"json":          JSON,
	"sarif":         SARIF,
	"cyclonedx":     CycloneDX,
	"cyclonedx-xml": func(w io.Writer, r *core.Report, o Options) error { o.XML = true; return CycloneDX(w, r, o) },
	"spdx":          SPDX,
	"html":          HTML,
	"markdown":      Markdown,
}

// Render writes r in format to w.
func Render(w io.Writer, r *core.Report, format string, opts Options) error {
	f, ok := renderers[strings.ToLower(format)]
	if !ok {
		names := make([]string, 0, len(renderers))
		for k := range renderers {
			names = append(names, k)
		}
		sort.Strings(names)
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(names, ", "))
	}
	return f(w, r, opts)
}
