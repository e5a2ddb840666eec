package modelscan

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/modelscan/pickle"
)

const maxNpyHeader = 1 << 20

// npyHeader is the parsed header of an .npy file.
type npyHeader struct {
	Descr  string
	Shape  string
	Object bool
	Len    int64 // bytes before the array data
}

var (
	reDescrStr  = regexp.MustCompile(`['"]descr['"]\s*:\s*['"]([^'"]*)['"]`)
	reDescrList = regexp.MustCompile(`['"]descr['"]\s*:\s*\[`)
	reObjType   = regexp.MustCompile(`['"][|<>=]?O\d*['"]`)
	reShape     = regexp.MustCompile(`['"]shape['"]\s*:\s*\(([^)]*)\)`)
)

// readNpyHeader parses the magic, version and header dict of an .npy stream.
func readNpyHeader(r *bufio.Reader) (npyHeader, error) {
	var h npyHeader
	pre := make([]byte, 8)
	if _, err := io.ReadFull(r, pre); err != nil {
		return h, fmt.Errorf("truncated numpy header")
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, errors.New("bad numpy magic")
	}
	var hlen int64
	switch pre[6] {
	case 1:
		b := make([]byte, 2)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("truncated numpy header")
		}
		hlen, h.Len = int64(binary.LittleEndian.Uint16(b)), 10
	case 2, 3:
		b := make([]byte, 4)
		if _, err := io.ReadFull(r, b); err != nil {
			return h, fmt.Errorf("truncated numpy header")
		}
		hlen, h.Len = int64(binary.LittleEndian.Uint32(b)), 12
	default:
		return h, fmt.Errorf("unsupported numpy format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxNpyHeader {
		return h, fmt.Errorf("numpy header of %d bytes exceeds the %d bound", hlen, maxNpyHeader)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return h, fmt.Errorf("truncated numpy header")
	}
	h.Len += hlen
	s := string(hb)
	if m := reDescrStr.FindStringSubmatch(s); m != nil {
		h.Descr = m[1]
		h.Object = strings.Contains(strings.TrimLeft(m[1], "|<>="), "O")
	} else if loc := reDescrList.FindStringIndex(s); loc != nil {
		h.Descr = "structured"
		h.Object = reObjType.MatchString(s[loc[1]:])
	} else {
		return h, errors.New("numpy header has no descr")
	}
	if m := reShape.FindStringSubmatch(s); m != nil {
		h.Shape = "(" + strings.TrimSpace(m[1]) + ")"
	}
	return h, nil
}

// npyContent analyses one .npy stream; object arrays' pickles are walked.
func (sc *scan) npyContent(member string, br *bufio.Reader) (npyHeader, error) {
	h, err := readNpyHeader(br)
	if err != nil {
		return h, err
	}
	if h.Object {
		sc.find(RuleNumpyObject, member, h.Len, fmt.Sprintf("numpy array with object dtype %q: numpy.load(allow_pickle=True) unpickles its data", h.Descr), "descr "+h.Descr)
		r := pickle.Walk(br, sc.opts.Limits, nil)
		sc.pickleFindings(member, h.Len, r)
	}
	return h, nil
}

func (sc *scan) scanNpy(b *blob) (*detected, error) {
	h, err := sc.npyContent(b.member, b.stream())
	if err != nil {
		return nil, err
	}
	det := &detected{Format: "numpy", Framework: "numpy", Wrap: b.wrap}
	det.param("dtype", h.Descr)
	det.param("shape", h.Shape)
	return det, nil
}

func (sc *scan) scanNpz(b *blob, zr *zip.Reader) (*detected, error) {
	det := &detected{Format: "npz", Framework: "numpy", Wrap: b.wrap}
	arrays, objects := 0, 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		member := joinMember(b.member, f.Name)
		rc, err := f.Open()
		if err != nil {
			sc.errorf(member, "cannot open: %v", err)
			continue
		}
		h, err := sc.npyContent(member, bufio.NewReaderSize(&limitedReader{r: rc, n: maxDecompressed}, 64<<10))
		rc.Close()
		if err != nil {
			sc.errorf(member, "%v", err)
			continue
		}
		arrays++
		if h.Object {
			objects++
		}
	}
	det.param("arrays", fmt.Sprint(arrays))
	if objects > 0 {
		det.param("object_arrays", fmt.Sprint(objects))
	}
	return det, nil
}
