package workflow

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
)

func TestFileRequired(t *testing.T) {
	s := &Scanner{}
	for p, want := range map[string]bool{
		".github/workflows/ci.yml":                  true,
		".github/workflows/release.yaml":            true,
		"sub/.github/workflows/x.yml":               true,
		".github/workflows/nested/x.yml":            false,
		".github/workflows/README.md":               false,
		"action.yml":                                true,
		".github/actions/setup/action.yaml":         true,
		".gitlab-ci.yml":                            true,
		"ci/jobs.yml":                               false,
		"workflows/ci.yml":                          false,
		"node_modules/x/action.yml":                 false,
		"a/node_modules/x/.github/workflows/ci.yml": false,
		".venv/lib/site-packages/p/action.yml":      false,
	} {
		if got := s.FileRequired(core.FileInfo{Path: p}); got != want {
			t.Errorf("FileRequired(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestComponents(t *testing.T) {
	src := `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    container: ghcr.io/org/img:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1
      - uses: aquasecurity/trivy-action@0.34.2
      - uses: github/codeql-action/init@v3
      - uses: docker://alpine:3.18
      - uses: ./local
      - uses: ${{ matrix.action }}
  docs:
    uses: huggingface/doc-builder/.github/workflows/build.yml@7ccf6c02dc2e3aea1b07f6668f783b20c3bf407c # main
`
	res, _ := AuditFile(".github/workflows/ci.yml", []byte(src))
	got := map[string]core.Component{}
	for _, c := range res.Components {
		got[c.PURL] = c
	}
	loc := func(l, c int) []core.Location {
		return []core.Location{{Path: ".github/workflows/ci.yml", Line: l, Column: c}}
	}
	want := []core.Component{
		{Kind: core.KindAction, Name: "actions/checkout", Version: "3d3c42e5aac5ba805825da76410c181273ba90b1", Ecosystem: "GitHub Actions",
			PURL: "pkg:githubactions/actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", Locations: loc(8, 15), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "build", "usage": "step", "source": "workflow", "tag_comment": "v7.0.1"}},
		{Kind: core.KindAction, Name: "aquasecurity/trivy-action", Version: "0.34.2", Ecosystem: "GitHub Actions",
			PURL: "pkg:githubactions/aquasecurity/trivy-action@0.34.2", Locations: loc(9, 15), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "build", "usage": "step", "source": "workflow"}},
		{Kind: core.KindAction, Name: "github/codeql-action", Version: "v3", Ecosystem: "GitHub Actions",
			PURL: "pkg:githubactions/github/codeql-action@v3#init", Locations: loc(10, 15), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "build", "usage": "step", "source": "workflow", "path": "init"}},
		{Kind: core.KindAction, Name: "alpine", Version: "3.18", Ecosystem: "Docker",
			PURL: "pkg:docker/alpine@3.18", Locations: loc(11, 15), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "build", "usage": "step", "source": "workflow"}},
		{Kind: core.KindPackage, Name: "ghcr.io/org/img", Version: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Ecosystem: "Docker",
			PURL: "pkg:docker/org/img@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef?repository_url=ghcr.io&tag=1.2", Locations: loc(6, 16), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "build", "usage": "container", "source": "workflow", "tag": "1.2"}},
		{Kind: core.KindAction, Name: "huggingface/doc-builder", Version: "7ccf6c02dc2e3aea1b07f6668f783b20c3bf407c", Ecosystem: "GitHub Actions",
			PURL: "pkg:githubactions/huggingface/doc-builder@7ccf6c02dc2e3aea1b07f6668f783b20c3bf407c#.github/workflows/build.yml", Locations: loc(15, 11), Direct: true, Scope: "build",
			Properties: map[string]string{"job": "docs", "usage": "reusable-workflow", "source": "workflow", "path": ".github/workflows/build.yml", "tag_comment": "main"}},
	}
	if len(res.Components) != len(want) {
		t.Errorf("got %d components, want %d: %+v", len(res.Components), len(want), res.Components)
	}
	for _, w := range want {
		if diff := cmp.Diff(w, got[w.PURL]); diff != "" {
			t.Errorf("component %s (-want +got):\n%s", w.PURL, diff)
		}
	}
}

