// Package pickle walks Python pickle streams (protocols 0–5) opcode by opcode
// with a simulated stack and memo, WITHOUT ever unpickling them. It records
// every callable a stream imports (GLOBAL, INST, STACK_GLOBAL, EXT1/2/4) and
// every call it makes (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST, BUILD), and keeps
// what it saw when a stream breaks: a stream that imported os.system and then
// fails to parse is still reported with os.system.
//
// Bounds (Limits, defaults in DefaultLimits):
//   - MaxOps opcodes per input (20,000,000);
//   - MaxStack simulated stack entries (262,144) and MaxMarks marks (65,536);
//   - MaxMemo memo entries (1,048,576); GETs of entries dropped past the bound
//     yield a "lost" value, never a false dynamic-import verdict;
//   - strings: at most KeepString bytes (256) of each string are retained;
//     longer payloads (tensor bytes, numpy buffers) are skipped, never buffered;
//     text-protocol lines are at most MaxLine bytes (65,536);
//   - containers keep at most KeepItems children (16); nesting of retained
//     values is cut at depth 6;
//   - MaxStreams pickles per multi-pickle input (1,024) and MaxImports recorded
//     imports/calls (10,000 each).
//
// Live memory is therefore bounded by (MaxStack+MaxMemo) values of ≤ 64 bytes
// plus ≤ KeepItems children and ≤ KeepString bytes each; in practice it is a
// few kilobytes to a few megabytes for real checkpoints.
package pickle

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Limits bound the work and memory one Walk may use.
type Limits struct {
	MaxOps     int64
	MaxStack   int
	MaxMarks   int
	MaxMemo    int
	KeepString int
	MaxLine    int
	KeepItems  int
	MaxStreams int
	MaxImports int
}

// DefaultLimits are the bounds used when a zero Limits is passed.
var DefaultLimits = Limits{
	MaxOps:     20_000_000,
	MaxStack:   1 << 18,
	MaxMarks:   1 << 16,
	MaxMemo:    1 << 20,
	KeepString: 256,
	MaxLine:    1 << 16,
	KeepItems:  16,
	MaxStreams: 1024,
	MaxImports: 10_000,
}

const maxRetainDepth = 6

// Kind is the kind of a simulated stack value.
type Kind uint8

// Value kinds.
const (
	KOther   Kind = iota // anything not tracked precisely
	KMark                // a MARK on the stack
	KStr                 // str/bytes (S holds at most KeepString bytes)
	KInt                 // int/bool (N)
	KFloat               // float
	KNone                // None
	KGlobal              // an imported callable (S = "module.name")
	KCall                // result of a call (Sub[0] callable, Sub[1] args)
	KTuple               // tuple (Sub)
	KList                // list (Sub)
	KDict                // dict (Sub = k0, v0, k1, v1 ...)
	KSet                 // set/frozenset
	KLost                // value dropped because a bound was reached
	KPersist             // persistent id load result
)

// Value is a simulated stack value.
type Value struct {
	K    Kind
	Trun bool   // S was clipped / container items were dropped
	D    uint8  // nesting depth of retained children
	S    string // string content, global name, or int literal
	N    int64  // int value; container item count
	Sub  []Value
}

// Class is the verdict for one imported callable.
type Class uint8

// Classes, from harmless to dangerous.
const (
	Safe Class = iota
	Unknown
	Dangerous
)

func (c Class) String() string {
	switch c {
	case Safe:
		return "safe"
	case Unknown:
		return "unknown"
	default:
		return "dangerous"
	}
}

// Import is one callable a stream imports.
type Import struct {
	Offset int64  // offset of the opcode in the input
	Op     string // GLOBAL, INST, STACK_GLOBAL, EXT
	Module string
	Name   string
	Class  Class
	Reason string // why it is dangerous/unknown
}

// Qualified returns module.name.
func (im Import) Qualified() string {
	if im.Module == "" {
		return im.Name
	}
	return im.Module + "." + im.Name
}

// Call is one call a stream makes.
type Call struct {
	Offset   int64
	Op       string // REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST, BUILD
	Callable string // module.name, or "?" when not statically known
	Args     string // rendered arguments (clipped)
	Class    Class
	Reason   string
}

// Break describes where and why a stream stopped parsing.
type Break struct {
	Offset int64
	Stream int // 0-based index of the pickle in the input
	Reason string
	// AfterContent is true when the broken stream had already executed at
	// least one opcode (a broken stream, not "not a pickle").
	AfterContent bool
	// Ours is true when the break is a limitation of the walker (an
	// unsupported joblib array layout), not malformed input.
	Ours bool
}

// Result is what a walk saw.
type Result struct {
	Imports   []Import
	Calls     []Call
	Streams   int   // pickles completed (STOP reached)
	Ops       int64 // opcodes walked
	Proto     int   // highest PROTO seen
	Bytes     int64 // bytes consumed
	Break     *Break
	Limit     string // non-empty when a bound cut the analysis short
	Trailing  bool   // bytes follow the last pickle that are not a pickle
	Torch     bool   // legacy torch.save magic number seen
	Joblib    bool   // joblib NumpyArrayWrapper seen
	Persisted int    // persistent ids loaded (torch storages)
	// Suspicious lists structural tricks seen (BUILD setting __setstate__,
	// STACK_GLOBAL with a computed target), each with an offset.
	Suspicious []Import
}

