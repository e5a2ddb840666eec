// Package server keeps an organisation's AI-BOMs (assay JSON reports, one
// per project) in SQLite or PostgreSQL and answers "who is affected?": by
// package, by purl, or by an OSV advisory the moment it lands, matched with
// each ecosystem's version semantics.
package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite" (pure Go)

	"github.com/assay-dev/assay/internal/advisory"
	"github.com/assay-dev/assay/internal/core"
)

// Store is the inventory database.
type Store struct {
	db       *sql.DB
	postgres bool
}

// Open opens (and migrates) the store: a postgres:// or postgresql:// DSN
// selects PostgreSQL, anything else is a SQLite file path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.postgres = true
		s.db, err = sql.Open("pgx", dsn)
	} else {
		path := strings.TrimPrefix(dsn, "sqlite:")
		s.db, err = sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
		if err == nil {
			s.db.SetMaxOpenConns(1) // one writer; WAL keeps readers cheap
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// q rewrites ? placeholders to $n for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if s.postgres {
		id = "BIGSERIAL PRIMARY KEY"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS projects (
			id ` + id + `,
			name TEXT NOT NULL UNIQUE,
			target TEXT NOT NULL DEFAULT '',
			tool_version TEXT NOT NULL DEFAULT '',
			uploaded_at TEXT NOT NULL,
			components INTEGER NOT NULL DEFAULT 0,
			findings INTEGER NOT NULL DEFAULT 0,
			critical INTEGER NOT NULL DEFAULT 0,
			high INTEGER NOT NULL DEFAULT 0,
			failed INTEGER NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS components (
			project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
			kind TEXT NOT NULL,
			ecosystem TEXT NOT NULL,
			name TEXT NOT NULL,
			name_norm TEXT NOT NULL,
			version TEXT NOT NULL,
			requirement TEXT NOT NULL,
			purl TEXT NOT NULL,
			direct INTEGER NOT NULL,
			location TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS components_lookup ON components(ecosystem, name_norm, version)`,
		`CREATE INDEX IF NOT EXISTS components_project ON components(project_id)`,
		`CREATE TABLE IF NOT EXISTS findings (
			project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
			rule_id TEXT NOT NULL,
			severity TEXT NOT NULL,
			title TEXT NOT NULL,
			component TEXT NOT NULL,
			path TEXT NOT NULL,
			line INTEGER NOT NULL,
			advisories TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule_id)`,
		`CREATE INDEX IF NOT EXISTS findings_project ON findings(project_id)`,
	}
	for _, st := range stmts {
		if _, err := s.db.ExecContext(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// ProjectInfo summarises one stored project.
type ProjectInfo struct {
	Name        string `json:"name"`
	Target      string `json:"target"`
	ToolVersion string `json:"tool_version"`
	UploadedAt  string `json:"uploaded_at"`
	Components  int    `json:"components"`
	Findings    int    `json:"findings"`
	Critical    int    `json:"critical"`
	High        int    `json:"high"`
	Failed      bool   `json:"failed"`
}

// ValidProjectName reports whether name can name a project: 1–200 bytes of
// letters, digits and . _ - / @ :.
func ValidProjectName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/@:", r)) {
			return false
		}
	}
	return true
}

// PutReport replaces the stored inventory of project with rep's, atomically.
func (s *Store) PutReport(ctx context.Context, project string, rep *core.Report, now time.Time) (ProjectInfo, error) {
	if !ValidProjectName(project) {
		return ProjectInfo{}, fmt.Errorf("invalid project name %q", project)
	}
	info := ProjectInfo{Name: project, Target: rep.Target, ToolVersion: rep.Tool.Version, UploadedAt: now.UTC().Format(time.RFC3339),
		Components: len(rep.Components), Findings: len(rep.Findings), Failed: rep.Summary.Failed}
	for _, f := range rep.Findings {
		switch f.Severity {
		case core.SeverityCritical:
			info.Critical++
		case core.SeverityHigh:
			info.High++
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return info, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM projects WHERE name = ?`), project); err != nil {
		return info, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO projects (name, target, tool_version, uploaded_at, components, findings, critical, high, failed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		project, info.Target, info.ToolVersion, info.UploadedAt, info.Components, info.Findings, info.Critical, info.High, boolInt(info.Failed)).Scan(&id)
	if err != nil {
		return info, err
	}
	if err := s.insertComponents(ctx, tx, id, rep.Components); err != nil {
		return info, err
	}
	if err := s.insertFindings(ctx, tx, id, rep.Findings); err != nil {
		return info, err
	}
	return info, tx.Commit()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// insertBatch inserts rows of cols columns with multi-row VALUES statements.
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	const per = 200
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, (end-start)*len(cols))
		ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(ph)
			args = append(args, rows[i]...)
		}
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertComponents(ctx context.Context, tx *sql.Tx, id int64, cs []core.Component) error {
	rows := make([][]any, 0, len(cs))
	for _, c := range cs {
		loc := ""
		if len(c.Locations) > 0 {
			loc = c.Locations[0].String()
		}
		rows = append(rows, []any{id, string(c.Kind), advisory.NormEcosystem(c.Ecosystem), c.Name, advisory.NormName(c.Ecosystem, c.Name), c.Version, c.Requirement, c.PURL, boolInt(c.Direct), loc})
	}
	return s.insertBatch(ctx, tx, "components", []string{"project_id", "kind", "ecosystem", "name", "name_norm", "version", "requirement", "purl", "direct", "location"}, rows)
}

func (s *Store) insertFindings(ctx context.Context, tx *sql.Tx, id int64, fs []core.Finding) error {
	rows := make([][]any, 0, len(fs))
	for _, f := range fs {
		rows = append(rows, []any{id, f.RuleID, f.Severity.String(), f.Title, f.Component, f.Location.Path, f.Location.Line, strings.Join(f.Advisories, ",")})
	}
	return s.insertBatch(ctx, tx, "findings", []string{"project_id", "rule_id", "severity", "title", "component", "path", "line", "advisories"}, rows)
}

// Projects lists stored projects by name.
func (s *Store) Projects(ctx context.Context) ([]ProjectInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, target, tool_version, uploaded_at, components, findings, critical, high, failed FROM projects ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ProjectInfo{}
	for rows.Next() {
		var p ProjectInfo
		var failed int
		if err := rows.Scan(&p.Name, &p.Target, &p.ToolVersion, &p.UploadedAt, &p.Components, &p.Findings, &p.Critical, &p.High, &failed); err != nil {
			return nil, err
		}
		p.Failed = failed != 0
		out = append(out, p)
	}
	return out, rows.Err()
}

// ErrNotFound is returned for an unknown project.
var ErrNotFound = errors.New("not found")

// DeleteProject removes a project and its inventory.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM projects WHERE name = ?`), name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Hit is one project component matching a query.
type Hit struct {
	Project     string   `json:"project"`
	Kind        string   `json:"kind"`
	Ecosystem   string   `json:"ecosystem"`
	Name        string   `json:"name"`
	Version     string   `json:"version,omitempty"`
	Requirement string   `json:"requirement,omitempty"`
	PURL        string   `json:"purl,omitempty"`
	Direct      bool     `json:"direct"`
	Location    string   `json:"location,omitempty"`
	Advisories  []string `json:"advisories,omitempty"`
}

// Components returns the components of (ecosystem, name), optionally of one
// exact version, across all projects: one indexed query.
func (s *Store) Components(ctx context.Context, ecosystem, name, version string) ([]Hit, error) {
	eco := advisory.NormEcosystem(ecosystem)
	query := `SELECT p.name, c.kind, c.ecosystem, c.name, c.version, c.requirement, c.purl, c.direct, c.location
		FROM components c JOIN projects p ON p.id = c.project_id WHERE c.ecosystem = ? AND c.name_norm = ?`
	args := []any{eco, advisory.NormName(eco, name)}
	if version != "" {
		query += ` AND c.version = ?`
		args = append(args, version)
	}
	query += ` ORDER BY p.name, c.version`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Hit{}
	for rows.Next() {
		var h Hit
		var direct int
		if err := rows.Scan(&h.Project, &h.Kind, &h.Ecosystem, &h.Name, &h.Version, &h.Requirement, &h.PURL, &direct, &h.Location); err != nil {
			return nil, err
		}
		h.Direct = direct != 0
		out = append(out, h)
	}
	return out, rows.Err()
}

// AffectedBy matches an OSV advisory against every stored component of the
// packages it names, with the ecosystem's version semantics. Components
// declared only by a range are reported when the range was not resolved
// (no version) — they may install an affected release.
func (s *Store) AffectedBy(ctx context.Context, entries []advisory.Entry) ([]Hit, error) {
	m := advisory.NewMatcher()
	out := []Hit{}
	for i := range entries {
		e := &entries[i]
		cands, err := s.Components(ctx, e.Ecosystem, e.Name, "")
		if err != nil {
			return nil, err
		}
		for _, h := range cands {
			if h.Version == "" {
				continue // unpinned: the scan's own range check reports these
			}
			if m.Affects(e, h.Version) {
				h.Advisories = e.IDs()
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// Findings returns stored findings of rule ruleID (or with advisory id).
func (s *Store) Findings(ctx context.Context, ruleID, advisoryID string) ([]map[string]any, error) {
	query := `SELECT p.name, f.rule_id, f.severity, f.title, f.component, f.path, f.line, f.advisories FROM findings f JOIN projects p ON p.id = f.project_id WHERE 1=1`
	var args []any
	if ruleID != "" {
		query += ` AND f.rule_id = ?`
		args = append(args, ruleID)
	}
	if advisoryID != "" {
		query += ` AND (',' || f.advisories || ',') LIKE ?`
		args = append(args, "%,"+advisoryID+",%")
	}
	query += ` ORDER BY p.name, f.path, f.line LIMIT 10000`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []map[string]any{}
	for rows.Next() {
		var project, rule, sev, title, comp, path, adv string
		var line int
		if err := rows.Scan(&project, &rule, &sev, &title, &comp, &path, &line, &adv); err != nil {
			return nil, err
		}
		m := map[string]any{"project": project, "rule_id": rule, "severity": sev, "title": title, "component": comp, "path": path, "line": line}
		if adv != "" {
			m["advisories"] = strings.Split(adv, ",")
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// decodeReport parses an assay JSON report (schema 1.x) with a size bound.
func decodeReport(b []byte) (*core.Report, error) {
	var rep core.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("not an assay JSON report: %v", err)
	}
	if !strings.HasPrefix(rep.SchemaVersion, "1.") {
		return nil, fmt.Errorf("unsupported schema_version %q (want 1.x: assay scan -f json)", rep.SchemaVersion)
	}
	return &rep, nil
}
