package provenance

import (
	"fmt"
	"path"

	"github.com/assay-dev/assay/internal/core"
)

// Rules of the provenance capability.
var (
	RuleUnpinned = core.Rule{
		ID: "ASSAY-PRV-001", Title: "Dependencies installed without hash pinning", Severity: core.SeverityInfo, Category: "provenance",
		Description: "A requirements file or lockfile lists packages without a content hash. Without hashes, the installer accepts whatever bytes the index serves for that version: a re-uploaded, mirrored or man-in-the-middled artifact installs silently. When some requirements in a file are hashed and others are not, pip's --require-hashes mode fails or (without it) the unhashed ones are the gap an attacker uses, so that case is graded medium; a lockfile whose registry entries lack hashes is low; a requirements file with no hashes at all is info (most projects; the policy switch require_lockfile_hashes raises every instance to high).",
		Fix:         "Pin hashes: pip-compile --generate-hashes / uv pip compile --generate-hashes and install with pip install --require-hashes; commit the lockfile (poetry.lock, uv.lock, package-lock.json with integrity) and install from it (npm ci).",
		Tags:        []string{"supply-chain", "hash-pinning"},
	}
	RuleChanged = core.Rule{
		ID: "ASSAY-PRV-010", Title: "File changed since it was signed", Severity: core.SeverityCritical, Category: "provenance",
		Description: "A file's SHA-256 no longer matches the digest in the signed (or recorded) manifest: the model or dataset in use is not the one that was approved. This is how a swapped model or a poisoned training file shows up.",
		Fix:         "Restore the file from the approved source, or, if the change is intended, review it and re-sign the directory (assay sign DIR --key KEY).",
		Tags:        []string{"integrity"},
	}
	RuleAdded = core.Rule{
		ID: "ASSAY-PRV-011", Title: "File added since signing", Severity: core.SeverityHigh, Category: "provenance",
		Description: "A file is present that the signed manifest does not list. Loaders pick up extra files (a new pickle shard, an extra data file, a custom code module), so unsigned additions are untrusted content inside a trusted directory.",
		Fix:         "Remove the file, or review it and re-sign the directory.",
		Tags:        []string{"integrity"},
	}
	RuleRemoved = core.Rule{
		ID: "ASSAY-PRV-012", Title: "File removed since signing", Severity: core.SeverityHigh, Category: "provenance",
		Description: "A file listed in the signed manifest is missing. Removing a file (a config, a tokenizer, a label file, a data shard) changes behaviour as surely as editing it.",
		Fix:         "Restore the file from the approved source, or re-sign the directory if the removal is intended.",
		Tags:        []string{"integrity"},
	}
	RuleBadSignature = core.Rule{
		ID: "ASSAY-PRV-020", Title: "Signature does not verify", Severity: core.SeverityCritical, Category: "provenance",
		Description: "The signature bundle is malformed, altered, made by a key or identity that is not trusted, or inconsistent with itself. Nothing it claims can be relied on.",
		Fix:         "Obtain the bundle from the producer again and verify it with the producer's public key (--key) or expected identity (--identity/--issuer/--trusted-root); if the directory was re-signed by someone else, find out why.",
		Tags:        []string{"signature"},
	}
	RuleUnsigned = core.Rule{
		ID: "ASSAY-PRV-021", Title: "Manifest is not signed", Severity: core.SeverityMedium, Category: "provenance",
		Description: "The directory was checked against a plain manifest. A manifest detects accidental change and tampering downstream of it, but anyone who can change the files can also rewrite an unsigned manifest.",
		Fix:         "Sign the directory (assay sign DIR --key KEY, or keyless with Sigstore) and verify with assay verify DIR --signature DIR.sig --key KEY.pub.",
		Tags:        []string{"signature"},
	}
	RuleUntrustedSigner = core.Rule{
		ID: "ASSAY-PRV-022", Title: "Signature present, signer not verified", Severity: core.SeverityMedium, Category: "provenance",
		Description: "A model-signing bundle was found, and the files match the manifest it carries, but no trusted key or identity was available to check who signed it. The manifest could have been re-signed by anyone.",
		Fix:         "Put the producer's public key under .assay/keys/ (*.pub) at the scan root, or run assay verify DIR --signature SIG --key KEY.pub (or --identity/--issuer/--trusted-root for keyless bundles).",
		Tags:        []string{"signature"},
	}
	RuleUnhashable = core.Rule{
		ID: "ASSAY-PRV-023", Title: "File could not be verified", Severity: core.SeverityHigh, Category: "provenance",
		Description: "A file covered by the manifest could not be hashed (unreadable, or it changed while it was being hashed), so its integrity is unknown. Never reported as verified.",
		Fix:         "Make sure nothing writes to the directory during verification and that the file is readable, then verify again.",
		Tags:        []string{"integrity"},
	}
	RuleArtifactMismatch = core.Rule{
		ID: "ASSAY-PRV-030", Title: "Artifact hash does not match the lockfile", Severity: core.SeverityCritical, Category: "provenance",
		Description: "The downloaded artifact's digest is not among the hashes its lockfile pins for that package and version: it is not the file that was locked.",
		Fix:         "Do not install it. Download the artifact again from the index the lockfile names, and if it still differs, treat the index or mirror as compromised.",
		Tags:        []string{"supply-chain", "hash-pinning"},
	}
	RuleArtifactUnpinned = core.Rule{
		ID: "ASSAY-PRV-031", Title: "Artifact not pinned by the lockfile", Severity: core.SeverityHigh, Category: "provenance",
		Description: "The lockfile has no hash for this artifact's package and version (or does not list it), so the download cannot be checked.",
		Fix:         "Regenerate the lockfile with hashes (pip-compile --generate-hashes, uv lock, poetry lock, npm install) and check again.",
		Tags:        []string{"supply-chain", "hash-pinning"},
	}
)