// MaxClass is the worst class among imports, calls and tricks.
func (r *Result) MaxClass() Class {
	m := Safe
	for _, im := range r.Imports {
		if im.Class > m {
			m = im.Class
		}
	}
	if len(r.Suspicious) > 0 {
		m = Dangerous
	}
	return m
}

// HasContent reports whether the walk saw any opcode at all.
func (r *Result) HasContent() bool { return r.Ops > 0 }

var errStop = errors.New("stop")

type walker struct {
	src     source
	lim     Limits
	classes func(module, name string) (Class, string)
	res     *Result
	stack   []Value
	marks   []int
	memo    []Value
	memoSet []bool
	sparse  map[int64]Value
	stream  int
	errOff  int64 // offset of the opcode being walked
	lastTop Value // value popped by the last STOP
	opsIn   int64 // ops in current stream
	content int64 // ops other than PROTO/FRAME in current stream
	depth   int   // nested pickle depth (joblib object arrays)
	one     bool  // walk exactly one pickle
}

// One is the result of WalkOne: the walk and the value the pickle returns.
type One struct {
	Result *Result
	Top    Value
}

// WalkOne walks exactly one pickle from r (leaving r positioned after its
// STOP) and returns what it saw and the value it would return. Used for
// formats that interleave pickles with raw data (legacy torch tar members).
func WalkOne(r *bufio.Reader, lim Limits, classify func(module, name string) (Class, string)) One {
	if lim.MaxOps == 0 {
		lim = DefaultLimits
	}
	if classify == nil {
		classify = Classify
	}
	src := &readerSource{r: r}
	w := &walker{src: src, lim: lim, classes: classify, res: &Result{}, one: true}
	w.run()
	w.res.Bytes = src.pos()
	return One{Result: w.res, Top: w.lastTop}
}

// Walk walks every pickle in r (a multi-pickle stream) and returns what it
// saw. classify may be nil (Classify is used). Walk never panics on bad
// input and never reads more than the stream holds.
func Walk(r io.Reader, lim Limits, classify func(module, name string) (Class, string)) *Result {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	return walk(&readerSource{r: br}, lim, classify)
}

// WalkBytes walks an in-memory pickle input.
func WalkBytes(b []byte, lim Limits, classify func(module, name string) (Class, string)) *Result {
	return walk(&byteSource{b: b}, lim, classify)
}

func walk(src source, lim Limits, classify func(module, name string) (Class, string)) *Result {
	if lim.MaxOps == 0 {
		lim = DefaultLimits
	}
	if classify == nil {
		classify = Classify
	}
	w := &walker{src: src, lim: lim, classes: classify, res: &Result{}}
	w.run()
	w.res.Bytes = src.pos()
	return w.res
}

func (w *walker) run() {
	for w.stream = 0; ; w.stream++ {
		if w.stream >= w.lim.MaxStreams {
			w.res.Limit = fmt.Sprintf("more than %d pickles in one input; the rest was not walked", w.lim.MaxStreams)
			return
		}
		if w.stream > 0 {
			if w.one {
				return
			}
			b, err := w.src.peek()
			if err != nil {
				return // clean end
			}
			if w.res.Torch && w.res.Streams >= 5 {
				// legacy torch.save: magic, protocol, sys_info, the object,
				// storage keys; raw storage bytes follow.
				return
			}
			if !isOpcode(b) {
				w.res.Trailing = true
				return
			}
		}
		w.stack = w.stack[:0]
		w.marks = w.marks[:0]
		w.memo = w.memo[:0]
		w.memoSet = w.memoSet[:0]
		w.sparse = nil
		w.opsIn, w.content = 0, 0
		start := w.src.pos()
		nImports := len(w.res.Imports)
		err := w.stream1()
		if err == errStop {
			w.res.Streams++
			if w.stream == 0 && w.opsIn >= 2 && w.isTorchMagic() {
				w.res.Torch = true
			}
			continue
		}
		if err == nil {
			return
		}
		var lim *limitError
		if errors.As(err, &lim) {
			w.res.Limit = lim.msg
			return
		}
		if w.stream > 0 && len(w.res.Imports) == nImports && len(w.res.Suspicious) == 0 && w.opsIn < 64 {
			// Not a further pickle, just bytes after the last one.
			w.res.Trailing = true
			_ = start
			return
		}
		b := &Break{Offset: w.errOff, Stream: w.stream, Reason: err.Error(), AfterContent: w.content > 0 || w.stream > 0}
		var oe *ourError
		if errors.As(err, &oe) {
			b.Ours = true
		}
		w.res.Break = b
		return
	}
}

// isTorchMagic reports whether the just-finished stream was the legacy
// torch.save magic number (LONG1 0x1950a86a20f9469cfc6c).
func (w *walker) isTorchMagic() bool {
	return w.lastTop.K == KInt && w.lastTop.S == "119547037146038801333356"
}

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

type ourError struct{ msg string }

func (e *ourError) Error() string { return e.msg }

