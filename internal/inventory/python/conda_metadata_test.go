package python

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const condaEnv = `name: finetune
channels:
  - pytorch
  - conda-forge
dependencies:
  - python=3.11
  - pytorch::pytorch==2.3.0
  - numpy=1.26.4=py311h64a7726_0
  - cudatoolkit 11.8.0 h6a678d5_0
  - scipy>=1.11
  - pip
  - pip:
      - transformers==4.44.2
      - --extra-index-url https://download.pytorch.org/whl/cu121
      - peft @ git+https://github.com/huggingface/peft@main
      - -r requirements-extra.txt
`

func TestConda(t *testing.T) {
	rep := scanFiles(t, map[string]string{
		"environment.yml":        condaEnv,
		"requirements-extra.txt": "accelerate==0.34.0\n",
	})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	type row struct {
		Eco, Name, Version, Req, PURL string
		Line, Col                     int
	}
	var got []row
	for _, c := range rep.Components {
		got = append(got, row{c.Ecosystem, c.Name, c.Version, c.Requirement, c.PURL, c.Locations[0].Line, c.Locations[0].Column})
	}
	want := []row{
		{"PyPI", "accelerate", "0.34.0", "", "pkg:pypi/accelerate@0.34.0", 1, 1},
		{"PyPI", "peft", "", "", "pkg:pypi/peft?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fhuggingface%2Fpeft%40main", 15, 9},
		{"PyPI", "transformers", "4.44.2", "", "pkg:pypi/transformers@4.44.2", 13, 9},
		{"conda", "cudatoolkit", "11.8.0", "", "pkg:conda/cudatoolkit@11.8.0?build=h6a678d5_0", 9, 5},
		{"conda", "numpy", "1.26.4", "", "pkg:conda/numpy@1.26.4?build=py311h64a7726_0", 8, 5},
		{"conda", "pip", "", "", "pkg:conda/pip", 11, 5},
		{"conda", "python", "", "=3.11", "pkg:conda/python", 6, 5},
		{"conda", "pytorch", "2.3.0", "", "pkg:conda/pytorch@2.3.0?channel=pytorch", 7, 5},
		{"conda", "scipy", "", ">=1.11", "pkg:conda/scipy", 10, 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.RuleID+"@"+f.Location.String())
	}
	wantF := []string{"ASSAY-INV-001@environment.yml:15:9", "ASSAY-INV-002@environment.yml:14:9"}
	if diff := cmp.Diff(wantF, ids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestCondaBadInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dependencies: [a\n", "invalid YAML"},
		{"- just\n- a list\n", "top level is not a mapping"},
		{"dependencies: numpy\n", "line 1: dependencies is not a list"},
		{"dependencies:\n  - '!!bad spec'\n  - ok=1\n", "line 2: invalid conda package spec"},
	}
	for _, tc := range tests {
		rep := scanFiles(t, map[string]string{"environment.yml": tc.in})
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, tc.want) {
			t.Errorf("%q: errors = %+v, want %q", tc.in, rep.Errors, tc.want)
		}
	}
}

const metadataRequests = `Metadata-Version: 2.1
Name: requests
Version: 2.32.3
Summary: Python HTTP for Humans.
License: Apache-2.0
Classifier: License :: OSI Approved :: Apache Software License
Requires-Dist: charset-normalizer (<4,>=2)
Requires-Dist: idna (<4,>=2.5)
Requires-Dist: urllib3 (<3,>=1.21.1)
Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'

Requests is an elegant and simple HTTP library.
Name: not-a-header-this-is-the-description
`

func TestInstalled(t *testing.T) {
	site := ".venv/lib/python3.12/site-packages/"
	rep := scanFiles(t, map[string]string{
		site + "requests-2.32.3.dist-info/METADATA":                  metadataRequests,
		site + "idna-3.7.dist-info/METADATA":                         "Metadata-Version: 2.4\nName: idna\nVersion: 3.7\nLicense-Expression: BSD-3-Clause\n",
		site + "urllib3-2.2.2.dist-info/METADATA":                    "Metadata-Version: 2.1\nName: urllib3\nVersion: 2.2.2\nLicense: MIT License\n  with a long\n  continuation\nClassifier: License :: OSI Approved :: MIT License\n",
		"usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO": "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
	})
	if len(rep.Errors) != 0 {
		t.Fatalf("errors: %+v", rep.Errors)
	}
	type row struct {
		Name, Version string
		Licenses      []string
		Deps          []string
		Line          int
	}
	var got []row
	for _, c := range rep.Components {
		if c.Direct || c.Properties["source"] != "installed" {
			t.Errorf("%s: direct=%v source=%q", c.Name, c.Direct, c.Properties["source"])
		}
		got = append(got, row{c.Name, c.Version, c.Licenses, c.DependsOn, c.Locations[0].Line})
	}
	want := []row{
		{"idna", "3.7", []string{"BSD-3-Clause"}, nil, 2},
		// Requires-Dist resolved to what is installed beside it; charset-normalizer
		// is not installed, PySocks is an extra.
		{"requests", "2.32.3", []string{"Apache-2.0"}, []string{"pkg:pypi/idna@3.7", "pkg:pypi/urllib3@2.2.2"}, 2},
		{"six", "1.16.0", []string{"MIT"}, nil, 2},
		{"urllib3", "2.2.2", []string{"MIT"}, nil, 2},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestInstalledBadInput(t *testing.T) {
	site := "venv/lib/python3.12/site-packages/x-1.dist-info/METADATA"
	tests := []struct{ in, want string }{
		{"\x00\x01binary", "not a text file"},
		{"Name: x\n", "no Name or Version"},
		{"Name: x\nVersion: 1\ngarbage line\n", "line 3: not a metadata header"},
		{"Name: caf\xe9\nVersion: 1\n", "line 1: not valid UTF-8"},
		{"Name: bad name!\nVersion: 1\n", "invalid package name"},
		{"Name: x\nVersion: 1\nSummary: " + strings.Repeat("a", MaxMetadataHeader) + "\n", "exceed"},
	}
	for _, tc := range tests {
		rep := scanFiles(t, map[string]string{site: tc.in})
		if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Reason, tc.want) {
			t.Errorf("%q: errors = %+v, want %q", clip(tc.in), rep.Errors, tc.want)
		}
	}
}
