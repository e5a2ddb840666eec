package version

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

type parser func(string) (Version, error)

func readLines(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func sign(c int) string {
	switch {
	case c < 0:
		return "<"
	case c > 0:
		return ">"
	}
	return "=="
}

func runOrdering(t *testing.T, file string, left, right parser) {
	for _, line := range readLines(t, file) {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", file, line)
		}
		a, err := left(f[0])
		if err != nil {
			t.Errorf("%s: parse %q: %v", file, f[0], err)
			continue
		}
		b, err := right(f[2])
		if err != nil {
			t.Errorf("%s: parse %q: %v", file, f[2], err)
			continue
		}
		if got := sign(a.Compare(b)); got != f[1] {
			t.Errorf("%s: %s: got %s %s %s", file, line, f[0], got, f[2])
		}
		if f[1] != "==" || file == "actions-versions.txt" {
			continue
		}
		// symmetry
		if got := sign(b.Compare(a)); got != "==" {
			t.Errorf("%s: %s: not symmetric", file, line)
		}
	}
}

func TestOrderingData(t *testing.T) {
	runOrdering(t, "pypi-versions.txt", PEP440{}.Parse, PEP440{}.Parse)
	runOrdering(t, "npm-versions.txt", NPM{}.Parse, NPM{}.Parse)
	runOrdering(t, "go-versions.txt", Go{}.Parse, Go{}.Parse)
	runOrdering(t, "actions-versions.txt", Actions{}.ParseRef, Actions{}.Parse)
}

func TestPEP440Specifiers(t *testing.T) {
	for _, line := range readLines(t, "pypi-specifiers.txt") {
		ver, rest, _ := strings.Cut(line, " ")
		op, spec, _ := strings.Cut(rest, " ")
		set, err := ParsePEP440Specifiers(spec)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		v, err := ParsePEP440(ver)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if got := set.Contains(v); got != (op == "in") {
			t.Errorf("%s: got %v", line, got)
		}
	}
}

func TestNPMRanges(t *testing.T) {
	for _, line := range readLines(t, "npm-ranges.txt") {
		ver, rest, _ := strings.Cut(line, " ")
		op, spec, _ := strings.Cut(rest, " ")
		r, err := ParseNPMRange(spec)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		v, err := parseSemVer(ver, false, false)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if got := r.Contains(v); got != (op == "in") {
			t.Errorf("%s: got %v", line, got)
		}
	}
}

func TestInvalid(t *testing.T) {
	bad := map[string][]string{
		"pep440": {"", "abc", "1.0-", "1..0", "1.0+", "1.0+a..b", strings.Repeat("1.", 200) + "1"},
		"npm":    {"", "1", "1.2", "1.2.3.4", "a.b.c", "1.2.3-", "1.2.3+", "1.2.3-a..b", "1.2.3-é"},
	}
	for _, s := range bad["pep440"] {
		if _, err := ParsePEP440(s); err == nil {
			t.Errorf("ParsePEP440(%q): want error", s)
		}
	}
	for _, s := range bad["npm"] {
		if _, err := (NPM{}).Parse(s); err == nil {
			t.Errorf("NPM.Parse(%q): want error", s)
		}
	}
	for _, s := range []string{"~=1", ">=1.*", ">=1.0+local", ">=abc"} {
		if _, err := ParsePEP440Specifiers(s); err == nil {
			t.Errorf("ParsePEP440Specifiers(%q): want error", s)
		}
	}
	for _, s := range []string{"git+https://x/y.git", "file:../x", "workspace:*", "github:user/repo", ">=1.2.3.4", "^a.b"} {
		if _, err := ParseNPMRange(s); err == nil {
			t.Errorf("ParseNPMRange(%q): want error", s)
		}
	}
}

func TestUpperBound(t *testing.T) {
	for s, want := range map[string]bool{">=1.80": false, ">=1.80,<2": true, "~=1.4": true, "": false, "==1.2.*": true, "!=1.3": false} {
		set, err := ParsePEP440Specifiers(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.HasUpperBound(); got != want {
			t.Errorf("pep440 %q: HasUpperBound=%v", s, got)
		}
	}
	for s, want := range map[string]bool{"^21.0.0": true, "*": false, ">=1": false, ">=1 <2": true, "1.2.3": true, "1 || >=3": false, "latest": false} {
		r, err := ParseNPMRange(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.HasUpperBound(); got != want {
			t.Errorf("npm %q: HasUpperBound=%v", s, got)
		}
	}
}

func TestCommitSHA(t *testing.T) {
	if !IsCommitSHA("ddb9da4475c1cef7d5389062bdfdfbdbd1394648") || IsCommitSHA("v4") || IsCommitSHA("ddb9da4") {
		t.Fatal("IsCommitSHA")
	}
}

func FuzzPEP440(f *testing.F) {
	for _, s := range []string{"1.0", "1!2.0rc1.post2.dev3+local.7", "1.0RC1", ">=1.80,<2", "~=1.4", "==1.2.*", "===x"} {
		f.Add(s, "1.82.8")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, erra := ParsePEP440(a)
		vb, errb := ParsePEP440(b)
		if erra == nil && errb == nil {
			if va.Compare(vb) != -vb.Compare(va) {
				t.Fatalf("antisymmetry: %q %q", a, b)
			}
			if va.Compare(va) != 0 {
				t.Fatalf("reflexive: %q", a)
			}
			// String round-trips to an equal version
			vr, err := ParsePEP440(va.String())
			if err != nil || vr.Compare(va) != 0 {
				t.Fatalf("round trip %q -> %q: %v", a, va.String(), err)
			}
		}
		if set, err := ParsePEP440Specifiers(a); err == nil && errb == nil {
			_ = set.Contains(vb)
			_ = set.HasUpperBound()
		}
	})
}

func FuzzNPM(f *testing.F) {
	for _, s := range []string{"1.0.0", "^21.0.0", "~1.2", ">=1 <2", "1.x", "*", "1.2.3 - 2.3.4", "a || b", "1.0.0-beta.11+b"} {
		f.Add(s, "21.5.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, erra := parseSemVer(a, true, false)
		vb, errb := parseSemVer(b, true, false)
		if erra == nil && errb == nil {
			if va.Compare(vb) != -vb.Compare(va) {
				t.Fatalf("antisymmetry: %q %q", a, b)
			}
		}
		if r, err := ParseNPMRange(a); err == nil && errb == nil {
			_ = r.Contains(vb)
			_ = r.HasUpperBound()
		}
		if v, err := (Actions{}).ParseRef(a); err == nil {
			_ = v.String()
		}
	})
}
