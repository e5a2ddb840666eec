package npm

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFormats parses one fixture per format variant and compares every
// component (name, version, requirement, direct, scope, line, hash
// algorithms, depends_on, properties) and every ASSAY-INV-101 finding.
// Fixtures: real excerpts (ollama package-lock v3, langgraph yarn classic,
// vercel/ai pnpm v9; see testdata/SOURCES.md) and variants written from the
// formats' documentation (lock v1/v2 workspaces, yarn berry, pnpm 5.4/6.0).
func TestFormats(t *testing.T) {
	tests := []struct {
		file, kind string
		want       []view
		findings   []fview
	}{
		{
			file: "manifest/package.json", kind: "pj",
			want: []view{
				{"@types/node", "24.7.2", "", true, "dev", 25, "", nil, nil},
				{"any", "", "*", true, "", 20, "", nil, nil},
				{"fsevents", "", "^2.3.3", true, "optional", 28, "", nil, nil},
				{"left-pad", "", "github:stevemao/left-pad", true, "", 12, "", nil, map[string]string{"npm_spec": "git"}},
				{"local-utils", "", "file:../local-utils", true, "", 17, "", nil, map[string]string{"npm_spec": "file"}},
				{"lodash", "4.17.21", "", true, "", 10, "", nil, map[string]string{"npm_override": "$lodash"}},
				{"next", "", "latest", true, "", 19, "", nil, map[string]string{"npm_spec": "tag"}},
				{"ollama", "0.6.0", "", true, "", 9, "", nil, map[string]string{"npm_bundled": "true"}},
				{"pinned-lib", "", "git+https://github.com/example/pinned-lib.git#0123456789abcdef0123456789abcdef01234567", true, "", 14, "", nil, map[string]string{"npm_spec": "git"}},
				{"pnpm", "9.15.0", "", true, "dev", 5, "sha512", nil, map[string]string{"npm_spec": "packageManager"}},
				{"range2", "", ">=1.0.0 <2.0.0", true, "", 21, "", nil, nil},
				{"react", "", "^19.1.0", true, "", 8, "", nil, nil},
				{"react-dom", "", "^19.0.0", true, "peer", 31, "", nil, nil},
				{"shortcut", "", "example/shortcut#v1.2.0", true, "", 15, "", nil, map[string]string{"npm_spec": "git"}},
				{"string-width", "", "^4.2.0", true, "", 11, "", nil, map[string]string{"npm_alias": "string-width-cjs", "npm_spec": "alias"}},
				{"tarball", "", "https://example.com/pkgs/tarball-1.0.0.tgz", true, "", 16, "", nil, map[string]string{"npm_spec": "url"}},
				{"tiny-lib", "", "git+https://github.com/example/tiny-lib.git#main", true, "", 13, "", nil, map[string]string{"npm_spec": "git"}},
				{"typescript", "", "~5.8.3", true, "dev", 24, "", nil, nil},
			},
			findings: []fview{
				{"ASSAY-INV-101", 12, "pkg:npm/left-pad", "left-pad@github:stevemao/left-pad"},
				{"ASSAY-INV-101", 13, "pkg:npm/tiny-lib", "tiny-lib@git+https://github.com/example/tiny-lib.git#main"},
				{"ASSAY-INV-101", 15, "pkg:npm/shortcut", "shortcut@example/shortcut#v1.2.0"},
				{"ASSAY-INV-101", 16, "pkg:npm/tarball", "tarball@https://example.com/pkgs/tarball-1.0.0.tgz"},
			},
		},
		{
			file: "lock/ollama-v3.json", kind: "lock",
			want: []view{
				{"@antfu/install-pkg", "1.1.0", "", false, "", 17, "sha512", []string{"pkg:npm/tinyexec@1.0.2"}, nil},
				{"@esbuild/aix-ppc64", "0.25.5", "", false, "dev", 39, "sha512", nil, nil},
				{"ollama", "0.6.0", "", true, "", 56, "sha512", []string{"pkg:npm/whatwg-fetch@3.6.20"}, nil},
				{"react", "19.1.0", "", true, "", 65, "sha512", nil, nil},
				{"react-dom", "19.1.0", "", true, "", 74, "sha512", []string{"pkg:npm/react@19.1.0", "pkg:npm/scheduler@0.26.0"}, nil},
				{"scheduler", "0.26.0", "", false, "", 86, "sha512", nil, nil},
				{"tinyexec", "0.3.2", "", false, "dev", 92, "sha512", nil, nil},
				{"tinyexec", "1.0.2", "", false, "", 30, "sha512", nil, nil},
				{"whatwg-fetch", "3.6.20", "", false, "", 99, "sha512", nil, nil},
			},
		},
		{
			file: "lock/v1.json", kind: "lock1",
			want: []view{
				{"debug", "2.6.9", "", true, "", 7, "sha512", []string{"pkg:npm/ms@2.0.0"}, nil},
				{"express", "4.16.0", "", true, "", 15, "sha512", []string{"pkg:npm/debug@2.6.9", "pkg:npm/ms@2.1.1"}, nil},
				{"floaty", "", "git+https://github.com/example/floaty.git", true, "", 31, "", nil, map[string]string{"npm_resolved": "git+https://github.com/example/floaty.git"}},
				{"gitdep", "", "git+https://github.com/example/gitdep.git#0123456789abcdef0123456789abcdef01234567", true, "", 35, "", nil, map[string]string{"npm_resolved": "git+https://github.com/example/gitdep.git#0123456789abcdef0123456789abcdef01234567"}},
				{"mocha", "5.2.0", "", true, "dev", 42, "sha512", nil, nil},
				{"ms", "2.0.0", "", false, "", 48, "sha1", nil, nil},
				{"ms", "2.1.1", "", false, "", 24, "sha1", nil, nil},
				{"string-width", "4.2.3", "", false, "optional", 53, "sha512", nil, map[string]string{"npm_alias": "str-cjs"}},
			},
			findings: []fview{
				{"ASSAY-INV-101", 31, "pkg:npm/floaty", "floaty@git+https://github.com/example/floaty.git"},
			},
		},
		{
			file: "lock/v2-workspaces.json", kind: "lock",
			want: []view{
				{"devopt", "1.0.0", "", true, "optional", 28, "sha512", nil, nil},
				{"gitpkg", "2.0.0", "", true, "", 34, "", nil, map[string]string{"npm_resolved": "git+ssh://git@github.com/example/gitpkg.git#0123456789abcdef0123456789abcdef01234567"}},
				{"left", "1.2.0", "", true, "", 39, "sha512", []string{"pkg:npm/peerdep@3.0.0", "pkg:npm/right@1.5.0"}, nil},
				{"peerdep", "3.0.0", "", false, "peer", 48, "sha512", nil, nil},
				{"real-pkg", "1.0.1", "", true, "", 18, "sha512", nil, map[string]string{"npm_alias": "alias"}},
				{"right", "1.5.0", "", false, "", 54, "sha512", nil, nil},
				{"right", "2.1.0", "", true, "", 79, "sha512", nil, nil},
				{"tarok", "1.0.0", "", true, "", 59, "sha512", nil, map[string]string{"npm_resolved": "https://example.com/tarok-1.0.0.tgz"}},
				{"tarpkg", "1.0.0", "", true, "", 64, "", nil, map[string]string{"npm_resolved": "https://example.com/tarpkg-1.0.0.tgz"}},
			},
			findings: []fview{
				{"ASSAY-INV-101", 64, "pkg:npm/tarpkg@1.0.0", "tarpkg@https://example.com/tarpkg-1.0.0.tgz"},
			},
		},
		{
			file: "yarn/langgraph-classic.lock", kind: "yarn",
			want: []view{
				{"@cfworker/json-schema", "4.1.1", "", false, "", 5, "sha512", nil, nil},
				{"@eslint-community/eslint-utils", "4.9.1", "", false, "", 10, "sha512", nil, nil},
				{"@eslint-community/regexpp", "4.12.2", "", false, "", 17, "sha512", nil, nil},
				{"@eslint/config-array", "0.23.5", "", false, "", 22, "sha512", nil, nil},
				{"@eslint/config-helpers", "0.7.0", "", false, "", 31, "sha512", []string{"pkg:npm/%40eslint/core@1.2.1"}, nil},
				{"@eslint/core", "1.2.1", "", false, "", 38, "sha512", nil, nil},
			},
		},
		{
			file: "yarn/classic-sources.lock", kind: "yarnc",
			want: []view{
				{"@scope/a", "1.1.0", "", true, "", 5, "sha512", []string{"pkg:npm/b@2.0.1", "pkg:npm/string-width@4.2.3"}, nil},
				{"b", "2.0.1", "", false, "", 13, "sha1", []string{"pkg:npm/c@1.0.0"}, nil},
				{"c", "1.0.0", "", false, "", 19, "sha512", nil, nil},
				{"dev-tool", "3.0.0", "", true, "dev", 24, "sha512", nil, nil},
				{"floaty", "0.1.0", "", true, "", 29, "", nil, map[string]string{"npm_resolved": "https://codeload.github.com/example/floaty/tar.gz/main"}},
				{"gitdep", "1.0.0", "", true, "", 33, "", nil, map[string]string{"npm_resolved": "git+https://github.com/example/gitdep.git#0123456789abcdef0123456789abcdef01234567"}},
				{"string-width", "4.2.3", "", false, "", 37, "sha512", nil, map[string]string{"npm_alias": "str-cjs"}},
				{"tarok", "1.0.0", "", true, "", 42, "sha512", nil, map[string]string{"npm_resolved": "https://example.com/tarok-1.0.0.tgz"}},
				{"tarpkg", "1.0.0", "", true, "", 47, "", nil, map[string]string{"npm_resolved": "https://example.com/tarpkg-1.0.0.tgz"}},
			},
			findings: []fview{
				{"ASSAY-INV-101", 29, "pkg:npm/floaty@0.1.0", "floaty@https://codeload.github.com/example/floaty/tar.gz/main"},
				{"ASSAY-INV-101", 47, "pkg:npm/tarpkg@1.0.0", "tarpkg@https://example.com/tarpkg-1.0.0.tgz"},
			},
		},
		{
			file: "yarn/berry.lock", kind: "yarn",
			want: []view{
				{"@scope/a", "1.1.0", "", true, "", 8, "yarn-zip-sha512", []string{"pkg:npm/b@2.0.1"}, nil},
				{"b", "2.0.1", "", false, "", 17, "yarn-zip-sha512", nil, nil},
				{"gitdep", "1.0.0", "", true, "", 24, "yarn-zip-sha512", nil, map[string]string{"npm_resolved": "https://github.com/example/gitdep.git#commit=0123456789abcdef0123456789abcdef01234567"}},
				{"resolve", "1.22.8", "", true, "", 49, "yarn-zip-sha512", nil, nil},
				{"resolve", "1.22.8", "", false, "", 56, "yarn-zip-sha512", nil, map[string]string{"npm_patch": "patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"}},
				{"tarpkg", "1.0.0", "", true, "", 63, "", nil, map[string]string{"npm_resolved": "https://example.com/tarpkg-1.0.0.tgz"}},
			},
			findings: []fview{
				{"ASSAY-INV-101", 63, "pkg:npm/tarpkg@1.0.0", "tarpkg@https://example.com/tarpkg-1.0.0.tgz"},
			},
		},
		{
			file: "pnpm/vercel-ai-v9.yaml", kind: "pnpm",
			want: []view{
				{"react", "19.0.0-rc-cc1ec60d0d-20240607", "", true, "dev", 33, "sha512", nil, nil},
				{"react-dom", "19.0.0-rc-cc1ec60d0d-20240607", "", true, "dev", 28, "sha512", []string{"pkg:npm/react@19.0.0-rc-cc1ec60d0d-20240607", "pkg:npm/scheduler@0.25.0-rc-cc1ec60d0d-20240607"}, nil},
				{"scheduler", "0.25.0-rc-cc1ec60d0d-20240607", "", false, "dev", 37, "sha512", nil, nil},
				{"semver", "7.8.5", "", true, "dev", 40, "sha512", nil, nil},
			},
		},
		{
			file: "pnpm/v5.yaml", kind: "pnpm",
			want: []view{
				{"floaty", "0.1.0", "", true, "", 66, "", nil, map[string]string{"npm_resolved": "https://codeload.github.com/example/floaty/tar.gz/main"}},
				{"js-tokens", "4.0.0", "", false, "", 21, "sha512", nil, nil},
				{"loose-envify", "1.4.0", "", false, "", 25, "sha512", []string{"pkg:npm/js-tokens@4.0.0"}, nil},
				{"react", "18.2.0", "", true, "", 42, "sha512", []string{"pkg:npm/loose-envify@1.4.0"}, nil},
				{"react-dom", "18.2.0", "", true, "", 32, "sha512", []string{"pkg:npm/loose-envify@1.4.0", "pkg:npm/react@18.2.0", "pkg:npm/scheduler@0.23.0"}, nil},
				{"scheduler", "0.23.0", "", false, "", 49, "sha512", []string{"pkg:npm/loose-envify@1.4.0"}, nil},
				{"string-width", "4.2.3", "", true, "", 55, "sha512", nil, map[string]string{"npm_alias": "str-cjs"}},
				{"typescript", "4.9.5", "", true, "dev", 60, "sha512", nil, nil},
			},
			findings: []fview{
				{"ASSAY-INV-101", 66, "pkg:npm/floaty@0.1.0", "floaty@https://codeload.github.com/example/floaty/tar.gz/main"},
			},
		},
		{
			file: "pnpm/v6.yaml", kind: "pnpm",
			want: []view{
				{"gitdep", "1.0.0", "", true, "", 76, "", nil, map[string]string{"npm_resolved": "https://codeload.github.com/example/gitdep/tar.gz/0123456789abcdef0123456789abcdef01234567"}},
				{"js-tokens", "4.0.0", "", false, "", 36, "sha512", nil, nil},
				{"loose-envify", "1.4.0", "", false, "", 40, "sha512", []string{"pkg:npm/js-tokens@4.0.0"}, nil},
				{"react", "18.2.0", "", true, "", 57, "sha512", []string{"pkg:npm/loose-envify@1.4.0"}, nil},
				{"react-dom", "18.2.0", "", true, "", 47, "sha512", []string{"pkg:npm/loose-envify@1.4.0", "pkg:npm/react@18.2.0", "pkg:npm/scheduler@0.23.0"}, nil},
				{"scheduler", "0.23.0", "", false, "", 64, "sha512", []string{"pkg:npm/loose-envify@1.4.0"}, nil},
				{"vitest", "1.0.4", "", true, "dev", 70, "sha512", nil, nil},
			},
		},
		{
			file: "pnpm/v9-sources.yaml", kind: "pnpm",
			want: []view{
				{"emoji-regex", "8.0.0", "", false, "", 36, "sha512", nil, nil},
				{"fsevents", "2.3.3", "", true, "optional", 39, "sha512", nil, nil},
				{"gitdep", "1.0.0", "", true, "", 44, "", nil, map[string]string{"npm_resolved": "git@github.com:example/gitdep.git#0123456789abcdef0123456789abcdef01234567"}},
				{"string-width", "4.2.3", "", true, "", 48, "sha512", []string{"pkg:npm/emoji-regex@8.0.0"}, map[string]string{"npm_alias": "str-cjs"}},
				{"tarpkg", "1.0.0", "", true, "", 52, "", nil, map[string]string{"npm_resolved": "https://example.com/tarpkg-1.0.0.tgz"}},
				{"typescript", "5.8.3", "", true, "dev", 56, "sha512", nil, nil},
			},
			findings: []fview{
				{"ASSAY-INV-101", 52, "pkg:npm/tarpkg@1.0.0", "tarpkg@https://example.com/tarpkg-1.0.0.tgz"},
			},
		},
		{
			// pnpm 11+ writes an "env" document (the package manager itself,
			// config dependencies) before the project's lockfile document.
			file: "pnpm/v9-two-documents.yaml", kind: "pnpm",
			want: []view{
				{"@pnpm/exe", "11.0.3", "", true, "dev", 18, "sha512", nil, nil},
				{"is-number", "6.0.0", "", false, "", 49, "sha512", nil, nil},
				{"is-odd", "3.0.1", "", true, "", 53, "sha512", []string{"pkg:npm/is-number@6.0.0"}, nil},
				{"pnpm", "11.0.3", "", true, "dev", 22, "sha512", nil, nil},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file+"/"+tc.kind, func(t *testing.T) {
			res, err := parseFixture(t, tc.file, tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 0 {
				t.Errorf("errors: %+v", res.Errors)
			}
			if diff := cmp.Diff(tc.want, views(res.Components)); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if tc.findings == nil {
				tc.findings = []fview{}
			}
			if diff := cmp.Diff(tc.findings, fviews(res.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}
