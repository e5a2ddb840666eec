package provenance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
)

// DefaultShardSize is model-signing's default shard size (1 GB).
const DefaultShardSize = 1_000_000_000

// maxShards bounds the shards one directory is split into (an untrusted
// statement in a scanned tree could ask for 1-byte shards).
const maxShards = 1 << 20

// shardJob is one byte range of one file.
type shardJob struct {
	rel        string
	abs        string
	start, end int64
}

// BuildShards hashes every file under root in shardSize ranges (the
// model-signing "shards" serialization): one huge file is hashed on every
// core at once. Resource names are "path:start:end"; empty files have no
// shard, exactly as model-signing does.
func BuildShards(ctx context.Context, root string, shardSize int64, opts ManifestOptions) ([]Resource, []SymlinkEntry, []HashError, error) {
	if shardSize <= 0 {
		return nil, nil, nil, fmt.Errorf("shard size must be positive")
	}
	jobs, links, errs, err := collect(root, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	var count int64
	for _, j := range jobs {
		count += (j.size + shardSize - 1) / shardSize
		if count > maxShards {
			return nil, nil, nil, fmt.Errorf("shard size %d splits the directory into more than %d shards; use a larger shard size", shardSize, maxShards)
		}
	}
	shards := make([]shardJob, 0, count)
	for _, j := range jobs {
		for s := int64(0); s < j.size; s += shardSize {
			e := min(s+shardSize, j.size)
			shards = append(shards, shardJob{rel: j.rel, abs: j.abs, start: s, end: e})
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		ch  = make(chan shardJob)
		out = make([]Resource, 0, len(shards))
		bad = map[string]string{}
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			for j := range ch {
				sum, err := hashRange(ctx, j, buf)
				mu.Lock()
				if err != nil {
					if _, seen := bad[j.rel]; !seen {
						bad[j.rel] = err.Error()
					}
				} else {
					out = append(out, Resource{Name: shardName(j.rel, j.start, j.end), Algorithm: "sha256", Digest: sum})
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range shards {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, err
	}
	if len(bad) > 0 {
		keep := out[:0]
		for _, r := range out {
			p, _, _, _ := splitShard(r.Name)
			if _, isBad := bad[p]; !isBad {
				keep = append(keep, r)
			}
		}
		out = keep
		for p, why := range bad {
			errs = append(errs, HashError{p, why})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	sort.Slice(errs, func(i, j int) bool { return errs[i].Path < errs[j].Path })
	return out, links, errs, nil
}

func shardName(p string, s, e int64) string {
	return p + ":" + strconv.FormatInt(s, 10) + ":" + strconv.FormatInt(e, 10)
}

// hashRange hashes [start,end) of a file, failing if the file changes.
func hashRange(ctx context.Context, j shardJob, buf []byte) (string, error) {
	f, err := os.Open(j.abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", err
	}
	if before.Size() < j.end {
		return "", fmt.Errorf("%w (size %d, shard ends at %d)", errChanged, before.Size(), j.end)
	}
	h := sha256.New()
	n := j.end - j.start
	if mapped, err := hashMapped(ctx, f, h, j.start, j.end); !mapped {
		if n, err = io.CopyBuffer(h, io.NewSectionReader(f, j.start, j.end-j.start), buf); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if testHookHashed != nil {
		testHookHashed(j.abs)
	}
	after, err := os.Stat(j.abs)
	if err != nil {
		return "", err
	}
	if n != j.end-j.start || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return "", fmt.Errorf("%w (size %d→%d)", errChanged, before.Size(), after.Size())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Current is the state of a directory recomputed the way a signature says.
type Current struct {
	Digests  map[string]string // resource name → digest
	Sizes    map[string]int64  // file path → size (shards: non-empty files only)
	Symlinks []SymlinkEntry
	Errors   []HashError
}

// Recompute hashes dir with the signed serialization (files or shards)
// and ignore paths, leaving out the exclude paths (the signature file
// itself when it lives inside dir).
func Recompute(ctx context.Context, dir string, ser Serialization, exclude map[string]bool, workers int) (*Current, error) {
	opts := ManifestOptions{Ignore: ser.IgnorePaths, Exclude: exclude, Workers: workers}
	cur := &Current{Digests: map[string]string{}, Sizes: map[string]int64{}}
	switch ser.Method {
	case "shards":
		res, links, errs, err := BuildShards(ctx, dir, ser.ShardSize, opts)
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			cur.Digests[r.Name] = r.Digest
			if p, _, end, err := splitShard(r.Name); err == nil && end > cur.Sizes[p] {
				cur.Sizes[p] = end // the last shard ends at the file size
			}
		}
		cur.Symlinks, cur.Errors = links, errs
	default:
		m, errs, err := BuildManifest(ctx, dir, opts)
		if err != nil {
			return nil, err
		}
		for _, f := range m.Files {
			cur.Digests[f.Path] = f.SHA256
			cur.Sizes[f.Path] = f.Size
		}
		cur.Symlinks, cur.Errors = m.Symlinks, errs
	}
	return cur, nil
}

// resourcePath is the file a resource belongs to.
func resourcePath(method, name string) string {
	if method == "shards" {
		if p, _, _, err := splitShard(name); err == nil {
			return p
		}
	}
	return name
}

// CompareSigned lists files added, removed and changed in cur relative to
// the signed content, by file (a changed shard marks its file changed),
// plus symlinks added, removed or retargeted. Files that could not be
// hashed now are not reported as removed (they are hash errors).
func CompareSigned(sc *SignedContent, cur *Current) []Change {
	method := sc.Serialization.Method
	type fileState struct {
		was, now map[string]string
	}
	files := map[string]*fileState{}
	get := func(p string) *fileState {
		fs := files[p]
		if fs == nil {
			fs = &fileState{was: map[string]string{}, now: map[string]string{}}
			files[p] = fs
		}
		return fs
	}
	for name, d := range sc.Digests {
		get(resourcePath(method, name)).was[name] = d
	}
	for name, d := range cur.Digests {
		get(resourcePath(method, name)).now[name] = d
	}
	unreadable := map[string]bool{}
	for _, e := range cur.Errors {
		unreadable[e.Path] = true
	}
	var out []Change
	for p, fs := range files {
		switch {
		case len(fs.now) == 0 && unreadable[p]:
			continue
		case len(fs.was) == 0:
			out = append(out, Change{Path: p, Kind: "added", Now: entryOf(p, fs.now, cur.Sizes)})
		case len(fs.now) == 0:
			out = append(out, Change{Path: p, Kind: "removed", Was: entryOf(p, fs.was, nil)})
		default:
			same := len(fs.was) == len(fs.now)
			if same {
				for k, v := range fs.was {
					if fs.now[k] != v {
						same = false
						break
					}
				}
			}
			if !same {
				out = append(out, Change{Path: p, Kind: "changed", Was: entryOf(p, fs.was, nil), Now: entryOf(p, fs.now, cur.Sizes)})
			}
		}
	}
	out = append(out, compareLinks(sc.Symlinks, cur.Symlinks)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// entryOf summarises a file's digests: its one digest for files
// serialization, the first shard's digest (sorted) for shards.
func entryOf(p string, ds map[string]string, sizes map[string]int64) *FileEntry {
	e := &FileEntry{Path: p, Size: -1}
	if sizes != nil {
		if s, ok := sizes[p]; ok {
			e.Size = s
		}
	}
	if d, ok := ds[p]; ok {
		e.SHA256 = d
		return e
	}
	names := make([]string, 0, len(ds))
	for k := range ds {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) > 0 {
		e.SHA256 = ds[names[0]]
	}
	return e
}

func compareLinks(was, now []SymlinkEntry) []Change {
	old := map[string]SymlinkEntry{}
	for _, l := range was {
		old[l.Path] = l
	}
	var out []Change
	seen := map[string]bool{}
	for _, l := range now {
		seen[l.Path] = true
		o, ok := old[l.Path]
		switch {
		case !ok:
			out = append(out, Change{Path: l.Path, Kind: "added", Link: true, Detail: "symlink → " + l.Target})
		case o.Target != l.Target:
			out = append(out, Change{Path: l.Path, Kind: "changed", Link: true, Detail: "symlink target " + o.Target + " → " + l.Target})
		}
	}
	for _, l := range was {
		if !seen[l.Path] {
			out = append(out, Change{Path: l.Path, Kind: "removed", Link: true, Detail: "symlink → " + l.Target})
		}
	}
	return out
}

// ManifestContent views an unsigned assay manifest as signed content, so
// both are compared the same way.
func ManifestContent(m *Manifest) *SignedContent {
	sc := &SignedContent{Name: "manifest", Serialization: Serialization{Method: "files", HashType: "sha256", IgnorePaths: m.Ignore}, Digests: map[string]string{}, Symlinks: m.Symlinks}
	for _, f := range m.Files {
		sc.Digests[f.Path] = f.SHA256
	}
	return sc
}
