package python

import (
	"bytes"
	"runtime"
	"sync"

	toml "github.com/pelletier/go-toml/v2"
)

// packageHeader is the array-of-tables header every TOML lockfile here uses.
var packageHeader = []byte("[[package]]")

// packageHeaderLines returns the byte offsets and 1-based line numbers of
// every line that is exactly "[[package]]" (resolvers write it so).
func packageHeaderLines(data []byte) (offs []int, lines []int) {
	line, off := 1, 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		var l []byte
		if end < 0 {
			l = data[off:]
		} else {
			l = data[off : off+end]
		}
		if bytes.Equal(bytes.TrimRight(l, " \t\r"), packageHeader) {
			offs = append(offs, off)
			lines = append(lines, line)
		}
		if end < 0 {
			break
		}
		off += end + 1
		line++
	}
	return offs, lines
}

// chunkThreshold is the size above which a lockfile is decoded in parallel.
const chunkThreshold = 1 << 20

// chunkMin is chunkThreshold; fuzz tests lower it to exercise the split.
var chunkMin = chunkThreshold

// decodeLock decodes a TOML lockfile into a fresh D. Large files are split
// at "[[package]]" lines and the pieces decoded concurrently (each piece is a
// valid document: a package table and its sub-tables never span a header of
// the next package); merge folds piece i into the result. A piece that fails
// to decode makes the whole document decode serially, so errors carry true
// positions and a header inside a multi-line string cannot change meaning
// (the piece before it would hold an unterminated string and fail).
func decodeLock[D any](data []byte, offs []int, merge func(dst *D, src *D)) (*D, error) {
	workers := runtime.GOMAXPROCS(0)
	if len(data) < chunkMin || workers < 2 || len(offs) < 2*workers {
		var d D
		if err := toml.Unmarshal(data, &d); err != nil {
			return nil, tomlError(err)
		}
		return &d, nil
	}
	// Cut points: the first header after each 1/workers of the file.
	cuts := []int{0}
	j := 0
	for w := 1; w < workers; w++ {
		target := len(data) * w / workers
		for j < len(offs) && offs[j] < target {
			j++
		}
		if j < len(offs) && offs[j] > cuts[len(cuts)-1] {
			cuts = append(cuts, offs[j])
		}
	}
	cuts = append(cuts, len(data))
	parts := make([]D, len(cuts)-1)
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = toml.Unmarshal(data[cuts[i]:cuts[i+1]], &parts[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			var d D
			if err := toml.Unmarshal(data, &d); err != nil {
				return nil, tomlError(err)
			}
			return &d, nil
		}
	}
	out := &parts[0]
	for i := 1; i < len(parts); i++ {
		merge(out, &parts[i])
	}
	return out, nil
}
