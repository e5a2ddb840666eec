package advisory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is where OSV publishes per-ecosystem exports
// (<base>/<ECOSYSTEM>/all.zip).
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// MaxDownload bounds one downloaded export.
const MaxDownload = 8 << 30

// DefaultEcosystems are updated when `assay db update` names none.
var DefaultEcosystems = []string{"PyPI", "npm", "Go", "GitHub Actions"}

// ResolveCacheDir returns the directory assay keeps advisory data in:
// dir when set, else $ASSAY_CACHE_DIR, else <user cache dir>/assay. "" when
// none can be determined (indexes are then kept in memory only).
func ResolveCacheDir(dir string) string {
	if dir != "" {
		return dir
	}
	if d := os.Getenv("ASSAY_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "assay")
	}
	return ""
}

// DBMeta is what `assay db update` records beside each export.
type DBMeta struct {
	Ecosystem    string `json:"ecosystem"`
	URL          string `json:"url"`
	SHA256       string `json:"sha256"`
	Size         int64  `json:"size"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Records      int    `json:"records"`
	Downloaded   string `json:"downloaded"`
	Checked      string `json:"checked"`
	// Path is the export on disk (not stored).
	Path string `json:"-"`
}

func ecoDirName(eco string) string {
	var b strings.Builder
	for _, r := range eco {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func dbDir(cacheDir, eco string) string { return filepath.Join(cacheDir, "db", ecoDirName(eco)) }

// CachedDBs lists the exports `assay db update` left in cacheDir.
func CachedDBs(cacheDir string) []DBMeta {
	if cacheDir == "" {
		return nil
	}
	dirs, err := os.ReadDir(filepath.Join(cacheDir, "db"))
	if err != nil {
		return nil
	}
	var out []DBMeta
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(cacheDir, "db", d.Name())
		zipPath := filepath.Join(dir, "all.zip")
		if _, err := os.Stat(zipPath); err != nil {
			continue
		}
		m, _ := readMeta(dir)
		if m.Ecosystem == "" {
			m.Ecosystem = d.Name()
		}
		m.Path = zipPath
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ecosystem < out[j].Ecosystem })
	return out
}

func readMeta(dir string) (DBMeta, error) {
	var m DBMeta
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return m, err
	}
	if len(b) > 1<<20 {
		return m, errors.New("meta.json too large")
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// UpdateOptions configures Update.
type UpdateOptions struct {
	Ecosystems []string
	BaseURL    string
	CacheDir   string
	Client     *http.Client
	// Log receives one progress line per step (may be nil).
	Log io.Writer
}

// UpdateResult is the outcome for one ecosystem.
type UpdateResult struct {
	Ecosystem string
	Status    string // updated | unchanged | failed
	Meta      DBMeta
	Err       error
}

// Update downloads each ecosystem's all.zip into the cache dir. It sends
// If-None-Match/If-Modified-Since from the last download, streams the body
// to a temporary file while hashing it, checks the length against
// Content-Length, verifies the file is a zip whose entries parse as OSV,
// then renames it over the old export and records sha256, size, ETag and
// Last-Modified in meta.json. Any failure leaves the previous export
// untouched. The index is built right away so the next scan is fast.
func Update(ctx context.Context, o UpdateOptions) []UpdateResult {
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Minute}
	}
	ecos := o.Ecosystems
	if len(ecos) == 0 {
		ecos = DefaultEcosystems
	}
	var out []UpdateResult
	for _, eco := range ecos {
		m, status, err := updateOne(ctx, client, base, o.CacheDir, eco, o.Log)
		res := UpdateResult{Ecosystem: eco, Status: status, Meta: m, Err: err}
		if err != nil {
			res.Status = "failed"
		}
		out = append(out, res)
	}
	return out
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func updateOne(ctx context.Context, client *http.Client, base, cacheDir, eco string, log io.Writer) (DBMeta, string, error) {
	if cacheDir == "" {
		return DBMeta{}, "", errors.New("no cache directory (set --cache-dir or ASSAY_CACHE_DIR)")
	}
	dir := dbDir(cacheDir, eco)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return DBMeta{}, "", err
	}
	zipPath := filepath.Join(dir, "all.zip")
	old, _ := readMeta(dir)
	_, statErr := os.Stat(zipPath)
	have := statErr == nil
	u := base + "/" + url.PathEscape(eco) + "/all.zip"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return old, "", err
	}
	if have && old.ETag != "" {
		req.Header.Set("If-None-Match", old.ETag)
	}
	if have && old.LastModified != "" {
		req.Header.Set("If-Modified-Since", old.LastModified)
	}
	logf(log, "%s: GET %s", eco, u)
	resp, err := client.Do(req)
	if err != nil {
		return old, "", fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && have {
		old.Checked = time.Now().UTC().Format(time.RFC3339)
		if b, err := json.MarshalIndent(old, "", "  "); err == nil {
			_ = writeFileAtomic(filepath.Join(dir, "meta.json"), b)
		}
		old.Path = zipPath
		return old, "unchanged", nil
	}
	if resp.StatusCode != http.StatusOK {
		return old, "", fmt.Errorf("download: %s", resp.Status)
	}
	if resp.ContentLength > MaxDownload {
		return old, "", fmt.Errorf("download: %d bytes exceed the limit of %d", resp.ContentLength, int64(MaxDownload))
	}
	tmp, err := os.CreateTemp(dir, ".download-*.zip")
	if err != nil {
		return old, "", err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after the rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, MaxDownload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return old, "", fmt.Errorf("download interrupted after %d bytes: %w", n, err)
	}
	if n > MaxDownload {
		return old, "", fmt.Errorf("download exceeds the limit of %d bytes", int64(MaxDownload))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return old, "", fmt.Errorf("download truncated: got %d of %d bytes", n, resp.ContentLength)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	records, err := ValidateZip(tmpName)
	if err != nil {
		return old, "", fmt.Errorf("downloaded file rejected: %w", err)
	}
	if err := os.Rename(tmpName, zipPath); err != nil {
		return old, "", err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	m := DBMeta{Ecosystem: eco, URL: u, SHA256: sum, Size: n, ETag: resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"), Records: records, Downloaded: now, Checked: now, Path: zipPath}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, "meta.json"), b); err != nil {
		return m, "", err
	}
	logf(log, "%s: %s bytes, %d records, sha256 %s", eco, strconv.FormatInt(n, 10), records, sum)
	// Build the index now so the next scan only opens it, and drop the
	// index of the export it replaced.
	if s, err := Open(zipPath, "cache", cacheDir); err == nil {
		s.Close()
	}
	if old.SHA256 != "" && old.SHA256 != sum {
		os.Remove(filepath.Join(indexDir(cacheDir), old.SHA256+".idx"))
	}
	return m, "updated", nil
}

// Status describes every source a scan would load.
type Status struct {
	CacheDir string       `json:"cache_dir"`
	Feed     SourceInfo   `json:"embedded"`
	Cached   []CachedInfo `json:"cached"`
}

// CachedInfo is one cached export with its index.
type CachedInfo struct {
	DBMeta
	Path    string `json:"path"`
	Indexed bool   `json:"indexed"`
	Index   string `json:"index,omitempty"`
	Error   string `json:"error,omitempty"`
}

// GetStatus reports the embedded feed and cached exports without building
// anything.
func GetStatus(cacheDir string) (Status, error) {
	feed, err := Feed()
	if err != nil {
		return Status{}, err
	}
	st := Status{CacheDir: cacheDir, Feed: feed.Info()}
	for _, m := range CachedDBs(cacheDir) {
		ci := CachedInfo{DBMeta: m, Path: m.Path}
		if fi, err := os.Stat(m.Path); err == nil {
			if p, ok := readPointer(cacheDir, absPath(m.Path)); ok && p.Size == fi.Size() && p.MTime == fi.ModTime().UnixNano() {
				ip := filepath.Join(indexDir(cacheDir), p.SHA256+".idx")
				if _, err := os.Stat(ip); err == nil {
					ci.Indexed, ci.Index = true, ip
				}
			}
			if m.SHA256 == "" {
				ci.Error = "no meta.json (not written by assay db update)"
			}
		}
		st.Cached = append(st.Cached, ci)
	}
	return st, nil
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
