package modelscan

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
)

// GGUF bounds.
const (
	maxGGUFMeta     = 512 << 20
	maxGGUFKeys     = 1 << 20
	maxGGUFString   = 64 << 20
	maxGGUFKeep     = 1 << 20
	maxGGUFArrayLen = 1 << 28
)

// GGUFInfo is what the header and metadata of a GGUF file say.
type GGUFInfo struct {
	Version  uint32
	Tensors  uint64
	KVs      uint64
	Strings  map[string]string // interesting string values
	Numbers  map[string]string
	Offsets  map[string]int64 // file offset of each kept string value
	Problems []string
}

type ggufReader struct {
	r     *bufio.Reader
	off   int64
	order binary.ByteOrder
	v     uint32
}

var errGGUFBudget = fmt.Errorf("GGUF metadata exceeds the %d MiB bound", maxGGUFMeta>>20)

func (g *ggufReader) read(n int) ([]byte, error) {
	if g.off+int64(n) > maxGGUFMeta {
		return nil, errGGUFBudget
	}
	b := make([]byte, n)
	k, err := io.ReadFull(g.r, b)
	g.off += int64(k)
	if err != nil {
		return nil, fmt.Errorf("GGUF metadata truncated at offset %d", g.off)
	}
	return b, nil
}

func (g *ggufReader) skip(n int64) error {
	if n < 0 || g.off+n > maxGGUFMeta {
		return errGGUFBudget
	}
	for n > 0 {
		step := min(n, 1<<30)
		k, err := g.r.Discard(int(step))
		g.off += int64(k)
		n -= int64(k)
		if err != nil {
			return fmt.Errorf("GGUF metadata truncated at offset %d", g.off)
		}
	}
	return nil
}

func (g *ggufReader) u32() (uint32, error) {
	b, err := g.read(4)
	if err != nil {
		return 0, err
	}
	return g.order.Uint32(b), nil
}

func (g *ggufReader) u64() (uint64, error) {
	b, err := g.read(8)
	if err != nil {
		return 0, err
	}
	return g.order.Uint64(b), nil
}

func (g *ggufReader) length() (uint64, error) {
	if g.v == 1 {
		n, err := g.u32()
		return uint64(n), err
	}
	return g.u64()
}

// str reads a GGUF string, keeping it only when keep is set.
func (g *ggufReader) str(keep bool, limit int) (string, int64, error) {
	n, err := g.length()
	if err != nil {
		return "", 0, err
	}
	if n > maxGGUFString {
		return "", 0, fmt.Errorf("GGUF string of %d bytes at offset %d exceeds the bound", n, g.off)
	}
	start := g.off
	if keep && n <= uint64(limit) {
		b, err := g.read(int(n))
		return string(b), start, err
	}
	return "", start, g.skip(int64(n))
}

