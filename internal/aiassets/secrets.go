package aiassets

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/textstat"
)

// keyPattern is one provider's API key shape.
type keyPattern struct {
	provider string
	re       *regexp.Regexp
	show     int // how many leading characters the redacted evidence keeps
}

// Order matters: Anthropic keys also start with "sk-".
var keyPatterns = []keyPattern{
	{"Anthropic", regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]{32,}`), 14},
	{"OpenAI", regexp.MustCompile(`sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}`), 12},
	{"Hugging Face", regexp.MustCompile(`hf_[A-Za-z0-9]{30,40}`), 7},
	{"Google", regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`), 8},
}

// keyHit is an API key literal found in a source text.
type keyHit struct {
	provider string
	offset   int // byte offset in the scanned text
	redacted string
}

// placeholderWords mark documentation keys ("sk-your-key-here", "sk-xxxx…").
var placeholderWords = []string{"xxxx", "your", "example", "dummy", "fake", "placeholder", "replace", "redacted", "insert", "changeme", "here", "sample", "0000", "1234", "abcd", "test"}

// findKeys returns the plausible API key literals in b. Placeholders and
// low-entropy strings are skipped.
func findKeys(b []byte) []keyHit {
	if !bytes.Contains(b, []byte("sk-")) && !bytes.Contains(b, []byte("hf_")) && !bytes.Contains(b, []byte("AIza")) {
		return nil
	}
	var hits []keyHit
	taken := map[int]bool{}
	for _, kp := range keyPatterns {
		for _, m := range kp.re.FindAllIndex(b, -1) {
			start, end := m[0], m[1]
			if taken[start] {
				continue
			}
			if start > 0 && isWordByte(b[start-1]) {
				continue // part of a longer identifier ("task-…", "my_hf_…")
			}
			if end < len(b) && isWordByte(b[end]) {
				continue // longer than any key of this shape
			}
			if !plausibleSecret(string(b[start:end]), kp.provider) {
				continue
			}
			if end < len(b) && b[end] == '.' && end+1 < len(b) && b[end+1] == '.' {
				continue // "sk-abc…..." elided in docs
			}
			taken[start] = true
			hits = append(hits, keyHit{provider: kp.provider, offset: start, redacted: redact(string(b[start:end]), kp.show)})
		}
	}
	return hits
}

// plausibleSecret rejects documentation placeholders: known filler words,
// long runs of one character, and strings without the entropy of a random
// token.
func plausibleSecret(key, provider string) bool {
	body := key
	if i := strings.LastIndexAny(key[:min(len(key), 16)], "-_"); i >= 0 && provider != "Google" {
		body = key[i+1:]
	}
	lower := strings.ToLower(key)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return false
		}
	}
	var hasDigit, hasUpper, hasLower bool
	run, maxRun := 0, 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= '0' && c <= '9':
			hasDigit = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		case c >= 'a' && c <= 'z':
			hasLower = true
		}
		if i > 0 && body[i] == body[i-1] {
			run++
		} else {
			run = 1
		}
		maxRun = max(maxRun, run)
	}
	if maxRun >= 5 {
		return false
	}
	mixed := 0
	for _, ok := range []bool{hasDigit, hasUpper, hasLower} {
		if ok {
			mixed++
		}
	}
	if mixed < 2 {
		return false
	}
	return entropy(body) >= 3.3
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 { return textstat.Entropy(s) }

// redact keeps a short prefix (enough to find the key at the provider) and
// the length; the secret itself never reaches a report.
func redact(key string, show int) string {
	if show > len(key)-8 {
		show = max(0, len(key)-8)
	}
	return fmt.Sprintf("%s…[redacted, %d chars]", key[:show], len(key))
}
