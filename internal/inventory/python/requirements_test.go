package python

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/assay-dev/assay/internal/core"
)

const (
	sha1x  = "1f02e8b43a8fbbc3f3e0d4f0f4bfc8131bcb4eebe8849b8e5c773f3a1c582a53"
	sha2x  = "aff07c09a53a08bc8cfccb9c85b05f1aa9a2a6f23728d790723543408344ce89"
	commit = "0123456789abcdef0123456789abcdef01234567"
)

func props(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestRequirementForms(t *testing.T) {
	loc := func(line, col int) []core.Location {
		return []core.Location{{Path: "requirements.txt", Line: line, Column: col}}
	}
	tests := []struct {
		name string
		in   string
		want []core.Component
	}{
		{"exact pin", "litellm==1.82.6\n", []core.Component{{
			Kind: "package", Name: "litellm", Version: "1.82.6", Ecosystem: "PyPI", PURL: "pkg:pypi/litellm@1.82.6",
			Locations: loc(1, 1), Direct: true, Properties: props("source", "manifest"),
		}}},
		{"arbitrary equality", "foo===1.0-custom\n", []core.Component{{
			Kind: "package", Name: "foo", Version: "1.0-custom", Ecosystem: "PyPI", PURL: "pkg:pypi/foo@1.0-custom",
			Locations: loc(1, 1), Direct: true, Properties: props("source", "manifest"),
		}}},
		{"range keeps the specifier, purl without version", "# comment\n\nLiteLLM >= 1.80 , <2  # inline\n", []core.Component{{
			Kind: "package", Name: "LiteLLM", Ecosystem: "PyPI", PURL: "pkg:pypi/litellm", Requirement: ">=1.80,<2",
			Locations: loc(3, 1), Direct: true, Properties: props("source", "manifest"),
		}}},
		{"compatible release and wildcard are not pins", "a~=1.4.2\nb==2.*\n", []core.Component{
			{Kind: "package", Name: "a", Ecosystem: "PyPI", PURL: "pkg:pypi/a", Requirement: "~=1.4.2", Locations: loc(1, 1), Direct: true, Properties: props("source", "manifest")},
			{Kind: "package", Name: "b", Ecosystem: "PyPI", PURL: "pkg:pypi/b", Requirement: "==2.*", Locations: loc(2, 1), Direct: true, Properties: props("source", "manifest")},
		}},
		{"extras, marker, PEP 503 purl", "  Torch_Vision.Extra[cuda, dev]==0.22.0; python_version >= \"3.10\"\n", []core.Component{{
			Kind: "package", Name: "Torch_Vision.Extra", Version: "0.22.0", Ecosystem: "PyPI", PURL: "pkg:pypi/torch-vision-extra@0.22.0",
			Locations: loc(1, 3), Direct: true, Properties: props("source", "manifest", "extras", "cuda,dev", "marker", `python_version >= "3.10"`),
		}}},
		{"hashes across continuation lines", "anyio==4.5.2 ; python_full_version < '3.9' \\\n    --hash=sha256:" + sha1x + " \\\n    --hash sha256:" + strings.ToUpper(sha2x) + "\n", []core.Component{{
			Kind: "package", Name: "anyio", Version: "4.5.2", Ecosystem: "PyPI", PURL: "pkg:pypi/anyio@4.5.2",
			Locations: loc(1, 1), Direct: true, Hashes: []core.Hash{{Algorithm: "sha256", Value: sha1x}, {Algorithm: "sha256", Value: sha2x}},
			Properties: props("source", "manifest", "marker", "python_full_version < '3.9'"),
		}}},
		{"URL requirement takes the version from the wheel name", "torch @ https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl --hash=sha256:" + sha1x + "\n", []core.Component{{
			Kind: "package", Name: "torch", Version: "2.1.0+cu121", Ecosystem: "PyPI", PURL: "pkg:pypi/torch@2.1.0%2Bcu121?download_url=https:%2F%2Fdownload.pytorch.org%2Fwhl%2Fcu121%2Ftorch-2.1.0%252Bcu121-cp310-cp310-linux_x86_64.whl",
			Locations: loc(1, 1), Direct: true, Hashes: []core.Hash{{Algorithm: "sha256", Value: sha1x}},
			Properties: props("source", "manifest", "url", "https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl"),
		}}},
		{"VCS with egg name, credentials redacted", "git+https://user:s3cret@github.com/org/private-lib.git@" + commit + "#egg=private_lib\n", []core.Component{{
			Kind: "package", Name: "private_lib", Ecosystem: "PyPI", PURL: "pkg:pypi/private-lib?vcs_url=git%2Bhttps:%2F%2F%2A%2A%2A%40github.com%2Forg%2Fprivate-lib.git%400123456789abcdef0123456789abcdef01234567",
			Locations: loc(1, 1), Direct: true,
			Properties: props("source", "manifest", "url", "git+https://***@github.com/org/private-lib.git@"+commit+"#egg=private_lib"),
		}}},
		{"VCS without a name infers it from the repository", "git+https://github.com/huggingface/transformers@" + commit + "\n", []core.Component{{
			Kind: "package", Name: "transformers", Ecosystem: "PyPI", PURL: "pkg:pypi/transformers?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fhuggingface%2Ftransformers%400123456789abcdef0123456789abcdef01234567",
			Locations: loc(1, 1), Direct: true,
			Properties: props("source", "manifest", "url", "git+https://github.com/huggingface/transformers@"+commit, "name_inferred", "true"),
		}}},
		{"editable VCS; the project itself (-e .) is not a dependency", "-e .\n-e git+https://github.com/o/tool.git@" + commit + "#egg=tool\n--index-url https://pypi.org/simple\n", []core.Component{{
			Kind: "package", Name: "tool", Ecosystem: "PyPI", PURL: "pkg:pypi/tool?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Ftool.git%400123456789abcdef0123456789abcdef01234567",
			Locations: loc(2, 1), Direct: true,
			Properties: props("source", "manifest", "editable", "true", "url", "git+https://github.com/o/tool.git@"+commit+"#egg=tool"),
		}}},
		{"PEP 508 URL form with extras", "unsloth[conda]@git+https://github.com/unslothai/unsloth.git@" + commit + "\n", []core.Component{{
			Kind: "package", Name: "unsloth", Ecosystem: "PyPI", PURL: "pkg:pypi/unsloth?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Funslothai%2Funsloth.git%400123456789abcdef0123456789abcdef01234567",
			Locations: loc(1, 1), Direct: true,
			Properties: props("source", "manifest", "extras", "conda", "url", "git+https://github.com/unslothai/unsloth.git@"+commit),
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanFiles(t, map[string]string{"requirements.txt": tc.in})
			if diff := cmp.Diff(tc.want, rep.Components, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if len(rep.Errors) > 0 {
				t.Errorf("errors: %+v", rep.Errors)
			}
			if len(rep.Findings) > 0 {
				t.Errorf("findings: %+v", rep.Findings)
			}
		})
	}
}

func TestRequirementsCompiledVia(t *testing.T) {
	b, err := os.ReadFile("testdata/real/anthropic-requirements-dev.lock")
	if err != nil {
		t.Fatal(err)
	}
	rep := scanFiles(t, map[string]string{"requirements-dev.lock": string(b)})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	want := map[string]bool{
		"annotated-types": false, // via pydantic
		"anyio":           true,  // via anthropic: the project itself ("-e .")
		"boto3-stubs":     true,  // no "# via": a direct dev requirement in uv export
		"botocore-stubs":  false,
		"colorama":        false,
		"griffecli":       false,
	}
	for name, direct := range want {
		for _, c := range find(rep, name) {
			if c.Direct != direct {
				t.Errorf("%s@%s direct = %v, want %v", name, c.Version, c.Direct, direct)
			}
			if c.Properties["source"] != "lockfile" {
				t.Errorf("%s source = %q, want lockfile (uv export output)", name, c.Properties["source"])
			}
			if c.Scope != "dev" {
				t.Errorf("%s scope = %q, want dev (requirements-dev.lock)", name, c.Scope)
			}
		}
	}
	// Two griffe entries with different markers are two locked versions.
	if got := len(find(rep, "griffe")); got != 2 {
		t.Errorf("griffe entries = %d, want 2", got)
	}
}

func TestRequirementsRealFiles(t *testing.T) {
	tests := []struct {
		fixture, as string
		comps       int
		hashed      int
		pinned      int
		errors      int
		findings    []string
	}{
		{"litellm-requirements.txt", "requirements.txt", 19, 0, 19, 0, nil},
		{"ollama-python-requirements.txt", "requirements.txt", 8, 8, 8, 0, nil},
		{"vllm-requirements-common.txt", "requirements/common.txt", 54, 0, 7, 0, nil},
		{"peft-examples-sft-requirements.txt", "examples/sft/requirements.txt", 25, 0, 0, 0,
			[]string{"ASSAY-INV-001", "ASSAY-INV-001", "ASSAY-INV-001", "ASSAY-INV-001", "ASSAY-INV-001", "ASSAY-INV-001"}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata/real", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			rep := scanFiles(t, map[string]string{tc.as: string(b)})
			hashed, pinned := 0, 0
			for _, c := range rep.Components {
				if len(c.Hashes) > 0 {
					hashed++
				}
				if c.Version != "" {
					pinned++
				}
				if c.Locations[0].Line == 0 {
					t.Errorf("%s has no line", c.Name)
				}
			}
			if len(rep.Components) != tc.comps || hashed != tc.hashed || pinned != tc.pinned || len(rep.Errors) != tc.errors {
				t.Errorf("components=%d hashed=%d pinned=%d errors=%d, want %d %d %d %d (errors: %+v)",
					len(rep.Components), hashed, pinned, len(rep.Errors), tc.comps, tc.hashed, tc.pinned, tc.errors, rep.Errors)
			}
			if diff := cmp.Diff(tc.findings, ruleIDs(rep), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequirementsIncludes(t *testing.T) {
	t.Run("included components are located in the included file and reported once", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.txt":      "-r requirements/base.txt\n--requirement=extra.pip\nflask==3.0.0\n",
			"requirements/base.txt": "# base\nrequests==2.32.3\n",
			"extra.pip":             "numpy>=1.26\n",
		})
		if len(rep.Errors) != 0 {
			t.Fatalf("errors: %+v", rep.Errors)
		}
		req := one(t, rep, "requests")
		if diff := cmp.Diff([]core.Location{{Path: "requirements/base.txt", Line: 2, Column: 1}}, req.Locations); diff != "" {
			t.Errorf("requests locations (-want +got):\n%s", diff)
		}
		np := one(t, rep, "numpy") // extra.pip is not a claimed name: only reachable through the include
		if np.Locations[0].Path != "extra.pip" || np.Requirement != ">=1.26" {
			t.Errorf("numpy = %+v", np)
		}
		one(t, rep, "flask")
	})
	t.Run("constraints narrow but add nothing", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.in": "-c constraints.txt\nrequests\nurllib3>=2\n",
			"constraints.txt": "requests==2.32.3\nidna==3.7\n",
		})
		if len(rep.Components) != 2 {
			t.Fatalf("components = %+v", rep.Components)
		}
		if got := one(t, rep, "requests").Properties["constraint"]; got != "==2.32.3" {
			t.Errorf("requests constraint = %q", got)
		}
		if _, ok := one(t, rep, "urllib3").Properties["constraint"]; ok {
			t.Error("urllib3 has a constraint it was not given")
		}
	})
	t.Run("missing, escaping, remote and env includes are errors naming file and line", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.txt": "-r missing.txt\n-r ../../etc/passwd\n-r https://example.com/r.txt\n-r ${REQS}\n-c /abs/c.txt\nok==1\n",
		})
		want := []string{
			"line 1: -r missing.txt: cannot open: no such file or directory",
			"line 2: -r ../../etc/passwd: include escapes the scanned tree; not followed",
			"line 3: -r https://example.com/r.txt: remote include not followed (assay never downloads during a scan)",
			"line 4: -r ${REQS}: include path uses an environment variable; not followed",
			"line 5: -c /abs/c.txt: absolute or Windows include path escapes the scanned tree; not followed",
		}
		var got []string
		for _, e := range rep.Errors {
			if e.Path != "requirements.txt" {
				t.Errorf("error path %q", e.Path)
			}
			got = append(got, e.Reason)
		}
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		one(t, rep, "ok")
	})
	t.Run("a symlink out of the tree is not followed", func(t *testing.T) {
		outside := t.TempDir()
		os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("stolen==1\n"), 0o644)
		dir := writeTree(t, map[string]string{"requirements.txt": "-r link.txt\n"})
		if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
			t.Skip("symlinks unsupported:", err)
		}
		rep := runTree(t, dir)
		if len(find(rep, "stolen")) != 0 {
			t.Fatal("followed a symlink out of the tree")
		}
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "-r link.txt: cannot open") {
			t.Errorf("errors = %+v", rep.Errors)
		}
	})
	t.Run("a cycle is one error and terminates", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.txt":     "-r requirements-dev.txt\na==1\n",
			"requirements-dev.txt": "b==1\n-r requirements.txt\n",
		})
		var cycles []core.Error
		for _, e := range rep.Errors {
			if strings.Contains(e.Reason, "include cycle") {
				cycles = append(cycles, e)
			}
		}
		// Reported once, by the scan of the cycle's smallest member
		// (requirements-dev.txt sorts first), at the include closing it.
		want := []core.Error{{Path: "requirements.txt", Scanner: "pypi/requirements", Reason: "line 1: include cycle requirements-dev.txt -> requirements.txt -> requirements-dev.txt; not followed again"}}
		if diff := cmp.Diff(want, cycles); diff != "" {
			t.Errorf("cycle errors (-want +got):\n%s", diff)
		}
		if len(rep.Components) != 2 {
			t.Errorf("components = %d, want 2", len(rep.Components))
		}
	})
	t.Run("a cycle among unclaimed files is reported", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.txt": "-r a.pip\n",
			"a.pip":            "-r b.pip\n",
			"b.pip":            "-r a.pip\n",
		})
		if len(rep.Errors) != 1 || rep.Errors[0].Path != "b.pip" || !strings.Contains(rep.Errors[0].Reason, "include cycle a.pip -> b.pip -> a.pip") {
			t.Errorf("errors = %+v", rep.Errors)
		}
	})
	t.Run("deep chains stop at the depth bound", func(t *testing.T) {
		files := map[string]string{"requirements.txt": "-r d0.pip\n"}
		for i := 0; i < MaxIncludeDepth+4; i++ {
			files["d"+itoa(i)+".pip"] = "-r d" + itoa(i+1) + ".pip\npkg" + itoa(i) + "==1\n"
		}
		rep := scanFiles(t, files)
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "nested deeper than 16") {
			t.Errorf("errors = %+v", rep.Errors)
		}
		if got := len(rep.Components); got != MaxIncludeDepth {
			t.Errorf("components = %d, want %d", got, MaxIncludeDepth)
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRequirementsBadInput(t *testing.T) {
	t.Run("binary file named requirements.txt", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{"requirements.txt": "\x7fELF\x02\x01\x01\x00\x00\x00requests==1\n", "ok/requirements.txt": "fine==1\n"})
		if len(rep.Errors) != 1 || rep.Errors[0].Path != "requirements.txt" || !strings.Contains(rep.Errors[0].Reason, "not a text file") {
			t.Fatalf("errors = %+v", rep.Errors)
		}
		if len(rep.Components) != 1 || rep.Components[0].Name != "fine" {
			t.Errorf("the scan did not go on: %+v", rep.Components)
		}
	})
	t.Run("invalid UTF-8 line is skipped with an error, the rest parsed", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{"requirements.txt": "a==1\ncaf\xe9==2\nb==3\n"})
		if len(rep.Errors) != 1 || rep.Errors[0].Reason != "line 2: not valid UTF-8; line skipped" {
			t.Errorf("errors = %+v", rep.Errors)
		}
		if len(rep.Components) != 2 {
			t.Errorf("components = %+v", rep.Components)
		}
	})
	t.Run("UTF-16 with BOM (PowerShell pip freeze) is decoded", func(t *testing.T) {
		s := "\ufeffnumpy==1.26.4\r\n"
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		rep := scanFiles(t, map[string]string{"requirements.txt": string(b)})
		if c := one(t, rep, "numpy"); c.Version != "1.26.4" {
			t.Errorf("numpy = %+v", c)
		}
	})
	t.Run("malformed lines are errors with line numbers", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{"requirements.txt": "good==1\nbad==\nx>=1,<<2\n-e\nfoo --hash=sha256:zz\n"})
		var got []string
		for _, e := range rep.Errors {
			got = append(got, e.Reason)
		}
		want := []string{
			`line 2: missing version after "=="`,
			`line 3: invalid character '<' in version "<2"`,
			"line 4: -e without a path or URL",
			`line 5: malformed --hash "sha256:zz"`,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
	t.Run("over the size limit", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"requirements.txt": "a==1\n"})
		f, _ := os.OpenFile(filepath.Join(dir, "requirements.txt"), os.O_RDWR, 0)
		if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no real I/O
			t.Fatal(err)
		}
		f.Close()
		rep := runTree(t, dir)
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, "file too large") {
			t.Errorf("errors = %+v", rep.Errors)
		}
	})
}