var ggufScalarSize = map[uint32]int64{0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

// ParseGGUF reads the GGUF header and metadata key/values (never the
// tensor infos or data).
func ParseGGUF(r *bufio.Reader) (*GGUFInfo, error) {
	g := &ggufReader{r: r, order: binary.LittleEndian}
	magic, err := g.read(4)
	if err != nil || string(magic) != "GGUF" {
		return nil, errors.New("not a GGUF file")
	}
	vb, err := g.read(4)
	if err != nil {
		return nil, err
	}
	g.v = binary.LittleEndian.Uint32(vb)
	if g.v == 0 || g.v > 0xffff {
		g.order = binary.BigEndian
		g.v = binary.BigEndian.Uint32(vb)
	}
	if g.v < 1 || g.v > 3 {
		return nil, fmt.Errorf("unsupported GGUF version %d", g.v)
	}
	info := &GGUFInfo{Version: g.v, Strings: map[string]string{}, Numbers: map[string]string{}, Offsets: map[string]int64{}}
	if info.Tensors, err = g.length(); err != nil {
		return nil, err
	}
	if info.KVs, err = g.length(); err != nil {
		return nil, err
	}
	if info.KVs > maxGGUFKeys {
		return info, fmt.Errorf("GGUF declares %d metadata keys, more than the %d bound", info.KVs, maxGGUFKeys)
	}
	for i := uint64(0); i < info.KVs; i++ {
		key, _, err := g.str(true, 1<<16)
		if err != nil {
			return info, err
		}
		typ, err := g.u32()
		if err != nil {
			return info, err
		}
		if err := g.value(info, key, typ, 0); err != nil {
			return info, err
		}
	}
	return info, nil
}

func keepGGUFKey(k string) bool {
	return strings.HasPrefix(k, "general.") || strings.HasPrefix(k, "tokenizer.chat_template") || k == "tokenizer.ggml.model" || strings.Contains(k, "template")
}

func (g *ggufReader) value(info *GGUFInfo, key string, typ uint32, depth int) error {
	switch typ {
	case 8: // string
		keep := depth == 0 && keepGGUFKey(key)
		s, off, err := g.str(keep, maxGGUFKeep)
		if err != nil {
			return err
		}
		if keep {
			info.Strings[key] = s
			info.Offsets[key] = off
		}
		return nil
	case 9: // array
		if depth > 3 {
			return errors.New("GGUF arrays nested too deeply")
		}
		et, err := g.u32()
		if err != nil {
			return err
		}
		n, err := g.length()
		if err != nil {
			return err
		}
		if n > maxGGUFArrayLen {
			return fmt.Errorf("GGUF array %q of %d elements exceeds the bound", clipName(key), n)
		}
		if sz, ok := ggufScalarSize[et]; ok {
			return g.skip(int64(n) * sz)
		}
		keepStrings := et == 8 && strings.Contains(key, "chat_template")
		for j := uint64(0); j < n; j++ {
			if keepStrings && j < 64 {
				s, off, err := g.str(true, maxGGUFKeep)
				if err != nil {
					return err
				}
				k := fmt.Sprintf("%s[%d]", key, j)
				info.Strings[k], info.Offsets[k] = s, off
				continue
			}
			if err := g.value(info, key, et, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		sz, ok := ggufScalarSize[typ]
		if !ok {
			return fmt.Errorf("GGUF key %q has unknown value type %d", clipName(key), typ)
		}
		b, err := g.read(int(sz))
		if err != nil {
			return err
		}
		if depth == 0 && strings.HasPrefix(key, "general.") {
			var v string
			switch typ {
			case 4, 5:
				v = fmt.Sprint(g.order.Uint32(b))
			case 10, 11:
				v = fmt.Sprint(g.order.Uint64(b))
			case 6:
				v = fmt.Sprint(math.Float32frombits(g.order.Uint32(b)))
			}
			if v != "" {
				info.Numbers[key] = v
			}
		}
		return nil
	}
}

// templatePatterns are Jinja sandbox-escape markers. Benign chat templates
// use loops, namespace(), raise_exception and string filters, never these.
var templatePatterns = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`__(?:class|globals|builtins|import|subclasses|mro|base|bases|init|dict|getattribute|getitem|code|func|self|module|loader|spec|reduce|reduce_ex|call)__`), "dunder attribute access"},
	{regexp.MustCompile(`(?:\.|\[\s*['"])\s*__[A-Za-z_]+__`), "dunder attribute access"},
	{regexp.MustCompile(`\\x5[fF]|\\u005[fF]|\\137`), "escaped underscore (hides a dunder name)"},
	{regexp.MustCompile(`['"]_['"]\s*\*\s*2`), "underscores built at render time (hides a dunder name)"},
	{regexp.MustCompile(`\|\s*attr\s*\(`), "attr() filter (attribute walk)"},
	{regexp.MustCompile(`_TemplateReference__context`), "template context escape"},
	{regexp.MustCompile(`\b(?:os\s*\.\s*(?:popen|system)|popen\s*\(|subprocess|import_module|__import__|eval\s*\(|exec\s*\()`), "command execution call"},
	{regexp.MustCompile(`\.\s*(?:mro|__subclasses__)\s*\(`), "class hierarchy walk"},
}

// TemplateHit is one sandbox-escape pattern in a template.
type TemplateHit struct {
	What      string
	Match     string
	Offset    int // byte offset in the template
	Line, Col int
}

// CheckTemplate finds sandbox-escape patterns in a Jinja template (as text).
func CheckTemplate(t string) []TemplateHit {
	var hits []TemplateHit
	for _, p := range templatePatterns {
		for _, loc := range p.re.FindAllStringIndex(t, 3) {
			line := 1 + strings.Count(t[:loc[0]], "\n")
			col := loc[0] - strings.LastIndexByte(t[:loc[0]], '\n')
			hits = append(hits, TemplateHit{What: p.what, Match: t[loc[0]:loc[1]], Offset: loc[0], Line: line, Col: col})
		}
	}
	return hits
}

func (sc *scan) scanGGUF(b *blob) (*detected, error) {
	info, err := ParseGGUF(b.stream())
	if info == nil {
		return nil, err
	}
	if err != nil {
		sc.errorf(b.member, "%v", err)
	}
	for _, k := range sortedKeys(info.Strings) {
		if !strings.Contains(k, "template") {
			continue
		}
		t := info.Strings[k]
		for _, h := range CheckTemplate(t) {
			lo, hi := max(0, h.Offset-40), min(len(t), h.Offset+len(h.Match)+40)
			sc.find(RuleChatTemplate, b.member, info.Offsets[k]+int64(h.Offset),
				fmt.Sprintf("%s (line %d, column %d of %s): %s %q", k, h.Line, h.Col, k, h.What, h.Match),
				t[lo:hi])
		}
	}
	det := &detected{Format: "gguf", Framework: "llama.cpp", Wrap: b.wrap, Arch: info.Strings["general.architecture"]}
	det.param("gguf_version", fmt.Sprint(info.Version))
	det.param("tensors", fmt.Sprint(info.Tensors))
	det.param("name", info.Strings["general.name"])
	det.param("size_label", info.Strings["general.size_label"])
	det.param("license", info.Strings["general.license"])
	det.param("file_type", info.Numbers["general.file_type"])
	if _, ok := info.Strings["tokenizer.chat_template"]; ok {
		det.param("chat_template", "present")
	}
	return det, nil
}
