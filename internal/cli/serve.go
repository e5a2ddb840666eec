package cli

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/server"
)

func (a *app) newServeCmd() *cobra.Command {
	var (
		addr, dbPath, dsn, tokenFile string
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the organisation inventory server (who is affected when an advisory lands?)",
		Long: `Keep every project's AI-BOM (assay JSON reports) in SQLite (default) or PostgreSQL
(--dsn postgres://...) and answer, with one indexed query, which projects contain a
package version, or which are affected by an OSV advisory posted to the API.

Every /api/ request needs "Authorization: Bearer TOKEN"; the token comes from
--token-file or the ASSAY_SERVER_TOKEN environment variable (at least 16 characters).

  PUT    /api/v1/projects/{name}            body: assay scan -f json output
  GET    /api/v1/projects
  DELETE /api/v1/projects/{name}
  GET    /api/v1/affected?purl=pkg:pypi/litellm@1.82.8
  GET    /api/v1/affected?ecosystem=PyPI&name=litellm[&version=1.82.8]
  POST   /api/v1/affected                   body: an OSV record
  GET    /api/v1/findings?rule=ASSAY-DEP-001 | ?advisory=MAL-2026-2144
  GET    /healthz`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			token := strings.TrimSpace(a.getenv("ASSAY_SERVER_TOKEN"))
			if tokenFile != "" {
				b, err := readBoundedFile(tokenFile, 4096)
				if err != nil {
					return usageErr("token file: %v", err)
				}
				token = strings.TrimSpace(string(b))
			}
			if len(token) < 16 {
				return usageErr("an API token of at least 16 characters is required (--token-file or ASSAY_SERVER_TOKEN)")
			}
			target := dbPath
			if dsn != "" {
				target = dsn
			}
			ctx := c.Context()
			st, err := server.Open(ctx, target)
			if err != nil {
				return usageErr("%v", err)
			}
			defer st.Close()
			h, err := server.New(st, server.Options{Token: token, Log: log.New(a.stderr, "assay serve: ", log.LstdFlags)})
			if err != nil {
				return usageErr("%v", err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usageErr("%v", err)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: time.Minute}
			store := "sqlite " + dbPath
			if dsn != "" {
				store = "postgres"
			}
			fmt.Fprintf(a.stderr, "assay serve: listening on http://%s (%s)\n", ln.Addr(), store)
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
				return nil
			case err := <-errc:
				if errors.Is(err, http.ErrServerClosed) {
					return nil
				}
				return usageErr("%v", err)
			}
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address")
	c.Flags().StringVar(&dbPath, "db", "assay-inventory.db", "SQLite database file")
	c.Flags().StringVar(&dsn, "dsn", "", "PostgreSQL DSN (postgres://...); overrides --db")
	c.Flags().StringVar(&tokenFile, "token-file", "", "file holding the API bearer token")
	return c
}