func isOpcode(b byte) bool {
	if b >= 0x80 && b <= 0x98 {
		return true
	}
	return strings.IndexByte("(.012FIJKLMNPQRSTUVXabcd}eghijl]opqrstu)G", b) >= 0 || b == 'B' || b == 'C'
}

// opNames maps opcode bytes to pickletools names for evidence.
var opNames = map[byte]string{
	'c': "GLOBAL", 'i': "INST", 0x93: "STACK_GLOBAL", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
	'R': "REDUCE", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 'o': "OBJ", 'b': "BUILD",
}

func (w *walker) push(v Value) error {
	if len(w.stack) >= w.lim.MaxStack {
		return &limitError{fmt.Sprintf("simulated stack exceeds %d entries", w.lim.MaxStack)}
	}
	w.stack = append(w.stack, v)
	return nil
}

func (w *walker) pop() (Value, error) {
	base := 0
	if len(w.marks) > 0 {
		base = w.marks[len(w.marks)-1]
	}
	if len(w.stack) <= base {
		return Value{}, errors.New("stack underflow")
	}
	v := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	return v, nil
}

func (w *walker) top() (*Value, error) {
	base := 0
	if len(w.marks) > 0 {
		base = w.marks[len(w.marks)-1]
	}
	if len(w.stack) <= base {
		return nil, errors.New("stack underflow")
	}
	return &w.stack[len(w.stack)-1], nil
}

func (w *walker) popMark() ([]Value, error) {
	if len(w.marks) == 0 {
		return nil, errors.New("MARK not found")
	}
	m := w.marks[len(w.marks)-1]
	w.marks = w.marks[:len(w.marks)-1]
	items := w.stack[m:]
	w.stack = w.stack[:m]
	return items, nil
}

// container builds a retained container value from items (copied, clipped).
func (w *walker) container(k Kind, items []Value) Value {
	v := Value{K: k, N: int64(len(items))}
	n := len(items)
	if n > w.lim.KeepItems {
		n = w.lim.KeepItems
		v.Trun = true
	}
	if n > 0 {
		v.Sub = make([]Value, n)
		for i := 0; i < n; i++ {
			v.Sub[i] = clipDepth(items[i], maxRetainDepth)
			v.grow(v.Sub[i])
		}
	}
	return v
}

// clipDepth returns v, or an opaque placeholder when retaining it would
// nest retained values deeper than d levels.
func clipDepth(v Value, d int) Value {
	if int(v.D) >= d {
		return Value{K: KOther, Trun: true}
	}
	return v
}

func (v *Value) grow(child Value) {
	if child.D+1 > v.D {
		v.D = child.D + 1
	}
}

func (w *walker) addItems(dst *Value, items []Value) {
	dst.N += int64(len(items))
	for _, it := range items {
		if len(dst.Sub) >= w.lim.KeepItems {
			dst.Trun = true
			return
		}
		c := clipDepth(it, maxRetainDepth)
		dst.Sub = append(dst.Sub[:len(dst.Sub):len(dst.Sub)], c)
		dst.grow(c)
	}
}

func (w *walker) memoPut(idx int64, v Value) error {
	if idx < 0 {
		return errors.New("negative memo index")
	}
	if idx < int64(len(w.memo)) {
		w.memo[idx] = v
		w.memoSet[idx] = true
		return nil
	}
	if idx == int64(len(w.memo)) && len(w.memo) < w.lim.MaxMemo {
		w.memo = append(w.memo, v)
		w.memoSet = append(w.memoSet, true)
		return nil
	}
	if w.sparse == nil {
		w.sparse = map[int64]Value{}
	}
	if len(w.memo)+len(w.sparse) >= w.lim.MaxMemo {
		if _, ok := w.sparse[idx]; !ok {
			w.res.Limit = fmt.Sprintf("memo exceeds %d entries; later memo values are not tracked", w.lim.MaxMemo)
			w.sparse[idx] = Value{K: KLost}
			if len(w.sparse) > w.lim.MaxMemo { // hard stop
				return &limitError{w.res.Limit}
			}
			return nil
		}
	}
	w.sparse[idx] = v
	return nil
}

func (w *walker) memoGet(idx int64) (Value, error) {
	if idx >= 0 && idx < int64(len(w.memo)) && w.memoSet[idx] {
		return w.memo[idx], nil
	}
	if v, ok := w.sparse[idx]; ok {
		return v, nil
	}
	if w.res.Limit != "" {
		return Value{K: KLost}, nil
	}
	return Value{}, fmt.Errorf("memo key %d not found", idx)
}

func (w *walker) importGlobal(off int64, op, module, name string) Value {
	cl, why := w.classes(module, name)
	im := Import{Offset: off, Op: op, Module: module, Name: name, Class: cl, Reason: why}
	if len(w.res.Imports) < w.lim.MaxImports {
		w.res.Imports = append(w.res.Imports, im)
	} else if w.res.Limit == "" {
		w.res.Limit = fmt.Sprintf("more than %d imports; later ones not recorded", w.lim.MaxImports)
	}
	switch module + "." + name {
	case "joblib.numpy_pickle.NumpyArrayWrapper", "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper":
		w.res.Joblib = true
	}
	return Value{K: KGlobal, S: im.Qualified()}
}

