package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/advisory"
)

func (a *app) newDBCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "db",
		Short: "Manage offline advisory data (update, status)",
		Long: `assay matches components against an embedded feed of AI supply-chain incidents
(always present) plus full OSV exports. "assay db update" downloads per-ecosystem
OSV all.zip exports into the user cache dir; every scan then uses them offline.
"assay db status" shows what a scan would load.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return c.Help()
		},
	}
	c.AddCommand(a.newDBUpdateCmd(), a.newDBStatusCmd())
	return c
}

func (a *app) cacheDir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := a.getenv("ASSAY_CACHE_DIR"); d != "" {
		return d
	}
	return advisory.ResolveCacheDir("")
}

func (a *app) newDBUpdateCmd() *cobra.Command {
	var (
		ecos     []string
		base     string
		cacheDir string
		quiet    bool
	)
	c := &cobra.Command{
		Use:   "update",
		Short: "Download OSV exports (all.zip per ecosystem) into the cache",
		Long: `Download each ecosystem's OSV export from <url>/<ECOSYSTEM>/all.zip into
<cache-dir>/db/<ECOSYSTEM>/all.zip. Unchanged exports are skipped (conditional
GET with the stored ETag). A download replaces the old export only after it was
received in full, hashed (sha256), and verified to be a zip of valid OSV records;
any failure leaves the previous data in place. Exit 2 when an ecosystem failed.`,
		Example: `  assay db update
  assay db update --ecosystem PyPI --ecosystem npm
  assay db update --url https://mirror.example/osv --cache-dir /var/cache/assay`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			dir := a.cacheDir(cacheDir)
			if dir == "" {
				return usageErr("no cache directory: pass --cache-dir or set ASSAY_CACHE_DIR")
			}
			opts := advisory.UpdateOptions{Ecosystems: ecos, BaseURL: base, CacheDir: dir}
			if !quiet {
				opts.Log = a.stderr
			}
			var failed []string
			for _, r := range advisory.Update(c.Context(), opts) {
				switch r.Status {
				case "failed":
					kept := "no cached data"
					for _, m := range advisory.CachedDBs(dir) {
						if m.Ecosystem == r.Ecosystem {
							kept = fmt.Sprintf("previous data kept: %d records", m.Records)
						}
					}
					fmt.Fprintf(a.stdout, "%-16s failed: %v (%s)\n", r.Ecosystem, r.Err, kept)
					failed = append(failed, r.Ecosystem)
				case "unchanged":
					fmt.Fprintf(a.stdout, "%-16s unchanged (%d records, sha256 %s)\n", r.Ecosystem, r.Meta.Records, short(r.Meta.SHA256))
				default:
					fmt.Fprintf(a.stdout, "%-16s updated: %d records, %d bytes, sha256 %s\n", r.Ecosystem, r.Meta.Records, r.Meta.Size, short(r.Meta.SHA256))
				}
			}
			if len(failed) > 0 {
				return usageErr("update failed for %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringArrayVar(&ecos, "ecosystem", nil, "OSV ecosystem to download (repeatable; default: "+strings.Join(advisory.DefaultEcosystems, ", ")+")")
	f.StringVar(&base, "url", advisory.DefaultBaseURL, "base URL of the OSV export bucket or a mirror")
	f.StringVar(&cacheDir, "cache-dir", "", "where to keep the data (default: $ASSAY_CACHE_DIR or the user cache dir /assay)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress lines on stderr")
	return c
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) newDBStatusCmd() *cobra.Command {
	var (
		cacheDir string
		format   string
	)
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the advisory data a scan would load",
		Example: `  assay db status
  assay db status -f json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			st, err := advisory.GetStatus(a.cacheDir(cacheDir))
			if err != nil {
				return usageErr("%v", err)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			case "table", "":
			default:
				return usageErr("--format: want table or json, got %q", format)
			}
			w := a.stdout
			fe := st.Feed
			fmt.Fprintf(w, "embedded feed   %d records, newest %s, sha256 %s\n", fe.Records, dateOf(fe.Modified), short(fe.SHA256))
			var ecos []string
			for e, n := range fe.Ecosystems {
				ecos = append(ecos, fmt.Sprintf("%s %d", e, n))
			}
			sort.Strings(ecos)
			fmt.Fprintf(w, "                %s\n", strings.Join(ecos, ", "))
			fmt.Fprintf(w, "cache dir       %s\n", orDash(st.CacheDir))
			if len(st.Cached) == 0 {
				fmt.Fprintln(w, "cached OSV data none (run `assay db update`, or pass --db PATH to scans)")
				return nil
			}
			for _, ci := range st.Cached {
				idx := "not indexed yet (built on the next scan)"
				if ci.Indexed {
					idx = "indexed"
				}
				fmt.Fprintf(w, "%-15s %d records, %d bytes, downloaded %s, checked %s, sha256 %s, %s\n",
					ci.Ecosystem, ci.Records, ci.Size, orDash(ci.Downloaded), orDash(ci.Checked), short(ci.SHA256), idx)
				if ci.Error != "" {
					fmt.Fprintf(w, "%-15s warning: %s\n", "", ci.Error)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&cacheDir, "cache-dir", "", "cache directory (default: $ASSAY_CACHE_DIR or the user cache dir /assay)")
	c.Flags().StringVarP(&format, "format", "f", "table", "output format: table|json")
	return c
}

func dateOf(ts string) string {
	if len(ts) >= 10 {
		return ts[:10]
	}
	return orDash(ts)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