// Rules returns the metadata of every rule this capability reports.
func Rules() []core.Rule {
	return []core.Rule{RuleUnpinned, RuleChanged, RuleAdded, RuleRemoved, RuleBadSignature, RuleUnsigned, RuleUntrustedSigner, RuleUnhashable, RuleArtifactMismatch, RuleArtifactUnpinned}
}

// ChangeFindings turns changes and hash errors into findings. base is
// prefixed to every path (the covered directory relative to the scan
// root; "" when the directory is the root), source names the manifest or
// bundle in messages.
func ChangeFindings(changes []Change, errs []HashError, base, source string) []core.Finding {
	var out []core.Finding
	for _, c := range changes {
		loc := core.Location{Path: join(base, c.Path)}
		what := "file"
		if c.Link {
			what = "symlink"
		}
		var f core.Finding
		switch c.Kind {
		case "changed":
			ev := c.Detail
			if ev == "" && c.Was != nil && c.Now != nil {
				ev = fmt.Sprintf("sha256 signed %s, now %s", c.Was.SHA256, c.Now.SHA256)
			}
			f = RuleChanged.New(loc, fmt.Sprintf("%s %s differs from %s", what, c.Path, source), ev)
		case "added":
			ev := c.Detail
			if ev == "" && c.Now != nil {
				ev = "sha256 " + c.Now.SHA256
			}
			f = RuleAdded.New(loc, fmt.Sprintf("%s %s is not in %s", what, c.Path, source), ev)
		case "removed":
			ev := c.Detail
			if ev == "" && c.Was != nil {
				ev = "signed sha256 " + c.Was.SHA256
			}
			f = RuleRemoved.New(loc, fmt.Sprintf("%s %s listed in %s is missing", what, c.Path, source), ev)
		default:
			continue
		}
		out = append(out, f)
	}
	for _, e := range errs {
		out = append(out, RuleUnhashable.New(core.Location{Path: join(base, e.Path)}, fmt.Sprintf("%s could not be hashed: %s", e.Path, e.Reason), e.Reason))
	}
	return out
}

func join(base, p string) string {
	if base == "" || base == "." {
		return p
	}
	return path.Join(base, p)
}
