// Package registry is the explicit list of assay's capabilities: their
// scanners, analyzers and rules. No init() registration: what runs is what
// is listed here.
package registry

import (
	"sort"

	"github.com/assay-dev/assay/internal/advisory"
	"github.com/assay-dev/assay/internal/aiassets"
	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/datagate"
	"github.com/assay-dev/assay/internal/inventory/golang"
	"github.com/assay-dev/assay/internal/inventory/npm"
	"github.com/assay-dev/assay/internal/inventory/python"
	"github.com/assay-dev/assay/internal/modelscan"
	"github.com/assay-dev/assay/internal/pkgscan"
	"github.com/assay-dev/assay/internal/policy"
	"github.com/assay-dev/assay/internal/provenance"
	"github.com/assay-dev/assay/internal/workflow"
)

// Capability is one plug-in family, selectable by name.
type Capability struct {
	Name      string // inventory, model, package, workflow, aiasset, provenance
	Scanners  func() []core.Scanner
	Analyzers func() []core.Analyzer
}

// Capabilities lists every scanner family, in a fixed order. Analyzers run
// in this order too: provenance first, so the signature marks it sets on
// components are there when the model analyzer asks whether a file is pinned.
func Capabilities() []Capability {
	return []Capability{
		{Name: "provenance", Scanners: provenance.Scanners, Analyzers: provenance.Analyzers},
		{Name: "inventory", Scanners: func() []core.Scanner {
			var s []core.Scanner
			s = append(s, python.Scanners()...)
			s = append(s, npm.Scanners()...)
			s = append(s, golang.Scanners()...)
			return s
		}, Analyzers: func() []core.Analyzer {
			var a []core.Analyzer
			a = append(a, python.Analyzers()...)
			a = append(a, npm.Analyzers()...)
			a = append(a, golang.Analyzers()...)
			return a
		}},
		{Name: "model", Scanners: modelscan.Scanners, Analyzers: modelscan.Analyzers},
		{Name: "package", Scanners: pkgscan.Scanners, Analyzers: pkgscan.Analyzers},
		{Name: "workflow", Scanners: workflow.Scanners, Analyzers: workflow.Analyzers},
		{Name: "aiasset", Scanners: aiassets.Scanners, Analyzers: aiassets.Analyzers},
	}
}

// Select returns the scanners and analyzers of the named capabilities (all
// when names is empty).
func Select(names ...string) ([]core.Scanner, []core.Analyzer) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var (
		ss []core.Scanner
		as []core.Analyzer
	)
	for _, c := range Capabilities() {
		if len(want) > 0 && !want[c.Name] {
			continue
		}
		ss = append(ss, c.Scanners()...)
		as = append(as, c.Analyzers()...)
	}
	return ss, as
}

// Rules returns every rule of every capability, sorted by id.
func Rules() []core.Rule {
	var rs []core.Rule
	rs = append(rs, python.Rules()...)
	rs = append(rs, npm.Rules()...)
	rs = append(rs, golang.Rules()...)
	rs = append(rs, advisory.Rules()...)
	rs = append(rs, modelscan.Rules()...)
	rs = append(rs, pkgscan.Rules()...)
	rs = append(rs, workflow.Rules()...)
	rs = append(rs, aiassets.Rules()...)
	rs = append(rs, provenance.Rules()...)
	rs = append(rs, policy.Rules()...)
	rs = append(rs, datagate.Rules()...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// Rule looks a rule up by id.
func Rule(id string) (core.Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return core.Rule{}, false
}
