// Package engine walks a directory tree (or one file) once, routes every
// regular file to the scanners that claim it by name and magic bytes, runs
// them on a bounded worker pool, then runs the analyzers over the report.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/assay-dev/assay/internal/core"
)

// Config says what to scan and with what.
type Config struct {
	// Target is a directory or a single file.
	Target    string
	Scanners  []core.Scanner
	Analyzers []core.Analyzer
	// Workers bounds concurrency; 0 means 2×GOMAXPROCS.
	Workers int
	// Skip, when set, is asked for every path (slash, relative to the root;
	// dirs too) and skips it when true. .git, .hg and .svn are always skipped.
	Skip func(rel string, isDir bool) bool
	// Progress, when set, is called after each file with done/total counts.
	Progress func(done, total int)
}

// alwaysSkipped directories hold no project content assay should read.
var alwaysSkipped = map[string]bool{".git": true, ".hg": true, ".svn": true}

type job struct {
	rel string
	abs string
}

// Run scans cfg.Target and returns the report (not yet finalized: the caller
// applies policy and calls Finalize). The error is non-nil only when the
// target itself cannot be read.
func Run(ctx context.Context, cfg Config) (*core.Report, error) {
	start := time.Now()
	abs, err := filepath.Abs(cfg.Target)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot read target: %w", err)
	}
	rep := core.NewReport(cfg.Target)
	var (
		rootDir string
		jobs    []job
	)
	if st.IsDir() {
		rootDir = abs
		jobs, rep.Errors = collect(abs, cfg)
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot scan %s: not a regular file or directory (%s)", cfg.Target, st.Mode().Type())
	} else {
		rootDir = filepath.Dir(abs)
		jobs = []job{{rel: filepath.Base(abs), abs: abs}}
	}
	rep.Root = rootDir
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil, fmt.Errorf("cannot open target: %w", err)
	}
	defer root.Close()

	workers := cfg.Workers
	if workers <= 0 {
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	if workers > len(jobs) && len(jobs) > 0 {
		workers = len(jobs)
	}
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
		ch   = make(chan job)
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			head := make([]byte, core.HeadSize)
			for j := range ch {
				res := scanFile(ctx, cfg.Scanners, root, j, head)
				mu.Lock()
				rep.Add(res)
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, len(jobs))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Summary.FilesWalked = len(jobs)
	for _, a := range cfg.Analyzers {
		if err := runAnalyzer(ctx, a, rep); err != nil {
			rep.Errors = append(rep.Errors, core.Error{Path: cfg.Target, Scanner: a.Name(), Reason: err.Error()})
		}
	}
	rep.Summary.DurationMS = time.Since(start).Milliseconds()
	return rep, nil
}

func runAnalyzer(ctx context.Context, a core.Analyzer, rep *core.Report) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in %s: %v\n%s", a.Name(), p, debug.Stack())
		}
	}()
	return a.Analyze(ctx, rep)
}

// collect walks the tree without following symlinks and returns the regular
// files to consider, plus errors for unreadable directories and for symlinks
// that point out of the tree at names a scanner would want.
func collect(root string, cfg Config) ([]job, []core.Error) {
	var (
		jobs []job
		errs []core.Error
	)
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			errs = append(errs, core.Error{Path: rel, Reason: err.Error()})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && (alwaysSkipped[d.Name()] || (cfg.Skip != nil && cfg.Skip(rel, true))) {
				return filepath.SkipDir
			}
			return nil
		}
		if cfg.Skip != nil && cfg.Skip(rel, false) {
			return nil
		}
		t := d.Type()
		if t&fs.ModeSymlink != 0 {
			if wanted(cfg.Scanners, core.FileInfo{Path: rel}) {
				target, err := filepath.EvalSymlinks(p)
				if err != nil {
					errs = append(errs, core.Error{Path: rel, Reason: "broken symlink: " + err.Error()})
				} else if !within(root, target) {
					errs = append(errs, core.Error{Path: rel, Reason: "symlink points outside the scanned tree (" + target + "); not followed"})
				}
			}
			return nil
		}
		if !t.IsRegular() {
			return nil
		}
		jobs = append(jobs, job{rel: rel, abs: p})
		return nil
	})
	return jobs, errs
}

func within(root, p string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		r = root
	}
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func wanted(scanners []core.Scanner, fi core.FileInfo) bool {
	for _, s := range scanners {
		if claims(s, fi) {
			return true
		}
	}
	return false
}

func claims(s core.Scanner, fi core.FileInfo) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.FileRequired(fi)
}

func scanFile(ctx context.Context, scanners []core.Scanner, root *os.Root, j job, headBuf []byte) core.Result {
	var res core.Result
	f, err := root.OpenFile(filepath.FromSlash(j.rel), openFlags, 0)
	if err != nil {
		// Cannot even open: only worth reporting if someone wants the name.
		if wanted(scanners, core.FileInfo{Path: j.rel}) {
			res.Errors = append(res.Errors, core.Error{Path: j.rel, Reason: "cannot open: " + err.Error()})
		}
		return res
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return res
	}
	n, err := io.ReadFull(f, headBuf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		res.Errors = append(res.Errors, core.Error{Path: j.rel, Reason: "cannot read: " + err.Error()})
		return res
	}
	fi := core.FileInfo{Path: j.rel, Size: st.Size(), Head: headBuf[:n]}
	for _, s := range scanners {
		if !claims(s, fi) {
			continue
		}
		if ctx.Err() != nil {
			return res
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			res.Errors = append(res.Errors, core.Error{Path: j.rel, Scanner: s.Name(), Reason: err.Error()})
			continue
		}
		// Copy the head so scanners may retain it.
		in := &core.Input{FileInfo: core.FileInfo{Path: fi.Path, Size: fi.Size, Head: append([]byte(nil), fi.Head...)}, AbsPath: j.abs, File: f, Root: root}
		r, err := runScanner(ctx, s, in)
		res.Components = append(res.Components, r.Components...)
		res.Findings = append(res.Findings, r.Findings...)
		res.Errors = append(res.Errors, r.Errors...)
		if err != nil {
			res.Errors = append(res.Errors, core.Error{Path: j.rel, Scanner: s.Name(), Reason: err.Error()})
		}
	}
	return res
}

func runScanner(ctx context.Context, s core.Scanner, in *core.Input) (r core.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r = core.Result{}
			err = fmt.Errorf("internal error in scanner %s: %v", s.Name(), p)
		}
	}()
	return s.Scan(ctx, in)
}
