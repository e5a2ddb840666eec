package advisory

// Matcher evaluates advisory entries against versions with each
// ecosystem's own version semantics. It caches parsed versions; use one per
// goroutine.
type Matcher struct{ p *parser }

// NewMatcher returns a Matcher.
func NewMatcher() *Matcher { return &Matcher{p: newParser()} }

// Affects reports whether entry e covers version ver of its package.
func (m *Matcher) Affects(e *Entry, ver string) bool { return m.p.Affects(e, ver) }