func TestRuleMutableRef(t *testing.T) {
	tests := []struct {
		name, line string
		want       bool
	}{
		{"git branch", "git+https://github.com/org/lib.git@main#egg=lib", true},
		{"git no revision", "git+https://github.com/org/lib.git#egg=lib", true},
		{"git tag (PEP 508)", "lib @ git+https://github.com/org/lib.git@v1.2.0", true},
		{"abbreviated commit", "lib @ git+https://github.com/org/lib.git@0123abc", true},
		{"archive URL without hash", "lib @ https://github.com/org/lib/archive/refs/heads/main.zip", true},
		{"wheel on a private server without hash", "https://wheels.example.com/lib-1.0-py3-none-any.whl", true},
		// Benign twins.
		{"git full commit", "git+https://github.com/org/lib.git@" + commit + "#egg=lib", false},
		{"archive with --hash", "lib @ https://wheels.example.com/lib-1.0.tar.gz --hash=sha256:" + sha1x, false},
		{"archive with #sha256 fragment", "lib @ https://wheels.example.com/lib-1.0.tar.gz#sha256=" + sha1x, false},
		{"github archive at a commit", "lib @ https://github.com/org/lib/archive/" + commit + ".zip", false},
		{"PyPI file URL (immutable)", "lib @ https://files.pythonhosted.org/packages/ab/cd/lib-1.0-py3-none-any.whl", false},
		{"local path", "./vendor/lib-1.0-py3-none-any.whl", false},
		{"index version", "lib==1.0", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanFiles(t, map[string]string{"requirements.txt": "# deps\n" + tc.line + "\n"})
			got := len(rep.Findings) == 1 && rep.Findings[0].RuleID == "ASSAY-INV-001"
			if got != tc.want || (!tc.want && len(rep.Findings) != 0) {
				t.Fatalf("findings = %+v, want INV-001: %v", rep.Findings, tc.want)
			}
			if got {
				f := rep.Findings[0]
				if f.Location != (core.Location{Path: "requirements.txt", Line: 2, Column: 1}) || f.Severity != core.SeverityMedium || f.Fix == "" || f.Evidence == "" {
					t.Errorf("finding = %+v", f)
				}
				if f.Component != "pkg:pypi/lib" && f.Component != "pkg:pypi/lib@1.0" {
					t.Errorf("component = %q", f.Component)
				}
			}
		})
	}
}

