package advisory

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assay-dev/assay/internal/advisory/osv"
)

// Bounds on OSV sources given with --db or downloaded by `assay db update`.
const (
	MaxZipEntries      = 2_000_000
	MaxZipUncompressed = 16 << 30 // total bytes decompressed from one all.zip
	MaxDirFiles        = 2_000_000
	maxErrorsKept      = 20
)

// SourceInfo describes one loaded advisory source (for `assay db status`
// and report metadata).
type SourceInfo struct {
	Kind       string         `json:"kind"` // embedded | cache | db
	Path       string         `json:"path"`
	Records    int            `json:"records"`
	Packages   int            `json:"packages"`
	Withdrawn  int            `json:"withdrawn,omitempty"`
	Invalid    int            `json:"invalid,omitempty"`
	Ecosystems map[string]int `json:"ecosystems,omitempty"`
	Modified   string         `json:"modified,omitempty"`
	SHA256     string         `json:"sha256,omitempty"`
	Index      string         `json:"index,omitempty"`
	Errors     []string       `json:"errors,omitempty"`
}

// Source answers lookups by package key.
type Source interface {
	Lookup(key string) ([]Entry, error)
	Info() SourceInfo
	Close() error
}

// memSource holds entries in memory (the embedded feed, small sources).
type memSource struct {
	info SourceInfo
	m    map[string][]Entry
}

func (s *memSource) Lookup(k string) ([]Entry, error) { return s.m[k], nil }
func (s *memSource) Info() SourceInfo                 { return s.info }
func (s *memSource) Close() error                     { return nil }

// idxSource is a disk index.
type idxSource struct {
	info SourceInfo
	ix   *diskIndex
	mu   sync.Mutex
}

func (s *idxSource) Lookup(k string) ([]Entry, error) {
	es, err := s.ix.lookup(k)
	for i := range es {
		es[i].Source = s.info.Path
	}
	return es, err
}
func (s *idxSource) Info() SourceInfo { return s.info }
func (s *idxSource) Close() error     { return s.ix.close() }

// collector accumulates entries from records.
type collector struct {
	source   string
	byKey    map[string][]Entry
	records  int
	withdrwn int
	invalid  int
	errs     []string
	ecos     map[string]int
	modified string
}

func newCollector(source string) *collector {
	return &collector{source: source, byKey: map[string][]Entry{}, ecos: map[string]int{}}
}

func (c *collector) fail(name string, err error) {
	c.invalid++
	if len(c.errs) < maxErrorsKept {
		c.errs = append(c.errs, name+": "+err.Error())
	}
}

func (c *collector) add(name string, v *osv.Vulnerability, err error) {
	if err == nil {
		err = v.Validate()
	}
	if err != nil {
		c.fail(name, err)
		return
	}
	c.records++
	if v.Modified > c.modified {
		c.modified = v.Modified
	}
	if v.Withdrawn != "" {
		c.withdrwn++
		return
	}
	seen := map[string]bool{}
	for _, e := range FromOSV(v, c.source) {
		k := key(e.Ecosystem, e.Name)
		c.byKey[k] = append(c.byKey[k], e)
		eco := NormEcosystem(e.Ecosystem)
		if !seen[eco] {
			seen[eco] = true
			c.ecos[eco]++
		}
	}
}

func (c *collector) header(sum string) indexHeader {
	return indexHeader{Format: indexFormat, Source: c.source, SHA256: sum, Records: c.records, Withdrawn: c.withdrwn,
		Invalid: c.invalid, Errors: c.errs, Ecosystems: c.ecos, Modified: c.modified, Built: time.Now().UTC().Format(time.RFC3339)}
}

func infoFromHeader(kind, path string, h indexHeader, packages int, idxPath string) SourceInfo {
	return SourceInfo{Kind: kind, Path: path, Records: h.Records, Packages: packages, Withdrawn: h.Withdrawn, Invalid: h.Invalid,
		Ecosystems: h.Ecosystems, Modified: h.Modified, SHA256: h.SHA256, Index: idxPath, Errors: h.Errors}
}

func (c *collector) memSource(kind, sum string) *memSource {
	return &memSource{info: infoFromHeader(kind, c.source, c.header(sum), len(c.byKey), ""), m: c.byKey}
}

// readRecord reads one bounded record file.
func readRecord(r io.Reader) (*osv.Vulnerability, error) {
	b, err := io.ReadAll(io.LimitReader(r, osv.MaxRecordSize+1))
	if err != nil {
		return nil, err
	}
	return osv.Parse(b)
}

