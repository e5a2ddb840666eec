package pickle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// source is the byte stream a walker reads: either a whole in-memory input
// (br == nil) or a window over a bufio.Reader that is viewed with Peek and
// consumed with Discard, so the reader is left exactly after the last byte
// the walker used. Long payloads are skipped, never buffered. The fast
// paths are small enough to inline.
type source struct {
	buf  []byte // in-memory input, or the current Peek window
	p    int    // read position within buf
	base int64  // input offset of buf[0]
	br   *bufio.Reader
	line []byte // scratch for lines (reader mode)
}

var errLineTooLong = errors.New("text line exceeds the line bound")

func (s *source) pos() int64 { return s.base + int64(s.p) }

// more makes at least n unread bytes available (reader mode); false at EOF.
func (s *source) more(n int) bool {
	if s.br == nil {
		return false
	}
	if s.p > 0 {
		k, _ := s.br.Discard(s.p)
		s.base += int64(k)
		s.p = 0
	}
	if s.br.Buffered() < n {
		if _, err := s.br.Peek(n); err != nil {
			s.buf, _ = s.br.Peek(s.br.Buffered())
			return false
		}
	}
	s.buf, _ = s.br.Peek(s.br.Buffered())
	return len(s.buf) >= n
}

// sync consumes what the walker read from the underlying reader.
func (s *source) sync() {
	if s.br != nil && s.p > 0 {
		k, _ := s.br.Discard(s.p)
		s.base += int64(k)
		s.p = 0
		s.buf = nil
	}
}

func (s *source) peek() (byte, error) {
	if s.p < len(s.buf) || s.more(1) {
		return s.buf[s.p], nil
	}
	return 0, io.EOF
}

func (s *source) readByte() (byte, error) {
	if s.p < len(s.buf) {
		c := s.buf[s.p]
		s.p++
		return c, nil
	}
	return s.readByteSlow()
}

func (s *source) readByteSlow() (byte, error) {
	if s.more(1) {
		c := s.buf[s.p]
		s.p++
		return c, nil
	}
	return 0, io.EOF
}

// read returns exactly n (≤ 8) bytes; the slice is valid until the next call.
func (s *source) read(n int) ([]byte, error) {
	if len(s.buf)-s.p >= n {
		b := s.buf[s.p : s.p+n]
		s.p += n
		return b, nil
	}
	return s.readSlow(n)
}

func (s *source) readSlow(n int) ([]byte, error) {
	if s.more(n) {
		b := s.buf[s.p : s.p+n]
		s.p += n
		return b, nil
	}
	s.p = len(s.buf)
	return nil, io.ErrUnexpectedEOF
}

// readKeep consumes n bytes and returns them when n ≤ keep (kept=true);
// otherwise returns the first keep bytes and skips the rest. In memory mode
// the slice aliases the input.
func (s *source) readKeep(n int64, keep int) ([]byte, bool, error) {
	if n < 0 {
		return nil, false, io.ErrUnexpectedEOF
	}
	k := int(min(n, int64(keep)))
	if len(s.buf)-s.p < k && !s.more(k) {
		s.p = len(s.buf)
		return nil, false, io.ErrUnexpectedEOF
	}
	b := s.buf[s.p : s.p+k]
	if n == int64(k) {
		s.p += k
		return b, true, nil
	}
	if s.br != nil {
		// b must survive the skip: copy it.
		s.line = append(s.line[:0], b...)
		b = s.line
	}
	s.p += k
	if _, err := s.skip(n - int64(k)); err != nil {
		return nil, false, err
	}
	return b, false, nil
}

// readLine reads up to and excluding '\n' (at most max bytes); the slice is
// valid until the next call.
func (s *source) readLine(max int) ([]byte, error) {
	for {
		rest := s.buf[s.p:]
		lim := rest
		if len(lim) > max+1 {
			lim = lim[:max+1]
		}
		if i := bytes.IndexByte(lim, '\n'); i >= 0 {
			s.p += i + 1
			return rest[:i], nil
		}
		if len(rest) > max {
			return nil, errLineTooLong
		}
		if s.br == nil || !s.more(len(rest)+1) {
			if s.br != nil && len(rest) >= s.br.Size() {
				return nil, errLineTooLong
			}
			s.p = len(s.buf)
			return nil, io.ErrUnexpectedEOF
		}
	}
}

func (s *source) skip(n int64) (int64, error) {
	if n < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if avail := int64(len(s.buf) - s.p); n <= avail {
		s.p += int(n)
		return n, nil
	}
	if s.br == nil {
		k := int64(len(s.buf) - s.p)
		s.p = len(s.buf)
		return k, io.ErrUnexpectedEOF
	}
	s.sync()
	var done int64
	for done < n {
		step := min(n-done, 1<<30)
		k, err := s.br.Discard(int(step))
		done += int64(k)
		s.base += int64(k)
		if err != nil {
			return done, io.ErrUnexpectedEOF
		}
	}
	return done, nil
}