func (w *walker) call(off int64, op string, fn Value, args Value) Value {
	c := Call{Offset: off, Op: op, Callable: "?", Args: Render(args, 160)}
	switch fn.K {
	case KGlobal:
		c.Callable = fn.S
	case KCall:
		c.Callable = "(" + Render(fn, 80) + ")"
	}
	if fn.K == KGlobal {
		c.Class, c.Reason = w.classOfQualified(fn.S)
	} else {
		c.Class = Unknown
	}
	if len(w.res.Calls) < w.lim.MaxImports {
		w.res.Calls = append(w.res.Calls, c)
	}
	r := Value{K: KCall, Sub: []Value{clipDepth(fn, maxRetainDepth), clipDepth(args, maxRetainDepth)}}
	r.grow(r.Sub[0])
	r.grow(r.Sub[1])
	return r
}

func (w *walker) classOfQualified(q string) (Class, string) {
	for i := len(w.res.Imports) - 1; i >= 0 && i >= len(w.res.Imports)-64; i-- {
		if w.res.Imports[i].Qualified() == q {
			return w.res.Imports[i].Class, w.res.Imports[i].Reason
		}
	}
	mod, name := q, ""
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		mod, name = q[:i], q[i+1:]
	}
	return w.classes(mod, name)
}

func (w *walker) suspicious(off int64, op, what, why string) {
	if len(w.res.Suspicious) < 100 {
		w.res.Suspicious = append(w.res.Suspicious, Import{Offset: off, Op: op, Name: what, Class: Dangerous, Reason: why})
	}
}

// stream1 walks one pickle until STOP (errStop), end of input (nil when no
// byte was read, else an error) or a malformed opcode.
func (w *walker) stream1() error {
	src := w.src
	for {
		off := src.pos()
		w.errOff = off
		op, err := src.readByte()
		if err != nil {
			if w.opsIn == 0 {
				return nil
			}
			return errors.New("truncated: input ends before STOP")
		}
		w.res.Ops++
		w.opsIn++
		if w.res.Ops > w.lim.MaxOps {
			return &limitError{fmt.Sprintf("more than %d opcodes; the rest was not walked", w.lim.MaxOps)}
		}
		if err := w.step(op, off); err != nil {
			if err == errStop {
				return err
			}
			if _, ok := err.(*limitError); ok {
				return err
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("truncated inside %s at offset %d", opName(op), off)
			}
			return fmt.Errorf("%s at offset %d: %w", opName(op), off, err)
		}
		if op != 0x80 && op != 0x95 {
			w.content++
		}
	}
}

func opName(op byte) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	if op >= 0x20 && op < 0x7f {
		return fmt.Sprintf("opcode %q", rune(op))
	}
	return fmt.Sprintf("opcode 0x%02x", op)
}

