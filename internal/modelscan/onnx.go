package modelscan

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// ONNX is protobuf without a magic number: the file is claimed by its .onnx
// extension and validated by walking the wire format. Only the fields on
// the path ModelProto → GraphProto → NodeProto/TensorProto (and
// subgraphs/functions) are decoded; tensor payloads are skipped by offset.

const (
	maxPBDepth    = 64
	maxPBString   = 1 << 20
	maxONNXFields = 50_000_000
)

// pbReader reads protobuf fields from a ReaderAt through a one-block cache.
type pbReader struct {
	ra     io.ReaderAt
	size   int64
	blk    []byte
	blkOff int64
	fields int64
}

func (p *pbReader) byteAt(off int64) (byte, error) {
	if off < 0 || off >= p.size {
		return 0, io.ErrUnexpectedEOF
	}
	if p.blk == nil || off < p.blkOff || off >= p.blkOff+int64(len(p.blk)) {
		if p.blk == nil {
			p.blk = make([]byte, 0, 64<<10)
		}
		n := min(int64(cap(p.blk)), p.size-off)
		p.blk = p.blk[:n]
		k, err := p.ra.ReadAt(p.blk, off)
		if k < len(p.blk) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		p.blkOff = off
	}
	return p.blk[off-p.blkOff], nil
}

func (p *pbReader) varint(off int64) (uint64, int64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		b, err := p.byteAt(off + int64(i))
		if err != nil {
			return 0, 0, err
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, off + int64(i) + 1, nil
		}
	}
	return 0, 0, errors.New("varint too long")
}

