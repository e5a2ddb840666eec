package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/provenance"
)

func (a *app) newManifestCmd() *cobra.Command {
	var (
		out     string
		exclude []string
		workers int
	)
	c := &cobra.Command{
		Use:   "manifest DIR",
		Short: "Write a SHA-256 manifest of a directory",
		Long: `Hash every file of DIR (SHA-256 and size, in parallel on every core,
streaming) and write a deterministic JSON manifest: paths relative to DIR,
slash-separated, sorted. .git is always left out; --exclude adds glob patterns
(matched against the relative path and the base name; "dir/" excludes a
directory). Symlinks are recorded with their target, never followed.

A file that cannot be read, or that changes while it is hashed, is an error:
nothing is written and the exit code is 1. Check a directory against the
manifest later with "assay verify DIR --manifest FILE".`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageErr("%s is not a directory", dir)
			}
			for _, p := range exclude {
				if _, err := filepath.Match(p, "x"); err != nil {
					return usageErr("--exclude %q: %v", p, err)
				}
			}
			opts := provenance.ManifestOptions{Ignore: exclude, Workers: workers, Exclude: map[string]bool{}}
			if rel, ok := relInsideDir(dir, out); ok {
				opts.Exclude[rel] = true
			}
			m, herrs, err := provenance.BuildManifest(c.Context(), dir, opts)
			if err != nil {
				return usageErr("%v", err)
			}
			if len(herrs) > 0 {
				for _, e := range herrs {
					fmt.Fprintf(a.stderr, "assay: %s: %s\n", filepath.ToSlash(filepath.Join(dir, e.Path)), e.Reason)
				}
				return withCode(ExitFindings, fmt.Errorf("%d file(s) could not be hashed; no manifest written", len(herrs)))
			}
			var buf bytes.Buffer
			if err := m.Encode(&buf); err != nil {
				return usageErr("%v", err)
			}
			if out == "" || out == "-" {
				_, err = a.stdout.Write(buf.Bytes())
				return err
			}
			if err := writeFileAtomic(out, buf.Bytes(), 0o644); err != nil {
				return usageErr("cannot write %s: %v", out, err)
			}
			var total int64
			for _, f := range m.Files {
				total += f.Size
			}
			fmt.Fprintf(a.stderr, "assay: wrote %s: %d files, %d symlinks, %d bytes hashed\n", out, len(m.Files), len(m.Symlinks), total)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "write the manifest to FILE (default stdout)")
	c.Flags().StringArrayVar(&exclude, "exclude", nil, "glob of paths to leave out (repeatable)")
	c.Flags().IntVar(&workers, "workers", 0, "concurrent hashing workers (default: CPUs)")
	return c
}

// relInsideDir returns p relative to dir (slash form) when p lies inside dir.
func relInsideDir(dir, p string) (string, bool) {
	if p == "" || p == "-" {
		return "", false
	}
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// writeFileAtomic writes data to path via a temporary file and rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".assay-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
