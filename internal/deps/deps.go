//go:build tools

// Package deps pins the third-party modules assay's capabilities use, so that
// `go mod tidy` keeps them while capabilities are being built. See
// docs/dependencies.md for why each is here.
package deps

import (
	_ "github.com/CycloneDX/cyclonedx-go"
	_ "github.com/bodgit/sevenzip"
	_ "github.com/chromedp/chromedp"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/owenrumney/go-sarif/v2/sarif"
	_ "github.com/package-url/packageurl-go"
	_ "github.com/pelletier/go-toml/v2"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/sigstore/sigstore-go/pkg/verify"
	_ "github.com/spdx/tools-golang/spdx"
	_ "github.com/tree-sitter/go-tree-sitter"
	_ "github.com/tree-sitter/tree-sitter-javascript/bindings/go"
	_ "github.com/tree-sitter/tree-sitter-python/bindings/go"
	_ "github.com/ulikunitz/xz"
	_ "golang.org/x/mod/semver"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