func (w *walker) step(op byte, off int64) error {
	src := w.src
	switch op {
	case '(': // MARK
		if len(w.marks) >= w.lim.MaxMarks {
			return &limitError{fmt.Sprintf("more than %d nested MARKs", w.lim.MaxMarks)}
		}
		w.marks = append(w.marks, len(w.stack))
	case '.': // STOP
		v, err := w.pop()
		if err != nil {
			return err
		}
		w.lastTop = v
		return errStop
	case '0': // POP
		base := 0
		if len(w.marks) > 0 {
			base = w.marks[len(w.marks)-1]
		}
		if len(w.stack) > base {
			w.stack = w.stack[:len(w.stack)-1]
		} else if _, err := w.popMark(); err != nil {
			return err
		}
	case '1': // POP_MARK
		if _, err := w.popMark(); err != nil {
			return err
		}
	case '2': // DUP
		t, err := w.top()
		if err != nil {
			return err
		}
		return w.push(*t)
	case 'F': // FLOAT
		if _, err := src.readLine(w.lim.MaxLine); err != nil {
			return err
		}
		return w.push(Value{K: KFloat})
	case 'I': // INT
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(intText(strings.TrimSpace(l)))
	case 'J':
		b, err := src.read(4)
		if err != nil {
			return err
		}
		n := int64(int32(binary.LittleEndian.Uint32(b)))
		return w.push(Value{K: KInt, N: n, S: strconv.FormatInt(n, 10)})
	case 'K':
		b, err := src.readByte()
		if err != nil {
			return err
		}
		return w.push(Value{K: KInt, N: int64(b), S: strconv.Itoa(int(b))})
	case 'M':
		b, err := src.read(2)
		if err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint16(b))
		return w.push(Value{K: KInt, N: n, S: strconv.FormatInt(n, 10)})
	case 'L': // LONG
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(intText(strings.TrimSuffix(strings.TrimSpace(l), "L")))
	case 0x8a, 0x8b: // LONG1, LONG4
		var n int64
		if op == 0x8a {
			b, err := src.readByte()
			if err != nil {
				return err
			}
			n = int64(b)
		} else {
			b, err := src.read(4)
			if err != nil {
				return err
			}
			n = int64(int32(binary.LittleEndian.Uint32(b)))
			if n < 0 {
				return errors.New("LONG4 with negative length")
			}
		}
		b, kept, err := src.readKeep(n, 32)
		if err != nil {
			return err
		}
		if kept {
			return w.push(longValue(b))
		}
		return w.push(Value{K: KInt, S: "<long>"})
	case 'N':
		return w.push(Value{K: KNone})
	case 0x88, 0x89:
		v := int64(0)
		if op == 0x88 {
			v = 1
		}
		return w.push(Value{K: KInt, N: v, S: map[int64]string{0: "False", 1: "True"}[v]})
	case 'G':
		if _, err := src.read(8); err != nil {
			return err
		}
		return w.push(Value{K: KFloat})
	case 'P': // PERSID
		if _, err := src.readLine(w.lim.MaxLine); err != nil {
			return err
		}
		w.res.Persisted++
		return w.push(Value{K: KPersist})
	case 'Q': // BINPERSID
		if _, err := w.pop(); err != nil {
			return err
		}
		w.res.Persisted++
		return w.push(Value{K: KPersist})
	case 'R': // REDUCE
		args, err := w.pop()
		if err != nil {
			return err
		}
		fn, err := w.pop()
		if err != nil {
			return err
		}
		return w.push(w.call(off, "REDUCE", fn, args))
	case 'S': // STRING
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		s, err := unquote(l)
		if err != nil {
			return err
		}
		return w.push(w.str(s, false))
	case 'T', 'U', 'X', 'B', 'C', 0x8c, 0x8d, 0x8e, 0x96, 'V':
		return w.loadString(op)
	case 'a': // APPEND
		v, err := w.pop()
		if err != nil {
			return err
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		w.addItems(t, []Value{v})
	case 'e': // APPENDS
		items, err := w.popMark()
		if err != nil {
			return err
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		w.addItems(t, items)
	case 'b': // BUILD
		state, err := w.pop()
		if err != nil {
			return err
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		return w.build(off, t, state)
	case 'c': // GLOBAL
		mod, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		name, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(w.importGlobal(off, "GLOBAL", strings.TrimRight(mod, "\r"), strings.TrimRight(name, "\r")))
	case 'i': // INST
		mod, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		name, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		fn := w.importGlobal(off, "INST", strings.TrimRight(mod, "\r"), strings.TrimRight(name, "\r"))
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.push(w.call(off, "INST", fn, w.container(KTuple, items)))
	case 'o': // OBJ
		items, err := w.popMark()
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return errors.New("OBJ without a class")
		}
		fn := items[0]
		return w.push(w.call(off, "OBJ", fn, w.container(KTuple, items[1:])))
	case 0x81: // NEWOBJ
		args, err := w.pop()
		if err != nil {
			return err
		}
		cls, err := w.pop()
		if err != nil {
			return err
		}
		return w.push(w.call(off, "NEWOBJ", cls, args))
	case 0x92: // NEWOBJ_EX
		kw, err := w.pop()
		if err != nil {
			return err
		}
		args, err := w.pop()
		if err != nil {
			return err
		}
		cls, err := w.pop()
		if err != nil {
			return err
		}
		return w.push(w.call(off, "NEWOBJ_EX", cls, w.container(KTuple, []Value{args, kw})))
	case 0x93: // STACK_GLOBAL
		name, err := w.pop()
		if err != nil {
			return err
		}
		mod, err := w.pop()
		if err != nil {
			return err
		}
		if mod.K == KStr && name.K == KStr && !mod.Trun && !name.Trun {
			return w.push(w.importGlobal(off, "STACK_GLOBAL", mod.S, name.S))
		}
		if mod.K == KLost || name.K == KLost {
			return w.push(w.importGlobal(off, "STACK_GLOBAL", "?", "?"))
		}
		w.suspicious(off, "STACK_GLOBAL", "STACK_GLOBAL("+Render(mod, 60)+", "+Render(name, 60)+")",
			"import target is computed at load time and cannot be resolved statically")
		return w.push(Value{K: KGlobal, S: "?"})
	case 0x82, 0x83, 0x84: // EXT1, EXT2, EXT4
		n := map[byte]int{0x82: 1, 0x83: 2, 0x84: 4}[op]
		b, err := src.read(n)
		if err != nil {
			return err
		}
		var code uint32
		for i := n - 1; i >= 0; i-- {
			code = code<<8 | uint32(b[i])
		}
		im := Import{Offset: off, Op: "EXT", Module: "copyreg.extension", Name: strconv.FormatUint(uint64(code), 10), Class: Unknown,
			Reason: "copyreg extension code: the callable depends on the loading process's extension registry"}
		if len(w.res.Imports) < w.lim.MaxImports {
			w.res.Imports = append(w.res.Imports, im)
		}
		return w.push(Value{K: KGlobal, S: im.Qualified()})
	case 'd': // DICT
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.push(w.container(KDict, items))
	case '}':
		return w.push(Value{K: KDict})
	case 'l':
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.push(w.container(KList, items))
	case ']':
		return w.push(Value{K: KList})
	case 't':
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.push(w.container(KTuple, items))
	case ')':
		return w.push(Value{K: KTuple})
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op - 0x84)
		base := 0
		if len(w.marks) > 0 {
			base = w.marks[len(w.marks)-1]
		}
		if len(w.stack)-base < n {
			return errors.New("stack underflow")
		}
		items := w.stack[len(w.stack)-n:]
		v := w.container(KTuple, items)
		w.stack = w.stack[:len(w.stack)-n]
		return w.push(v)
	case 's': // SETITEM
		v, err := w.pop()
		if err != nil {
			return err
		}
		k, err := w.pop()
		if err != nil {
			return err
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		w.addItems(t, []Value{k, v})
	case 'u': // SETITEMS
		items, err := w.popMark()
		if err != nil {
			return err
		}
		if len(items)%2 != 0 {
			return errors.New("SETITEMS with an odd number of items")
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		w.addItems(t, items)
	case 0x8f:
		return w.push(Value{K: KSet})
	case 0x90: // ADDITEMS
		items, err := w.popMark()
		if err != nil {
			return err
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		w.addItems(t, items)
	case 0x91: // FROZENSET
		items, err := w.popMark()
		if err != nil {
			return err
		}
		return w.push(w.container(KSet, items))
	case 'g', 'h', 'j': // GET, BINGET, LONG_BINGET
		var idx int64
		switch op {
		case 'g':
			l, err := src.readLine(w.lim.MaxLine)
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
			if err != nil {
				return fmt.Errorf("bad GET index %q", core(l))
			}
			idx = n
		case 'h':
			b, err := src.readByte()
			if err != nil {
				return err
			}
			idx = int64(b)
		default:
			b, err := src.read(4)
			if err != nil {
				return err
			}
			idx = int64(binary.LittleEndian.Uint32(b))
		}
		v, err := w.memoGet(idx)
		if err != nil {
			return err
		}
		return w.push(v)
	case 'p', 'q', 'r', 0x94: // PUT, BINPUT, LONG_BINPUT, MEMOIZE
		var idx int64
		switch op {
		case 'p':
			l, err := src.readLine(w.lim.MaxLine)
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(strings.TrimSpace(l), 10, 64)
			if err != nil {
				return fmt.Errorf("bad PUT index %q", core(l))
			}
			idx = n
		case 'q':
			b, err := src.readByte()
			if err != nil {
				return err
			}
			idx = int64(b)
		case 'r':
			b, err := src.read(4)
			if err != nil {
				return err
			}
			idx = int64(binary.LittleEndian.Uint32(b))
		default:
			idx = int64(len(w.memo) + len(w.sparse))
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		return w.memoPut(idx, *t)
	case 0x80: // PROTO
		b, err := src.readByte()
		if err != nil {
			return err
		}
		if b > 5 {
			return fmt.Errorf("unsupported pickle protocol %d", b)
		}
		if int(b) > w.res.Proto {
			w.res.Proto = int(b)
		}
	case 0x95: // FRAME
		if _, err := src.read(8); err != nil {
			return err
		}
	case 0x97: // NEXT_BUFFER
		return w.push(Value{K: KOther})
	case 0x98: // READONLY_BUFFER
		if _, err := w.top(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("invalid opcode 0x%02x", op)
	}
	return nil
}

func (w *walker) loadString(op byte) error {
	src := w.src
	var n int64
	isBytes := false
	switch op {
	case 'T': // BINSTRING
		b, err := src.read(4)
		if err != nil {
			return err
		}
		n = int64(int32(binary.LittleEndian.Uint32(b)))
		if n < 0 {
			return errors.New("BINSTRING with negative length")
		}
	case 'U', 'C', 0x8c:
		b, err := src.readByte()
		if err != nil {
			return err
		}
		n = int64(b)
		isBytes = op == 'C'
	case 'X', 'B':
		b, err := src.read(4)
		if err != nil {
			return err
		}
		n = int64(binary.LittleEndian.Uint32(b))
		isBytes = op == 'B'
	case 0x8d, 0x8e, 0x96:
		b, err := src.read(8)
		if err != nil {
			return err
		}
		u := binary.LittleEndian.Uint64(b)
		if u > math.MaxInt64/2 {
			return fmt.Errorf("declared length %d is impossible", u)
		}
		n = int64(u)
		isBytes = op != 0x8d
	case 'V': // UNICODE, raw-unicode-escape line
		l, err := w.src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(w.str(rawUnicodeUnescape(l), false))
	}
	b, kept, err := src.readKeep(n, w.lim.KeepString)
	if err != nil {
		return err
	}
	v := w.str(string(b), !kept)
	if isBytes {
		v.K = KStr
	}
	return w.push(v)
}

func (w *walker) str(s string, trunc bool) Value {
	if len(s) > w.lim.KeepString {
		s = s[:w.lim.KeepString]
		trunc = true
	}
	return Value{K: KStr, S: s, Trun: trunc}
}

// build handles BUILD: inst.__setstate__(state) or inst.__dict__.update.
func (w *walker) build(off int64, inst *Value, state Value) error {
	if inst.K == KGlobal {
		w.suspicious(off, "BUILD", "BUILD on "+inst.S, "BUILD applied to an imported class/function sets attributes on it (a known deserializer bypass)")
	}
	// A state that installs __setstate__/__reduce__ hooks turns the next
	// BUILD into a call of an attacker-chosen callable.
	for _, d := range []Value{state} {
		if d.K == KTuple && len(d.Sub) == 2 {
			w.checkHookKeys(off, d.Sub[1])
			d = d.Sub[0]
		}
		w.checkHookKeys(off, d)
	}
	c := Call{Offset: off, Op: "BUILD", Callable: "?", Args: Render(state, 120), Class: Safe}
	if inst.K == KCall && len(inst.Sub) > 0 && inst.Sub[0].K == KGlobal {
		c.Callable = inst.Sub[0].S + ".__setstate__"
		if isNumpyArrayWrapper(inst.Sub[0].S) {
			return w.joblibArray(off, state)
		}
	}
	return nil
}

func (w *walker) checkHookKeys(off int64, d Value) {
	if d.K != KDict {
		return
	}
	for i := 0; i+1 < len(d.Sub); i += 2 {
		k := d.Sub[i]
		if k.K == KStr && strings.HasPrefix(k.S, "__") && strings.HasSuffix(k.S, "__") {
			switch k.S {
			case "__setstate__", "__reduce__", "__reduce_ex__", "__getattr__", "__getattribute__", "__class__", "__init__", "__new__", "__call__", "__globals__", "__builtins__", "__code__", "__dict__":
				w.suspicious(off, "BUILD", "BUILD sets "+k.S+" = "+Render(d.Sub[i+1], 60), "state installs a dunder hook, so a later BUILD/call runs an attacker-chosen callable")
			}
		}
	}
}

func isNumpyArrayWrapper(q string) bool {
	return q == "joblib.numpy_pickle.NumpyArrayWrapper" || q == "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"
}

// joblibArray skips (or walks, for object arrays) the array bytes joblib
// writes right after a NumpyArrayWrapper's BUILD.
func (w *walker) joblibArray(off int64, state Value) error {
	var (
		descr   string
		elsize  int64 = -1
		shape   []int64
		shapeOK bool
		align   bool
	)
	d := state
	if d.K != KDict || d.Trun {
		return &ourError{"joblib array wrapper with an unreadable state"}
	}
	for i := 0; i+1 < len(d.Sub); i += 2 {
		k, v := d.Sub[i], d.Sub[i+1]
		if k.K != KStr {
			continue
		}
		switch k.S {
		case "dtype":
			descr, elsize = dtypeOf(v)
		case "shape":
			if v.K == KTuple && !v.Trun {
				shapeOK = true
				for _, s := range v.Sub {
					if s.K != KInt || s.N < 0 {
						shapeOK = false
					}
					shape = append(shape, s.N)
				}
			}
		case "numpy_array_alignment_bytes":
			align = v.K == KInt && v.N > 0
		}
	}
	if strings.Contains(descr, "O") {
		// Object arrays are pickled inline as a complete nested pickle.
		if w.depth >= 2 {
			return &ourError{"joblib object arrays nested too deeply"}
		}
		saved := *w
		w.depth++
		w.stack, w.marks, w.memo, w.memoSet, w.sparse = nil, nil, nil, nil, nil
		w.opsIn, w.content = 0, 0
		err := w.stream1()
		saved.res = w.res
		saved.errOff = w.errOff
		*w = saved
		if err == errStop {
			return nil
		}
		if err == nil {
			return errors.New("truncated: joblib object array ends early")
		}
		return err
	}
	if !shapeOK || elsize <= 0 {
		return &ourError{fmt.Sprintf("joblib array with dtype %q: size not computable, array bytes not skipped", descr)}
	}
	size := elsize
	for _, s := range shape {
		if s != 0 && size > math.MaxInt64/s {
			return errors.New("joblib array size overflows")
		}
		size *= s
	}
	if align {
		b, err := w.src.readByte()
		if err != nil {
			return err
		}
		if _, err := w.src.skip(int64(b)); err != nil {
			return err
		}
	}
	if _, err := w.src.skip(size); err != nil {
		return fmt.Errorf("joblib array data truncated: %w", err)
	}
	return nil
}

// dtypeOf reads a numpy.dtype(descr, ...) call value.
func dtypeOf(v Value) (string, int64) {
	if v.K != KCall || len(v.Sub) < 2 || v.Sub[0].K != KGlobal || !strings.HasSuffix(v.Sub[0].S, ".dtype") {
		return "", -1
	}
	args := v.Sub[1]
	if args.K != KTuple || len(args.Sub) == 0 || args.Sub[0].K != KStr {
		return "", -1
	}
	descr := args.Sub[0].S
	return descr, itemSize(descr)
}

func itemSize(descr string) int64 {
	d := strings.TrimLeft(descr, "<>|=")
	if d == "" {
		return -1
	}
	kind := d[0]
	n, err := strconv.ParseInt(d[1:], 10, 64)
	if d == "b" || d == "B" || d == "?" {
		return 1
	}
	if err != nil || n <= 0 {
		return -1
	}
	switch kind {
	case 'f', 'i', 'u', 'c', 'b', 'M', 'm', 'S', 'V':
		return n
	case 'U':
		return 4 * n
	}
	return -1
}

func intText(s string) Value {
	switch s {
	case "00":
		return Value{K: KInt, N: 0, S: "False"}
	case "01":
		return Value{K: KInt, N: 1, S: "True"}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Value{K: KInt, S: core(s)}
	}
	return Value{K: KInt, N: n, S: s}
}

// longValue decodes a little-endian two's-complement LONG1/LONG4 payload.
func longValue(b []byte) Value {
	if len(b) == 0 {
		return Value{K: KInt, S: "0"}
	}
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if b[len(b)-1]&0x80 != 0 && len(b) < 8 {
			u |= ^uint64(0) << (8 * uint(len(b)))
		}
		n := int64(u)
		return Value{K: KInt, N: n, S: strconv.FormatInt(n, 10)}
	}
	// Big: render as decimal via math/big-free long division.
	neg := b[len(b)-1]&0x80 != 0
	mag := make([]byte, len(b))
	copy(mag, b)
	if neg { // two's complement negate
		carry := 1
		for i := range mag {
			x := int(^mag[i]) + carry
			mag[i] = byte(x)
			carry = x >> 8
		}
	}
	var digits []byte
	for {
		zero := true
		rem := 0
		for i := len(mag) - 1; i >= 0; i-- {
			cur := rem<<8 | int(mag[i])
			mag[i] = byte(cur / 10)
			rem = cur % 10
			if mag[i] != 0 {
				zero = false
			}
		}
		digits = append(digits, byte('0'+rem))
		if zero {
			break
		}
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	s := string(digits)
	if neg {
		s = "-" + s
	}
	return Value{K: KInt, S: s}
}

// core clips s for use in error messages.
func core(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// unquote decodes a protocol-0 STRING argument (a Python repr).
func unquote(l string) (string, error) {
	l = strings.TrimRight(l, "\r")
	if len(l) < 2 || (l[0] != '\'' && l[0] != '"') || l[len(l)-1] != l[0] {
		return "", errors.New("STRING argument is not quoted")
	}
	s := l[1 : len(l)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case 'x':
			if i+3 <= len(s) {
				if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			b.WriteString("\\x")
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			v := 0
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				v = v*8 + int(s[j]-'0')
				j++
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte(e)
		}
	}
	return b.String(), nil
}

// rawUnicodeUnescape decodes Python's raw-unicode-escape (\uXXXX, \UXXXXXXXX).
func rawUnicodeUnescape(l string) string {
	l = strings.TrimRight(l, "\r")
	if strings.IndexByte(l, '\\') < 0 {
		return latin1(l)
	}
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		if l[i] == '\\' && i+1 < len(l) && (l[i+1] == 'u' || l[i+1] == 'U') {
			n := 4
			if l[i+1] == 'U' {
				n = 8
			}
			if i+2+n <= len(l) {
				if v, err := strconv.ParseUint(l[i+2:i+2+n], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 1 + n
					continue
				}
			}
		}
		b.WriteString(latin1(l[i : i+1]))
	}
	return b.String()
}

func latin1(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			r := make([]rune, len(s))
			for j := 0; j < len(s); j++ {
				r[j] = rune(s[j])
			}
			return string(r)
		}
	}
	return s
}

// Render renders a value as short Python-like text for evidence.
func Render(v Value, max int) string {
	var b strings.Builder
	render(&b, v, max, 0)
	s := b.String()
	if len(s) > max {
		cut := max
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func render(b *strings.Builder, v Value, max, depth int) {
	if b.Len() > max {
		return
	}
	switch v.K {
	case KStr:
		b.WriteString(strconv.Quote(v.S))
		if v.Trun {
			b.WriteString("…")
		}
	case KInt:
		if v.S != "" {
			b.WriteString(v.S)
		} else {
			b.WriteString(strconv.FormatInt(v.N, 10))
		}
	case KFloat:
		b.WriteString("<float>")
	case KNone:
		b.WriteString("None")
	case KGlobal:
		b.WriteString(v.S)
	case KCall:
		if len(v.Sub) == 2 {
			render(b, v.Sub[0], max, depth+1)
			if v.Sub[1].K == KTuple {
				render(b, v.Sub[1], max, depth+1)
			} else {
				b.WriteString("(")
				render(b, v.Sub[1], max, depth+1)
				b.WriteString(")")
			}
		} else {
			b.WriteString("<call>")
		}
	case KTuple, KList, KDict, KSet:
		open, close := "(", ")"
		switch v.K {
		case KList:
			open, close = "[", "]"
		case KDict, KSet:
			open, close = "{", "}"
		}
		b.WriteString(open)
		for i, it := range v.Sub {
			if i > 0 {
				if v.K == KDict && i%2 == 1 {
					b.WriteString(": ")
				} else {
					b.WriteString(", ")
				}
			}
			if depth > 4 {
				b.WriteString("…")
				break
			}
			render(b, it, max, depth+1)
		}
		if v.Trun || int64(len(v.Sub)) < v.N {
			b.WriteString(", …")
		}
		if v.K == KTuple && len(v.Sub) == 1 && !v.Trun {
			b.WriteString(",")
		}
		b.WriteString(close)
	case KPersist:
		b.WriteString("<persistent>")
	case KLost:
		b.WriteString("<untracked>")
	case KMark:
		b.WriteString("<mark>")
	default:
		b.WriteString("<object>")
	}
}
