package modelscan

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-dev/assay/internal/core"
)

var fuzzNames = []string{"m.pkl", "m.pt", "m.zip", "m.7z", "m.gz", "m.tar", "m.onnx", "m.h5", "m.gguf", "m.safetensors", "m.npy", "m.npz", "m.keras", "m.joblib", "m.bin"}

// fuzzScan runs the whole scanner on data saved under name; it must never
// panic, and every error must name the file.
func fuzzScan(t *testing.T, dir, name string, data []byte) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Skip(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	head := data
	if len(head) > core.HeadSize {
		head = head[:core.HeadSize]
	}
	fi := core.FileInfo{Path: name, Size: int64(len(data)), Head: head}
	s := New(Options{})
	if !s.FileRequired(fi) {
		return
	}
	res, err := s.Scan(context.Background(), &core.Input{FileInfo: fi, AbsPath: p, File: f})
	if err != nil {
		return
	}
	for _, e := range res.Errors {
		if e.Path != name || e.Reason == "" {
			t.Fatalf("error without file/reason: %+v", e)
		}
	}
	for _, fd := range res.Findings {
		if fd.Location.Path != name || fd.RuleID == "" {
			t.Fatalf("finding without location: %+v", fd)
		}
	}
}

func seedPickles(f *testing.F) {
	files, _ := filepath.Glob("testdata/pickles/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, uint8(0))
		}
	}
}

// FuzzScan feeds arbitrary bytes under every model file name.
func FuzzScan(f *testing.F) {
	seedPickles(f)
	f.Add(torchZip(f, stateDictPickle()), uint8(1))
	f.Add(sevenZip([]string{"archive/data.pkl"}, [][]byte{stateDictPickle()}), uint8(3))
	f.Add(gz(stateDictPickle()), uint8(4))
	f.Add(onnxModel("x.y", "../w"), uint8(6))
	f.Add(ggufFile([][2]string{{"tokenizer.chat_template", "{{ x }}"}}, 3), uint8(8))
	f.Add(safetensorsFile(f, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), uint8(9))
	f.Add(npyFile("|O", "(1,)", stateDictPickle()), uint8(10))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		fuzzScan(t, dir, fuzzNames[int(which)%len(fuzzNames)], data)
	})
}

// FuzzZip targets the zip container paths (torch, keras, npz, plain).
func FuzzZip(f *testing.F) {
	f.Add(torchZip(f, stateDictPickle()))
	f.Add(kerasZip(f, map[string]any{"class_name": "Sequential", "config": map[string]any{"layers": []any{}}}))
	f.Add(buildZip(f, zmember{name: "x.npy", data: npyFile("<f4", "(1,)", make([]byte, 4))}))
	f.Add(buildZip(f, zmember{name: "../a.pkl", data: stateDictPickle(), method: 8}))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, dir, "m.zip", data) })
}

// FuzzTar targets tar handling (legacy torch tar and model tarballs).
func FuzzTar(f *testing.F) {
	f.Add(buildTar(f, []tar.Header{{Name: "sys_info"}, {Name: "pickle"}, {Name: "storages"}},
		[][]byte{(&pk{}).proto(2).op('}', '.').Bytes(), stateDictPickle(), (&pk{}).proto(2).op('K', 0, '.').Bytes()}))
	f.Add(buildTar(f, []tar.Header{{Name: "m.pkl"}, {Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/x"}}, [][]byte{stateDictPickle(), nil}))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) { fuzzScan(t, dir, "m.tar", data) })
}

// FuzzSafetensors checks the header validator.
func FuzzSafetensors(f *testing.F) {
	f.Add(safetensorsFile(f, `{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}}`, 8))
	f.Add(safetensorsFile(f, `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12))
	f.Add(safetensorsFile(f, `{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseSafetensors(bytes.NewReader(data), int64(len(data)))
		if err == nil && h == nil {
			t.Fatal("nil header without error")
		}
	})
}

// FuzzGGUF checks the GGUF header/metadata reader.
func FuzzGGUF(f *testing.F) {
	f.Add(ggufFile([][2]string{{"general.architecture", "llama"}, {"tokenizer.chat_template", "{{ '__class__' }}"}}, 5))
	f.Add(ggufFile(nil, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, _ := ParseGGUF(bufio.NewReader(bytes.NewReader(data)))
		if info != nil {
			for k, s := range info.Strings {
				if len(s) > maxGGUFKeep || len(k) > 1<<16+32 {
					t.Fatalf("kept %d bytes", len(s))
				}
				CheckTemplate(s)
			}
		}
	})
}

// FuzzONNX checks the protobuf walker.
func FuzzONNX(f *testing.F) {
	f.Add(onnxModel("", "weights.bin", "", "ai.onnx.ml"))
	f.Add(onnxModel("com.evil", "../../etc/passwd", "com.evil"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseONNX(bytes.NewReader(data), int64(len(data)))
	})
}

// FuzzHDF5 checks the Keras config search used for HDF5 files.
func FuzzHDF5(f *testing.F) {
	f.Add([]byte(`\x89HDF\r\n\x1a\n model_config {"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"function": ["4wE=", null, null]}}]}}`))
	f.Add([]byte(`{"class_name": "Model", "module": "evil", "config": {"name": "x"}} {"loss": "mse"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range jsonStarts(data) {
			obj, end := extractJSON(data, s)
			if obj != nil && (end > len(data) || end <= s) {
				t.Fatalf("bad extent %d..%d", s, end)
			}
			var v any
			if json.Unmarshal(obj, &v) == nil {
				analyzeKerasConfig(v)
			}
		}
	})
}

// FuzzNpyHeader checks the .npy header parser.
func FuzzNpyHeader(f *testing.F) {
	f.Add(npyFile("<f4", "(2, 3)", nil))
	f.Add(npyFile("|O", "()", nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = readNpyHeader(bufio.NewReader(bytes.NewReader(data)))
	})
}
