// Package pickle walks Python pickle streams (protocols 0–5) opcode by opcode
// with a simulated stack and memo, WITHOUT ever unpickling them. It records
// every callable a stream imports (GLOBAL, INST, STACK_GLOBAL, EXT1/2/4) and
// every call it makes (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST, BUILD), and keeps
// what it saw when a stream breaks: a stream that imported os.system and then
// fails to parse is still reported with os.system.
//
// The simulated machine is allocation-free per opcode: stack and memo hold
// pointer-free slots, containers live in pooled arenas (nodes + child cells),
// strings alias the input (WalkBytes) or a pooled byte arena (Walk). Containers
// are shared and mutable, as in Python (DUP/GET see later APPENDs).
//
// Bounds (Limits, defaults in DefaultLimits):
//   - MaxOps opcodes per input (20,000,000);
//   - MaxStack simulated stack entries (262,144) and MaxMarks marks (65,536);
//   - MaxMemo memo entries (1,048,576); GETs of entries dropped past the bound
//     yield a "lost" value, never a false dynamic-import verdict;
//   - strings: at most KeepString bytes (256) of each string are retained;
//     longer payloads (tensor bytes, numpy buffers) are skipped, never
//     buffered; text-protocol lines are at most MaxLine bytes (65,536);
//   - containers retain at most KeepItems children (16);
//   - arenas: MaxNodes containers/calls (4,194,304 × 24 B), as many child
//     cells, and MaxBuf bytes of copied strings (64 MiB); past them new
//     values are "lost" (imports are still recorded);
//   - MaxStreams pickles per multi-pickle input (1,024) and MaxImports recorded
//     imports/calls (10,000 each).
//
// Worst-case live memory is therefore about 24 B × (MaxStack + MaxMemo +
// MaxNodes) + 32 B × MaxNodes + MaxBuf ≈ 330 MiB, reached only by hostile
// inputs of tens of millions of opcodes; real checkpoints use kilobytes to a
// few megabytes.
package pickle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"
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
	MaxNodes   int
	MaxBuf     int
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
	MaxNodes:   1 << 22,
	MaxBuf:     64 << 20,
}

// Kind is the kind of a simulated value.
type Kind uint8

// Value kinds.
const (
	KOther   Kind = iota // anything not tracked precisely
	KMark                // a MARK on the stack
	KStr                 // str/bytes (at most KeepString bytes retained)
	KInt                 // int
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
	KBool                // True/False (N = 1/0)
)

// Value is a materialized simulated value (see WalkOne).
type Value struct {
	K    Kind
	Trun bool   // S was clipped / container items were dropped
	S    string // string content, global name, or big-int literal
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
	q      string
}

// Qualified returns module.name.
func (im Import) Qualified() string {
	if im.q != "" {
		return im.q
	}
	if im.Module == "" {
		return im.Name
	}
	return im.Module + "." + im.Name
}

// Call is one call a stream makes.
type Call struct {
	Offset   int64
	Op       string // REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST
	Callable string // module.name, or "?" when not statically known
	Args     string // rendered arguments (clipped; only for non-safe callables)
	Class    Class
	Reason   string
}

// Break describes where and why a stream stopped parsing.
type Break struct {
	Offset int64
	Stream int // 0-based index of the pickle in the input
	Reason string
	// AfterContent is true when the broken stream had already executed at
	// least one opcode besides PROTO/FRAME (a broken stream, not "not a
	// pickle").
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
	// SafeCalls counts calls of known-safe callables; only calls of
	// unknown/dangerous callables are listed in Calls (with rendered args).
	SafeCalls int
	// Suspicious lists structural tricks seen (BUILD setting __setstate__,
	// STACK_GLOBAL with a computed target), each with an offset.
	Suspicious []Import
}

// MaxClass is the worst class among imports and tricks.
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

// slot is a pointer-free simulated value (24 bytes): strings are (off, ln)
// into the input (zc) or the walker's byte arena; containers, calls and
// globals refer to arena nodes/strings by index.
type slot struct {
	k    Kind
	trun bool
	zc   bool   // string bytes live in the input
	off  uint32 // string offset, or node index for containers/calls
	ln   uint32 // string length (KStr, KGlobal, big KInt text)
	n    int64  // int value
}

// node is a container or call: a list of retained child cells.
type node struct {
	head, tail int32 // cell indices, -1 when empty
	kept       int32
	n          int64 // total children (container length)
	trun       bool
}

type cell struct {
	v    slot
	next int32
}

var errStop = errors.New("stop")

type walker struct {
	src     *source
	in      []byte // input of a byteSource (zero-copy strings)
	lim     Limits
	classes func(module, name string) (Class, string)
	custom  func(module, name string) (Class, string) // nil: Classify (cached)
	res     *Result
	stack   []slot
	marks   []int32
	memo    []slot
	memoSet []bool
	sparse  map[int64]slot
	nodes   []node
	cells   []cell
	buf     []byte
	stream  int
	errOff  int64 // offset of the opcode being walked
	lastTop slot  // value popped by the last STOP
	opsIn   int64 // ops in current stream
	content int64 // successful ops other than PROTO/FRAME in current stream
	depth   int   // nested pickle depth (joblib object arrays)
	one     bool  // walk exactly one pickle
	lost    bool  // an arena bound was reached
	qcache  [8]struct {
		q  string
		c  Class
		wh string
	}
}

// One is the result of WalkOne: the walk and the value the pickle returns.
type One struct {
	Result *Result
	Top    Value
}

var walkerPool = sync.Pool{New: func() any {
	return &walker{stack: make([]slot, 0, 64), memo: make([]slot, 0, 64), memoSet: make([]bool, 0, 64),
		nodes: make([]node, 0, 64), cells: make([]cell, 0, 128), buf: make([]byte, 0, 1024)}
}}

