package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/report"
)

func (a *app) newPushCmd() *cobra.Command {
	var (
		o                  = &scanOptions{}
		serverURL, project string
		tokenFile          string
	)
	c := &cobra.Command{
		Use:   "push [PATH] --server URL --project NAME",
		Short: "Scan a project and upload its AI-BOM to an assay inventory server",
		Long: `Scan PATH like assay scan, print the report, and upload the JSON report to the
inventory server (assay serve) under NAME, replacing the project's previous
inventory. The bearer token comes from --token-file or ASSAY_SERVER_TOKEN. The exit
code is the scan's (0/1), or 2 when the upload fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			if serverURL == "" || project == "" {
				return usageErr("--server and --project are required")
			}
			u, err := url.Parse(serverURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return usageErr("--server must be an http(s) URL")
			}
			token := strings.TrimSpace(a.getenv("ASSAY_SERVER_TOKEN"))
			if tokenFile != "" {
				b, err := readBoundedFile(tokenFile, 4096)
				if err != nil {
					return usageErr("token file: %v", err)
				}
				token = strings.TrimSpace(string(b))
			}
			if token == "" {
				return usageErr("no token: set ASSAY_SERVER_TOKEN or --token-file")
			}
			rep, err := a.buildReport(c.Context(), target, o, nil)
			if err != nil {
				return err
			}
			var body bytes.Buffer
			if err := report.JSON(&body, rep, report.Options{}); err != nil {
				return usageErr("%v", err)
			}
			endpoint := strings.TrimRight(serverURL, "/") + "/api/v1/projects/" + url.PathEscape(project)
			req, err := http.NewRequestWithContext(c.Context(), http.MethodPut, endpoint, &body)
			if err != nil {
				return usageErr("%v", err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
			if err != nil {
				return usageErr("upload: %v", err)
			}
			defer resp.Body.Close()
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			if resp.StatusCode != http.StatusOK {
				var e struct{ Error string }
				_ = json.Unmarshal(msg, &e)
				return usageErr("upload to %s: %s %s", endpoint, resp.Status, e.Error)
			}
			fmt.Fprintf(a.stderr, "assay push: uploaded %d components, %d findings as %q to %s\n", len(rep.Components), len(rep.Findings), project, u.Host)
			return a.emit(rep, o)
		},
	}
	addScanFlags(c, o, "table")
	c.Flags().StringVar(&serverURL, "server", "", "inventory server base URL (https://assay.example.org)")
	c.Flags().StringVar(&project, "project", "", "project name on the server (e.g. acme/rag-service)")
	c.Flags().StringVar(&tokenFile, "token-file", "", "file holding the API bearer token")
	return c
}
