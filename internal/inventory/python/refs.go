package python

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// urlRef describes a requirement that names a URL, a VCS repository or a
// local path instead of (or besides) a version.
type urlRef struct {
	raw     string // as written
	vcs     string // git, hg, svn, bzr; "" for plain URLs and paths
	local   bool   // file: URL or filesystem path
	rev     string // VCS revision after '@' ("" = default branch)
	egg     string // #egg= name
	name    string // inferred name (egg, wheel/sdist file name, repo name)
	version string // version from a wheel/sdist file name
	hash    *core.Hash
}

// isURLOrPath reports whether a requirements line names a URL or a path
// rather than a PEP 508 name (pip's own test is similar: a scheme, a path
// separator, or an archive extension).
func isURLOrPath(s string) bool {
	ls := strings.ToLower(s)
	for _, p := range []string{"git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:", "ftp://"} {
		if strings.HasPrefix(ls, p) {
			return true
		}
	}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasPrefix(s, "~") || strings.Contains(s, "\\") {
		return true
	}
	if strings.Contains(s, "/") && !strings.Contains(s, "@") {
		return true
	}
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"} {
		if strings.HasSuffix(ls, ext) {
			return true
		}
	}
	return false
}

// isPEP508URL reports whether s is "name[extras] @ url" (PEP 508 URL form),
// which must not be mistaken for a bare URL because it ends in ".whl".
func isPEP508URL(s string) bool {
	i := strings.IndexByte(s, '@')
	if i <= 0 {
		return false
	}
	r, err := parseReq(s[:i])
	return err == nil && r.Spec == "" && r.Marker == "" && r.URL == ""
}

func parseURLRef(s string) urlRef {
	u := urlRef{raw: s}
	body := s
	if i := strings.IndexByte(body, '#'); i >= 0 {
		frag := body[i+1:]
		body = body[:i]
		for _, kv := range strings.Split(frag, "&") {
			k, v, _ := strings.Cut(kv, "=")
			switch strings.ToLower(k) {
			case "egg":
				u.egg = v
			case "md5", "sha1", "sha224", "sha256", "sha384", "sha512":
				if h, ok := parseHash(k + ":" + v); ok {
					u.hash = &h
				}
			}
		}
	}
	lb := strings.ToLower(body)
	for _, v := range []string{"git", "hg", "svn", "bzr"} {
		if strings.HasPrefix(lb, v+"+") {
			u.vcs = v
			body = body[len(v)+1:]
			lb = lb[len(v)+1:]
			break
		}
	}
	if u.vcs == "" && (strings.HasPrefix(lb, "file:") || !strings.Contains(lb, "://")) {
		u.local = true
	}
	// Split the path part (after the host) from the revision.
	pathPart := body
	if i := strings.Index(body, "://"); i >= 0 {
		rest := body[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			pathPart = rest[j:]
		} else {
			pathPart = ""
		}
	}
	if q := strings.IndexByte(pathPart, '?'); q >= 0 {
		pathPart = pathPart[:q]
	}
	if u.vcs != "" {
		if i := strings.LastIndexByte(pathPart, '@'); i >= 0 {
			u.rev = pathPart[i+1:]
			pathPart = pathPart[:i]
		}
	}
	base := path.Base(strings.TrimRight(pathPart, "/"))
	if ub, err := url.PathUnescape(base); err == nil {
		base = ub
	}
	switch {
	case u.egg != "":
		u.name = u.egg
		// "#egg=name-1.0" is an old form carrying a version.
		if n, _, ok := splitNameVersion(u.egg); ok {
			u.name = n
		}
	case u.vcs != "":
		u.name = strings.TrimSuffix(base, ".git")
	case strings.HasSuffix(strings.ToLower(base), ".whl"):
		parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
		if len(parts) >= 5 {
			u.name, u.version = parts[0], parts[1]
		}
	default:
		for _, ext := range []string{".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"} {
			if strings.HasSuffix(strings.ToLower(base), ext) {
				if n, v, ok := splitNameVersion(base[:len(base)-len(ext)]); ok {
					u.name, u.version = n, v
				}
				break
			}
		}
	}
	if u.name != "" && !validName(u.name) {
		u.name = ""
	}
	return u
}

// splitNameVersion splits "name-1.2.3" at the last '-' followed by a digit.
func splitNameVersion(s string) (string, string, bool) {
	for i := len(s) - 2; i > 0; i-- {
		if s[i] == '-' && s[i+1] >= '0' && s[i+1] <= '9' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

// isFullCommit reports whether rev is a full commit id (git SHA-1 / SHA-256,
// Mercurial node).
func isFullCommit(rev string) bool {
	return (len(rev) == 40 || len(rev) == 64) && isHex(rev)
}

// mutableReason returns why the reference can change under the same
// requirement line ("" when it is pinned to immutable content). hashed says
// the requirement carries a --hash.
func (u urlRef) mutableReason(hashed bool) string {
	if u.local {
		return ""
	}
	if hashed || u.hash != nil {
		return ""
	}
	if u.vcs != "" {
		switch {
		case u.rev == "":
			return fmt.Sprintf("%s reference has no revision, so it installs whatever the default branch holds at install time", u.vcs)
		case isFullCommit(u.rev):
			return ""
		case u.vcs == "svn" && isDigits(u.rev):
			return ""
		case len(u.rev) >= 7 && isHex(u.rev):
			return fmt.Sprintf("revision %q is an abbreviated commit id; pip resolves it like a ref name", u.rev)
		default:
			return fmt.Sprintf("revision %q is a branch or tag, which can be moved to other code", u.rev)
		}
	}
	host := hostOf(strings.SplitN(u.raw, "#", 2)[0])
	if host == "files.pythonhosted.org" {
		return "" // PyPI never replaces an uploaded file
	}
	if (host == "github.com" || host == "codeload.github.com") && commitInPath(u.raw) {
		return ""
	}
	return "archive URL has no hash, so the server can serve different content"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// commitInPath reports whether a GitHub archive URL names a full commit
// (".../archive/<sha>.zip", codeload ".../zip/<sha>").
func commitInPath(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		for _, ext := range []string{".tar.gz", ".zip", ".tgz"} {
			seg = strings.TrimSuffix(seg, ext)
		}
		if isFullCommit(seg) {
			return true
		}
	}
	return false
}