func TestRuleExtraIndex(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []core.Severity
	}{
		{"private extra index", "--extra-index-url https://pypi.internal.example.com/simple\nacme-utils==1.0\n", []core.Severity{core.SeverityMedium}},
		{"public extra index after a private main index", "-i https://pypi.internal.example.com/simple\n--extra-index-url=https://pypi.org/simple\nacme-utils==1.0\n", []core.Severity{core.SeverityMedium}},
		{"remote find-links page", "-f https://example.com/wheels.html\nlib==1\n", []core.Severity{core.SeverityMedium}},
		{"official PyTorch index is low", "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.0\n", []core.Severity{core.SeverityLow}},
		// Benign twins.
		{"single index", "--index-url https://pypi.internal.example.com/simple\nacme-utils==1.0\n", nil},
		{"local find-links", "--find-links ./wheels\nlib==1\n", nil},
		{"hash-checking mode defeats substitution", "--extra-index-url https://pypi.internal.example.com/simple\nacme-utils==1.0 --hash=sha256:" + sha1x + "\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := scanFiles(t, map[string]string{"requirements.txt": tc.in})
			var got []core.Severity
			for _, f := range rep.Findings {
				if f.RuleID != "ASSAY-INV-002" {
					t.Errorf("unexpected %s", f.RuleID)
				}
				got = append(got, f.Severity)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("severities (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("credentials never reach the report", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{"requirements.txt": "--extra-index-url https://build:tok3n@pypi.internal.example.com/simple\nlib @ git+https://x:tok3n@github.com/o/lib@main\n"})
		if len(rep.Findings) != 2 {
			t.Fatalf("findings = %+v", rep.Findings)
		}
		for _, f := range rep.Findings {
			if strings.Contains(f.Evidence+f.Message, "tok3n") {
				t.Errorf("secret leaked: %+v", f)
			}
		}
		for _, c := range rep.Components {
			for _, v := range c.Properties {
				if strings.Contains(v, "tok3n") {
					t.Errorf("secret leaked in properties: %+v", c)
				}
			}
		}
	})
	t.Run("finding in a claimed include is reported once, by that file", func(t *testing.T) {
		rep := scanFiles(t, map[string]string{
			"requirements.txt":     "-r requirements-gpu.txt\n",
			"requirements-gpu.txt": "--extra-index-url https://pypi.internal.example.com/simple\nx==1\n",
		})
		if len(rep.Findings) != 1 || rep.Findings[0].Location.Path != "requirements-gpu.txt" {
			t.Errorf("findings = %+v", rep.Findings)
		}
	})
}

func TestFileRequired(t *testing.T) {
	s := map[string]core.Scanner{}
	for _, sc := range Scanners() {
		s[sc.Name()] = sc
	}
	tests := []struct {
		path, head, scanner string
		want                bool
	}{
		{"requirements.txt", "", "pypi/requirements", true},
		{"requirements-dev.txt", "", "pypi/requirements", true},
		{"dev-requirements.txt", "", "pypi/requirements", true},
		{"server/requirements_cuda.txt", "", "pypi/requirements", true},
		{"requirements/common.txt", "", "pypi/requirements", true},
		{"requirements/constraints.txt", "", "pypi/requirements", false},
		{"requirements-dev.lock", "", "pypi/requirements", true},
		{"requirements.in", "", "pypi/requirements", true},
		{"dev.in", "pytest>=8\n-c constraints.txt\n", "pypi/requirements", true},
		{"MANIFEST.in", "include README.md\n", "pypi/requirements", false},
		{"Makefile.in", "CC = @CC@\n", "pypi/requirements", false},
		{"config.h.in", "#undef HAVE_X\n", "pypi/requirements", false},
		{"notes.txt", "", "pypi/requirements", false},
		{"pyproject.toml", "", "pypi/pyproject", true},
		{"uv.lock", "", "pypi/uv-lock", true},
		{"poetry.lock", "", "pypi/poetry-lock", true},
		{"pdm.lock", "", "pypi/pdm-lock", true},
		{"Pipfile.lock", "", "pypi/pipfile-lock", true},
		{"environment.yml", "", "conda/environment", true},
		{"envs/environment-gpu.yaml", "name: x\ndependencies:\n", "conda/environment", true},
		{".github/workflows/conda.yml", "on: push\njobs:\n", "conda/environment", false},
		{".venv/lib/python3.12/site-packages/requests-2.32.3.dist-info/METADATA", "", "pypi/installed", true},
		{"usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", "", "pypi/installed", true},
		{"src/mypkg.egg-info/PKG-INFO", "", "pypi/installed", false},
		{"lib/python3.12/site-packages/six-1.16.0-py3.12.egg-info", "", "pypi/installed", true},
		{"dist/requests-2.32.3.dist-info/METADATA", "", "pypi/installed", false},
	}
	for _, tc := range tests {
		got := s[tc.scanner].FileRequired(core.FileInfo{Path: tc.path, Head: []byte(tc.head)})
		if got != tc.want {
			t.Errorf("%s FileRequired(%q) = %v, want %v", tc.scanner, tc.path, got, tc.want)
		}
	}
}

func TestURLDependencyHasItsOwnPURL(t *testing.T) {
	reg := newPyPI("transformers", "", "", "manifest", core.Location{Path: "requirements.txt", Line: 1}, true)
	vcs := newPyPI("transformers", "", "", "manifest", core.Location{Path: "examples/requirements.txt", Line: 1}, true)
	setProp(&vcs, propURL, "git+https://github.com/huggingface/transformers@main#egg=transformers")
	qualifyURLPURL(&reg)
	qualifyURLPURL(&vcs)
	if reg.PURL != "pkg:pypi/transformers" {
		t.Errorf("registry purl changed: %s", reg.PURL)
	}
	if !strings.Contains(vcs.PURL, "vcs_url=") || strings.Contains(vcs.PURL, "egg") {
		t.Errorf("vcs purl = %s", vcs.PURL)
	}
	if merged := core.MergeComponents([]core.Component{reg, vcs}); len(merged) != 2 {
		t.Errorf("registry and VCS transformers merged into %d component(s)", len(merged))
	}
}
