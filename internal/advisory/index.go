package advisory

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// On-disk index format (all integers little-endian):
//
//	magic   "ASSAYIX1"
//	u32     header length, then the header (JSON, indexHeader)
//	u32     key count N
//	N ×     u16 key length, key bytes ("<ecosystem>\x00<normalised name>"),
//	        u64 blob offset (from the start of the data section), u32 blob length
//	data    blobs: a JSON array of Entry per key
//
// Opening reads the header and the key table (a few MB for all of npm)
// and nothing else; Lookup binary-searches the table and reads and
// decodes only the blobs of the names asked for.
const indexMagic = "ASSAYIX1"

// indexFormat changes whenever Entry or the layout changes; old files are
// rebuilt.
const indexFormat = 1

// Bounds on index files read back (they live in the user's cache dir, but
// are still parsed defensively).
const (
	maxIndexHeader = 1 << 20
	maxIndexKeys   = 10_000_000
	maxBlob        = 64 << 20
)

type indexHeader struct {
	Format     int            `json:"format"`
	Source     string         `json:"source"`
	SHA256     string         `json:"sha256"`
	Records    int            `json:"records"`
	Withdrawn  int            `json:"withdrawn"`
	Invalid    int            `json:"invalid"`
	Errors     []string       `json:"errors,omitempty"`
	Ecosystems map[string]int `json:"ecosystems"`
	Modified   string         `json:"modified"` // newest record modified time
	Built      string         `json:"built"`
}

// writeIndex writes entries grouped by key to path atomically.
func writeIndex(path string, hdr indexHeader, byKey map[string][]Entry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var data bytes.Buffer
	type span struct {
		off uint64
		n   uint32
	}
	spans := make([]span, len(keys))
	for i, k := range keys {
		b, err := json.Marshal(byKey[k])
		if err != nil {
			return err
		}
		spans[i] = span{uint64(data.Len()), uint32(len(b))}
		data.Write(b)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".idx-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	hb, _ := json.Marshal(hdr)
	w.WriteString(indexMagic)
	binary.Write(w, binary.LittleEndian, uint32(len(hb)))
	w.Write(hb)
	binary.Write(w, binary.LittleEndian, uint32(len(keys)))
	for i, k := range keys {
		if len(k) > 0xffff {
			return fmt.Errorf("index key too long")
		}
		binary.Write(w, binary.LittleEndian, uint16(len(k)))
		w.WriteString(k)
		binary.Write(w, binary.LittleEndian, spans[i].off)
		binary.Write(w, binary.LittleEndian, spans[i].n)
	}
	w.Write(data.Bytes())
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// diskIndex is an opened index file.
type diskIndex struct {
	f       *os.File
	hdr     indexHeader
	table   []byte   // the key table
	offs    []uint32 // start of each key record in table
	dataOff int64
}

func openIndex(path string) (*diskIndex, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ix, err := readIndex(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return ix, nil
}

var errBadIndex = errors.New("corrupt index")

func readIndex(f *os.File) (*diskIndex, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	br := bufio.NewReaderSize(f, 1<<16)
	var magic [8]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != indexMagic {
		return nil, errBadIndex
	}
	var hl uint32
	if err := binary.Read(br, binary.LittleEndian, &hl); err != nil || hl > maxIndexHeader || int64(hl) > size {
		return nil, errBadIndex
	}
	hb := make([]byte, hl)
	if _, err := io.ReadFull(br, hb); err != nil {
		return nil, errBadIndex
	}
	ix := &diskIndex{f: f}
	if err := json.Unmarshal(hb, &ix.hdr); err != nil || ix.hdr.Format != indexFormat {
		return nil, errBadIndex
	}
	var n uint32
	if err := binary.Read(br, binary.LittleEndian, &n); err != nil || n > maxIndexKeys || int64(n)*14 > size {
		return nil, errBadIndex
	}
	// Read the table: we don't know its byte length up front, so read
	// records one by one into a growing buffer.
	ix.offs = make([]uint32, n)
	table := make([]byte, 0, int(n)*32)
	var lenb [2]byte
	for i := uint32(0); i < n; i++ {
		if _, err := io.ReadFull(br, lenb[:]); err != nil {
			return nil, errBadIndex
		}
		kl := int(binary.LittleEndian.Uint16(lenb[:]))
		ix.offs[i] = uint32(len(table))
		start := len(table)
		table = append(table, lenb[:]...)
		table = append(table, make([]byte, kl+12)...)
		if _, err := io.ReadFull(br, table[start+2:]); err != nil {
			return nil, errBadIndex
		}
	}
	ix.table = table
	ix.dataOff = int64(8+4+int(hl)+4) + int64(len(table))
	if ix.dataOff > size {
		return nil, errBadIndex
	}
	return ix, nil
}

func (ix *diskIndex) keyAt(i int) (string, uint64, uint32) {
	p := ix.table[ix.offs[i]:]
	kl := int(binary.LittleEndian.Uint16(p))
	k := string(p[2 : 2+kl])
	off := binary.LittleEndian.Uint64(p[2+kl:])
	n := binary.LittleEndian.Uint32(p[2+kl+8:])
	return k, off, n
}

func (ix *diskIndex) keyBytes(i int) []byte {
	p := ix.table[ix.offs[i]:]
	kl := int(binary.LittleEndian.Uint16(p))
	return p[2 : 2+kl]
}

// lookup returns the entries stored under key k.
func (ix *diskIndex) lookup(k string) ([]Entry, error) {
	kb := []byte(k)
	i := sort.Search(len(ix.offs), func(i int) bool { return bytes.Compare(ix.keyBytes(i), kb) >= 0 })
	if i >= len(ix.offs) || !bytes.Equal(ix.keyBytes(i), kb) {
		return nil, nil
	}
	_, off, n := ix.keyAt(i)
	if n > maxBlob {
		return nil, errBadIndex
	}
	buf := make([]byte, n)
	if _, err := ix.f.ReadAt(buf, ix.dataOff+int64(off)); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadIndex, err)
	}
	var es []Entry
	if err := json.Unmarshal(buf, &es); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadIndex, err)
	}
	return es, nil
}

func (ix *diskIndex) close() error { return ix.f.Close() }
