package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/keys"
)

func (a *app) newKeygenCmd() *cobra.Command {
	var (
		name  string
		typ   string
		force bool
	)
	c := &cobra.Command{
		Use:   "keygen",
		Short: "Write a PEM key pair for signing",
		Long: `Write a signing key pair for teams with no PKI: NAME.key (PKCS#8 PEM, mode
0600) and NAME.pub (PKIX PEM). Sign with "assay sign DIR --key NAME.key", verify
with "assay verify DIR --key NAME.pub". Existing files are never overwritten
unless --force is given.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if name == "" {
				return usageErr("-o NAME must not be empty")
			}
			priv, pub, err := keys.Generate(keys.Type(typ))
			if err != nil {
				return usageErr("%v", err)
			}
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				return usageErr("%v", err)
			}
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			for _, f := range []struct {
				path string
				data []byte
				mode os.FileMode
			}{{name + ".key", priv, 0o600}, {name + ".pub", pub, 0o644}} {
				fh, err := os.OpenFile(f.path, flags, f.mode)
				if errors.Is(err, fs.ErrExist) {
					return usageErr("%s exists (use --force to overwrite)", f.path)
				}
				if err != nil {
					return usageErr("cannot write %s: %v", f.path, err)
				}
				if err := fh.Chmod(f.mode); err != nil {
					fh.Close()
					return usageErr("cannot set mode on %s: %v", f.path, err)
				}
				if _, err := fh.Write(f.data); err != nil {
					fh.Close()
					return usageErr("cannot write %s: %v", f.path, err)
				}
				if err := fh.Close(); err != nil {
					return usageErr("cannot write %s: %v", f.path, err)
				}
			}
			k, _ := keys.ParsePublic(pub, name+".pub")
			fmt.Fprintf(a.stderr, "assay: wrote %s.key (private, keep it secret) and %s.pub (%s, key id %s)\n", name, name, typ, k[0].ID[:16])
			return nil
		},
	}
	c.Flags().StringVarP(&name, "output", "o", "assay", "base name of the key files (NAME.key, NAME.pub)")
	c.Flags().StringVar(&typ, "type", string(keys.ECDSAP256), "key type: ecdsa-p256|ed25519")
	c.Flags().BoolVar(&force, "force", false, "overwrite existing key files")
	return c
}
