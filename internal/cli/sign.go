package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/keys"
	"github.com/assay-dev/assay/internal/provenance"
)

func (a *app) newSignCmd() *cobra.Command {
	var (
		keyPath   string
		out       string
		exclude   []string
		shardSize int64
		workers   int
	)
	c := &cobra.Command{
		Use:   "sign DIR",
		Short: "Sign a directory's manifest (OpenSSF model-signing format)",
		Long: `Hash every file of DIR and sign the manifest with a local key (ECDSA P-256 or
ed25519, PEM), fully offline. The signature is an OpenSSF model-signing v1.0
bundle: an in-toto statement (predicate https://model_signing/signature/v1.0,
one resource per file with its sha256) in a DSSE envelope inside a Sigstore
bundle v0.3 JSON with a public-key hint; "model_signing verify key" accepts it.

The bundle goes to -o (default DIR.sig beside DIR). .git, .gitattributes,
.github and .gitignore are left out (as model-signing does), plus --exclude
globs and the bundle itself when written inside DIR. --shard-size N uses the
model-signing "shards" serialization (each N-byte range hashed separately, so
one huge file is hashed on every core). A file that cannot be read or changes
while hashed, or a symlink out of DIR, aborts signing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageErr("%s is not a directory", dir)
			}
			if keyPath == "" {
				return usageErr("--key PRIVATE.pem is required (create one with assay keygen)")
			}
			if shardSize < 0 {
				return usageErr("--shard-size must be positive")
			}
			signer, err := keys.LoadPrivate(keyPath)
			if err != nil {
				return usageErr("key %s: %v", keyPath, err)
			}
			if out == "" {
				out = defaultSigPath(dir)
			}
			b, err := provenance.SignDir(c.Context(), dir, signer, provenance.SignOptions{Ignore: exclude, ShardSize: shardSize, Workers: workers, SigPath: out})
			if err != nil {
				return withCode(ExitFindings, err)
			}
			data, err := b.Encode()
			if err != nil {
				return usageErr("%v", err)
			}
			if err := writeFileAtomic(out, data, 0o644); err != nil {
				return usageErr("cannot write %s: %v", out, err)
			}
			sc, _ := provenance.UnverifiedContent(b)
			n := 0
			if sc != nil {
				n = len(sc.Digests)
			}
			id, _ := keys.KeyID(signer.Public())
			fmt.Fprintf(a.stderr, "assay: signed %s (%d resources) with key %s; bundle written to %s\n", dir, n, id[:16], out)
			return nil
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "private key (PKCS#8 or SEC1 PEM)")
	c.Flags().StringVarP(&out, "output", "o", "", "bundle file (default DIR.sig beside DIR)")
	c.Flags().StringArrayVar(&exclude, "exclude", nil, "glob of paths to leave out (repeatable)")
	c.Flags().Int64Var(&shardSize, "shard-size", 0, "hash files in shards of N bytes (model-signing \"shards\" serialization); 0 = one digest per file")
	c.Flags().IntVar(&workers, "workers", 0, "concurrent hashing workers (default: CPUs)")
	return c
}

// defaultSigPath is DIR.sig beside DIR.
func defaultSigPath(dir string) string {
	if b := filepath.Base(filepath.Clean(dir)); b != "." && b != ".." && b != string(filepath.Separator) {
		return filepath.Clean(dir) + ".sig"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Clean(dir) + ".sig"
	}
	return abs + ".sig"
}
