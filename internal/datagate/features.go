package datagate

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NumHashes is the MinHash signature length; Bands×BandRows must equal it.
const (
	NumHashes = 32
	Bands     = 8
	BandRows  = 4
)

// Signature is a MinHash signature over word shingles.
type Signature [NumHashes]uint32

// maxTokens bounds the tokens considered per row (long texts are truncated
// for features, never for the output files).
const maxTokens = 512

// tokenize lower-cases text and splits it into word tokens (letters and
// digits), at most maxTokens of them.
func tokenize(text string, dst []string) []string {
	dst = dst[:0]
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if word && start < 0 {
			start = i
		} else if !word && start >= 0 {
			dst = appendTok(dst, text[start:i])
			start = -1
			if len(dst) >= maxTokens {
				return dst
			}
		}
	}
	if start >= 0 && len(dst) < maxTokens {
		dst = appendTok(dst, text[start:])
	}
	return dst
}

// nbFeatures returns the naive Bayes features of a row: its word tokens plus
// shape features that generalise beyond the vocabulary (digit-run lengths,
// currency and emphasis symbols, all-caps words).
func nbFeatures(text string, toks []string, dst []string) []string {
	dst = append(dst[:0], toks...)
	for _, t := range toks {
		digits := 0
		for i := 0; i < len(t); i++ {
			if t[i] >= '0' && t[i] <= '9' {
				digits++
			}
		}
		switch {
		case digits == 0:
		case digits <= 2:
			dst = append(dst, "#d:1-2")
		case digits <= 4:
			dst = append(dst, "#d:3-4")
		case digits <= 7:
			dst = append(dst, "#d:5-7")
		default:
			dst = append(dst, "#d:8+")
		}
	}
	caps, run := 0, 0
	for _, r := range text {
		switch r {
		case '£', '$', '€', '!', '?', '%', '&', '*', '+', '@', '/', ':':
			if len(dst) < 2*maxTokens {
				dst = append(dst, "#s:"+string(r))
			}
		}
		if r >= 'A' && r <= 'Z' {
			run++
		} else {
			if run >= 3 {
				caps++
			}
			run = 0
		}
	}
	if run >= 3 {
		caps++
	}
	for i := 0; i < caps && i < 8; i++ {
		dst = append(dst, "#caps")
	}
	return dedupe(dst)
}

// dedupe removes repeated features in place (binarised multinomial naive
// Bayes: a word counts once per row, which is known to classify short texts
// better than raw counts).
func dedupe(fs []string) []string {
	if len(fs) < 2 {
		return fs
	}
	seen := make(map[string]struct{}, len(fs))
	out := fs[:0]
	for _, f := range fs {
		if _, ok := seen[f]; !ok {
			seen[f] = struct{}{}
			out = append(out, f)
		}
	}
	return out
}

func appendTok(dst []string, t string) []string {
	if len(t) > 40 {
		t = t[:40]
	}
	return append(dst, strings.ToLower(t))
}

// fnv64 hashes s (FNV-1a).
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is splitmix64's finaliser: a fast, well-distributed 64-bit mix.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

var seeds = func() [NumHashes]uint64 {
	var s [NumHashes]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range s {
		x = mix(x + uint64(i)*0x632be59bd9b4e019)
		s[i] = x
	}
	return s
}()

// normToken maps digit runs to one symbol so "call 0800 123" and "call
// 0871 456" shingle alike.
func normToken(t string) string {
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return t
		}
	}
	return "#"
}

