package pickle

import (
	"bufio"
	"errors"
	"io"
)

// source is the byte stream a walker reads: an in-memory slice or a
// buffered reader. Long payloads are skipped, never buffered.
type source interface {
	pos() int64
	peek() (byte, error)
	readByte() (byte, error)
	// read returns exactly n (≤ 8) bytes; the slice is valid until the next call.
	read(n int) ([]byte, error)
	// readKeep consumes n bytes and returns them when n ≤ keep (kept=true);
	// otherwise returns the first keep bytes and skips the rest.
	readKeep(n int64, keep int) ([]byte, bool, error)
	// readLine reads up to and excluding '\n' (at most max bytes).
	readLine(max int) (string, error)
	skip(n int64) (int64, error)
}

var errLineTooLong = errors.New("text line exceeds the line bound")

type byteSource struct {
	b []byte
	p int
}

func (s *byteSource) pos() int64 { return int64(s.p) }

func (s *byteSource) peek() (byte, error) {
	if s.p >= len(s.b) {
		return 0, io.EOF
	}
	return s.b[s.p], nil
}

func (s *byteSource) readByte() (byte, error) {
	if s.p >= len(s.b) {
		return 0, io.EOF
	}
	c := s.b[s.p]
	s.p++
	return c, nil
}

func (s *byteSource) read(n int) ([]byte, error) {
	if len(s.b)-s.p < n {
		s.p = len(s.b)
		return nil, io.ErrUnexpectedEOF
	}
	r := s.b[s.p : s.p+n]
	s.p += n
	return r, nil
}

func (s *byteSource) readKeep(n int64, keep int) ([]byte, bool, error) {
	if n < 0 || int64(len(s.b)-s.p) < n {
		s.p = len(s.b)
		return nil, false, io.ErrUnexpectedEOF
	}
	r := s.b[s.p : s.p+int(n)]
	s.p += int(n)
	if n <= int64(keep) {
		return r, true, nil
	}
	return r[:keep], false, nil
}

func (s *byteSource) readLine(max int) (string, error) {
	rest := s.b[s.p:]
	lim := rest
	if len(lim) > max+1 {
		lim = lim[:max+1]
	}
	for i, c := range lim {
		if c == '\n' {
			s.p += i + 1
			return string(rest[:i]), nil
		}
	}
	if len(rest) > max {
		return "", errLineTooLong
	}
	s.p = len(s.b)
	return "", io.ErrUnexpectedEOF
}

func (s *byteSource) skip(n int64) (int64, error) {
	if n < 0 || int64(len(s.b)-s.p) < n {
		k := int64(len(s.b) - s.p)
		s.p = len(s.b)
		return k, io.ErrUnexpectedEOF
	}
	s.p += int(n)
	return n, nil
}

type readerSource struct {
	r   *bufio.Reader
	off int64
	buf [8]byte
	kb  []byte
}

func (s *readerSource) pos() int64 { return s.off }

func (s *readerSource) peek() (byte, error) {
	b, err := s.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (s *readerSource) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err == nil {
		s.off++
	}
	return c, err
}

func (s *readerSource) read(n int) ([]byte, error) {
	k, err := io.ReadFull(s.r, s.buf[:n])
	s.off += int64(k)
	if err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return s.buf[:n], nil
}

func (s *readerSource) readKeep(n int64, keep int) ([]byte, bool, error) {
	if n < 0 {
		return nil, false, io.ErrUnexpectedEOF
	}
	k := n
	if k > int64(keep) {
		k = int64(keep)
	}
	if cap(s.kb) < int(k) {
		s.kb = make([]byte, k)
	}
	b := s.kb[:k]
	got, err := io.ReadFull(s.r, b)
	s.off += int64(got)
	if err != nil {
		return nil, false, io.ErrUnexpectedEOF
	}
	if n == k {
		return b, true, nil
	}
	if _, err := s.skip(n - k); err != nil {
		return nil, false, err
	}
	return b, false, nil
}

func (s *readerSource) readLine(max int) (string, error) {
	var line []byte
	for {
		frag, err := s.r.ReadSlice('\n')
		s.off += int64(len(frag))
		if len(line)+len(frag) > max+1 {
			return "", errLineTooLong
		}
		line = append(line, frag...)
		if err == nil {
			return string(line[:len(line)-1]), nil
		}
		if err != bufio.ErrBufferFull {
			return "", io.ErrUnexpectedEOF
		}
	}
}

func (s *readerSource) skip(n int64) (int64, error) {
	if n < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	var done int64
	for done < n {
		step := n - done
		if step > 1<<30 {
			step = 1 << 30
		}
		k, err := s.r.Discard(int(step))
		done += int64(k)
		s.off += int64(k)
		if err != nil {
			return done, io.ErrUnexpectedEOF
		}
	}
	return done, nil
}
