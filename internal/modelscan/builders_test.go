package modelscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"testing"
	"unicode/utf16"
)

// Binary fixtures are built here, at test time (see testdata/SOURCES.md for
// the few committed ones).

// pk assembles pickle opcodes.
type pk struct{ bytes.Buffer }

func (p *pk) op(b ...byte) *pk       { p.Write(b); return p }
func (p *pk) proto(n byte) *pk       { return p.op(0x80, n) }
func (p *pk) global(m, n string) *pk { p.WriteString("c" + m + "\n" + n + "\n"); return p }
func (p *pk) str(s string) *pk {
	p.op('X')
	_ = binary.Write(p, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
	return p
}
func (p *pk) sbu(s string) *pk { p.op(0x8c, byte(len(s))); p.WriteString(s); return p }

// callPickle is module.name(arg) as a protocol-2 pickle.
func callPickle(module, name, arg string) []byte {
	p := &pk{}
	p.proto(2).global(module, name).str(arg).op(0x85, 'R', '.')
	return p.Bytes()
}

// stateDictPickle is a torch.save-shaped state_dict pickle (protocol 2).
func stateDictPickle() []byte {
	p := &pk{}
	p.proto(2).global("collections", "OrderedDict").op(')', 'R', 'q', 0, '(')
	p.str("fc.weight").global("torch._utils", "_rebuild_tensor_v2").op('(', '(')
	p.str("storage").global("torch", "FloatStorage").str("0").str("cpu").op('K', 6, 't', 'Q')
	p.op('K', 0, 'K', 2, 'K', 3, 0x86, 'K', 3, 'K', 1, 0x86, 0x89).global("collections", "OrderedDict").op(')', 'R', 't', 'R')
	p.op('u', '}').str("_metadata").op('h', 0, ')', 'R', 's', 'b', '.')
	return p.Bytes()
}

type zmember struct {
	name   string
	data   []byte
	method uint16
}

func buildZip(t testing.TB, ms ...zmember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: m.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// torchZip is a PyTorch >=1.6 checkpoint layout.
func torchZip(t testing.TB, dataPkl []byte) []byte {
	return buildZip(t,
		zmember{name: "archive/data.pkl", data: dataPkl},
		zmember{name: "archive/byteorder", data: []byte("little")},
		zmember{name: "archive/data/0", data: make([]byte, 24)},
		zmember{name: "archive/version", data: []byte("3\n")},
		zmember{name: "archive/.data/serialization_id", data: []byte("1234")},
	)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func buildTar(t testing.TB, hs []tar.Header, data [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range hs {
		h := hs[i]
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data[i]))
		}
		h.Mode = 0o644
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(data[i])
		}
	}
	tw.Close()
	return buf.Bytes()
}

