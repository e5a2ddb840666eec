package provenance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// ManifestType identifies assay manifest documents.
const ManifestType = "assay-manifest"

// hashBufSize is the streaming read size per worker: memory for hashing is
// workers × hashBufSize whatever the file sizes.
const hashBufSize = 1 << 20

// FileEntry is one regular file of a manifest.
type FileEntry struct {
	Path   string `json:"path"` // slash-separated, relative to the manifest root
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// SymlinkEntry records a symbolic link without following it.
type SymlinkEntry struct {
	Path   string `json:"path"`
	Target string `json:"target"`
	// Outside is true when the link resolves outside the root.
	Outside bool `json:"outside,omitempty"`
}

// Manifest lists every file of a directory with its SHA-256 and size,
// sorted by path: deterministic for the same content.
type Manifest struct {
	Type      string         `json:"type"`
	Version   int            `json:"version"`
	Algorithm string         `json:"algorithm"`
	Files     []FileEntry    `json:"files"`
	Symlinks  []SymlinkEntry `json:"symlinks,omitempty"`
	// Ignore lists the patterns that were excluded (besides .git).
	Ignore []string `json:"ignore,omitempty"`
}

// ManifestOptions tune BuildManifest.
type ManifestOptions struct {
	// Ignore holds glob patterns (path.Match syntax) matched against the
	// slash path relative to the root and against each base name. .git is
	// always ignored.
	Ignore []string
	// Workers bounds concurrent hashing (default GOMAXPROCS).
	Workers int
	// Exclude, when set, skips the given relative paths (e.g. the signature
	// file being written inside the directory).
	Exclude map[string]bool
}

// HashError is a file that could not be hashed.
type HashError struct {
	Path   string
	Reason string
}

func (e HashError) Error() string { return e.Path + ": " + e.Reason }

func ignored(rel, name string, patterns []string) bool {
	if name == ".git" {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		if ok, _ := path.Match(p, name); ok {
			return true
		}
		if strings.HasSuffix(p, "/") && (rel == strings.TrimSuffix(p, "/") || strings.HasPrefix(rel, p)) {
			return true
		}
	}
	return false
}

type hashJob struct {
	rel  string
	abs  string
	size int64
}

// BuildManifest hashes every regular file under root in parallel (largest
// first, so big files start early and both cores stay busy to the end) and
// returns the manifest plus the files that could not be hashed. A file that
// changes while being hashed is an error, never a silently wrong digest.
func BuildManifest(ctx context.Context, root string, opts ManifestOptions) (*Manifest, []HashError, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", root)
	}
	m := &Manifest{Type: ManifestType, Version: 1, Algorithm: "sha256", Files: []FileEntry{}, Ignore: opts.Ignore}
	jobs, links, errs, err := collect(root, opts)
	if err != nil {
		return nil, nil, err
	}
	m.Symlinks = links
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		ch  = make(chan hashJob)
		out = make([]FileEntry, 0, len(jobs))
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			for j := range ch {
				sum, size, err := hashFile(ctx, j.abs, buf)
				mu.Lock()
				if err != nil {
					errs = append(errs, HashError{j.rel, err.Error()})
				} else {
					out = append(out, FileEntry{Path: j.rel, Size: size, SHA256: sum})
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	sort.Slice(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
	m.Files = out
	return m, errs, nil
}

// collect walks root once: regular files to hash (largest first), symlinks
// recorded without following, and entries that could not be read.
func collect(root string, opts ManifestOptions) ([]hashJob, []SymlinkEntry, []HashError, error) {
	var (
		jobs  []hashJob
		errs  []HashError
		links []SymlinkEntry
	)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, nil, nil, err
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if err != nil {
			errs = append(errs, HashError{rel, err.Error()})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == "." {
			return nil
		}
		if ignored(rel, d.Name(), opts.Ignore) || opts.Exclude[rel] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				errs = append(errs, HashError{rel, err.Error()})
				return nil
			}
			se := SymlinkEntry{Path: rel, Target: filepath.ToSlash(target)}
			if resolved, err := filepath.EvalSymlinks(p); err != nil || !inside(realRoot, resolved) {
				se.Outside = true
			}
			links = append(links, se)
			return nil
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				errs = append(errs, HashError{rel, err.Error()})
				return nil
			}
			jobs = append(jobs, hashJob{rel: rel, abs: p, size: info.Size()})
			return nil
		default:
			return nil // devices, sockets, pipes: not content
		}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Path < links[j].Path })
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].size != jobs[j].size {
			return jobs[i].size > jobs[j].size
		}
		return jobs[i].rel < jobs[j].rel
	})
	return jobs, links, errs, nil
}