func (p *pbReader) bytes(off, n int64) ([]byte, error) {
	b := make([]byte, n)
	k, err := p.ra.ReadAt(b, off)
	if int64(k) < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// field is one decoded protobuf field.
type field struct {
	num        uint64
	wire       uint64
	val        uint64 // varint value
	start, end int64  // payload range for length-delimited fields
}

// each iterates the fields of the message in [start, end).
func (p *pbReader) each(start, end int64, fn func(f field) error) error {
	off := start
	for off < end {
		p.fields++
		if p.fields > maxONNXFields {
			return fmt.Errorf("more than %d protobuf fields", maxONNXFields)
		}
		tag, next, err := p.varint(off)
		if err != nil {
			return fmt.Errorf("bad field tag at offset %d: %w", off, err)
		}
		f := field{num: tag >> 3, wire: tag & 7}
		if f.num == 0 {
			return fmt.Errorf("field number 0 at offset %d", off)
		}
		off = next
		switch f.wire {
		case 0:
			f.val, off, err = p.varint(off)
			if err != nil {
				return fmt.Errorf("bad varint at offset %d: %w", off, err)
			}
		case 1:
			off += 8
		case 5:
			off += 4
		case 2:
			n, next, err := p.varint(off)
			if err != nil {
				return fmt.Errorf("bad length at offset %d: %w", off, err)
			}
			if n > uint64(end-next) {
				return fmt.Errorf("field %d at offset %d declares %d bytes, past the end of its message", f.num, off, n)
			}
			f.start, f.end = next, next+int64(n)
			off = f.end
		default:
			return fmt.Errorf("unsupported wire type %d at offset %d", f.wire, off)
		}
		if off > end {
			return fmt.Errorf("field %d runs past the end of its message", f.num)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func (p *pbReader) str(f field) (string, error) {
	if f.wire != 2 {
		return "", fmt.Errorf("field %d: expected a string", f.num)
	}
	n := f.end - f.start
	if n > maxPBString {
		return "", fmt.Errorf("string field of %d bytes exceeds the bound", n)
	}
	b, err := p.bytes(f.start, n)
	return string(b), err
}

// ONNXInfo is what the walk found.
type ONNXInfo struct {
	IRVersion   uint64
	Producer    string
	GraphName   string
	Opsets      map[string]uint64
	Domains     map[string]int64 // node domain → offset of first use
	Local       map[string]bool  // domains of model-local functions
	External    []ONNXExternal
	Nodes       int
	Initializer int
}

// ONNXExternal is one external_data location.
type ONNXExternal struct {
	Tensor   string
	Location string
	Offset   int64
}

// ParseONNX walks an ONNX ModelProto.
func ParseONNX(ra io.ReaderAt, size int64) (*ONNXInfo, error) {
	p := &pbReader{ra: ra, size: size}
	info := &ONNXInfo{Opsets: map[string]uint64{}, Domains: map[string]int64{}, Local: map[string]bool{}}
	sawGraph := false
	err := p.each(0, size, func(f field) error {
		switch f.num {
		case 1:
			info.IRVersion = f.val
		case 2, 3:
			if f.wire == 2 {
				s, err := p.str(f)
				if err != nil {
					return err
				}
				info.Producer = strings.TrimSpace(info.Producer + " " + s)
			}
		case 7:
			sawGraph = true
			return p.graph(info, f, 1, true)
		case 8:
			return p.opset(info, f)
		case 20: // training_info: initialization=1, algorithm=2 graphs
			return p.each(f.start, f.end, func(g field) error {
				if (g.num == 1 || g.num == 2) && g.wire == 2 {
					return p.graph(info, g, 2, false)
				}
				return nil
			})
		case 25: // FunctionProto
			return p.function(info, f, 1)
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	if !sawGraph || info.IRVersion == 0 || info.IRVersion > 100 {
		return info, errors.New("not an ONNX model (no ir_version/graph)")
	}
	return info, nil
}

func (p *pbReader) opset(info *ONNXInfo, f field) error {
	if f.wire != 2 {
		return errors.New("opset_import is not a message")
	}
	var dom string
	var ver uint64
	err := p.each(f.start, f.end, func(g field) error {
		switch g.num {
		case 1:
			s, err := p.str(g)
			dom = s
			return err
		case 2:
			ver = g.val
		}
		return nil
	})
	info.Opsets[dom] = ver
	return err
}

func (p *pbReader) function(info *ONNXInfo, f field, depth int) error {
	if f.wire != 2 {
		return errors.New("function is not a message")
	}
	return p.each(f.start, f.end, func(g field) error {
		switch g.num {
		case 7:
			return p.node(info, g, depth+1)
		case 10:
			s, err := p.str(g)
			info.Local[s] = true
			return err
		}
		return nil
	})
}

func (p *pbReader) graph(info *ONNXInfo, f field, depth int, top bool) error {
	if f.wire != 2 {
		return errors.New("graph is not a message")
	}
	if depth > maxPBDepth {
		return errors.New("ONNX subgraphs nested too deeply")
	}
	return p.each(f.start, f.end, func(g field) error {
		switch g.num {
		case 1:
			info.Nodes++
			return p.node(info, g, depth+1)
		case 2:
			if top && info.GraphName == "" {
				s, err := p.str(g)
				info.GraphName = s
				return err
			}
		case 5:
			info.Initializer++
			return p.tensor(info, g)
		case 15: // SparseTensorProto: values=1, indices=2
			return p.each(g.start, g.end, func(h field) error {
				if (h.num == 1 || h.num == 2) && h.wire == 2 {
					return p.tensor(info, h)
				}
				return nil
			})
		}
		return nil
	})
}

func (p *pbReader) node(info *ONNXInfo, f field, depth int) error {
	if f.wire != 2 {
		return errors.New("node is not a message")
	}
	var dom string
	err := p.each(f.start, f.end, func(g field) error {
		switch g.num {
		case 7:
			s, err := p.str(g)
			dom = s
			return err
		case 5: // AttributeProto: t=5, g=6, tensors=10, graphs=11
			return p.each(g.start, g.end, func(h field) error {
				if h.wire != 2 {
					return nil
				}
				switch h.num {
				case 5, 10:
					return p.tensor(info, h)
				case 6, 11:
					return p.graph(info, h, depth+1, false)
				}
				return nil
			})
		}
		return nil
	})
	if _, ok := info.Domains[dom]; !ok {
		info.Domains[dom] = f.start
	}
	return err
}

func (p *pbReader) tensor(info *ONNXInfo, f field) error {
	if f.wire != 2 {
		return errors.New("tensor is not a message")
	}
	var (
		name string
		locs []ONNXExternal
	)
	err := p.each(f.start, f.end, func(g field) error {
		switch g.num {
		case 8:
			s, err := p.str(g)
			name = s
			return err
		case 13: // StringStringEntryProto key=1 value=2
			var k, v string
			err := p.each(g.start, g.end, func(h field) error {
				s, err := p.str(h)
				if h.num == 1 {
					k = s
				} else if h.num == 2 {
					v = s
				}
				return err
			})
			if err != nil {
				return err
			}
			if k == "location" {
				locs = append(locs, ONNXExternal{Location: v, Offset: g.start})
			}
		}
		return nil
	})
	for _, l := range locs {
		l.Tensor = name
		if len(info.External) < 100_000 {
			info.External = append(info.External, l)
		}
	}
	return err
}

// standardONNXDomains need no custom-op library.
var standardONNXDomains = map[string]bool{
	"": true, "ai.onnx": true, "ai.onnx.ml": true, "ai.onnx.training": true, "ai.onnx.preview.training": true,
	"com.microsoft": true, "com.microsoft.nchwc": true, "com.microsoft.mlfeaturizers": true,
	"com.microsoft.experimental": true, "com.ms.internal.nhwc": true, "com.microsoft.dml": true,
	"org.pytorch.aten": true, "ai.onnx.contrib.quantization": false,
}

// escapesDir explains why an external-data location leaves the model dir.
func escapesDir(loc string) string {
	l := strings.ReplaceAll(loc, "\\", "/")
	switch {
	case l == "":
		return ""
	case strings.HasPrefix(l, "/"):
		return "absolute path"
	case len(l) >= 2 && l[1] == ':':
		return "drive-letter path"
	case strings.HasPrefix(l, "~"):
		return "home-relative path"
	}
	if c := path.Clean(l); c == ".." || strings.HasPrefix(c, "../") {
		return "climbs out of the model directory"
	}
	return ""
}

func (sc *scan) scanONNX(b *blob) (*detected, error) {
	ra, size, err := b.randomAccess()
	if err != nil {
		return nil, err
	}
	info, err := ParseONNX(ra, size)
	if err != nil {
		return nil, fmt.Errorf("not a valid ONNX model: %v", err)
	}
	reported := map[string]bool{}
	for _, e := range info.External {
		if why := escapesDir(e.Location); why != "" && !reported[e.Location] {
			reported[e.Location] = true
			sc.find(RuleONNXExternal, b.member, e.Offset, fmt.Sprintf("initializer %q loads external data from %q (%s)", clipName(e.Tensor), clipName(e.Location), why), "location="+e.Location)
		}
	}
	var custom []string
	for d := range info.Domains {
		if !standardONNXDomains[d] && !info.Local[d] {
			custom = append(custom, d)
		}
	}
	for d := range info.Opsets {
		if !standardONNXDomains[d] && !info.Local[d] {
			if _, ok := info.Domains[d]; !ok {
				custom = append(custom, d)
			}
		}
	}
	sort.Strings(custom)
	for _, d := range custom {
		off := info.Domains[d]
		sc.find(RuleONNXCustomOp, b.member, off, fmt.Sprintf("operators from custom domain %q need a custom-op library to run", clipName(d)), "domain="+d)
	}
	det := &detected{Format: "onnx", Framework: "onnx", Arch: info.GraphName, Wrap: b.wrap}
	det.param("ir_version", fmt.Sprint(info.IRVersion))
	det.param("producer", info.Producer)
	det.param("nodes", fmt.Sprint(info.Nodes))
	det.param("initializers", fmt.Sprint(info.Initializer))
	if v, ok := info.Opsets[""]; ok {
		det.param("opset", fmt.Sprint(v))
	} else if v, ok := info.Opsets["ai.onnx"]; ok {
		det.param("opset", fmt.Sprint(v))
	}
	if len(info.External) > 0 {
		det.param("external_data", fmt.Sprint(len(info.External)))
	}
	return det, nil
}