// sevenZip builds a 7z archive with the Copy method (no compression): one
// folder, one pack stream, one substream per file.
func sevenZip(names []string, datas [][]byte) []byte {
	var packed []byte
	for _, d := range datas {
		packed = append(packed, d...)
	}
	var h bytes.Buffer
	num := func(v uint64) {
		for n := 0; n <= 8; n++ {
			if n == 8 {
				h.WriteByte(0xff)
				binary.Write(&h, binary.LittleEndian, v)
				return
			}
			if v < uint64(1)<<(7*(n+1)) {
				first := byte(0xff<<(8-n)) | byte(v>>(8*n))
				h.WriteByte(first)
				for i := 0; i < n; i++ {
					h.WriteByte(byte(v >> (8 * i)))
				}
				return
			}
		}
	}
	h.WriteByte(0x01) // kHeader
	h.WriteByte(0x04) // kMainStreamsInfo
	h.WriteByte(0x06) // kPackInfo
	num(0)
	num(1)
	h.WriteByte(0x09)
	num(uint64(len(packed)))
	h.WriteByte(0x00)
	h.WriteByte(0x07) // kUnPackInfo
	h.WriteByte(0x0b) // kFolder
	num(1)
	h.WriteByte(0)    // not external
	num(1)            // one coder
	h.WriteByte(0x01) // id size 1, simple
	h.WriteByte(0x00) // Copy
	h.WriteByte(0x0c) // kCodersUnPackSize
	num(uint64(len(packed)))
	h.WriteByte(0x00)
	h.WriteByte(0x08) // kSubStreamsInfo
	h.WriteByte(0x0d)
	num(uint64(len(datas)))
	if len(datas) > 1 {
		h.WriteByte(0x09)
		for _, d := range datas[:len(datas)-1] {
			num(uint64(len(d)))
		}
	}
	h.WriteByte(0x0a) // kCRC
	h.WriteByte(1)    // all defined
	for _, d := range datas {
		binary.Write(&h, binary.LittleEndian, crc32.ChecksumIEEE(d))
	}
	h.WriteByte(0x00)
	h.WriteByte(0x00) // end main streams
	h.WriteByte(0x05) // kFilesInfo
	num(uint64(len(names)))
	var nm bytes.Buffer
	nm.WriteByte(0)
	for _, n := range names {
		for _, u := range utf16.Encode([]rune(n)) {
			binary.Write(&nm, binary.LittleEndian, u)
		}
		nm.Write([]byte{0, 0})
	}
	h.WriteByte(0x11)
	num(uint64(nm.Len()))
	h.Write(nm.Bytes())
	h.WriteByte(0x00)
	h.WriteByte(0x00)
	hdr := h.Bytes()
	var out bytes.Buffer
	out.Write([]byte("7z\xbc\xaf\x27\x1c\x00\x04"))
	var start [20]byte
	binary.LittleEndian.PutUint64(start[0:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(start[8:], uint64(len(hdr)))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(hdr))
	binary.Write(&out, binary.LittleEndian, crc32.ChecksumIEEE(start[:]))
	out.Write(start[:])
	out.Write(packed)
	out.Write(hdr)
	return out.Bytes()
}

// safetensors builds a file from a header object and data length.
func safetensorsFile(t testing.TB, header string, data int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(make([]byte, data))
	return b.Bytes()
}

// ggufFile builds a GGUF v3 file with string metadata.
func ggufFile(kv [][2]string, tokens int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("GGUF")
	binary.Write(&b, le, uint32(3))
	binary.Write(&b, le, uint64(1)) // tensors
	n := len(kv) + 2
	binary.Write(&b, le, uint64(n))
	wstr := func(s string) {
		binary.Write(&b, le, uint64(len(s)))
		b.WriteString(s)
	}
	for _, p := range kv {
		wstr(p[0])
		binary.Write(&b, le, uint32(8))
		wstr(p[1])
	}
	wstr("llama.context_length")
	binary.Write(&b, le, uint32(4))
	binary.Write(&b, le, uint32(4096))
	wstr("tokenizer.ggml.tokens")
	binary.Write(&b, le, uint32(9))
	binary.Write(&b, le, uint32(8))
	binary.Write(&b, le, uint64(tokens))
	for i := 0; i < tokens; i++ {
		wstr("tok")
	}
	// tensor info + data would follow; not read.
	b.Write(make([]byte, 64))
	return b.Bytes()
}

// protobuf encoding helpers for ONNX fixtures.
func pbVarint(v uint64) []byte {
	var out []byte
	for v >= 0x80 {
		out = append(out, byte(v)|0x80)
		v >>= 7
	}
	return append(out, byte(v))
}
func pbField(num int, payload []byte) []byte {
	out := pbVarint(uint64(num<<3 | 2))
	out = append(out, pbVarint(uint64(len(payload)))...)
	return append(out, payload...)
}
func pbInt(num int, v uint64) []byte { return append(pbVarint(uint64(num<<3)), pbVarint(v)...) }
func cat(bs ...[]byte) []byte        { return bytes.Join(bs, nil) }

// onnxModel builds a ModelProto with one node (domain), one initializer
// (optionally external with location) and opset imports.
func onnxModel(nodeDomain, location string, opsets ...string) []byte {
	node := cat(pbField(1, []byte("x")), pbField(2, []byte("y")), pbField(4, []byte("Relu")))
	if nodeDomain != "" {
		node = cat(node, pbField(7, []byte(nodeDomain)))
	}
	tensor := cat(pbInt(1, 2), pbInt(2, 1), pbField(8, []byte("w")))
	if location != "" {
		tensor = cat(tensor, pbField(13, cat(pbField(1, []byte("location")), pbField(2, []byte(location)))), pbInt(14, 1))
	} else {
		tensor = cat(tensor, pbField(9, make([]byte, 8)))
	}
	graph := cat(pbField(1, node), pbField(2, []byte("main_graph")), pbField(5, tensor))
	m := cat(pbInt(1, 8), pbField(2, []byte("pytorch")), pbField(3, []byte("2.3")), pbField(7, graph))
	for _, d := range opsets {
		m = cat(m, pbField(8, cat(pbField(1, []byte(d)), pbInt(2, 17))))
	}
	return m
}

func kerasZip(t testing.TB, cfg any) []byte {
	c, _ := json.Marshal(cfg)
	return buildZip(t,
		zmember{name: "metadata.json", data: []byte(`{"keras_version": "3.3.3", "date_saved": "2024-05-01"}`)},
		zmember{name: "config.json", data: c},
		zmember{name: "model.weights.h5", data: []byte("\x89HDF\r\n\x1a\n")},
	)
}

func npyFile(descr, shape string, body []byte) []byte {
	hdr := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	b.Write(body)
	return b.Bytes()
}