// readRecordLean reads one bounded record for indexing, reusing buf.
func readRecordLean(r io.Reader, size uint64, buf *[]byte) (*osv.Vulnerability, error) {
	if size > osv.MaxRecordSize {
		return nil, fmt.Errorf("record of %d bytes exceeds %d", size, osv.MaxRecordSize)
	}
	b := (*buf)[:0]
	if uint64(cap(b)) < size+1 {
		b = make([]byte, 0, size+512)
	}
	for {
		if len(b) == cap(b) {
			if len(b) > osv.MaxRecordSize {
				return nil, fmt.Errorf("record exceeds %d bytes", osv.MaxRecordSize)
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	*buf = b
	return osv.ParseLean(b)
}

func isRecordName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// Open opens an OSV source: an all.zip export, a directory of OSV JSON/YAML
// files (recursively), or one JSON/YAML record. Zip exports and
// directories are indexed once into cacheDir (keyed by content) and
// reopened from the index afterwards; with cacheDir "" they are loaded in
// memory.
func Open(path, kind, cacheDir string) (Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return openDir(abs, kind, cacheDir)
	case isZip(abs):
		return openZip(abs, kind, st, cacheDir)
	default:
		f, err := os.Open(abs)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		c := newCollector(abs)
		v, err := readRecord(f)
		c.add(filepath.Base(abs), v, err)
		if c.invalid > 0 {
			return nil, fmt.Errorf("%s: %s", abs, strings.Join(c.errs, "; "))
		}
		return c.memSource(kind, ""), nil
	}
}

func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [4]byte
	if _, err := io.ReadFull(f, m[:]); err != nil {
		return false
	}
	return string(m[:]) == "PK\x03\x04" || string(m[:]) == "PK\x05\x06"
}

// pointer remembers which content hash a path had at a given size+mtime,
// so an unchanged file is not re-hashed on every scan.
type pointer struct {
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime_ns"`
	SHA256 string `json:"sha256"`
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func indexDir(cacheDir string) string { return filepath.Join(cacheDir, "index") }

func readPointer(cacheDir, abs string) (pointer, bool) {
	var p pointer
	b, err := os.ReadFile(filepath.Join(indexDir(cacheDir), hashString(abs)[:32]+".ptr"))
	if err != nil || json.Unmarshal(b, &p) != nil {
		return p, false
	}
	return p, true
}

func writePointer(cacheDir, abs string, p pointer) {
	b, _ := json.Marshal(p)
	dir := indexDir(cacheDir)
	if os.MkdirAll(dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".ptr-*")
	if err != nil {
		return
	}
	tmp.Write(b)
	tmp.Close()
	if os.Rename(tmp.Name(), filepath.Join(dir, hashString(abs)[:32]+".ptr")) != nil {
		os.Remove(tmp.Name())
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tryIndex opens cacheDir/index/<sum>.idx if it is valid.
func tryIndex(cacheDir, sum, kind, path string) *idxSource {
	p := filepath.Join(indexDir(cacheDir), sum+".idx")
	ix, err := openIndex(p)
	if err != nil {
		return nil
	}
	if ix.hdr.SHA256 != sum {
		ix.close()
		return nil
	}
	return &idxSource{info: infoFromHeader(kind, path, ix.hdr, len(ix.offs), p), ix: ix}
}

func openZip(abs, kind string, st os.FileInfo, cacheDir string) (Source, error) {
	if cacheDir != "" {
		if p, ok := readPointer(cacheDir, abs); ok && p.Size == st.Size() && p.MTime == st.ModTime().UnixNano() {
			if s := tryIndex(cacheDir, p.SHA256, kind, abs); s != nil {
				return s, nil
			}
		}
	}
	sum, err := fileSHA256(abs)
	if err != nil {
		return nil, err
	}
	if cacheDir != "" {
		if s := tryIndex(cacheDir, sum, kind, abs); s != nil {
			writePointer(cacheDir, abs, pointer{st.Size(), st.ModTime().UnixNano(), sum})
			return s, nil
		}
	}
	c, err := loadZip(abs)
	if err != nil {
		return nil, err
	}
	return finish(c, kind, abs, sum, cacheDir, pointer{st.Size(), st.ModTime().UnixNano(), sum})
}

// finish writes the index (when there is a cache dir) and opens it, or
// falls back to memory.
func finish(c *collector, kind, abs, sum, cacheDir string, ptr pointer) (Source, error) {
	if cacheDir != "" {
		p := filepath.Join(indexDir(cacheDir), sum+".idx")
		if err := writeIndex(p, c.header(sum), c.byKey); err == nil {
			if ptr.SHA256 != "" {
				writePointer(cacheDir, abs, ptr)
			}
			if s := tryIndex(cacheDir, sum, kind, abs); s != nil {
				return s, nil
			}
		}
	}
	return c.memSource(kind, sum), nil
}

// ValidateZip checks that path is a readable OSV export whose records
// parse; it returns the number of records.
func ValidateZip(path string) (int, error) {
	c, err := loadZip(path)
	if err != nil {
		return 0, err
	}
	if c.records == 0 {
		if c.invalid > 0 {
			return 0, fmt.Errorf("no valid OSV record (first error: %s)", c.errs[0])
		}
		return 0, fmt.Errorf("archive holds no OSV records")
	}
	return c.records, nil
}

// loadZip parses every record of an all.zip on all CPUs.
func loadZip(path string) (*collector, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip: %w", path, err)
	}
	defer zr.Close()
	if len(zr.File) > MaxZipEntries {
		return nil, fmt.Errorf("%s: %d entries exceed the limit of %d", path, len(zr.File), MaxZipEntries)
	}
	var total uint64
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !isRecordName(f.Name) {
			continue
		}
		total += f.UncompressedSize64
		files = append(files, f)
	}
	if total > MaxZipUncompressed {
		return nil, fmt.Errorf("%s: declares %d uncompressed bytes, over the limit of %d", path, total, uint64(MaxZipUncompressed))
	}
	// Declared sizes can lie: count what is actually inflated, too.
	var inflated atomic.Int64
	return parseParallel(path, len(files), func(i int, buf *[]byte) (string, *osv.Vulnerability, error) {
		f := files[i]
		if inflated.Load() > MaxZipUncompressed {
			return f.Name, nil, fmt.Errorf("archive inflates to more than %d bytes; rest skipped", int64(MaxZipUncompressed))
		}
		rc, err := f.Open()
		if err != nil {
			return f.Name, nil, err
		}
		defer rc.Close()
		v, err := readRecordLean(rc, f.UncompressedSize64, buf)
		inflated.Add(int64(len(*buf)))
		return f.Name, v, err
	})
}

// parsed is one record reduced to what the collector keeps.
type parsed struct {
	name      string
	err       error
	modified  string
	withdrawn bool
	entries   []Entry
}

func reduce(name, source string, v *osv.Vulnerability, err error) parsed {
	if err == nil {
		err = v.Validate()
	}
	if err != nil {
		return parsed{name: name, err: err}
	}
	return parsed{name: name, modified: v.Modified, withdrawn: v.Withdrawn != "", entries: FromOSV(v, source)}
}

func (c *collector) addParsed(p parsed) {
	if p.err != nil {
		c.fail(p.name, p.err)
		return
	}
	c.records++
	if p.modified > c.modified {
		c.modified = p.modified
	}
	if p.withdrawn {
		c.withdrwn++
		return
	}
	seen := map[string]bool{}
	for _, e := range p.entries {
		k := key(e.Ecosystem, e.Name)
		c.byKey[k] = append(c.byKey[k], e)
		eco := NormEcosystem(e.Ecosystem)
		if !seen[eco] {
			seen[eco] = true
			c.ecos[eco]++
		}
	}
}

// parseParallel decodes n records with one worker per CPU and feeds them
// to a collector in input order (so indexes are deterministic).
func parseParallel(source string, n int, get func(i int, buf *[]byte) (string, *osv.Vulnerability, error)) (*collector, error) {
	c := newCollector(source)
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers < 1 {
		return c, nil
	}
	const chunk = 256
	results := make([][]parsed, (n+chunk-1)/chunk)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for ci := range next {
				lo, hi := ci*chunk, min((ci+1)*chunk, n)
				out := make([]parsed, 0, hi-lo)
				for i := lo; i < hi; i++ {
					name, v, err := get(i, &buf)
					out = append(out, reduce(name, source, v, err))
				}
				results[ci] = out
			}
		}()
	}
	for ci := range results {
		next <- ci
	}
	close(next)
	wg.Wait()
	for i, rs := range results {
		for _, p := range rs {
			c.addParsed(p)
		}
		results[i] = nil
	}
	return c, nil
}

