package advisory

import "github.com/assay-dev/assay/internal/core"

// Rule ids of this capability.
const (
	RuleCompromised    = "ASSAY-DEP-001"
	RuleVulnerable     = "ASSAY-DEP-002"
	RuleRangeAllowsBad = "ASSAY-DEP-003"
	RuleUnpinned       = "ASSAY-DEP-004"
)

var (
	ruleCompromised = core.Rule{
		ID:       RuleCompromised,
		Title:    "Known-compromised or malicious release",
		Severity: core.SeverityCritical,
		Category: "dependency",
		Description: "The component resolves to a release, tag or commit that is known to be malicious: a hijacked " +
			"release of a legitimate package, a malicious package (typosquat, dependency confusion), a GitHub Action " +
			"tag that was force-pushed to attacker code, or a malicious model. Installing or running it executes the " +
			"attacker's code with the privileges of the developer machine or CI runner; secrets reachable from there " +
			"must be treated as stolen.",
		Fix:  "Move to the next clean version (or pin the last safe one), regenerate the lockfile, and rotate every credential present where the bad release ran.",
		Tags: []string{"supply-chain", "malware", "osv"},
	}
	ruleVulnerable = core.Rule{
		ID:       RuleVulnerable,
		Title:    "Known-vulnerable version",
		Severity: core.SeverityHigh,
		Category: "dependency",
		Description: "The pinned version is inside the affected range of a published advisory (OSV/GHSA/PYSEC/CVE). " +
			"The severity follows the advisory's CVSS score; it is high when the advisory gives none.",
		Fix:  "Upgrade to the lowest fixed version named in the finding (or later).",
		Tags: []string{"vulnerability", "osv"},
	}
	ruleRange = core.Rule{
		ID:       RuleRangeAllowsBad,
		Title:    "Requirement range admits known-compromised versions",
		Severity: core.SeverityHigh,
		Category: "dependency",
		Description: "A declared, unpinned requirement (e.g. litellm>=1.80, nx ^21.0.0) allows versions that are known " +
			"to be malicious, so a fresh resolve (pip install -r, npm install without a lockfile, a Dependabot bump) " +
			"can install them. When a lockfile in the same project pins a version that is not affected, the finding is " +
			"lowered to low: installs from the lockfile are protected, installs from the manifest are not.",
		Fix:  "Tighten the requirement so it excludes the bad versions (e.g. litellm>=1.83.0) and install from a committed lockfile.",
		Tags: []string{"supply-chain", "pinning"},
	}
	ruleUnpinned = core.Rule{
		ID:       RuleUnpinned,
		Title:    "Dependency with no version bound in a project without a lockfile",
		Severity: core.SeverityLow,
		Category: "dependency",
		Description: "The dependency is declared without any upper bound (no version, \"*\", \"latest\", or only a lower " +
			"bound) and no lockfile of the same ecosystem covers its directory, so every install takes whatever was " +
			"published last — including a hijacked release published minutes ago.",
		Fix:  "Commit a lockfile (uv.lock, poetry.lock, package-lock.json, pnpm-lock.yaml) or pin exact versions with hashes.",
		Tags: []string{"pinning"},
	}
)

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule {
	return []core.Rule{ruleCompromised, ruleVulnerable, ruleRange, ruleUnpinned}
}
