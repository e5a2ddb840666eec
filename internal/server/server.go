package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/assay-dev/assay/internal/advisory"
	"github.com/assay-dev/assay/internal/advisory/osv"
	"github.com/assay-dev/assay/internal/core"
)

// Body limits.
const (
	MaxReportBytes   = 64 << 20
	MaxAdvisoryBytes = 4 << 20
)

// Options configure the HTTP API.
type Options struct {
	// Token is required as "Authorization: Bearer TOKEN" on every /api/
	// request. An empty token is refused by New: an inventory tells an
	// attacker which projects are exposed.
	Token string
	// Now is the clock (tests).
	Now func() time.Time
	// Log receives one line per request (nil: no log).
	Log *log.Logger
}

type server struct {
	store *Store
	opts  Options
}

// New returns the HTTP handler of the inventory API.
func New(store *Store, opts Options) (http.Handler, error) {
	if len(opts.Token) < 16 {
		return nil, errors.New("an API token of at least 16 characters is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &server{store: store, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	mux.HandleFunc("GET /api/v1/projects", s.auth(s.listProjects))
	mux.HandleFunc("PUT /api/v1/projects/{name}", s.auth(s.putProject))
	mux.HandleFunc("DELETE /api/v1/projects/{name}", s.auth(s.deleteProject))
	mux.HandleFunc("GET /api/v1/affected", s.auth(s.affectedByPackage))
	mux.HandleFunc("POST /api/v1/affected", s.auth(s.affectedByAdvisory))
	mux.HandleFunc("GET /api/v1/findings", s.auth(s.findings))
	return s.logged(mux), nil
}

func (s *server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: 200}
		h.ServeHTTP(rw, r)
		if s.opts.Log != nil {
			s.opts.Log.Printf("%s %s %d %v", r.Method, r.URL.Path, rw.code, time.Since(start).Round(time.Microsecond))
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }

func (s *server) auth(h http.HandlerFunc) http.HandlerFunc {
	want := []byte("Bearer " + s.opts.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="assay"`)
			writeErr(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// readBody reads at most limit bytes, answering 413 beyond.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeErr(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
		} else {
			writeErr(w, http.StatusBadRequest, "cannot read body: "+err.Error())
		}
		return nil, false
	}
	return b, true
}

func (s *server) listProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Projects(r.Context())
	if err != nil {
		writeErr(w, 500, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"projects": ps})
}

func (s *server) putProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !ValidProjectName(name) {
		writeErr(w, 400, "invalid project name (letters, digits and . _ - / @ :, at most 200)")
		return
	}
	b, ok := readBody(w, r, MaxReportBytes)
	if !ok {
		return
	}
	rep, err := decodeReport(b)
	if err != nil {
		writeErr(w, 400, err.Error())
		return
	}
	info, err := s.store.PutReport(r.Context(), name, rep, s.opts.Now())
	if err != nil {
		writeErr(w, 500, err.Error())
		return
	}
	writeJSON(w, 200, info)
}

func (s *server) deleteProject(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteProject(r.Context(), r.PathValue("name")); err != nil {
		if errors.Is(err, ErrNotFound) {
			writeErr(w, 404, "no such project")
			return
		}
		writeErr(w, 500, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// purlEcosystems maps purl types to OSV ecosystem names.
var purlEcosystems = map[string]string{
	"pypi": core.EcosystemPyPI, "npm": core.EcosystemNPM, "golang": core.EcosystemGo,
	"githubactions": core.EcosystemGitHubActions, "github": core.EcosystemGitHubActions, "huggingface": core.EcosystemHuggingFace,
}

func (s *server) affectedByPackage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eco, name, version := q.Get("ecosystem"), q.Get("name"), q.Get("version")
	if p := q.Get("purl"); p != "" {
		pu, err := packageurl.FromString(p)
		if err != nil {
			writeErr(w, 400, "bad purl: "+err.Error())
			return
		}
		e, ok := purlEcosystems[pu.Type]
		if !ok {
			writeErr(w, 400, "unsupported purl type "+pu.Type)
			return
		}
		eco, name, version = e, pu.Name, pu.Version
		if pu.Namespace != "" {
			name = pu.Namespace + "/" + pu.Name
		}
	}
	if eco == "" || name == "" {
		writeErr(w, 400, "give purl=..., or ecosystem= and name= (and optionally version=)")
		return
	}
	hits, err := s.store.Components(r.Context(), eco, name, version)
	if err != nil {
		writeErr(w, 500, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"query": map[string]string{"ecosystem": eco, "name": name, "version": version}, "projects": countProjects(hits), "hits": hits})
}

func (s *server) affectedByAdvisory(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r, MaxAdvisoryBytes)
	if !ok {
		return
	}
	v, err := osv.Parse(b)
	if err == nil {
		err = v.Validate()
	}
	if err != nil {
		writeErr(w, 400, "not a valid OSV record: "+err.Error())
		return
	}
	entries := advisory.FromOSV(v, "api")
	if len(entries) == 0 {
		writeErr(w, 422, "the record affects no package assay can match (withdrawn, or only GIT ranges)")
		return
	}
	hits, err := s.store.AffectedBy(r.Context(), entries)
	if err != nil {
		writeErr(w, 500, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"advisory": v.ID, "aliases": v.Aliases, "projects": countProjects(hits), "hits": hits})
}

func (s *server) findings(w http.ResponseWriter, r *http.Request) {
	rule, adv := r.URL.Query().Get("rule"), r.URL.Query().Get("advisory")
	if rule == "" && adv == "" {
		writeErr(w, 400, "give rule= or advisory=")
		return
	}
	fs, err := s.store.Findings(r.Context(), rule, strings.TrimSpace(adv))
	if err != nil {
		writeErr(w, 500, err.Error())
		return
	}
	writeJSON(w, 200, map[string]any{"findings": fs})
}

func countProjects(hits []Hit) int {
	seen := map[string]bool{}
	for _, h := range hits {
		seen[h.Project] = true
	}
	return len(seen)
}