// openDir loads a directory tree of OSV JSON/YAML records. Its identity
// for the index is the listing (relative path, size, mtime of every
// record file), so an unchanged tree is reopened from the index.
func openDir(abs, kind, cacheDir string) (Source, error) {
	type fileRef struct {
		rel  string
		size int64
	}
	var files []fileRef
	h := sha256.New()
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable subdirectory: skipped, counted below as nothing
		}
		if d.IsDir() {
			if p != abs && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isRecordName(d.Name()) {
			return nil
		}
		if len(files) >= MaxDirFiles {
			return fmt.Errorf("more than %d record files", MaxDirFiles)
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(abs, p)
		files = append(files, fileRef{rel, info.Size()})
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", filepath.ToSlash(rel), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	sum := "dir-" + hex.EncodeToString(h.Sum(nil))
	if cacheDir != "" {
		if s := tryIndex(cacheDir, sum, kind, abs); s != nil {
			return s, nil
		}
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	c, err := parseParallel(abs, len(files), func(i int, buf *[]byte) (string, *osv.Vulnerability, error) {
		f := files[i]
		if f.size > osv.MaxRecordSize {
			return f.rel, nil, fmt.Errorf("record of %d bytes exceeds %d", f.size, osv.MaxRecordSize)
		}
		fh, err := root.Open(f.rel)
		if err != nil {
			return f.rel, nil, err
		}
		defer fh.Close()
		v, err := readRecordLean(fh, uint64(f.size), buf)
		return f.rel, v, err
	})
	if err != nil {
		return nil, err
	}
	return finish(c, kind, abs, sum, cacheDir, pointer{})
}
