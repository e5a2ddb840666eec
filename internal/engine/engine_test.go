package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

// fakeScanner claims files by suffix or magic and records what it saw.
type fakeScanner struct {
	suffix string
	magic  string
	panics bool
	fails  bool
}

func (f *fakeScanner) Name() string { return "fake" + f.suffix }
func (f *fakeScanner) FileRequired(fi core.FileInfo) bool {
	return (f.suffix != "" && strings.HasSuffix(fi.Path, f.suffix)) || (f.magic != "" && fi.HasPrefix([]byte(f.magic)))
}
func (f *fakeScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	if f.panics {
		panic("boom")
	}
	if f.fails {
		return core.Result{}, errors.New("cannot parse")
	}
	b, err := in.ReadAll(1 << 20)
	if err != nil {
		return core.Result{}, err
	}
	return core.Result{Components: []core.Component{{Kind: core.KindFile, Name: in.Path, Properties: map[string]string{"content": strings.TrimSpace(string(b))}}}}, nil
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(r *core.Report) []string {
	var out []string
	for _, c := range r.Components {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

func TestRunRoutesByNameAndMagic(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.txt", "one")
	write(t, dir, "sub/b.txt", "two")
	write(t, dir, "sub/model.bin", "MAGIC payload")
	write(t, dir, "other.bin", "not it")
	write(t, dir, ".git/c.txt", "skipped")
	rep, err := Run(context.Background(), Config{Target: dir, Scanners: []core.Scanner{&fakeScanner{suffix: ".txt"}, &fakeScanner{magic: "MAGIC"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a.txt", "sub/b.txt", "sub/model.bin"}, names(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	if rep.Summary.FilesWalked != 4 {
		t.Errorf("FilesWalked = %d, want 4 (.git skipped)", rep.Summary.FilesWalked)
	}
}

func TestRunSingleFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "x.txt", "hello")
	rep, err := Run(context.Background(), Config{Target: filepath.Join(dir, "x.txt"), Scanners: []core.Scanner{&fakeScanner{suffix: ".txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"x.txt"}, names(rep)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRunPanicsAndFailuresBecomeErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.bad", "x")
	write(t, dir, "b.err", "x")
	write(t, dir, "c.txt", "fine")
	rep, err := Run(context.Background(), Config{Target: dir, Scanners: []core.Scanner{&fakeScanner{suffix: ".bad", panics: true}, &fakeScanner{suffix: ".err", fails: true}, &fakeScanner{suffix: ".txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 2 {
		t.Fatalf("errors = %+v, want 2", rep.Errors)
	}
	paths := []string{rep.Errors[0].Path, rep.Errors[1].Path}
	sort.Strings(paths)
	if d := cmp.Diff([]string{"a.bad", "b.err"}, paths); d != "" {
		t.Errorf("error paths (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"c.txt"}, names(rep)); d != "" {
		t.Errorf("scan did not go on (-want +got):\n%s", d)
	}
}

func TestSymlinkOutOfTreeNotFollowed(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "secret.txt", "do not read")
	dir := t.TempDir()
	write(t, dir, "in.txt", "inside")
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Config{Target: dir, Scanners: []core.Scanner{&fakeScanner{suffix: ".txt"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"in.txt"}, names(rep)); d != "" {
		t.Errorf("components (-want +got):\n%s", d)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Path != "link.txt" || !strings.Contains(rep.Errors[0].Reason, "outside") {
		t.Errorf("want one error for link.txt pointing outside, got %+v", rep.Errors)
	}
}

func TestSkip(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "keep.txt", "k")
	write(t, dir, "vendor/skip.txt", "s")
	rep, err := Run(context.Background(), Config{Target: dir, Scanners: []core.Scanner{&fakeScanner{suffix: ".txt"}},
		Skip: func(rel string, isDir bool) bool { return isDir && rel == "vendor" }})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"keep.txt"}, names(rep)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestMissingTarget(t *testing.T) {
	if _, err := Run(context.Background(), Config{Target: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Error("want error for missing target")
	}
}

func BenchmarkWalk(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 2000; i++ {
		p := filepath.Join(dir, "d"+string(rune('a'+i%20)), "f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".py")
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte("print('hello')\n"), 0o644)
	}
	s := []core.Scanner{&fakeScanner{suffix: ".nomatch"}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), Config{Target: dir, Scanners: s}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNonRegularTargetsDoNotHang(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "go.mod")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	write(t, dir, "a.txt", "ok")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Run(context.Background(), Config{Target: fifo, Scanners: []core.Scanner{&fakeScanner{suffix: ".mod"}}}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO target: %v", err)
		}
		rep, err := Run(context.Background(), Config{Target: dir, Scanners: []core.Scanner{&fakeScanner{suffix: ".mod"}, &fakeScanner{suffix: ".txt"}}})
		if err != nil {
			t.Error(err)
		} else if d := cmp.Diff([]string{"a.txt"}, names(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		if _, err := Run(context.Background(), Config{Target: "/dev/null", Scanners: []core.Scanner{&fakeScanner{suffix: "null"}}}); err == nil {
			t.Error("device target accepted")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("scan hung on a FIFO")
	}
}