func TestParseImage(t *testing.T) {
	for in, want := range map[string]imageRef{
		"python:3.11":                 {Raw: "python:3.11", Repo: "python", Tag: "3.11"},
		"redis":                       {Raw: "redis", Repo: "redis"},
		"localhost:5000/team/app:dev": {Raw: "localhost:5000/team/app:dev", Registry: "localhost:5000", Repo: "team/app", Tag: "dev"},
		"ghcr.io/o/i@sha256:ab":       {Raw: "ghcr.io/o/i@sha256:ab", Registry: "ghcr.io", Repo: "o/i", Digest: "sha256:ab"},
		"library/ubuntu:22.04":        {Raw: "library/ubuntu:22.04", Repo: "library/ubuntu", Tag: "22.04"},
	} {
		if diff := cmp.Diff(want, parseImage(in)); diff != "" {
			t.Errorf("parseImage(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestParseUses(t *testing.T) {
	for in, want := range map[string]actionRef{
		"actions/checkout@v4":              {Raw: "actions/checkout@v4", Owner: "actions", Repo: "checkout", Ref: "v4"},
		"github/codeql-action/init@abc":    {Raw: "github/codeql-action/init@abc", Owner: "github", Repo: "codeql-action", Path: "init", Ref: "abc"},
		"./.github/actions/x":              {Raw: "./.github/actions/x", Local: true},
		"owner/repo":                       {Raw: "owner/repo", Owner: "owner", Repo: "repo"},
		"docker://alpine@sha256:00":        {Raw: "docker://alpine@sha256:00", Docker: true, Image: imageRef{Raw: "alpine@sha256:00", Repo: "alpine", Digest: "sha256:00"}},
		"o/r/.github/workflows/w.yml@main": {Raw: "o/r/.github/workflows/w.yml@main", Owner: "o", Repo: "r", Path: ".github/workflows/w.yml", Ref: "main"},
	} {
		if diff := cmp.Diff(want, parseUses(in)); diff != "" {
			t.Errorf("parseUses(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestContextRefs(t *testing.T) {
	for expr, want := range map[string][]string{
		" github.event.issue.title ":                          {"github.event.issue.title"},
		"github.event.commits[0].message":                     {"github.event.commits.*.message"},
		"github['event']['pull_request']['title']":            {"github.event.pull_request.title"},
		"toJSON(github.event)":                                {"github.event"},
		"format('{0}', github.head_ref) || 'x'":               {"github.head_ref"},
		"github.event.issue.number":                           nil,
		"contains(github.event.issue.title, 'bug')":           nil,
		"startsWith(github.head_ref, 'release/') && true":     nil,
		"github.event.pull_request.head.sha":                  nil,
		"'github.event.issue.title'":                          nil,
		"github.event.pages.*.page_name":                      {"github.event.pages.*.page_name"},
		"github.event.workflow_run.pull_requests[0].head.ref": {"github.event.workflow_run.pull_requests.*.head.ref"},
	} {
		var got []string
		for _, r := range contextRefs(expr) {
			if !r.Safe && untrusted(r.Path) {
				got = append(got, r.String())
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("untrusted refs of %q (-want +got):\n%s", expr, diff)
		}
	}
}

func TestInjectionPosition(t *testing.T) {
	src := "on: issues\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo ok\n          echo \"${{ github.event.issue.title }}\" and \"${{ github.event.issue.body }}\"\n"
	res, _ := AuditFile(".github/workflows/a.yml", []byte(src))
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Location.String()+" "+f.Severity.String()+" "+f.Evidence)
	}
	want := []string{
		".github/workflows/a.yml:9:17 critical ${{ github.event.issue.title }}",
		".github/workflows/a.yml:9:55 critical ${{ github.event.issue.body }}",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPipeInstalls(t *testing.T) {
	for script, want := range map[string]string{
		"curl -fsSL https://x.sh | sh":                                                         "",
		"curl -fsSL https://x.sh | sudo -E bash -":                                             "",
		"wget -O - https://x/v1.2.3/install.sh | bash":                                         "version",
		"curl https://raw.githubusercontent.com/o/r/" + strings.Repeat("a", 40) + "/i.sh | sh": "commit",
		"bash <(curl -s https://x/i.sh)":                                                       "",
		"sh -c \"$(curl -fsSL https://x/i.sh)\"":                                               "",
		"iex ((New-Object System.Net.WebClient).DownloadString('https://x'))":                  "",
	} {
		ps := findPipeInstalls(script)
		if len(ps) != 1 {
			t.Errorf("%q: %d installers, want 1", script, len(ps))
			continue
		}
		if ps[0].Pinning != want {
			t.Errorf("%q: pinning %q, want %q", script, ps[0].Pinning, want)
		}
	}
	for _, benign := range []string{
		"curl -fsSL https://x/a.tar.gz | tar xz",
		"curl -s https://api/x | jq .",
		"# curl https://x | sh",
		"echo https://x | shasum",
		"curl https://x -o f && sha256sum -c sums",
	} {
		if ps := findPipeInstalls(benign); len(ps) != 0 {
			t.Errorf("%q: unexpected installer %+v", benign, ps)
		}
	}
}

func TestGitLabLocalIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		".gitlab-ci.yml": {Data: []byte("include:\n  - local: /ci/*.yml\n  - local: ../outside.yml\n")},
		"ci/a.yml":       {Data: []byte("a:\n  image: node:20\n  script: curl https://x.sh | sh\ninclude: /ci/b.yml\n")},
		"ci/b.yml":       {Data: []byte("include:\n  - local: /ci/a.yml\nb:\n  script: [make]\n  image: alpine\n")},
	}
	src := fsys[".gitlab-ci.yml"].Data
	res := auditSource(".gitlab-ci.yml", kindGitLab, src, fsys, "")
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Location.String()+" "+f.RuleID)
	}
	sort.Strings(got)
	want := []string{"ci/a.yml:2:10 ASSAY-GL-002", "ci/a.yml:3:11 ASSAY-GL-003", "ci/b.yml:5:10 ASSAY-GL-002"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Reason, "outside the scanned tree") {
		t.Errorf("errors: %+v", res.Errors)
	}
}

func TestRepoOwner(t *testing.T) {
	s := &Scanner{}
	for cfg, want := range map[string]string{
		"[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://github.com/Huggingface/peft.git\n": "Huggingface",
		"[remote \"origin\"]\n\turl = git@github.com:pytorch/pytorch.git\n":                              "pytorch",
		"[remote \"upstream\"]\n\turl = git@gitlab.com:grp/proj.git\n":                                   "grp",
		"[core]\n": "",
	} {
		fsys := fstest.MapFS{".git/config": {Data: []byte(cfg)}}
		if got := s.repoOwner(cfg, fsys); got != want {
			t.Errorf("owner from %q = %q, want %q", cfg, got, want)
		}
	}
}

// TestScanThroughEngineInput runs Scan on a real file the way the engine does.
func TestScanInput(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".git"), nil, 0o644)
	src := []byte("on: push\npermissions: {}\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: some/action@v1\n")
	p := filepath.Join(wf, "ci.yml")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	f, err := root.Open(".github/workflows/ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := &core.Input{FileInfo: core.FileInfo{Path: ".github/workflows/ci.yml", Size: int64(len(src))}, File: f, Root: root}
	res, err := (&Scanner{}).Scan(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].RuleID != "ASSAY-GHA-001" || len(res.Components) != 1 {
		t.Errorf("got %+v", res)
	}
}

// Bad input: every case yields an Error naming the file (with a line where
// one is known), no finding, and no panic — quickly.
func TestBadInput(t *testing.T) {
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = name
	}
	bomb += "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    env:\n      X: *" + prev + "\n    steps:\n      - run: echo ${{ secrets.X }}\n"
	huge := "on: push\njobs:\n  j:\n    steps:\n" + strings.Repeat("      - run: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", MaxFileSize/60+10)
	many := "on: push\njobs:\n  j:\n    steps: [" + strings.Repeat("{},", MaxNodes) + "{}]\n"
	for name, tc := range map[string]struct {
		src    string
		reason string
	}{
		"invalid":       {"on: push\njobs:\n  j: [\n", "line 3: invalid YAML"},
		"tabs":          {"on: push\n\tjobs: x\n", "invalid YAML"},
		"top scalar":    {"just a string\n", "top level is a scalar"},
		"top list":      {"- a\n- b\n", "top level is a sequence"},
		"non-utf8":      {"on: push\nname: \xff\xfe\n", "line 2: not valid UTF-8"},
		"huge":          {huge, "file too large"},
		"many nodes":    {many, "too many YAML nodes"},
		"steps string":  {"on: push\njobs:\n  j:\n    runs-on: x\n    steps: echo hi\n", "line 5: steps is a scalar, want a sequence"},
		"jobs list":     {"on: push\njobs: [a, b]\n", "line 2: jobs is a sequence, want a mapping"},
		"job scalar":    {"on: push\njobs:\n  a: 1\n", "line 3: job a is a scalar, want a mapping"},
		"step scalar":   {"on: push\njobs:\n  a:\n    steps: [1]\n", "step 1 is a scalar"},
		"uses mapping":  {"on: push\njobs:\n  a:\n    steps:\n      - uses: {a: b}\n", "uses is a mapping"},
		"alias bomb":    {bomb, "visit budget"},
		"gitlab scalar": {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res, _ := AuditFile(".github/workflows/x.yml", []byte(tc.src))
			if time.Since(start) > 20*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if tc.reason == "" {
				if len(res.Errors) != 0 {
					t.Errorf("errors %+v", res.Errors)
				}
				return
			}
			found := false
			for _, e := range res.Errors {
				if e.Path == ".github/workflows/x.yml" && strings.Contains(e.Reason, tc.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error containing %q, got %+v", tc.reason, res.Errors)
			}
		})
	}
}

// TestCorruptFiles: files under testdata/corrupt give errors, never panics.
func TestCorruptFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/corrupt/*")
	if len(files) == 0 {
		t.Fatal("no corrupt fixtures")
	}
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res := auditSource(filepath.Base(p), testKind(filepath.Base(p)), src, nil, "")
		if len(res.Errors) == 0 {
			t.Errorf("%s: no error reported", p)
		}
	}
}

func TestRulesMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] || r.Title == "" || r.Description == "" || r.Fix == "" || r.Category != "workflow" {
			t.Errorf("bad rule %+v", r)
		}
		seen[r.ID] = true
	}
	for _, id := range []string{"ASSAY-GHA-001", "ASSAY-GHA-002"} {
		if !seen[id] {
			t.Errorf("missing pre-assigned rule %s", id)
		}
	}
}
