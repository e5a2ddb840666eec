package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/modelscan"
)

func (a *app) newModelCmd() *cobra.Command {
	o := &scanOptions{}
	var hashLimit string
	c := &cobra.Command{
		Use:   "model [PATH]",
		Short: "Scan model files for hidden code, without executing them",
		Long: `Scan model files (pickle, PyTorch, joblib, numpy, Keras, HDF5, ONNX, GGUF,
safetensors, and zip/7z/tar/gzip/bzip2/xz containers around them) for code that
runs when they are loaded. Pickles are walked opcode by opcode; nothing is ever
unpickled, imported or executed. PATH is a model file or a directory (default .).

Every model file becomes a component (format, framework, size, sha256) of the
report; findings are ASSAY-MDL-* rules (see assay explain ASSAY-MDL-002).`,
		Example: `  assay model ./checkpoints
  assay model pytorch_model.bin -f json
  assay model . --fail-on medium --hash-limit 1GiB`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			target := "."
			if len(args) == 1 {
				target = args[0]
			}
			limit, err := parseByteSize(hashLimit)
			if err != nil {
				return usageErr("--hash-limit: %v", err)
			}
			failOn, err := parseFailOn(o.failOn)
			if err != nil {
				return usageErr("%v", err)
			}
			if _, err := os.Stat(target); err != nil {
				return usageErr("cannot scan %s: %v", target, err)
			}
			scanners := []core.Scanner{modelscan.New(modelscan.Options{HashLimit: limit})}
			rep, err := a.buildReportWith(c.Context(), target, o, failOn, scanners, modelscan.Analyzers())
			if err != nil {
				return err
			}
			return a.emit(rep, o)
		},
	}
	addScanFlags(c, o, "table")
	c.Flags().StringVar(&hashLimit, "hash-limit", "256MiB", "hash model files only up to this size (e.g. 64MiB, 2GiB; 0 disables hashing)")
	return c
}

// parseByteSize parses "123", "64KiB", "256MiB", "2GiB" (also KB/MB/GB as
// powers of 1000). "0" or "off" disables (returns -1).
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "0" || strings.EqualFold(t, "off") {
		return -1, nil
	}
	units := []struct {
		suf string
		mul int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suf)) {
			t, mul = strings.TrimSpace(t[:len(t)-len(u.suf)]), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 256MiB)", s)
	}
	return n * mul, nil
}