func getWalker(src *source, lim Limits, classify func(module, name string) (Class, string)) *walker {
	if lim.MaxOps == 0 {
		lim = DefaultLimits
	}
	if lim.MaxNodes == 0 {
		lim.MaxNodes = DefaultLimits.MaxNodes
	}
	if lim.MaxBuf == 0 {
		lim.MaxBuf = DefaultLimits.MaxBuf
	}
	custom := classify
	if classify == nil {
		classify = Classify
	}
	w := walkerPool.Get().(*walker)
	w.src, w.lim, w.classes, w.res, w.custom = src, lim, classify, &Result{}, custom
	w.in = nil
	if src.br == nil {
		w.in = src.buf
	}
	w.stream, w.depth, w.one, w.lost = 0, 0, false, false
	w.lastTop = slot{} // never hand a pooled walker's last value to the next walk
	w.qcache = [8]struct {
		q  string
		c  Class
		wh string
	}{}
	return w
}

func putWalker(w *walker) {
	w.src, w.in, w.res, w.classes, w.custom = nil, nil, nil, nil, nil
	w.sparse = nil
	if cap(w.nodes) > 1<<16 || cap(w.cells) > 1<<16 || cap(w.buf) > 1<<20 || cap(w.stack) > 1<<16 || cap(w.memo) > 1<<16 {
		return // do not pin large arenas in the pool
	}
	walkerPool.Put(w)
}

// WalkOne walks exactly one pickle from r (leaving r positioned after its
// STOP) and returns what it saw and the value it would return. Used for
// formats that interleave pickles with raw data (legacy torch tar members).
func WalkOne(r *bufio.Reader, lim Limits, classify func(module, name string) (Class, string)) One {
	src := &source{br: r}
	w := getWalker(src, lim, classify)
	w.one = true
	w.run()
	src.sync()
	res := w.res
	res.Bytes = src.pos()
	top := w.value(w.lastTop, 0)
	putWalker(w)
	return One{Result: res, Top: top}
}

// Walk walks every pickle in r (a multi-pickle stream) and returns what it
// saw. classify may be nil (Classify is used). Walk never panics on bad
// input and never reads more than the stream holds.
func Walk(r io.Reader, lim Limits, classify func(module, name string) (Class, string)) *Result {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 128<<10)
	}
	src := &source{br: br}
	res := walk(src, lim, classify)
	src.sync()
	return res
}

// WalkBytes walks an in-memory pickle input. b must not change during the call.
func WalkBytes(b []byte, lim Limits, classify func(module, name string) (Class, string)) *Result {
	return walk(&source{buf: b}, lim, classify)
}

func walk(src *source, lim Limits, classify func(module, name string) (Class, string)) *Result {
	w := getWalker(src, lim, classify)
	w.run()
	res := w.res
	res.Bytes = src.pos()
	putWalker(w)
	return res
}

// reset empties the machine for a new stream (arenas are kept per input).
func (w *walker) reset() {
	w.stack, w.marks, w.memo, w.memoSet, w.sparse = w.stack[:0], w.marks[:0], w.memo[:0], w.memoSet[:0], nil
}