// exactKey is the hash of the normalised token sequence: equal for texts
// that differ only in case, punctuation, spacing or numbers.
func exactKey(toks []string) uint64 {
	h := uint64(14695981039346656037)
	for _, t := range toks {
		t = normToken(t)
		for i := 0; i < len(t); i++ {
			h ^= uint64(t[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}

// minhash computes the signature over word bigram shingles (unigrams for
// one-word texts). ok is false for texts with no tokens.
func minhash(toks []string) (sig Signature, ok bool) {
	if len(toks) == 0 {
		return sig, false
	}
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	add := func(x uint64) {
		for i := range sig {
			v := uint32(mix(x^seeds[i]) >> 32)
			if v < sig[i] {
				sig[i] = v
			}
		}
	}
	if len(toks) == 1 {
		add(fnv64(normToken(toks[0])))
		return sig, true
	}
	prev := fnv64(normToken(toks[0]))
	for _, t := range toks[1:] {
		cur := fnv64(normToken(t))
		add(prev*31 + cur)
		prev = cur
	}
	return sig, true
}

// bandKeys returns the LSH bucket key of each band.
func bandKeys(sig *Signature) [Bands]uint64 {
	var out [Bands]uint64
	for b := 0; b < Bands; b++ {
		h := uint64(b+1) * 0x9e3779b97f4a7c15
		for r := 0; r < BandRows; r++ {
			h = mix(h ^ uint64(sig[b*BandRows+r]))
		}
		out[b] = h
	}
	return out
}

// similarity estimates the Jaccard similarity of two signatures.
func similarity(a, b *Signature) float64 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / NumHashes
}

// content checks ------------------------------------------------------------

// nonText reports whether s holds bytes no natural-language text has:
// NUL or other C0 controls (tab, CR, LF excepted), or U+FFFD.
func nonText(s string) (bool, string) {
	for i, r := range s {
		if r == utf8.RuneError {
			return true, "replacement character U+FFFD at byte " + itoa(i)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return true, "control character 0x" + hex2(byte(r)) + " at byte " + itoa(i)
		}
	}
	return false, ""
}

var (
	urlRe = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s"'<>]+`)
	// codeRe finds shell/Python/JS/HTML code shapes in a text field.
	codeRe = regexp.MustCompile("(?i)(```|<script\\b|\\bimport\\s+(?:os|subprocess|socket)\\b|\\bsubprocess\\.|\\bos\\.system\\(|\\beval\\(|\\bexec\\(|\\bcurl\\s+-|\\bwget\\s+http|\\brm\\s+-rf\\b|\\bbase64\\s+-d\\b|\\bpowershell\\b|\\$\\(|\\bchmod\\s+\\+x\\b)")
	// injectionRe finds prompt-injection phrases aimed at instruction-tuned models.
	injectionRe = regexp.MustCompile(`(?i)\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding)\s+(?:instructions|prompts?|rules|directions|context)\b|\byou\s+are\s+now\s+(?:dan|in\s+developer\s+mode|unrestricted|jailbroken)\b|\bdo\s+anything\s+now\b|\b(?:reveal|print|show|repeat)\s+(?:your|the)\s+(?:system\s+prompt|hidden\s+instructions|initial\s+instructions)\b|<\|im_start\|>|<\|system\|>|\[/?INST\]|<<SYS>>|\bnew\s+instructions\s*:|\bassistant\s+must\s+always\b`)
)

// Anchors: every match of codeRe / injectionRe contains one of these
// (lower-case) substrings, so rows without any skip the regex.
var (
	codeAnchors      = []string{"```", "<script", "import", "subprocess", "os.system", "eval(", "exec(", "curl", "wget", "rm ", "base64", "powershell", "$(", "chmod"}
	injectionAnchors = []string{"ignore", "disregard", "forget", "override", "you are now", "anything now", "reveal", "print", "show", "repeat", "<|", "[inst", "[/inst", "<<sys", "instructions", "must always"}
)

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

func hex2(b byte) string {
	const d = "0123456789abcdef"
	return string([]byte{d[b>>4], d[b&15]})
}

// urlHost extracts the lower-case host of a URL match.
func urlHost(u string) string {
	u = strings.ToLower(u)
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if i := strings.IndexAny(u, "/?#:"); i >= 0 {
		u = u[:i]
	}
	return strings.TrimSuffix(u, ".")
}
