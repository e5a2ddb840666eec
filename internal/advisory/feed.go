package advisory

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"github.com/assay-dev/assay/internal/advisory/osv"
)

// feedFS holds the embedded AI-incident feed: OSV JSON records written
// from the project's threat notes (see docs/advisories.md).
//
//go:embed feed/*.json
var feedFS embed.FS

var (
	feedOnce sync.Once
	feedSrc  *memSource
	feedErr  error
)

// Feed returns the embedded feed as a source. Every record must parse and
// validate; a broken record is a build defect, reported as an error.
func Feed() (Source, error) {
	feedOnce.Do(func() {
		names, err := fs.Glob(feedFS, "feed/*.json")
		if err != nil {
			feedErr = err
			return
		}
		sort.Strings(names)
		c := newCollector("embedded")
		h := sha256.New()
		for _, n := range names {
			b, err := feedFS.ReadFile(n)
			if err != nil {
				feedErr = err
				return
			}
			h.Write(b)
			v, err := osv.Parse(b)
			c.add(n, v, err)
		}
		if c.invalid > 0 {
			feedErr = fmt.Errorf("embedded feed: %v", c.errs)
			return
		}
		sum := hex.EncodeToString(h.Sum(nil))
		feedSrc = c.memSource("embedded", sum)
		feedSrc.info.Path = "embedded feed (" + sum[:12] + ")"
	})
	return feedSrc, feedErr
}

// FeedRecords returns the embedded feed's records (for docs and tests).
func FeedRecords() ([]*osv.Vulnerability, error) {
	names, err := fs.Glob(feedFS, "feed/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*osv.Vulnerability
	for _, n := range names {
		b, err := feedFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		v, err := osv.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, v)
	}
	return out, nil
}
