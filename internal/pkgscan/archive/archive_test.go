package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type zent struct {
	name string
	body string
	mode fs.FileMode
}

func buildZip(t testing.TB, ents ...zent) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type tent struct {
	name string
	body string
	typ  byte
	link string
}

func buildTarGz(t testing.TB, ents ...tent) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			io.WriteString(tw, e.body)
		}
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

type result struct {
	Files    map[string]string
	Problems []string
}

func run(t testing.TB, data []byte, lim Limits) (result, error) {
	res := result{Files: map[string]string{}}
	f := Detect(data)
	probs, err := Walk(bytes.NewReader(data), int64(len(data)), f, lim, func(e Entry, open func() (io.Reader, error)) error {
		r, err := open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			res.Files[e.Path] = "ERR"
			return err
		}
		res.Files[e.Path] = string(b)
		return nil
	})
	for _, p := range probs {
		res.Problems = append(res.Problems, string(p.Kind)+" "+p.Member)
	}
	sort.Strings(res.Problems)
	return res, err
}

func TestWalkZipAndTar(t *testing.T) {
	inner := buildZip(t, zent{name: "pkg/inner.py", body: "x = 1\n"})
	tests := []struct {
		name string
		data []byte
		want result
	}{
		{
			name: "wheel with traversal, absolute and symlink",
			data: buildZip(t,
				zent{name: "pkg/__init__.py", body: "print(1)\n"},
				zent{name: "../evil.pth", body: "import os\n"},
				zent{name: "/etc/cron.d/x", body: "* * * * * root sh\n"},
				zent{name: "pkg/link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777},
			),
			want: result{
				Files:    map[string]string{"pkg/__init__.py": "print(1)\n"},
				Problems: []string{"link pkg/link", "traversal ../evil.pth", "traversal /etc/cron.d/x"},
			},
		},
		{
			name: "sdist tar.gz with links and nested zip",
			data: buildTarGz(t,
				tent{name: "pkg-1.0/setup.py", body: "from setuptools import setup\n"},
				tent{name: "pkg-1.0/ssh", typ: tar.TypeSymlink, link: "/root/.ssh/id_rsa"},
				tent{name: "pkg-1.0/hard", typ: tar.TypeLink, link: "../../etc/shadow"},
				tent{name: "pkg-1.0/vendor/inner.zip", body: string(inner)},
			),
			want: result{
				Files: map[string]string{
					"pkg-1.0/setup.py":                      "from setuptools import setup\n",
					"pkg-1.0/vendor/inner.zip":              string(inner),
					"pkg-1.0/vendor/inner.zip!pkg/inner.py": "x = 1\n",
				},
				Problems: []string{"link pkg-1.0/hard", "link pkg-1.0/ssh"},
			},
		},
		{
			name: "duplicate member",
			data: buildZip(t, zent{name: "a.py", body: "1"}, zent{name: "a.py", body: "2"}),
			want: result{Files: map[string]string{"a.py": "2"}, Problems: []string{"duplicate a.py"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(t, tc.data, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	t.Run("zip bomb member", func(t *testing.T) {
		big := strings.Repeat("\x00", 40<<20)
		data := buildZip(t, zent{name: "zeros.py", body: big})
		got, err := run(t, data, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Problems) == 0 || !strings.HasPrefix(got.Problems[0], "bomb zeros.py") {
			t.Fatalf("want bomb problem, got %v", got.Problems)
		}
		if _, ok := got.Files["zeros.py"]; ok {
			t.Errorf("bomb member was read")
		}
	})
	t.Run("gzip bomb stream", func(t *testing.T) {
		data := buildTarGz(t, tent{name: "p/zeros", body: strings.Repeat("\x00", 40<<20)})
		got, err := run(t, data, DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range got.Problems {
			found = found || strings.HasPrefix(p, "bomb")
		}
		if !found {
			t.Fatalf("want bomb problem, got %v", got.Problems)
		}
	})
	t.Run("too many entries", func(t *testing.T) {
		var ents []zent
		for i := 0; i < 20; i++ {
			ents = append(ents, zent{name: strings.Repeat("a", i+1), body: "x"})
		}
		lim := DefaultLimits
		lim.MaxEntries = 10
		got, err := run(t, buildZip(t, ents...), lim)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"entries "}, got.Problems); d != "" {
			t.Errorf("(-want +got)\n%s", d)
		}
		if len(got.Files) != 0 {
			t.Errorf("read %d members of an over-limit zip", len(got.Files))
		}
	})
	t.Run("member over size limit", func(t *testing.T) {
		lim := DefaultLimits
		lim.MaxEntry = 10
		got, err := run(t, buildTarGz(t, tent{name: "big.py", body: strings.Repeat("x", 100)}, tent{name: "ok.py", body: "y"}), lim)
		if err != nil {
			t.Fatal(err)
		}
		if got.Files["big.py"] != "ERR" || got.Files["ok.py"] != "y" {
			t.Errorf("files: %v", got.Files)
		}
	})
	t.Run("nesting depth", func(t *testing.T) {
		l0 := buildZip(t, zent{name: "deep.py", body: "1"})
		l1 := buildZip(t, zent{name: "l0.zip", body: string(l0)})
		l2 := buildZip(t, zent{name: "l1.zip", body: string(l1)})
		lim := DefaultLimits
		lim.MaxDepth = 1
		got, err := run(t, l2, lim)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff([]string{"depth l1.zip!l0.zip"}, got.Problems); d != "" {
			t.Errorf("(-want +got)\n%s", d)
		}
	})
}

func TestCorrupt(t *testing.T) {
	good := buildTarGz(t, tent{name: "a.py", body: strings.Repeat("hello\n", 1000)}, tent{name: "b.py", body: "x"})
	zipGood := buildZip(t, zent{name: "a.py", body: "hello"})
	for name, data := range map[string][]byte{
		"truncated tar.gz": good[:len(good)/2],
		"truncated zip":    zipGood[:len(zipGood)-10],
		"garbage gzip":     append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xff}, 100)...),
		"empty":            {},
	} {
		t.Run(name, func(t *testing.T) {
			f := Detect(data)
			if f == FormatNone {
				f = FormatZip
			}
			_, err := Walk(bytes.NewReader(data), int64(len(data)), f, DefaultLimits, func(e Entry, open func() (io.Reader, error)) error {
				r, err := open()
				if err != nil {
					return nil
				}
				io.Copy(io.Discard, r)
				return nil
			})
			_ = err // either an error or problems; the point is: no panic, bounded
		})
	}
}

func TestUnsafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"pkg/a.py": false, "../a": true, "a/../../b": true, "/abs": true, `C:\x`: true, `..\x`: true, "a..b/c": false,
	} {
		if got := UnsafeName(name) != ""; got != want {
			t.Errorf("UnsafeName(%q) unsafe=%v want %v", name, got, want)
		}
	}
}

