package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/datagate"
	"github.com/assay-dev/assay/internal/keys"
	"github.com/assay-dev/assay/internal/policy"
)

func (a *app) newDataCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "data",
		Short: "Training-data gate: screen, sign-batch, verify-batch",
		Long: `Guard what flows into (re)training: authenticate the producer of each batch,
screen it against a trusted baseline for poisoning, and split it row-for-row into
accepted and quarantined files.`,
	}
	c.AddCommand(a.newDataScreenCmd(), a.newDataSignCmd(), a.newDataVerifyCmd())
	return c
}

func (a *app) newDataScreenCmd() *cobra.Command {
	var (
		o          = &scanOptions{}
		baseline   string
		fields     datagate.Fields
		accept     string
		quarantine string
		nbMargin   float64
		policyFile string
	)
	c := &cobra.Command{
		Use:   "screen BATCH --baseline TRAIN",
		Short: "Screen a training batch against a trusted baseline and quarantine suspicious rows",
		Long: `Screen BATCH (.jsonl, .csv, .tsv or .parquet; CSV/TSV with a header row) against
the trusted dataset TRAIN (same formats): schema and content, near-duplicate floods,
copies of baseline rows with another label, label-distribution shift, rare-token
backdoor triggers, rows a naive Bayes model of the baseline contradicts, and
prompt-injection phrases, URLs and code the baseline never has. Each finding's
location.line is the batch file's line (header = line 1); for Parquet, which has no
lines, it is the 0-based row index + 2, as if the header were line 1.
--accept/--quarantine split the batch row for row, each with the batch's header
(Parquet: Parquet files with the batch's schema). Exit 1 when anything is quarantined.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if baseline == "" {
				return usageErr("--baseline TRAIN is required")
			}
			batch := args[0]
			for _, p := range []string{batch, baseline} {
				if _, err := datagate.FormatOf(p); err != nil {
					return usageErr("%v", err)
				}
				if _, err := os.Stat(p); err != nil {
					return usageErr("%v", err)
				}
			}
			if accept != "" && (accept == batch || accept == quarantine) || quarantine == batch {
				return usageErr("--accept and --quarantine must be two new files, not the batch")
			}
			// Fields: explicit flags, else the policy's data: section
			// (--policy FILE, else ./assay.yaml when present), else defaults.
			if pf := pickFile(policyFile, ".", policy.DefaultFile); pf != "" {
				pol, err := policy.Load(pf)
				if err != nil {
					return usageErr("invalid policy: %v", err)
				}
				if pol.DataTextField != "" && !c.Flags().Changed("text-field") {
					fields.Text = pol.DataTextField
				}
				if pol.DataLabelField != "" && !c.Flags().Changed("label-field") {
					fields.Label = pol.DataLabelField
				}
			}
			opts := datagate.Defaults()
			opts.Fields = fields
			if c.Flags().Changed("nb-margin") {
				opts = opts.WithFixedMargin(nbMargin)
			}
			// A soft heap limit keeps a 1M × 1M screen under 2 GB RSS (the GC
			// works harder near it instead of doubling the heap); GOMEMLIMIT
			// overrides it.
			if a.getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(datagate.MemoryLimit)
			}
			start := time.Now()
			base, err := datagate.LoadBaseline(c.Context(), baseline, fields)
			if err != nil {
				return usageErr("baseline: %v", err)
			}
			res, err := datagate.Screen(c.Context(), batch, base, opts)
			if err != nil {
				return usageErr("%v", err)
			}
			if accept != "" || quarantine != "" {
				acc, held, err := datagate.Split(batch, opts, res, accept, quarantine)
				if err != nil {
					return usageErr("split: %v", err)
				}
				res.Accepted, res.Held = acc, held
			}
			rep := core.NewReport(batch)
			rep.Findings = res.Findings
			rep.Meta = res.Stats
			rep.Meta["baseline"] = baseline
			if accept != "" {
				rep.Meta["accept_file"] = accept
			}
			if quarantine != "" {
				rep.Meta["quarantine_file"] = quarantine
			}
			rep.Finalize(nil)
			rep.Summary.FilesWalked = 2
			rep.Summary.DurationMS = time.Since(start).Milliseconds()
			rep.Summary.FailOn = "quarantine"
			rep.Summary.Failed = res.Held > 0
			if rep.Summary.Failed {
				rep.Summary.ExitCode = 1
			}
			fmt.Fprintf(a.stderr, "assay data screen: %d rows = %d accepted + %d quarantined\n", res.Rows, res.Accepted, res.Held)
			return a.emit(rep, o)
		},
	}
	c.Flags().StringVar(&baseline, "baseline", "", "trusted dataset to compare with (.jsonl, .csv, .tsv, .parquet)")
	c.Flags().StringVar(&fields.Text, "text-field", "text", "name of the text field/column (Parquet: a top-level string column); default: the policy's data.text_field, else text")
	c.Flags().StringVar(&fields.Label, "label-field", "label", "name of the label field/column (Parquet: a top-level string or integer column); default: the policy's data.label_field, else label")
	c.Flags().StringVar(&policyFile, "policy", "", "policy file whose data: section names the fields (default: ./assay.yaml, if present)")
	c.Flags().StringVar(&accept, "accept", "", "write accepted rows to FILE (same format, with header; Parquet: same schema)")
	c.Flags().StringVar(&quarantine, "quarantine", "", "write quarantined rows to FILE (same format, with header; Parquet: same schema)")
	c.Flags().Float64Var(&nbMargin, "nb-margin", 9.2, "fixed naive Bayes log-odds threshold for every label (default: calibrated per label on the baseline)")
	c.Flags().StringVarP(&o.format, "format", "f", "table", "output format: table|json|sarif|html|markdown")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line (table format)")
	c.Flags().BoolVarP(&o.verbose, "verbose", "v", false, "show info findings")
	return c
}

func (a *app) newDataSignCmd() *cobra.Command {
	var keyPath, producer, out string
	c := &cobra.Command{
		Use:   "sign-batch BATCH --key PRIVATE.pem --producer ID",
		Short: "Sign a batch: a detached signature over its SHA-256, size, producer id and time",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if keyPath == "" || producer == "" {
				return usageErr("--key and --producer are required")
			}
			signer, err := keys.LoadPrivate(keyPath)
			if err != nil {
				return usageErr("key: %v", err)
			}
			sig, err := datagate.SignBatch(args[0], producer, signer, time.Now())
			if err != nil {
				return usageErr("%v", err)
			}
			if out == "" {
				out = args[0] + ".sig"
			}
			b, _ := json.MarshalIndent(sig, "", "  ")
			if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(a.stdout, "signed %s (sha256 %s, %d bytes) as %q with key %s…; signature: %s\n", args[0], sig.SHA256, sig.Size, producer, sig.KeyID[:16], out)
			return nil
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "PEM private key (ECDSA P-256 or ed25519; assay keygen makes one)")
	c.Flags().StringVar(&producer, "producer", "", "producer id recorded in the signature")
	c.Flags().StringVarP(&out, "output", "o", "", "signature file (default BATCH.sig)")
	return c
}

func (a *app) newDataVerifyCmd() *cobra.Command {
	var (
		o                    = &scanOptions{}
		sigPath, trustedPath string
		ledger               string
	)
	c := &cobra.Command{
		Use:   "verify-batch BATCH --signature BATCH.sig --trusted-keys FILE_OR_DIR [--ledger FILE]",
		Short: "Accept a batch only when a trusted producer signed exactly this content, once",
		Long: `Verify BATCH against its detached signature: the content must hash to what was
signed, the key must be one of the trusted keys (a PEM file with one or more public
keys, or a directory of *.pub/*.pem; a PEM header "Producer: ID" binds a key to one
producer), and with --ledger the batch must not have been accepted before (the
ledger records accepted batch hashes, so a replay is refused). Exit 0 accepted,
1 rejected, 2 usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if sigPath == "" || trustedPath == "" {
				return usageErr("--signature and --trusted-keys are required")
			}
			trusted, err := keys.LoadPublic(trustedPath)
			if err != nil {
				return usageErr("trusted keys: %v", err)
			}
			doc, err := readBoundedFile(sigPath, 64<<10)
			if err != nil {
				return usageErr("signature: %v", err)
			}
			if _, err := os.Stat(args[0]); err != nil {
				return usageErr("%v", err)
			}
			res, err := datagate.VerifyBatch(args[0], doc, sigPath, trusted, ledger, time.Now())
			if err != nil {
				return usageErr("%v", err)
			}
			rep := core.NewReport(args[0])
			rep.Findings = res.Findings
			rep.Meta = map[string]string{"signature": sigPath}
			if res.Signature != nil {
				rep.Meta["producer"] = res.Signature.Producer
				rep.Meta["signed_at"] = res.Signature.Timestamp
				rep.Meta["sha256"] = res.Signature.SHA256
			}
			rep.Finalize(nil)
			rep.Summary.FailOn = "verification"
			rep.Summary.Failed = !res.Accepted
			if !res.Accepted {
				rep.Summary.ExitCode = 1
				fmt.Fprintf(a.stderr, "assay data verify-batch: REJECTED %s\n", args[0])
			} else {
				fmt.Fprintf(a.stderr, "assay data verify-batch: accepted %s (producer %q, key %s)\n", args[0], res.Signature.Producer, res.Key.Source)
			}
			return a.emit(rep, o)
		},
	}
	c.Flags().StringVar(&sigPath, "signature", "", "the batch's signature file (from sign-batch)")
	c.Flags().StringVar(&trustedPath, "trusted-keys", "", "PEM file or directory of trusted producer public keys")
	c.Flags().StringVar(&ledger, "ledger", "", "JSONL ledger of accepted batch hashes (appended on acceptance; replays refused)")
	c.Flags().StringVarP(&o.format, "format", "f", "table", "output format: table|json|sarif|html|markdown")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print only the summary line")
	return c
}

// readBoundedFile reads at most limit bytes of path, failing beyond.
func readBoundedFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return core.ReadLimited(f, limit)
}