func (w *walker) run() {
	w.nodes, w.cells, w.buf = w.nodes[:0], w.cells[:0], w.buf[:0]
	for w.stream = 0; ; w.stream++ {
		if w.stream > 0 {
			if w.one {
				return
			}
			b, err := w.src.peek()
			if err != nil {
				return // clean end
			}
			if w.stream >= w.lim.MaxStreams {
				w.res.Limit = fmt.Sprintf("more than %d pickles in one input; the rest was not walked", w.lim.MaxStreams)
				return
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
		w.reset()
		w.opsIn, w.content = 0, 0
		nImports := len(w.res.Imports)
		err := w.stream1()
		if err == errStop {
			w.res.Streams++
			if w.stream == 0 && w.isTorchMagic() {
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

const torchMagicNumber = "119547037146038801333356"

// isTorchMagic reports whether the just-finished stream was the legacy
// torch.save magic number (LONG1 0x1950a86a20f9469cfc6c).
func (w *walker) isTorchMagic() bool {
	return w.lastTop.k == KInt && w.lastTop.ln > 0 && w.sv(w.lastTop) == torchMagicNumber
}

type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

type ourError struct{ msg string }

func (e *ourError) Error() string { return e.msg }

var opcodeTable = func() (t [256]bool) {
	for _, c := range []byte("(.012FIJKLMNPQRSTUVXabcd}eghijl]opqrstu)GBC") {
		t[c] = true
	}
	for c := 0x80; c <= 0x98; c++ {
		t[c] = true
	}
	return
}()

func isOpcode(b byte) bool { return opcodeTable[b] }

// --- strings -------------------------------------------------------------

// sv returns the string of a slot without copying (valid during the walk).
func (w *walker) sv(s slot) string {
	if s.ln == 0 {
		return ""
	}
	if s.zc {
		return unsafe.String(&w.in[s.off], int(s.ln))
	}
	return unsafe.String(&w.buf[s.off], int(s.ln))
}

// strSlot makes a string slot from b (which is a sub-slice of the input
// when the source is in memory and the bytes were not decoded).
func (w *walker) strSlot(k Kind, b []byte, trunc, fromInput bool) slot {
	if len(b) > w.lim.KeepString {
		b = b[:w.lim.KeepString]
		trunc = true
	}
	if fromInput && w.in != nil && len(b) > 0 {
		off := int64(uintptr(unsafe.Pointer(&b[0])) - uintptr(unsafe.Pointer(&w.in[0])))
		if off >= 0 && off+int64(len(b)) <= int64(len(w.in)) && off <= math.MaxUint32 {
			return slot{k: k, zc: true, off: uint32(off), ln: uint32(len(b)), trun: trunc}
		}
	}
	return w.bufSlot(k, b, trunc)
}

func (w *walker) bufSlot(k Kind, b []byte, trunc bool) slot {
	if len(b) == 0 {
		return slot{k: k, trun: trunc}
	}
	if len(w.buf)+len(b) > w.lim.MaxBuf {
		w.lostBound("string arena")
		return slot{k: KLost}
	}
	off := len(w.buf)
	w.buf = append(w.buf, b...)
	return slot{k: k, off: uint32(off), ln: uint32(len(b)), trun: trunc}
}

func (w *walker) bufString(k Kind, s string, trunc bool) slot {
	if len(s) > w.lim.KeepString && k == KStr {
		s = s[:w.lim.KeepString]
		trunc = true
	}
	if len(s) == 0 {
		return slot{k: k, trun: trunc}
	}
	if len(w.buf)+len(s) > w.lim.MaxBuf {
		w.lostBound("string arena")
		return slot{k: KLost}
	}
	off := len(w.buf)
	w.buf = append(w.buf, s...)
	return slot{k: k, off: uint32(off), ln: uint32(len(s)), trun: trunc}
}

func (w *walker) lostBound(what string) {
	if !w.lost {
		w.lost = true
		if w.res.Limit == "" {
			w.res.Limit = what + " bound reached; later values are not tracked"
		}
	}
}

// --- containers ----------------------------------------------------------

func (w *walker) newNode(k Kind) slot {
	if len(w.nodes) >= w.lim.MaxNodes {
		w.lostBound("container arena")
		return slot{k: KLost}
	}
	w.nodes = append(w.nodes, node{head: -1, tail: -1})
	return slot{k: k, off: uint32(len(w.nodes) - 1)}
}

func isContainer(k Kind) bool {
	return k == KTuple || k == KList || k == KDict || k == KSet || k == KCall
}

// addItems appends items to container c (shared: every reference sees them).
func (w *walker) addItems(c slot, items []slot) {
	if !isContainer(c.k) {
		return
	}
	nd := &w.nodes[c.off]
	nd.n += int64(len(items))
	if c.k == KList || c.k == KSet {
		// List/set elements are never inspected (only tuples, dicts and
		// call arguments are): count them, do not retain them.
		if len(items) > 0 {
			nd.trun = true
		}
		return
	}
	for _, it := range items {
		if int(nd.kept) >= w.lim.KeepItems {
			nd.trun = true
			return
		}
		if len(w.cells) >= w.lim.MaxNodes {
			w.lostBound("container arena")
			nd.trun = true
			return
		}
		w.cells = append(w.cells, cell{v: it, next: -1})
		ci := int32(len(w.cells) - 1)
		if nd.tail < 0 {
			nd.head = ci
		} else {
			w.cells[nd.tail].next = ci
		}
		nd.tail = ci
		nd.kept++
	}
}

func (w *walker) container(k Kind, items []slot) slot {
	c := w.newNode(k)
	w.addItems(c, items)
	return c
}

// children returns up to max retained children of a container slot.
func (w *walker) children(c slot, dst []slot) []slot {
	if !isContainer(c.k) || int(c.off) >= len(w.nodes) {
		return dst
	}
	for ci := w.nodes[c.off].head; ci >= 0 && len(dst) < cap(dst); ci = w.cells[ci].next {
		dst = append(dst, w.cells[ci].v)
	}
	return dst
}

func (w *walker) truncated(c slot) bool {
	if !isContainer(c.k) {
		return c.trun
	}
	nd := w.nodes[c.off]
	return nd.trun || int64(nd.kept) < nd.n
}

// --- stack and memo --------------------------------------------------------

func (w *walker) push(v slot) error {
	n := len(w.stack)
	if n < cap(w.stack) && n < w.lim.MaxStack {
		w.stack = w.stack[:n+1]
		w.stack[n] = v
		return nil
	}
	return w.pushSlow(v)
}

func (w *walker) pushSlow(v slot) error {
	if len(w.stack) >= w.lim.MaxStack {
		return w.stackFull()
	}
	w.stack = append(w.stack, v)
	return nil
}

func (w *walker) stackFull() error {
	return &limitError{fmt.Sprintf("simulated stack exceeds %d entries", w.lim.MaxStack)}
}

var errUnderflow = errors.New("stack underflow")

func (w *walker) base() int {
	if len(w.marks) > 0 {
		return int(w.marks[len(w.marks)-1])
	}
	return 0
}

func (w *walker) pop() (slot, error) {
	if len(w.stack) <= w.base() {
		return slot{}, errUnderflow
	}
	v := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	return v, nil
}

func (w *walker) top() (slot, error) {
	if len(w.stack) <= w.base() {
		return slot{}, errUnderflow
	}
	return w.stack[len(w.stack)-1], nil
}

// popMark pops to the last MARK; the returned slice is valid until the next push.
func (w *walker) popMark() ([]slot, error) {
	if len(w.marks) == 0 {
		return nil, errors.New("MARK not found")
	}
	m := w.marks[len(w.marks)-1]
	w.marks = w.marks[:len(w.marks)-1]
	items := w.stack[m:]
	w.stack = w.stack[:m]
	return items, nil
}

func (w *walker) memoPut(idx int64, v slot) error {
	if idx == int64(len(w.memo)) && len(w.memo) < w.lim.MaxMemo {
		w.memo = append(w.memo, v)
		w.memoSet = append(w.memoSet, true)
		return nil
	}
	return w.memoPutSlow(idx, v)
}

func (w *walker) memoPutSlow(idx int64, v slot) error {
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
		w.sparse = map[int64]slot{}
	}
	if _, ok := w.sparse[idx]; !ok && len(w.memo)+len(w.sparse) >= w.lim.MaxMemo {
		w.res.Limit = fmt.Sprintf("memo exceeds %d entries; later memo values are not tracked", w.lim.MaxMemo)
		if len(w.sparse) >= w.lim.MaxMemo {
			return &limitError{w.res.Limit}
		}
		w.sparse[idx] = slot{k: KLost}
		return nil
	}
	w.sparse[idx] = v
	return nil
}

func (w *walker) memoGet(idx int64) (slot, error) {
	if idx >= 0 && idx < int64(len(w.memo)) && w.memoSet[idx] {
		return w.memo[idx], nil
	}
	if v, ok := w.sparse[idx]; ok {
		return v, nil
	}
	if w.res.Limit != "" {
		return slot{k: KLost}, nil
	}
	return slot{}, fmt.Errorf("memo key %d not found", idx)
}

// --- imports and calls -----------------------------------------------------

func (w *walker) importGlobal(off int64, op, module, name string) (slot, error) {
	var im Import
	if w.custom == nil {
		e := lookupClass(module, name) // interned strings: no copy per import
		im = Import{Offset: off, Op: op, Module: e.mod, Name: e.name, Class: e.c, Reason: e.why, q: e.q}
	} else {
		module, name = strings.Clone(module), strings.Clone(name)
		cl, why := w.custom(module, name)
		im = Import{Offset: off, Op: op, Module: module, Name: name, Class: cl, Reason: why}
		im.q = im.Qualified()
	}
	if len(w.res.Imports) < w.lim.MaxImports {
		w.res.Imports = append(w.res.Imports, im)
	} else if w.res.Limit == "" {
		w.res.Limit = fmt.Sprintf("more than %d imports; later ones not recorded", w.lim.MaxImports)
	}
	if isNumpyArrayWrapper(im.q) {
		w.res.Joblib = true
	}
	return w.bufString(KGlobal, im.q, false), nil
}

func (w *walker) call(off int64, op string, fn slot, args slot) slot {
	c := Call{Offset: off, Op: op, Callable: "?"}
	switch fn.k {
	case KGlobal:
		q := w.sv(fn)
		c.Class, c.Reason = w.classOfQualified(q)
		c.Callable = strings.Clone(q)
	case KCall:
		c.Callable = "(" + w.render(fn, 80) + ")"
		c.Class = Unknown
	default:
		c.Class = Unknown
	}
	if c.Class == Safe {
		w.res.SafeCalls++
	} else {
		c.Args = w.render(args, 160) // evidence is only needed for findings
		if len(w.res.Calls) < w.lim.MaxImports {
			w.res.Calls = append(w.res.Calls, c)
		}
	}
	r := w.newNode(KCall)
	w.addItems(r, []slot{fn, args})
	return r
}

func (w *walker) classOfQualified(q string) (Class, string) {
	for i := range w.qcache {
		if w.qcache[i].q == q && q != "" {
			return w.qcache[i].c, w.qcache[i].wh
		}
	}
	var c Class
	var why string
	found := false
	for i := len(w.res.Imports) - 1; i >= 0 && i >= len(w.res.Imports)-64; i-- {
		if w.res.Imports[i].q == q {
			c, why, found = w.res.Imports[i].Class, w.res.Imports[i].Reason, true
			break
		}
	}
	if !found {
		mod, name := q, ""
		if i := strings.LastIndexByte(q, '.'); i >= 0 {
			mod, name = q[:i], q[i+1:]
		}
		c, why = w.classes(mod, name)
	}
	copy(w.qcache[1:], w.qcache[:7])
	w.qcache[0].q, w.qcache[0].c, w.qcache[0].wh = strings.Clone(q), c, why
	return c, why
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
		if w.in != nil && src.p < len(src.buf) && fastOps[src.buf[src.p]] && len(w.in) <= math.MaxUint32 && w.fast() {
			continue
		}
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
			return w.opsExceeded()
		}
		if err := w.step(op, off); err != nil {
			return w.stepError(err, op, off)
		}
		if op != 0x80 && op != 0x95 {
			w.content++
		}
	}
}

func (w *walker) stepError(err error, op byte, off int64) error {
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

// fastOps are the opcodes fast handles.
var fastOps = func() (t [256]bool) {
	for _, c := range []byte("KMJUCXBNG)}](qhaseu") {
		t[c] = true
	}
	for _, c := range []byte{0x8c, 0x88, 0x89, 0x95, 0x8f, 0x94, 0x85, 0x86, 0x87} {
		t[c] = true
	}
	return
}()

// fast executes runs of the most frequent opcodes of an in-memory input
// without error plumbing, on local copies of the hot state; it returns false
// (having consumed nothing of the current opcode) when the general path must
// handle the next opcode.
func (w *walker) fast() bool {
	src := w.src
	buf := src.buf
	p := src.p
	stack := w.stack
	ops := w.res.Ops
	start := ops
	frames := int64(0)
	maxOps := w.lim.MaxOps
	limit := min(cap(stack), w.lim.MaxStack)
	keep := w.lim.KeepString
	base := 0
	if len(w.marks) > 0 {
		base = int(w.marks[len(w.marks)-1])
	}
loop:
	for p < len(buf) && ops < maxOps {
		n := len(stack)
		var v slot
		adv := 1
		switch op := buf[p]; op {
		case 'K': // BININT1
			if p+1 >= len(buf) || n >= limit {
				break loop
			}
			v, adv = slot{k: KInt, n: int64(buf[p+1])}, 2
		case 'M': // BININT2
			if p+2 >= len(buf) || n >= limit {
				break loop
			}
			v, adv = slot{k: KInt, n: int64(buf[p+1]) | int64(buf[p+2])<<8}, 3
		case 'J': // BININT
			if p+4 >= len(buf) || n >= limit {
				break loop
			}
			v, adv = slot{k: KInt, n: int64(int32(binary.LittleEndian.Uint32(buf[p+1:])))}, 5
		case 0x8c, 'U', 'C': // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
			if p+1 >= len(buf) || n >= limit {
				break loop
			}
			l := int(buf[p+1])
			if p+2+l > len(buf) || l > keep {
				break loop
			}
			v, adv = slot{k: KStr, zc: true, off: uint32(p + 2), ln: uint32(l)}, 2+l
		case 'X', 'B': // BINUNICODE, BINBYTES (short enough to keep)
			if p+4 >= len(buf) || n >= limit {
				break loop
			}
			l := int(binary.LittleEndian.Uint32(buf[p+1:]))
			if l > keep || p+5+l > len(buf) {
				break loop
			}
			v, adv = slot{k: KStr, zc: true, off: uint32(p + 5), ln: uint32(l)}, 5+l
		case 'N':
			if n >= limit {
				break loop
			}
			v = slot{k: KNone}
		case 0x88, 0x89:
			if n >= limit {
				break loop
			}
			v = slot{k: KBool}
			if op == 0x88 {
				v.n = 1
			}
		case 'G':
			if p+8 >= len(buf) || n >= limit {
				break loop
			}
			v, adv = slot{k: KFloat}, 9
		case 0x95: // FRAME (not content)
			if p+8 >= len(buf) {
				break loop
			}
			p += 9
			ops++
			frames++
			continue
		case ')', '}', ']', 0x8f:
			if n >= limit || len(w.nodes) >= w.lim.MaxNodes {
				break loop
			}
			k := KTuple
			switch op {
			case '}':
				k = KDict
			case ']':
				k = KList
			case 0x8f:
				k = KSet
			}
			w.nodes = append(w.nodes, node{head: -1, tail: -1})
			v = slot{k: k, off: uint32(len(w.nodes) - 1)}
		case 0x94: // MEMOIZE
			if n <= base || len(w.memo) >= w.lim.MaxMemo || len(w.sparse) > 0 {
				break loop
			}
			w.memo = append(w.memo, stack[n-1])
			w.memoSet = append(w.memoSet, true)
			p++
			ops++
			continue
		case 'q': // BINPUT of the next index
			if p+1 >= len(buf) || n <= base || int(buf[p+1]) != len(w.memo) || len(w.memo) >= w.lim.MaxMemo {
				break loop
			}
			w.memo = append(w.memo, stack[n-1])
			w.memoSet = append(w.memoSet, true)
			p += 2
			ops++
			continue
		case 'h': // BINGET
			if p+1 >= len(buf) || n >= limit {
				break loop
			}
			i := int(buf[p+1])
			if i >= len(w.memo) || !w.memoSet[i] {
				break loop
			}
			v, adv = w.memo[i], 2
		case '(': // MARK
			if len(w.marks) >= w.lim.MaxMarks {
				break loop
			}
			w.marks = append(w.marks, int32(n))
			base = n
			p++
			ops++
			continue
		case 'a': // APPEND
			if n-1 <= base {
				break loop
			}
			w.addItems(stack[n-2], stack[n-1:n])
			stack = stack[:n-1]
			p++
			ops++
			continue
		case 's': // SETITEM
			if n-2 <= base {
				break loop
			}
			w.addItems(stack[n-3], stack[n-2:n])
			stack = stack[:n-2]
			p++
			ops++
			continue
		case 'e', 'u': // APPENDS, SETITEMS
			if len(w.marks) == 0 {
				break loop
			}
			m := int(w.marks[len(w.marks)-1])
			if m == 0 || (op == 'u' && (n-m)%2 != 0) {
				break loop
			}
			nb := 0
			if len(w.marks) > 1 {
				nb = int(w.marks[len(w.marks)-2])
			}
			if m-1 < nb {
				break loop
			}
			w.addItems(stack[m-1], stack[m:n])
			stack = stack[:m]
			w.marks = w.marks[:len(w.marks)-1]
			base = nb
			p++
			ops++
			continue
		case 0x85, 0x86, 0x87: // TUPLE1..3
			k := int(op - 0x84)
			if n-base < k || len(w.nodes) >= w.lim.MaxNodes {
				break loop
			}
			w.stack = stack
			t := w.container(KTuple, stack[n-k:n])
			stack = stack[:n-k]
			stack = append(stack, t)
			p++
			ops++
			continue
		default:
			break loop
		}
		stack = stack[:n+1]
		stack[n] = v
		p += adv
		ops++
	}
	did := ops != start
	src.p = p
	w.stack = stack
	w.content += ops - start - frames
	w.opsIn += ops - start
	w.res.Ops = ops
	return did
}

func (w *walker) opsExceeded() error {
	return &limitError{fmt.Sprintf("more than %d opcodes; the rest was not walked", w.lim.MaxOps)}
}

// opNames maps opcode bytes to pickletools names for messages.
var opNames = map[byte]string{
	'c': "GLOBAL", 'i': "INST", 0x93: "STACK_GLOBAL", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
	'R': "REDUCE", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 'o': "OBJ", 'b': "BUILD", 'X': "BINUNICODE",
	0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8", 'B': "BINBYTES", 0x8e: "BINBYTES8", 'T': "BINSTRING",
	'S': "STRING", 'V': "UNICODE", 'h': "BINGET", 'j': "LONG_BINGET", 'g': "GET", 'q': "BINPUT",
	'r': "LONG_BINPUT", 'p': "PUT", 0x94: "MEMOIZE", 0x80: "PROTO", 0x95: "FRAME", '.': "STOP",
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

// memoIndex reads the memo index argument of GET/PUT (text line),
// BINGET/BINPUT (1 byte) or LONG_BINGET/LONG_BINPUT (4 bytes).
func (w *walker) memoIndex(op byte) (int64, error) {
	switch op {
	case 'g', 'p':
		return w.readIndexLine()
	case 'h', 'q':
		b, err := w.src.readByte()
		return int64(b), err
	default:
		b, err := w.src.read(4)
		if err != nil {
			return 0, err
		}
		return int64(binary.LittleEndian.Uint32(b)), nil
	}
}

func (w *walker) readIndexLine() (int64, error) {
	l, err := w.src.readLine(w.lim.MaxLine)
	if err != nil {
		return 0, err
	}
	l = bytes.TrimSpace(l)
	if len(l) == 0 || len(l) > 18 {
		return 0, fmt.Errorf("bad memo index %q", core(string(l)))
	}
	var n int64
	for _, c := range l {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad memo index %q", core(string(l)))
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// bstr views b as a string without copying (valid while b is).
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (w *walker) step(op byte, off int64) error {
	src := w.src
	switch op {
	case '(': // MARK
		if len(w.marks) >= w.lim.MaxMarks {
			return &limitError{fmt.Sprintf("more than %d nested MARKs", w.lim.MaxMarks)}
		}
		w.marks = append(w.marks, int32(len(w.stack)))
	case '.': // STOP
		v, err := w.pop()
		if err != nil {
			return err
		}
		w.lastTop = v
		return errStop
	case '0': // POP
		if len(w.stack) > w.base() {
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
		return w.push(t)
	case 'F': // FLOAT
		if _, err := src.readLine(w.lim.MaxLine); err != nil {
			return err
		}
		return w.push(slot{k: KFloat})
	case 'I': // INT
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(w.intText(strings.TrimSpace(bstr(l))))
	case 'L': // LONG
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(w.intText(strings.TrimSuffix(strings.TrimSpace(bstr(l)), "L")))
	case 'J':
		b, err := src.read(4)
		if err != nil {
			return err
		}
		return w.push(slot{k: KInt, n: int64(int32(binary.LittleEndian.Uint32(b)))})
	case 'K':
		b, err := src.readByte()
		if err != nil {
			return err
		}
		return w.push(slot{k: KInt, n: int64(b)})
	case 'M':
		b, err := src.read(2)
		if err != nil {
			return err
		}
		return w.push(slot{k: KInt, n: int64(binary.LittleEndian.Uint16(b))})
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
		if !kept {
			return w.push(slot{k: KInt, trun: true})
		}
		return w.push(w.longSlot(b))
	case 'N':
		return w.push(slot{k: KNone})
	case 0x88:
		return w.push(slot{k: KBool, n: 1})
	case 0x89:
		return w.push(slot{k: KBool})
	case 'G':
		if _, err := src.read(8); err != nil {
			return err
		}
		return w.push(slot{k: KFloat})
	case 'P': // PERSID
		if _, err := src.readLine(w.lim.MaxLine); err != nil {
			return err
		}
		w.res.Persisted++
		return w.push(slot{k: KPersist})
	case 'Q': // BINPERSID
		if _, err := w.pop(); err != nil {
			return err
		}
		w.res.Persisted++
		return w.push(slot{k: KPersist})
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
		s, err := unquote(bstr(l))
		if err != nil {
			return err
		}
		return w.push(w.bufString(KStr, s, false))
	case 'V': // UNICODE, raw-unicode-escape line
		l, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		return w.push(w.bufString(KStr, rawUnicodeUnescape(bstr(l)), false))
	case 'T', 'U', 'X', 'B', 'C', 0x8c, 0x8d, 0x8e, 0x96:
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
		w.addItems(t, []slot{v})
	case 'e', 'u', 0x90: // APPENDS, SETITEMS, ADDITEMS
		items, err := w.popMark()
		if err != nil {
			return err
		}
		if op == 'u' && len(items)%2 != 0 {
			return errors.New("SETITEMS with an odd number of items")
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
	case 'c', 'i': // GLOBAL, INST
		ml, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		mod := string(ml) // the next readLine may reuse the buffer
		nl, err := src.readLine(w.lim.MaxLine)
		if err != nil {
			return err
		}
		name := bstr(nl)
		opn := "GLOBAL"
		if op == 'i' {
			opn = "INST"
		}
		fn, err := w.importGlobal(off, opn, strings.TrimRight(mod, "\r"), strings.TrimRight(name, "\r"))
		if err != nil {
			return err
		}
		if op == 'c' {
			return w.push(fn)
		}
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
		return w.push(w.call(off, "NEWOBJ_EX", cls, w.container(KTuple, []slot{args, kw})))
	case 0x93: // STACK_GLOBAL
		name, err := w.pop()
		if err != nil {
			return err
		}
		mod, err := w.pop()
		if err != nil {
			return err
		}
		if mod.k == KStr && name.k == KStr && !mod.trun && !name.trun {
			fn, err := w.importGlobal(off, "STACK_GLOBAL", w.sv(mod), w.sv(name))
			if err != nil {
				return err
			}
			return w.push(fn)
		}
		if mod.k == KLost || name.k == KLost {
			fn, err := w.importGlobal(off, "STACK_GLOBAL", "?", "?")
			if err != nil {
				return err
			}
			return w.push(fn)
		}
		w.suspicious(off, "STACK_GLOBAL", "STACK_GLOBAL("+w.render(mod, 60)+", "+w.render(name, 60)+")",
			"import target is computed at load time and cannot be resolved statically")
		return w.push(w.bufString(KGlobal, "?", false))
	case 0x82, 0x83, 0x84: // EXT1, EXT2, EXT4
		n := 1
		if op == 0x83 {
			n = 2
		} else if op == 0x84 {
			n = 4
		}
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
		im.q = im.Qualified()
		if len(w.res.Imports) < w.lim.MaxImports {
			w.res.Imports = append(w.res.Imports, im)
		}
		return w.push(w.bufString(KGlobal, im.q, false))
	case 'd', 'l', 't', 0x91: // DICT, LIST, TUPLE, FROZENSET
		items, err := w.popMark()
		if err != nil {
			return err
		}
		k := KTuple
		switch op {
		case 'd':
			k = KDict
		case 'l':
			k = KList
		case 0x91:
			k = KSet
		}
		if op == 'd' && len(items)%2 != 0 {
			return errors.New("DICT with an odd number of items")
		}
		return w.push(w.container(k, items))
	case '}':
		return w.push(w.newNode(KDict))
	case ']':
		return w.push(w.newNode(KList))
	case ')':
		return w.push(w.newNode(KTuple))
	case 0x8f:
		return w.push(w.newNode(KSet))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op - 0x84)
		if len(w.stack)-w.base() < n {
			return errUnderflow
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
		w.addItems(t, []slot{k, v})
	case 'g', 'h', 'j': // GET, BINGET, LONG_BINGET
		idx, err := w.memoIndex(op)
		if err != nil {
			return err
		}
		v, err := w.memoGet(idx)
		if err != nil {
			return err
		}
		return w.push(v)
	case 'p', 'q', 'r', 0x94: // PUT, BINPUT, LONG_BINPUT, MEMOIZE
		idx := int64(len(w.memo) + len(w.sparse))
		if op != 0x94 {
			var err error
			if idx, err = w.memoIndex(op); err != nil {
				return err
			}
		}
		t, err := w.top()
		if err != nil {
			return err
		}
		return w.memoPut(idx, t)
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
		return w.push(slot{k: KOther})
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
	case 'X', 'B':
		b, err := src.read(4)
		if err != nil {
			return err
		}
		n = int64(binary.LittleEndian.Uint32(b))
	default: // BINUNICODE8, BINBYTES8, BYTEARRAY8
		b, err := src.read(8)
		if err != nil {
			return err
		}
		u := binary.LittleEndian.Uint64(b)
		if u > math.MaxInt64/2 {
			return fmt.Errorf("declared length %d is impossible", u)
		}
		n = int64(u)
	}
	b, kept, err := src.readKeep(n, w.lim.KeepString)
	if err != nil {
		return err
	}
	return w.push(w.strSlot(KStr, b, !kept, true))
}

// build handles BUILD: inst.__setstate__(state) or inst.__dict__.update.
func (w *walker) build(off int64, inst slot, state slot) error {
	if inst.k == KGlobal {
		w.suspicious(off, "BUILD", "BUILD on "+w.render(inst, 80), "BUILD applied to an imported class/function sets attributes on it (a known deserializer bypass)")
	}
	// A state that installs __setstate__/__reduce__ hooks turns the next
	// BUILD into a call of an attacker-chosen callable.
	d := state
	if d.k == KTuple {
		var kids [2]slot
		if ks := w.children(d, kids[:0]); len(ks) == 2 {
			w.checkHookKeys(off, ks[1])
			d = ks[0]
		}
	}
	w.checkHookKeys(off, d)
	if inst.k == KCall {
		var kids [1]slot
		if ks := w.children(inst, kids[:0]); len(ks) == 1 && ks[0].k == KGlobal && isNumpyArrayWrapper(w.sv(ks[0])) {
			return w.joblibArray(state)
		}
	}
	return nil
}

var hookKeys = map[string]bool{"__setstate__": true, "__reduce__": true, "__reduce_ex__": true, "__getattr__": true,
	"__getattribute__": true, "__class__": true, "__init__": true, "__new__": true, "__call__": true, "__globals__": true,
	"__builtins__": true, "__code__": true, "__dict__": true}

func (w *walker) checkHookKeys(off int64, d slot) {
	if d.k != KDict {
		return
	}
	var buf [16]slot
	kv := w.children(d, buf[:0])
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i].k == KStr && kv[i].ln > 4 && w.sv(kv[i])[0] == '_' && hookKeys[w.sv(kv[i])] {
			w.suspicious(off, "BUILD", "BUILD sets "+w.sv(kv[i])+" = "+w.render(kv[i+1], 60), "state installs a dunder hook, so a later BUILD/call runs an attacker-chosen callable")
		}
	}
}

func isNumpyArrayWrapper(q string) bool {
	return q == "joblib.numpy_pickle.NumpyArrayWrapper" || q == "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"
}

// joblibArray skips (or walks, for object arrays) the array bytes joblib
// writes right after a NumpyArrayWrapper's BUILD.
func (w *walker) joblibArray(state slot) error {
	var (
		descr   string
		elsize  int64 = -1
		shape   []int64
		shapeOK bool
		align   bool
	)
	if state.k != KDict || w.truncated(state) {
		return &ourError{"joblib array wrapper with an unreadable state"}
	}
	var buf [16]slot
	kv := w.children(state, buf[:0])
	for i := 0; i+1 < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		if k.k != KStr {
			continue
		}
		switch w.sv(k) {
		case "dtype":
			descr, elsize = w.dtypeOf(v)
		case "shape":
			if v.k == KTuple && !w.truncated(v) {
				var sb [16]slot
				shapeOK = true
				for _, s := range w.children(v, sb[:0]) {
					if s.k != KInt || s.n < 0 || s.ln > 0 {
						shapeOK = false
					}
					shape = append(shape, s.n)
				}
			}
		case "numpy_array_alignment_bytes":
			align = v.k == KInt && v.n > 0
		}
	}
	if strings.Contains(descr, "O") {
		// Object arrays are pickled inline as a complete nested pickle.
		if w.depth >= 2 {
			return &ourError{"joblib object arrays nested too deeply"}
		}
		stack, marks, memo, memoSet, sparse := w.stack, w.marks, w.memo, w.memoSet, w.sparse
		opsIn, content, lastTop := w.opsIn, w.content, w.lastTop
		w.stack, w.marks, w.memo, w.memoSet, w.sparse = nil, nil, nil, nil, nil
		w.depth++
		err := w.stream1()
		w.depth--
		w.stack, w.marks, w.memo, w.memoSet, w.sparse = stack, marks, memo, memoSet, sparse
		w.opsIn, w.content, w.lastTop = opsIn, content, lastTop
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
func (w *walker) dtypeOf(v slot) (string, int64) {
	var kids [2]slot
	ks := w.children(v, kids[:0])
	if v.k != KCall || len(ks) < 2 || ks[0].k != KGlobal || !strings.HasSuffix(w.sv(ks[0]), ".dtype") {
		return "", -1
	}
	var ab [1]slot
	args := w.children(ks[1], ab[:0])
	if ks[1].k != KTuple || len(args) == 0 || args[0].k != KStr {
		return "", -1
	}
	descr := strings.Clone(w.sv(args[0]))
	return descr, itemSize(descr)
}

func (w *walker) intText(s string) slot {
	switch s {
	case "00":
		return slot{k: KBool}
	case "01":
		return slot{k: KBool, n: 1}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		v := w.bufString(KInt, core(s), true)
		return v
	}
	return slot{k: KInt, n: n}
}

// longSlot decodes a little-endian two's-complement LONG1/LONG4 payload.
func (w *walker) longSlot(b []byte) slot {
	if len(b) == 0 {
		return slot{k: KInt}
	}
	if len(b) <= 8 {
		var u uint64
		for i := len(b) - 1; i >= 0; i-- {
			u = u<<8 | uint64(b[i])
		}
		if b[len(b)-1]&0x80 != 0 && len(b) < 8 {
			u |= ^uint64(0) << (8 * uint(len(b)))
		}
		return slot{k: KInt, n: int64(u)}
	}
	return w.bufString(KInt, bigDecimal(b), false)
}

// bigDecimal renders a little-endian two's-complement integer in decimal.
func bigDecimal(b []byte) string {
	neg := b[len(b)-1]&0x80 != 0
	mag := make([]byte, len(b))
	copy(mag, b)
	if neg {
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
	if neg {
		return "-" + string(digits)
	}
	return string(digits)
}

// value materializes a slot as a Value (strings cloned), up to depth 6.
func (w *walker) value(s slot, depth int) Value {
	v := Value{K: s.k, Trun: s.trun, N: s.n}
	switch s.k {
	case KStr, KGlobal:
		v.S = strings.Clone(w.sv(s))
	case KInt:
		if s.ln > 0 {
			v.S = strings.Clone(w.sv(s))
		}
	case KTuple, KList, KDict, KSet, KCall:
		if depth >= 6 || s.off < 0 || int(s.off) >= len(w.nodes) {
			return Value{K: KOther, Trun: true}
		}
		nd := w.nodes[s.off]
		v.N, v.Trun = nd.n, nd.trun || int64(nd.kept) < nd.n
		for ci := nd.head; ci >= 0; ci = w.cells[ci].next {
			v.Sub = append(v.Sub, w.value(w.cells[ci].v, depth+1))
		}
	}
	return v
}

// render renders a slot as short Python-like text for evidence.
func (w *walker) render(s slot, max int) string {
	var b strings.Builder
	w.renderTo(&b, s, max, 0)
	return clipText(b.String(), max)
}

func clipText(s string, max int) string {
	if len(s) > max {
		cut := max
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func (w *walker) renderTo(b *strings.Builder, s slot, max, depth int) {
	if b.Len() > max {
		return
	}
	switch s.k {
	case KStr:
		b.WriteString(strconv.Quote(w.sv(s)))
		if s.trun {
			b.WriteString("…")
		}
	case KInt:
		if s.ln > 0 {
			b.WriteString(w.sv(s))
		} else if s.trun {
			b.WriteString("<long>")
		} else {
			b.WriteString(strconv.FormatInt(s.n, 10))
		}
	case KBool:
		if s.n != 0 {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case KFloat:
		b.WriteString("<float>")
	case KNone:
		b.WriteString("None")
	case KGlobal:
		b.WriteString(w.sv(s))
	case KCall:
		var kids [2]slot
		ks := w.children(s, kids[:0])
		if len(ks) != 2 || depth > 4 {
			b.WriteString("<call>")
			return
		}
		w.renderTo(b, ks[0], max, depth+1)
		if ks[1].k == KTuple {
			w.renderTo(b, ks[1], max, depth+1)
		} else {
			b.WriteString("(")
			w.renderTo(b, ks[1], max, depth+1)
			b.WriteString(")")
		}
	case KTuple, KList, KDict, KSet:
		open, close := "(", ")"
		switch s.k {
		case KList:
			open, close = "[", "]"
		case KDict, KSet:
			open, close = "{", "}"
		}
		b.WriteString(open)
		nd := w.nodes[s.off]
		i := 0
		for ci := nd.head; ci >= 0; ci = w.cells[ci].next {
			if i > 0 {
				if s.k == KDict && i%2 == 1 {
					b.WriteString(": ")
				} else {
					b.WriteString(", ")
				}
			}
			if depth > 4 || b.Len() > max {
				b.WriteString("…")
				break
			}
			w.renderTo(b, w.cells[ci].v, max, depth+1)
			i++
		}
		if nd.kept == 0 && nd.n > 0 {
			b.WriteString("…")
		} else if nd.trun || int64(nd.kept) < nd.n {
			b.WriteString(", …")
		} else if s.k == KTuple && nd.kept == 1 {
			b.WriteString(",")
		}
		b.WriteString(close)
	case KPersist:
		b.WriteString("<persistent>")
	case KLost:
		b.WriteString("<untracked>")
	default:
		b.WriteString("<object>")
	}
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