func TestStop(t *testing.T) {
	data := buildZip(t, zent{name: "a", body: "1"}, zent{name: "b", body: "2"})
	n := 0
	_, err := Walk(bytes.NewReader(data), int64(len(data)), FormatZip, DefaultLimits, func(e Entry, open func() (io.Reader, error)) error {
		n++
		return ErrStop
	})
	if err != nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func FuzzWalk(f *testing.F) {
	f.Add(buildZip(f, zent{name: "pkg/__init__.py", body: "import os\n"}, zent{name: "../x", body: "y"}))
	f.Add(buildTarGz(f, tent{name: "package/package.json", body: `{"scripts":{"postinstall":"node x.js"}}`}, tent{name: "l", typ: tar.TypeSymlink, link: "/etc"}))
	inner := buildZip(f, zent{name: "i.py", body: "1"})
	f.Add(buildZip(f, zent{name: "n.whl", body: string(inner)}))
	if ents, err := os.ReadDir("testdata/corrupt"); err == nil {
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join("testdata/corrupt", e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	lim := Limits{MaxEntries: 1000, MaxTotal: 1 << 20, MaxEntry: 256 << 10, MaxRatio: 200, MaxDepth: 2, MaxNested: 256 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range []Format{FormatZip, FormatTar, FormatTarGz, FormatTarXz} {
			_, err := Walk(bytes.NewReader(data), int64(len(data)), fm, lim, func(e Entry, open func() (io.Reader, error)) error {
				if UnsafeName(e.Name) != "" {
					t.Fatalf("unsafe member visited: %q", e.Name)
				}
				r, err := open()
				if err != nil {
					return nil
				}
				_, err = io.Copy(io.Discard, r)
				if err != nil && !errors.Is(err, ErrLimit) {
					return nil
				}
				return nil
			})
			_ = err
		}
	})
}
