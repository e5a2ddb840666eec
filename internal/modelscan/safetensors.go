package modelscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// safetensors dtypes and their size in bits.
var stDtypeBits = map[string]int64{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "I16": 16, "U16": 16,
	"F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "F64": 64, "I64": 64, "U64": 64,
	"C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

type stTensor struct {
	name       string
	dtype      string
	numel      int64
	begin, end int64
}

// SafetensorsHeader is a parsed, validated safetensors header.
type SafetensorsHeader struct {
	HeaderLen  int64
	Tensors    int
	Params     int64
	Metadata   map[string]string
	Violations []string
}

// ParseSafetensors reads and validates a safetensors header from r. size
// is the file size (-1 when unknown: the "nothing after the data" check is
// skipped). Only the 8-byte length and the header are read.
func ParseSafetensors(r io.Reader, size int64) (*SafetensorsHeader, error) {
	var lb [8]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, fmt.Errorf("truncated safetensors length prefix")
	}
	n := binary.LittleEndian.Uint64(lb[:])
	h := &SafetensorsHeader{HeaderLen: int64(min(n, math.MaxInt64))}
	if n > maxSafetensorsHdr {
		h.Violations = append(h.Violations, fmt.Sprintf("header length %d exceeds the 100 MiB bound", n))
		return h, nil
	}
	if size >= 0 && int64(n) > size-8 {
		h.Violations = append(h.Violations, fmt.Sprintf("header length %d runs past the end of the %d-byte file", n, size))
		return h, nil
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(r, hdr); err != nil {
		h.Violations = append(h.Violations, "header truncated")
		return h, nil
	}
	if !utf8.Valid(hdr) {
		h.Violations = append(h.Violations, "header is not valid UTF-8")
		return h, nil
	}
	if len(hdr) == 0 || hdr[0] != '{' {
		h.Violations = append(h.Violations, "header does not start with '{'")
		return h, nil
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		h.Violations = append(h.Violations, "header is not a JSON object")
		return h, nil
	}
	seen := map[string]bool{}
	var tensors []stTensor
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			h.Violations = append(h.Violations, "header is not valid JSON: "+err.Error())
			return h, nil
		}
		key, _ := kt.(string)
		if seen[key] {
			h.Violations = append(h.Violations, fmt.Sprintf("duplicate key %q (loaders disagree on which wins)", clipName(key)))
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			h.Violations = append(h.Violations, "header is not valid JSON: "+err.Error())
			return h, nil
		}
		if key == "__metadata__" {
			md := map[string]string{}
			if err := json.Unmarshal(raw, &md); err != nil {
				h.Violations = append(h.Violations, "__metadata__ is not a string-to-string map")
			} else {
				h.Metadata = md
			}
			continue
		}
		var ti struct {
			Dtype       string  `json:"dtype"`
			Shape       []int64 `json:"shape"`
			DataOffsets []int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &ti); err != nil {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q: malformed entry (%v)", clipName(key), err))
			continue
		}
		bits, ok := stDtypeBits[ti.Dtype]
		if !ok {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q: unknown dtype %q", clipName(key), clipName(ti.Dtype)))
			continue
		}
		if len(ti.DataOffsets) != 2 || ti.DataOffsets[0] < 0 || ti.DataOffsets[1] < ti.DataOffsets[0] {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q: invalid data_offsets %v", clipName(key), ti.DataOffsets))
			continue
		}
		numel := int64(1)
		bad := false
		for _, d := range ti.Shape {
			if d < 0 || (d > 0 && numel > math.MaxInt64/8/d) {
				bad = true
				break
			}
			numel *= d
		}
		if bad {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q: invalid shape %v", clipName(key), ti.Shape))
			continue
		}
		want := (numel*bits + 7) / 8
		if ti.DataOffsets[1]-ti.DataOffsets[0] != want {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q: %s%v needs %d bytes but data_offsets span %d", clipName(key), ti.Dtype, ti.Shape, want, ti.DataOffsets[1]-ti.DataOffsets[0]))
		}
		tensors = append(tensors, stTensor{name: key, dtype: ti.Dtype, numel: numel, begin: ti.DataOffsets[0], end: ti.DataOffsets[1]})
		h.Params += numel
	}
	if _, err := dec.Token(); err != nil {
		h.Violations = append(h.Violations, "header is not valid JSON: "+err.Error())
	}
	if rest := bytes.TrimRight(hdr[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		h.Violations = append(h.Violations, "bytes after the header's JSON object")
	}
	h.Tensors = len(tensors)
	sort.Slice(tensors, func(i, j int) bool {
		if tensors[i].begin != tensors[j].begin {
			return tensors[i].begin < tensors[j].begin
		}
		return tensors[i].end < tensors[j].end
	})
	var pos int64
	for _, t := range tensors {
		switch {
		case t.begin < pos:
			h.Violations = append(h.Violations, fmt.Sprintf("tensor %q overlaps the previous tensor (offset %d < %d)", clipName(t.name), t.begin, pos))
		case t.begin > pos:
			h.Violations = append(h.Violations, fmt.Sprintf("hole of %d bytes before tensor %q", t.begin-pos, clipName(t.name)))
		}
		if t.end > pos {
			pos = t.end
		}
	}
	if size >= 0 {
		dataLen := size - 8 - int64(n)
		if pos > dataLen {
			h.Violations = append(h.Violations, fmt.Sprintf("tensor data ends at %d, past the %d-byte data section", pos, dataLen))
		} else if pos < dataLen {
			h.Violations = append(h.Violations, fmt.Sprintf("%d bytes after the last tensor's data", dataLen-pos))
		}
	}
	if len(h.Violations) > 20 {
		h.Violations = append(h.Violations[:20], fmt.Sprintf("and %d more violations", len(h.Violations)-20))
	}
	return h, nil
}

func clipName(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

func (sc *scan) scanSafetensors(b *blob) (*detected, error) {
	h, err := ParseSafetensors(b.stream(), b.size)
	if err != nil {
		return nil, err
	}
	for _, v := range h.Violations {
		sc.find(RuleSafetensorsHeader, b.member, 8, "safetensors header: "+v, v)
	}
	det := &detected{Format: "safetensors", Wrap: b.wrap}
	switch h.Metadata["format"] {
	case "pt":
		det.Framework = "pytorch"
	case "tf":
		det.Framework = "tensorflow"
	case "flax":
		det.Framework = "flax"
	case "np":
		det.Framework = "numpy"
	case "mlx":
		det.Framework = "mlx"
	}
	det.param("tensors", fmt.Sprint(h.Tensors))
	if h.Params > 0 {
		det.param("parameters", fmt.Sprint(h.Params))
	}
	return det, nil
}