func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// testHookHashed, set only by tests, runs after a file's bytes were read
// and before it is checked for change: a deterministic "writer during
// hashing".
var testHookHashed func(path string)

// errChanged reports a file modified during hashing.
var errChanged = errors.New("file changed while being hashed")

// hashFile streams path through SHA-256 and checks that its size and
// modification time did not change meanwhile.
func hashFile(ctx context.Context, p string, buf []byte) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	var n int64
	mapped, err := hashMapped(ctx, f, h, 0, before.Size())
	if err != nil {
		return "", 0, err
	}
	if mapped {
		n = before.Size()
	}
	for !mapped {
		if n&(256<<20) == 0 && ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		k, err := f.Read(buf)
		if k > 0 {
			h.Write(buf[:k])
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	if testHookHashed != nil {
		testHookHashed(p)
	}
	after, err := os.Stat(p)
	if err != nil {
		return "", 0, err
	}
	if n != before.Size() || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return "", 0, fmt.Errorf("%w (size %d→%d)", errChanged, before.Size(), after.Size())
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// maxManifestFile bounds a manifest document read from disk.
const maxManifestFile = 256 << 20

// ParseManifest parses and validates a manifest: known type and version,
// relative clean paths (no "..", no absolute paths, no duplicates), 64-hex
// digests, non-negative sizes.
func ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifestFile {
		return nil, fmt.Errorf("manifest larger than %d bytes", maxManifestFile)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %v", err)
	}
	if m.Type != ManifestType || m.Version != 1 {
		return nil, fmt.Errorf("unsupported manifest type %q version %d", m.Type, m.Version)
	}
	if m.Algorithm != "sha256" {
		return nil, fmt.Errorf("unsupported algorithm %q", m.Algorithm)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkPath(f.Path); err != nil {
			return nil, err
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("path %q listed twice", f.Path)
		}
		seen[f.Path] = true
		if f.Size < 0 {
			return nil, fmt.Errorf("%s: negative size", f.Path)
		}
		if len(f.SHA256) != 64 {
			return nil, fmt.Errorf("%s: sha256 must be 64 hex digits", f.Path)
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil {
			return nil, fmt.Errorf("%s: sha256 is not hex", f.Path)
		}
	}
	for _, s := range m.Symlinks {
		if err := checkPath(s.Path); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// checkPath refuses paths that could point outside the root.
func checkPath(p string) error {
	switch {
	case p == "" || p == ".":
		return errors.New("empty path in manifest")
	case strings.HasPrefix(p, "/") || filepath.IsAbs(p) || (len(p) > 1 && p[1] == ':'):
		return fmt.Errorf("absolute path %q in manifest", p)
	case strings.Contains(p, "\\"):
		return fmt.Errorf("backslash in manifest path %q", p)
	case path.Clean(p) != p:
		return fmt.Errorf("unclean path %q in manifest", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return fmt.Errorf("path %q escapes the root", p)
		}
	}
	return nil
}

// Change is a difference between a manifest and the directory now.
type Change struct {
	Path string
	Kind string // added, removed, changed
	Was  *FileEntry
	Now  *FileEntry
	// Link is true when the entry is a symbolic link, not a file.
	Link bool
	// Detail describes a symlink change ("symlink target a → b").
	Detail string
}

// Compare lists files added, removed and changed in now relative to was.
func Compare(was, now *Manifest) []Change {
	old := map[string]*FileEntry{}
	for i := range was.Files {
		old[was.Files[i].Path] = &was.Files[i]
	}
	var out []Change
	seen := map[string]bool{}
	for i := range now.Files {
		f := &now.Files[i]
		seen[f.Path] = true
		o, ok := old[f.Path]
		switch {
		case !ok:
			out = append(out, Change{Path: f.Path, Kind: "added", Now: f})
		case o.SHA256 != f.SHA256 || o.Size != f.Size:
			out = append(out, Change{Path: f.Path, Kind: "changed", Was: o, Now: f})
		}
	}
	for i := range was.Files {
		if !seen[was.Files[i].Path] {
			out = append(out, Change{Path: was.Files[i].Path, Kind: "removed", Was: &was.Files[i]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Encode writes m as indented, deterministic JSON.
func (m *Manifest) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}
