package modelscan

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

// scanBytes writes data to dir/name and runs the scanner on it.
func scanBytes(t testing.TB, name string, data []byte) core.Result {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return scanPath(t, dir, name)
}

func scanPath(t testing.TB, dir, name string) core.Result {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	head := make([]byte, core.HeadSize)
	n, _ := f.ReadAt(head, 0)
	s := New(Options{})
	fi := core.FileInfo{Path: name, Size: st.Size(), Head: head[:n]}
	if !s.FileRequired(fi) {
		return core.Result{}
	}
	res, err := s.Scan(context.Background(), &core.Input{FileInfo: fi, AbsPath: p, File: f})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res
}

// ruleIDs lists "RULE member@offset" for findings, sorted.
func ruleIDs(res core.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.RuleID)
	}
	sort.Strings(out)
	return out
}

func has(res core.Result, rule string) bool {
	for _, f := range res.Findings {
		if f.RuleID == rule {
			return true
		}
	}
	return false
}

func findingOf(t *testing.T, res core.Result, rule string) core.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.RuleID == rule {
			return f
		}
	}
	t.Fatalf("no %s finding in %v", rule, ruleIDs(res))
	return core.Finding{}
}

func fixture(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "pickles", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every dangerous import family is caught in a raw pickle, a PyTorch zip and a
// gzip-wrapped pickle.
func TestDangerousFamilies(t *testing.T) {
	families := [][2]string{
		{"os", "system"}, {"posix", "system"}, {"nt", "system"}, {"subprocess", "Popen"}, {"builtins", "eval"},
		{"builtins", "exec"}, {"builtins", "compile"}, {"builtins", "open"}, {"builtins", "getattr"},
		{"builtins", "__import__"}, {"__builtin__", "execfile"}, {"runpy", "run_path"}, {"importlib", "import_module"},
		{"socket", "create_connection"}, {"webbrowser", "open"}, {"pty", "spawn"}, {"shutil", "rmtree"},
		{"sys", "exit"}, {"code", "InteractiveInterpreter"}, {"marshal", "loads"}, {"types", "CodeType"},
		{"pickle", "loads"}, {"_pickle", "loads"}, {"dill", "loads"}, {"operator", "attrgetter"},
		{"operator", "methodcaller"}, {"functools", "partial"}, {"torch.hub", "load"}, {"torch", "load"},
		{"torch.jit", "load"}, {"torch.fx.graph_module", "_forward_from_src"}, {"mlflow.pyfunc", "load_model"},
		{"pandas.io.pickle", "read_pickle"}, {"pandas", "read_csv"}, {"numpy", "load"},
		{"numpy.testing._private.utils", "runstring"}, {"ctypes", "CDLL"}, {"requests", "get"},
		{"urllib.request", "urlopen"}, {"asyncio", "create_subprocess_shell"}, {"timeit", "timeit"},
		{"cProfile", "run"}, {"pdb", "run"}, {"joblib", "load"}, {"__main__", "__builtins__"},
	}
	for _, fam := range families {
		pkl := callPickle(fam[0], fam[1], "payload")
		for _, c := range []struct {
			name string
			data []byte
		}{{"m.pkl", pkl}, {"m.pt", torchZip(t, pkl)}, {"m.pkl.gz", gz(pkl)}} {
			res := scanBytes(t, c.name, c.data)
			if !has(res, "ASSAY-MDL-002") {
				t.Errorf("%s.%s in %s: no ASSAY-MDL-002 (got %v, errors %v)", fam[0], fam[1], c.name, ruleIDs(res), res.Errors)
			}
		}
	}
}

// Benign twins: real-shaped PyTorch, numpy/sklearn and joblib pickles yield
// only the informational pickle-format finding.
func TestBenignPicklesAreQuiet(t *testing.T) {
	cases := map[string][]byte{
		"state_dict.pkl": stateDictPickle(),
		"model.pt":       torchZip(t, stateDictPickle()),
		"fixture_sd.pt":  torchZip(t, fixture(t, "torch_state_dict.pkl")),
		"joblib.joblib":  fixture(t, "joblib_estimator.pkl"),
	}
	for p := 0; p <= 5; p++ {
		cases[fmt.Sprintf("sk%d.pkl", p)] = fixture(t, fmt.Sprintf("sklearn_pipeline_p%d.pkl", p))
	}
	for name, data := range cases {
		res := scanBytes(t, name, data)
		if diff := cmp.Diff([]string{"ASSAY-MDL-001"}, ruleIDs(res)); diff != "" {
			t.Errorf("%s: (-want +got)\n%s\n%v", name, diff, res.Findings)
		}
		if len(res.Errors) != 0 || len(res.Components) != 1 {
			t.Errorf("%s: errors %v components %d", name, res.Errors, len(res.Components))
		}
	}
}

func TestPickleFormatInfoAndSafeTwin(t *testing.T) {
	res := scanBytes(t, "state.pkl", stateDictPickle())
	f := findingOf(t, res, "ASSAY-MDL-001")
	if f.Severity != core.SeverityInfo || !strings.Contains(f.Fix, "safetensors") {
		t.Errorf("MDL-001 = %+v", f)
	}
	c := res.Components[0]
	if c.Kind != core.KindModel || c.ML.Framework != "pytorch" || c.Properties[core.PropFormat] != "pickle" || len(c.Hashes) != 1 || c.Properties["size"] == "" {
		t.Errorf("component = %+v", c)
	}
	st := safetensorsFile(t, `{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}`, 8)
	if res := scanBytes(t, "m.safetensors", st); len(res.Findings) != 0 || res.Components[0].ML.Framework != "pytorch" {
		t.Errorf("safetensors: %v %+v", res.Findings, res.Components)
	}
}

func TestUnknownImport(t *testing.T) {
	res := scanBytes(t, "full.pkl", fixture(t, "torch_full_model.pkl"))
	f := findingOf(t, res, "ASSAY-MDL-003")
	if !strings.Contains(f.Evidence, "__main__.Net") || f.Location.Offset == 0 {
		t.Errorf("MDL-003 = %+v", f)
	}
	if has(res, "ASSAY-MDL-002") {
		t.Errorf("unexpected MDL-002: %v", res.Findings)
	}
	if has(scanBytes(t, "sd.pkl", fixture(t, "torch_state_dict.pkl")), "ASSAY-MDL-003") {
		t.Errorf("benign state dict reported as unknown import")
	}
}

// The nullifAI tricks: payload then a broken stream; PyTorch layout in 7z.
func TestNullifAI(t *testing.T) {
	res := scanBytes(t, "m.pkl", fixture(t, "evil_nullifai_broken.pkl"))
	if !has(res, "ASSAY-MDL-002") || !has(res, "ASSAY-MDL-004") {
		t.Fatalf("broken-after-payload: %v", ruleIDs(res))
	}
	if f := findingOf(t, res, "ASSAY-MDL-004"); f.Severity != core.SeverityHigh || !strings.Contains(f.Message, "already called dangerous code") {
		t.Errorf("MDL-004 = %+v", f)
	}
	// Benign twin: the intact malicious stream is not "broken"; a truncated
	// benign stream is.
	if has(scanBytes(t, "m.pkl", fixture(t, "evil_system_p2.pkl")), "ASSAY-MDL-004") {
		t.Errorf("intact stream reported as broken")
	}
	sd := stateDictPickle()
	res = scanBytes(t, "m.pkl", sd[:len(sd)-20])
	if !has(res, "ASSAY-MDL-004") || has(res, "ASSAY-MDL-002") {
		t.Errorf("truncated benign: %v", ruleIDs(res))
	}

	evil := callPickle("os", "system", "id")
	res = scanBytes(t, "model.7z", sevenZip([]string{"archive/data.pkl", "archive/data/0", "archive/version"}, [][]byte{evil, make([]byte, 16), []byte("3\n")}))
	if !has(res, "ASSAY-MDL-002") || !has(res, "ASSAY-MDL-015") {
		t.Fatalf("7z torch: %v %v", ruleIDs(res), res.Errors)
	}
	f := findingOf(t, res, "ASSAY-MDL-002")
	if f.Location.Member != "archive/data.pkl" {
		t.Errorf("member = %q", f.Location.Member)
	}
	if res.Components[0].Properties["container"] != "7z" {
		t.Errorf("component = %+v", res.Components[0])
	}
	// Benign twin: the same layout as a normal zip has no container finding.
	if has(scanBytes(t, "model.pt", torchZip(t, stateDictPickle())), "ASSAY-MDL-015") {
		t.Errorf("normal torch zip flagged as wrapped")
	}
	// A 7z of text files is nobody's business.
	if res := scanBytes(t, "docs.7z", sevenZip([]string{"a.txt"}, [][]byte{[]byte("hello")})); len(res.Findings)+len(res.Components)+len(res.Errors) != 0 {
		t.Errorf("plain 7z: %+v", res)
	}
}

func TestEvasionTricks(t *testing.T) {
	// STACK_GLOBAL from memoized strings, fetched back with BINGET.
	p := &pk{}
	p.proto(4).sbu("os").op(0x94, '0').sbu("system").op(0x94, '0').op('h', 0, 'h', 1, 0x93).sbu("id").op(0x85, 'R', '.')
	if res := scanBytes(t, "a.pkl", p.Bytes()); !has(res, "ASSAY-MDL-002") {
		t.Errorf("memo STACK_GLOBAL: %v", ruleIDs(res))
	}
	// getattr chain reaching a method from a safe class.
	p = &pk{}
	p.proto(2).global("builtins", "getattr").global("collections", "OrderedDict").str("fromkeys").op(0x86, 'R', '.')
	if res := scanBytes(t, "b.pkl", p.Bytes()); !has(res, "ASSAY-MDL-002") {
		t.Errorf("getattr chain: %v", ruleIDs(res))
	}
	// __builtins__ indirection.
	p = &pk{}
	p.proto(2).global("__main__", "__builtins__").op('.')
	if res := scanBytes(t, "c.pkl", p.Bytes()); !has(res, "ASSAY-MDL-002") {
		t.Errorf("__builtins__: %v", ruleIDs(res))
	}
	// Computed import target.
	p = &pk{}
	p.proto(4).sbu("builtins").sbu("str").op(0x93).sbu("os").op(0x85, 'R').sbu("system").op(0x93, '.')
	if res := scanBytes(t, "d.pkl", p.Bytes()); !has(res, "ASSAY-MDL-002") {
		t.Errorf("computed STACK_GLOBAL: %v", ruleIDs(res))
	}
	// Second pickle in the stream (joblib/legacy torch read several).
	two := append(stateDictPickle(), callPickle("subprocess", "check_output", "id")...)
	if res := scanBytes(t, "e.pkl", two); !has(res, "ASSAY-MDL-002") {
		t.Errorf("second stream: %v", ruleIDs(res))
	}
	// Hidden as a .pkl member of a plain zip next to README.
	z := buildZip(t, zmember{name: "README.md", data: []byte("# model")}, zmember{name: "weights/model.pkl", data: callPickle("os", "system", "x")})
	res := scanBytes(t, "bundle.zip", z)
	if f := findingOf(t, res, "ASSAY-MDL-002"); f.Location.Member != "weights/model.pkl" {
		t.Errorf("member = %q", f.Location.Member)
	}
	if len(res.Components) != 1 || res.Components[0].Name != "bundle.zip!weights/model.pkl" {
		t.Errorf("components = %+v", res.Components)
	}
	// bz2 / xz wrapped (committed fixtures: Go has no bzip2 writer). Pandas,
	// joblib and networkx read compressed pickles natively: analysed, but not
	// flagged as an unusual container.
	for _, n := range []string{"evil_system.pkl.bz2", "evil_system.pkl.xz"} {
		res := scanBytes(t, n, fixture(t, n))
		if !has(res, "ASSAY-MDL-002") || has(res, "ASSAY-MDL-015") {
			t.Errorf("%s: %v", n, ruleIDs(res))
		}
	}
	// A PyTorch archive that must be gunzipped before torch.load is.
	res = scanBytes(t, "model.pt.gz", gz(torchZip(t, callPickle("os", "system", "id"))))
	if !has(res, "ASSAY-MDL-002") || !has(res, "ASSAY-MDL-015") || res.Components[0].Properties["container"] != "gzip" {
		t.Errorf("gzipped torch zip: %v %+v", ruleIDs(res), res.Components)
	}
	// Every protocol.
	for i := 0; i <= 5; i++ {
		if res := scanBytes(t, "p.pkl", fixture(t, fmt.Sprintf("evil_system_p%d.pkl", i))); !has(res, "ASSAY-MDL-002") {
			t.Errorf("protocol %d: %v", i, ruleIDs(res))
		}
	}
}

func TestOrdinaryContainersYieldNothing(t *testing.T) {
	cases := map[string][]byte{
		"docs.zip":    buildZip(t, zmember{name: "a.txt", data: []byte("hi")}, zmember{name: "../evil.txt", data: []byte("x")}),
		"site.jar":    buildZip(t, zmember{name: "META-INF/MANIFEST.MF", data: []byte("x")}),
		"data.csv.gz": gz([]byte("a,b\n1,2\n")),
		"src.tar":     buildTar(t, []tar.Header{{Name: "a.py"}}, [][]byte{[]byte("print(1)")}),
		"notes.bin":   []byte("just some bytes"),
		"site.pth":    []byte("import _virtualenv\n"),
		"tests.7z":    []byte("7z\xbc\xaf\x27\x1c\x00\x04garbage-garbage-garbage-garbage"),
		"wheel.whl":   buildZip(t, zmember{name: "pkg/x.pth", data: []byte("import os; os.system('x')\n")}, zmember{name: "pkg/hidden.txt", data: callPickle("os", "system", "x")}),
	}
	for name, data := range cases {
		res := scanBytes(t, name, data)
		if len(res.Findings)+len(res.Components)+len(res.Errors) != 0 {
			t.Errorf("%s: %+v", name, res)
		}
	}
}

func TestTorchZipReadsOnlyPickles(t *testing.T) {
	// The tensor member is a corrupt deflate stream: reading it would fail.
	z := buildZip(t,
		zmember{name: "archive/data.pkl", data: stateDictPickle()},
		zmember{name: "archive/data/0", data: bytes.Repeat([]byte{1}, 4096), method: 8},
	)
	i := bytes.Index(z, []byte("archive/data/0")) + len("archive/data/0")
	for j := i; j < i+10; j++ {
		z[j] ^= 0xff // corrupt the compressed payload after the local header
	}
	res := scanBytes(t, "m.pt", z)
	if len(res.Errors) != 0 || len(res.Components) != 1 || res.Components[0].Properties[core.PropFormat] != "pytorch" {
		t.Errorf("errors %v components %+v", res.Errors, res.Components)
	}
}

func TestLegacyTorch(t *testing.T) {
	// Non-zip torch.save: magic, protocol, sys_info, object, storage keys, raw data.
	p := &pk{}
	p.proto(2).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.')
	p.proto(2).op('M', 0xe9, 0x03, '.')
	p.proto(2).op('}', '.')
	p.Write(stateDictPickle())
	p.proto(2).op(']').str("0").op('a', '.')
	p.op(6, 0, 0, 0, 0, 0, 0, 0).Write(bytes.Repeat([]byte("cos\nsystem\n"), 3)) // raw floats
	res := scanBytes(t, "old.pth", p.Bytes())
	if diff := cmp.Diff([]string{"ASSAY-MDL-001"}, ruleIDs(res)); diff != "" || res.Components[0].Properties[core.PropFormat] != "pytorch-legacy" {
		t.Errorf("(-want +got)\n%s %+v", diff, res.Components)
	}
	// Legacy tar layout with a payload in the "pickle" member and storages
	// interleaving records with raw data.
	st := &pk{}
	st.proto(2).op('K', 1, '.')
	st.proto(2).op('(').str("0").str("cpu").global("torch", "FloatStorage").op('t', '.')
	st.op(2, 0, 0, 0, 0, 0, 0, 0).Write(bytes.Repeat([]byte("c"), 8))
	tb := buildTar(t, []tar.Header{{Name: "sys_info"}, {Name: "pickle"}, {Name: "storages"}, {Name: "tensors"}},
		[][]byte{(&pk{}).proto(2).op('}', '.').Bytes(), callPickle("os", "system", "x"), st.Bytes(), (&pk{}).proto(2).op('K', 0, '.').Bytes()})
	res = scanBytes(t, "old.tar", tb)
	if !has(res, "ASSAY-MDL-002") || has(res, "ASSAY-MDL-003") || has(res, "ASSAY-MDL-004") || res.Components[0].Properties[core.PropFormat] != "pytorch-tar" {
		t.Errorf("legacy tar: %v %v %+v", ruleIDs(res), res.Errors, res.Components)
	}
}

func TestArchiveTraversalAndBomb(t *testing.T) {
	z := buildZip(t, zmember{name: "archive/data.pkl", data: stateDictPickle()}, zmember{name: "../../etc/cron.d/x", data: []byte("x")})
	res := scanBytes(t, "m.pt", z)
	if f := findingOf(t, res, "ASSAY-MDL-012"); f.Location.Member != "../../etc/cron.d/x" {
		t.Errorf("MDL-012 = %+v", f)
	}
	tb := buildTar(t, []tar.Header{{Name: "m.pkl"}, {Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}, [][]byte{stateDictPickle(), nil})
	if res := scanBytes(t, "models.tar", tb); !has(res, "ASSAY-MDL-012") {
		t.Errorf("tar symlink: %v", ruleIDs(res))
	}
	// Benign twin.
	if res := scanBytes(t, "m.pt", torchZip(t, stateDictPickle())); has(res, "ASSAY-MDL-012") || has(res, "ASSAY-MDL-013") {
		t.Errorf("benign zip: %v", ruleIDs(res))
	}
	// A member declaring 2 GiB from a few bytes (central directory forged).
	z = buildZip(t, zmember{name: "archive/data.pkl", data: stateDictPickle()}, zmember{name: "archive/data/0", data: bytes.Repeat([]byte{0}, 1000), method: 8})
	forgeUncompressed(t, z, "archive/data/0", 2<<30)
	if res := scanBytes(t, "bomb.pt", z); !has(res, "ASSAY-MDL-013") {
		t.Errorf("bomb: %v %v", ruleIDs(res), res.Errors)
	}
}

func TestCompressedStreamBomb(t *testing.T) {
	old := bombSize
	bombSize = 1 << 20
	defer func() { bombSize = old }()
	body := append([]byte("\x80\x02"), bytes.Repeat([]byte("N0"), 2<<20)...)
	res := scanBytes(t, "huge.pkl.gz", gz(append(body, '.')))
	if !has(res, "ASSAY-MDL-013") {
		t.Errorf("gzip bomb: %v %v", ruleIDs(res), res.Errors)
	}
	// Benign twin: the same stream below the size bound.
	small := append(append([]byte("\x80\x02"), bytes.Repeat([]byte("N0"), 1000)...), '.')
	if res := scanBytes(t, "small.pkl.gz", gz(small)); has(res, "ASSAY-MDL-013") {
		t.Errorf("small stream flagged: %v", ruleIDs(res))
	}
}

// forgeUncompressed rewrites the uncompressed size of member in the central
// directory.
func forgeUncompressed(t *testing.T, z []byte, member string, size uint32) {
	i := bytes.LastIndex(z, append([]byte("PK\x01\x02"), []byte{}...))
	for i >= 0 {
		nameLen := int(z[i+28]) | int(z[i+29])<<8
		if string(z[i+46:i+46+nameLen]) == member {
			z[i+24], z[i+25], z[i+26], z[i+27] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
			return
		}
		i = bytes.LastIndex(z[:i], []byte("PK\x01\x02"))
	}
	t.Fatalf("member %s not found", member)
}

func TestSafetensors(t *testing.T) {
	good := `{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]}}`
	if res := scanBytes(t, "ok.safetensors", safetensorsFile(t, good+"   ", 16)); len(res.Findings) != 0 || res.Components[0].ML.Parameters["parameters"] != "8" {
		t.Errorf("benign: %v %+v", res.Findings, res.Components)
	}
	bad := map[string]struct {
		hdr  string
		data int
		want string
	}{
		"overlap":   {`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12, "overlaps"},
		"hole":      {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8, "hole"},
		"trailing":  {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 100, "after the last tensor"},
		"dtype":     {`{"a":{"dtype":"PICKLE","shape":[1],"data_offsets":[0,4]}}`, 4, "unknown dtype"},
		"dupkey":    {`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4, "duplicate key"},
		"range":     {`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 4, "past the"},
		"size":      {`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}`, 8, "needs 16 bytes"},
		"json":      {`{"a":{"dtype":"F32",`, 0, "not valid JSON"},
		"metadata":  {`{"__metadata__":{"x":1}}`, 0, "string-to-string"},
		"negative":  {`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4, "invalid shape"},
		"notobject": {`{"a":[1,2]}`, 0, "malformed entry"},
	}
	for name, c := range bad {
		res := scanBytes(t, "x.safetensors", safetensorsFile(t, c.hdr, c.data))
		f := findingOf(t, res, "ASSAY-MDL-011")
		if !strings.Contains(f.Message, c.want) {
			t.Errorf("%s: %q does not mention %q", name, f.Message, c.want)
		}
	}
	// Length prefix beyond the file (claimed by extension).
	b := safetensorsFile(t, `{}`, 0)
	b[0], b[5] = 0xff, 0x01
	if res := scanBytes(t, "big.safetensors", b); !has(res, "ASSAY-MDL-011") {
		t.Errorf("huge length: %v %v", ruleIDs(res), res.Errors)
	}
}

func TestGGUF(t *testing.T) {
	benign := `{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`
	res := scanBytes(t, "m.gguf", ggufFile([][2]string{{"general.architecture", "llama"}, {"general.name", "Tiny"}, {"tokenizer.chat_template", benign}}, 1000))
	if len(res.Findings) != 0 || len(res.Errors) != 0 {
		t.Fatalf("benign: %v %v", res.Findings, res.Errors)
	}
	c := res.Components[0]
	if c.ML.Architecture != "llama" || c.ML.Parameters["name"] != "Tiny" || c.ML.Framework != "llama.cpp" {
		t.Errorf("component = %+v", c.ML)
	}
	evil := []string{
		`{{ self.__init__.__globals__.__builtins__.__import__('os').popen('id').read() }}`,
		`{{ cycler|attr('\x5f\x5finit\x5f\x5f') }}`,
		`{% set x = ''.__class__.__mro__[1].__subclasses__() %}`,
		`{{ lipsum['__globals__']['os'].system('id') }}`,
	}
	for _, tpl := range evil {
		res := scanBytes(t, "m.gguf", ggufFile([][2]string{{"general.architecture", "llama"}, {"tokenizer.chat_template", tpl}}, 10))
		f := findingOf(t, res, "ASSAY-MDL-008")
		if f.Location.Offset == 0 || f.Severity != core.SeverityCritical {
			t.Errorf("%q: %+v", tpl, f)
		}
	}
	// Truncated metadata: an Error, the component still recorded.
	full := ggufFile([][2]string{{"general.architecture", "llama"}}, 100)
	res = scanBytes(t, "t.gguf", full[:60])
	if len(res.Errors) == 0 {
		t.Errorf("truncated: no error")
	}
}

func TestONNX(t *testing.T) {
	res := scanBytes(t, "ok.onnx", onnxModel("", "weights.bin", "", "ai.onnx.ml"))
	if len(res.Findings) != 0 || len(res.Errors) != 0 || res.Components[0].ML.Parameters["external_data"] != "1" {
		t.Fatalf("benign: %v %v %+v", res.Findings, res.Errors, res.Components)
	}
	res = scanBytes(t, "bad.onnx", onnxModel("com.evil.ops", "../../../../etc/passwd", "", "com.evil.ops"))
	if f := findingOf(t, res, "ASSAY-MDL-009"); !strings.Contains(f.Evidence, "/etc/passwd") || f.Location.Offset == 0 {
		t.Errorf("MDL-009 = %+v", f)
	}
	if f := findingOf(t, res, "ASSAY-MDL-010"); !strings.Contains(f.Evidence, "com.evil.ops") {
		t.Errorf("MDL-010 = %+v", f)
	}
	if res := scanBytes(t, "abs.onnx", onnxModel("", "/root/.ssh/id_rsa")); !has(res, "ASSAY-MDL-009") {
		t.Errorf("absolute: %v", ruleIDs(res))
	}
	if res := scanBytes(t, "junk.onnx", []byte("this is not protobuf at all")); len(res.Errors) != 1 {
		t.Errorf("junk: %+v", res)
	}
}

func TestKeras(t *testing.T) {
	dense := map[string]any{"class_name": "Dense", "module": "keras.layers", "config": map[string]any{"name": "d", "units": 2}}
	benign := map[string]any{"class_name": "Sequential", "module": "keras", "config": map[string]any{"name": "seq", "layers": []any{dense}}}
	res := scanBytes(t, "m.keras", kerasZip(t, benign))
	if len(res.Findings) != 0 || res.Components[0].ML.Architecture != "Sequential" || res.Components[0].ML.Parameters["keras_version"] != "3.3.3" {
		t.Fatalf("benign: %v %+v", res.Findings, res.Components)
	}
	lambda := map[string]any{"class_name": "Lambda", "module": "keras.layers", "config": map[string]any{"name": "evil",
		"function": map[string]any{"class_name": "__lambda__", "config": map[string]any{"code": "4wEAAAAAAAAAAAAAAAEAAAAFAAAAQwAAAHMOAAAAdABkAYMBoAFkAqEBUwApA07aAm9z2gZzeXN0ZW0pAtoKX19pbXBvcnRfX3IDAAAAKQHaAXipAHIGAAAA+gE8bGFtYmRhPgEAAADzAAAAAA=="}}}}
	custom := map[string]any{"class_name": "Backdoor", "module": "evil_pkg.layers", "config": map[string]any{"name": "bd"}}
	cfg := map[string]any{"class_name": "Sequential", "module": "keras", "config": map[string]any{"name": "seq", "layers": []any{lambda, custom}}}
	res = scanBytes(t, "m.keras", kerasZip(t, cfg))
	if f := findingOf(t, res, "ASSAY-MDL-006"); f.Location.Member != "config.json" {
		t.Errorf("MDL-006 = %+v", f)
	}
	if f := findingOf(t, res, "ASSAY-MDL-007"); !strings.Contains(f.Message, "evil_pkg.layers.Backdoor") {
		t.Errorf("MDL-007 = %+v", f)
	}
	// Legacy HDF5: model_config attribute text inside the file.
	k2 := `{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAAAAAA", null, null], "function_type": "lambda"}}, {"class_name": "Dense", "config": {"name": "d"}}]}}`
	h5 := append([]byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00keras_version\x00model_config\x00"), k2...)
	h5 = append(h5, make([]byte, 100)...)
	res = scanBytes(t, "m.h5", h5)
	if !has(res, "ASSAY-MDL-006") || res.Components[0].Properties[core.PropFormat] != "keras-hdf5" {
		t.Errorf("h5 lambda: %v %+v", ruleIDs(res), res.Components)
	}
	k2ok := strings.Replace(strings.Replace(k2, `"Lambda"`, `"Dropout"`, 1), `"function": ["4wEAAAAAAAAA", null, null], "function_type": "lambda"`, `"rate": 0.5`, 1)
	h5 = append([]byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00keras_version\x00model_config\x00"), k2ok...)
	if res := scanBytes(t, "m.h5", h5); len(res.Findings) != 0 {
		t.Errorf("h5 benign: %v", res.Findings)
	}
	// An HDF5 data file that is not a model: nothing.
	if res := scanBytes(t, "data.nc", []byte("\x89HDF\r\n\x1a\n\x00\x00 netcdf stuff")); len(res.Components)+len(res.Findings) != 0 {
		t.Errorf("netcdf: %+v", res)
	}
}

func TestNumpy(t *testing.T) {
	if res := scanBytes(t, "a.npy", npyFile("<f4", "(2,)", make([]byte, 8))); len(res.Findings) != 0 || res.Components[0].ML.Parameters["dtype"] != "<f4" {
		t.Errorf("benign npy: %v %+v", res.Findings, res.Components)
	}
	obj := npyFile("|O", "(1,)", callPickle("os", "system", "id"))
	res := scanBytes(t, "o.npy", obj)
	if !has(res, "ASSAY-MDL-014") || !has(res, "ASSAY-MDL-002") {
		t.Fatalf("object npy: %v", ruleIDs(res))
	}
	if f := findingOf(t, res, "ASSAY-MDL-002"); f.Location.Offset < 64 {
		t.Errorf("offset %d should point past the header", f.Location.Offset)
	}
	z := buildZip(t, zmember{name: "x.npy", data: npyFile("<i8", "(1,)", make([]byte, 8))}, zmember{name: "y.npy", data: obj})
	res = scanBytes(t, "arrays.npz", z)
	if f := findingOf(t, res, "ASSAY-MDL-014"); f.Location.Member != "y.npy" || res.Components[0].Properties[core.PropFormat] != "npz" {
		t.Errorf("npz: %+v %+v", f, res.Components)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	cases := map[string][]byte{
		"trunc.pt":         torchZip(t, stateDictPickle())[:100],
		"garbage.pkl":      []byte("\x00\x01\x02 definitely not a pickle"),
		"trunc.gguf":       []byte("GGUF\x03\x00\x00\x00\x01"),
		"v9.gguf":          []byte("GGUF\x09\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"),
		"trunc.npy":        []byte("\x93NUMPY\x01\x00\xff\xff{'descr'"),
		"deep.pkl.gz":      gz(gz(gz(gz(gz(stateDictPickle()))))),
		"corrupt7z.pt":     []byte("7z\xbc\xaf\x27\x1c\x00\x04garbage-garbage-garbage-garbage"),
		"half.safetensors": safetensorsFile(t, `{"a":1}`, 0)[:12],
	}
	for name, data := range cases {
		res := scanBytes(t, name, data)
		if len(res.Errors)+len(res.Findings) == 0 {
			t.Errorf("%s: no error or finding: %+v", name, res)
		}
		for _, e := range res.Errors {
			if e.Path != name || e.Reason == "" {
				t.Errorf("%s: error %+v", name, e)
			}
		}
	}
}

func TestPinAnalyzer(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/a.pt", torchZip(t, stateDictPickle()))
	write("models/b.safetensors", safetensorsFile(t, `{}`, 0))
	write("models/c.gguf", ggufFile(nil, 1))
	write("models/d.onnx", onnxModel("", ""))
	rep := core.NewReport(dir)
	rep.Root = dir
	for _, n := range []string{"models/a.pt", "models/b.safetensors", "models/c.gguf", "models/d.onnx"} {
		rep.Add(scanPath(t, dir, n))
	}
	// a.pt: pinned by sha256 in a manifest; b: DVC; c: signature verified; d: not pinned.
	var shaA string
	for i, c := range rep.Components {
		switch c.Name {
		case "models/a.pt":
			shaA = c.Hashes[0].Value
		case "models/c.gguf":
			rep.Components[i].Properties[core.PropSignature] = "verified"
		}
	}
	write("MANIFEST.sha256", []byte(strings.ToUpper(shaA)+"  models/a.pt\n"))
	write("models/b.safetensors.dvc", []byte("outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 8\n  path: b.safetensors\n"))
	before := len(rep.Findings)
	if err := (PinAnalyzer{}).Analyze(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings[before:] {
		got = append(got, f.RuleID+" "+f.Location.Path)
	}
	if diff := cmp.Diff([]string{"ASSAY-MDL-005 models/d.onnx"}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestHashLimit(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "m.safetensors"), safetensorsFile(t, `{"a":{"dtype":"U8","shape":[100],"data_offsets":[0,100]}}`, 100), 0o644)
	f, _ := os.Open(filepath.Join(dir, "m.safetensors"))
	defer f.Close()
	st, _ := f.Stat()
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	res, _ := New(Options{HashLimit: 50}).Scan(context.Background(), &core.Input{FileInfo: core.FileInfo{Path: "m.safetensors", Size: st.Size(), Head: head[:n]}, File: f})
	c := res.Components[0]
	if len(c.Hashes) != 0 || !strings.HasPrefix(c.Properties["sha256"], "not computed: file larger than 50") {
		t.Errorf("component = %+v", c)
	}
}

func TestRulesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || !strings.HasPrefix(r.ID, "ASSAY-MDL-") || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category != "model" {
			t.Errorf("rule %+v", r)
		}
		seen[r.ID] = true
	}
	for i := 1; i <= 15; i++ {
		if !seen[fmt.Sprintf("ASSAY-MDL-%03d", i)] {
			t.Errorf("missing ASSAY-MDL-%03d", i)
		}
	}
	// Findings serialise with the rule's fields.
	b, _ := json.Marshal(RuleDangerousImport.New(core.Location{Path: "x"}, "m", "e"))
	if !strings.Contains(string(b), `"severity":"critical"`) {
		t.Errorf("%s", b)
	}
}
