package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/keys"
	"github.com/assay-dev/assay/internal/provenance"
	"github.com/assay-dev/assay/internal/report"
)

type verifyOptions struct {
	signature   string
	manifest    string
	keyPath     string
	identity    string
	identityRe  string
	issuer      string
	issuerRe    string
	trustedRoot string
	workers     int
	o           scanOptions
}

func (a *app) newVerifyCmd() *cobra.Command {
	v := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify DIR",
		Short: "Verify a directory against a signed or unsigned manifest",
		Long: `Check that DIR is exactly what was signed (or recorded).

  assay verify DIR --signature DIR.sig --key PUBLIC.pem
  assay verify DIR --signature DIR.sig --identity SUBJECT --issuer URL --trusted-root trusted_root.json
  assay verify DIR --manifest DIR.manifest.json

The signature is an OpenSSF model-signing bundle (assay sign, or model_signing
sign key/sigstore). Key-signed bundles are checked with the given public key(s)
(a PEM file or a directory of *.pub); keyless (Sigstore) bundles with
sigstore-go against a trusted root file and the expected certificate identity
(SAN) and OIDC issuer, offline, using the transparency-log entries and
timestamps embedded in the bundle. Without --signature/--manifest, DIR.sig
beside DIR, then DIR/model.sig, is used.

Every file added, removed or changed since signing is a finding (changed:
critical ASSAY-PRV-010; added/removed: high ASSAY-PRV-011/012); a bad, altered
or untrusted signature is ASSAY-PRV-020. --manifest FILE checks a plain assay
manifest (plus ASSAY-PRV-021, medium: the manifest is unsigned); given a bundle
instead, --manifest verifies it as a signature when --key/--identity is given,
and otherwise checks the files against the bundle's manifest and reports that
the signer was not verified (ASSAY-PRV-022, medium).

Exit 0 only when the signature verifies and nothing changed; 1 on any change,
unreadable file or bad signature (and on other findings at or above --fail-on);
2 on usage errors.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return a.runVerify(c, args[0], v)
		},
	}
	f := c.Flags()
	f.StringVar(&v.signature, "signature", "", "model-signing bundle (default DIR.sig, then DIR/model.sig)")
	f.StringVar(&v.manifest, "manifest", "", "unsigned assay manifest (or a bundle, see above)")
	f.StringVar(&v.keyPath, "key", "", "trusted public key: PEM file or directory of *.pub/*.pem")
	f.StringVar(&v.identity, "identity", "", "keyless: expected certificate identity (SAN: email or URI)")
	f.StringVar(&v.identityRe, "identity-regexp", "", "keyless: regular expression the identity must match (instead of --identity)")
	f.StringVar(&v.issuer, "issuer", "", "keyless: expected OIDC issuer URL")
	f.StringVar(&v.issuerRe, "issuer-regexp", "", "keyless: regular expression the issuer must match (instead of --issuer)")
	f.StringVar(&v.trustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json")
	f.IntVar(&v.workers, "workers", 0, "concurrent hashing workers (default: CPUs)")
	f.StringVarP(&v.o.format, "format", "f", "table", "output format: "+joinFormats())
	f.StringVarP(&v.o.output, "output", "o", "", "write the report to FILE instead of stdout")
	v.o.failOn = "high"
	f.Var(failOnFlag{&v.o}, "fail-on", "also exit 1 on findings at or above this severity (changes and bad signatures always fail)")
	f.BoolVarP(&v.o.quiet, "quiet", "q", false, "print only the summary line (table format)")
	f.BoolVarP(&v.o.verbose, "verbose", "v", false, "show info findings and every error")
	return c
}

func joinFormats() string {
	s := ""
	for i, f := range report.Formats {
		if i > 0 {
			s += "|"
		}
		s += f
	}
	return s
}

// failing rules: any of these makes verify exit 1 whatever --fail-on says.
var verifyFailRules = map[string]bool{
	provenance.RuleChanged.ID: true, provenance.RuleAdded.ID: true, provenance.RuleRemoved.ID: true,
	provenance.RuleBadSignature.ID: true, provenance.RuleUnhashable.ID: true,
}

func (a *app) runVerify(c *cobra.Command, dir string, v *verifyOptions) error {
	failOn, err := parseFailOn(v.o.failOn)
	if err != nil {
		return usageErr("%v", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErr("%s is not a directory", dir)
	}
	keyless := v.identity != "" || v.identityRe != "" || v.issuer != "" || v.issuerRe != "" || v.trustedRoot != ""
	if keyless && v.keyPath != "" {
		return usageErr("use either --key or --identity/--issuer/--trusted-root, not both")
	}
	if keyless && (v.trustedRoot == "" || (v.identity == "" && v.identityRe == "") || (v.issuer == "" && v.issuerRe == "")) {
		return usageErr("keyless verification needs --identity (or --identity-regexp), --issuer (or --issuer-regexp) and --trusted-root")
	}
	if v.signature != "" && v.manifest != "" {
		return usageErr("use either --signature or --manifest, not both")
	}
	sigPath := v.signature
	if sigPath == "" && v.manifest == "" {
		for _, p := range []string{defaultSigPath(dir), filepath.Join(dir, "model.sig")} {
			if _, err := os.Stat(p); err == nil {
				sigPath = p
				break
			}
		}
		if sigPath == "" {
			return usageErr("no signature found (looked for %s and %s); give --signature or --manifest", defaultSigPath(dir), filepath.Join(dir, "model.sig"))
		}
	}
	if sigPath != "" && !keyless && v.keyPath == "" {
		return usageErr("--key PUBLIC.pem (or --identity/--issuer/--trusted-root for keyless bundles) is required to verify a signature")
	}
	var trusted []keys.PublicKey
	if v.keyPath != "" {
		if trusted, err = keys.LoadPublic(v.keyPath); err != nil {
			return usageErr("key: %v", err)
		}
	}
	id := provenance.Identity{Subject: v.identity, SubjectRegexp: v.identityRe, Issuer: v.issuer, IssuerRegexp: v.issuerRe}

	rep := core.NewReport(dir)
	abs, _ := filepath.Abs(dir)
	rep.Root = abs
	srcFile := sigPath
	if srcFile == "" {
		srcFile = v.manifest
	}
	srcLoc := core.Location{Path: displayPath(dir, srcFile)}
	exclude := map[string]bool{}
	if rel, ok := relInsideDir(dir, srcFile); ok {
		exclude[rel] = true
	}

	var (
		sc      *provenance.SignedContent
		verdict string
	)
	bad := func(err error) error {
		rep.Findings = append(rep.Findings, provenance.RuleBadSignature.New(srcLoc, fmt.Sprintf("%s: %v", srcLoc.Path, err), core.Clip(err.Error(), 300)))
		verdict = "NOT verified: " + err.Error()
		return a.finishVerify(rep, v, failOn, verdict, 0)
	}
	verifyBundle := func(raw []byte, bd *provenance.Bundle) (*provenance.SignedContent, string, error) {
		if keyless {
			tm, err := provenance.LoadTrustedRoot(v.trustedRoot)
			if err != nil {
				return nil, "", usageErr("%v", err)
			}
			s, signer, err := provenance.VerifyKeyless(raw, tm, id)
			return s, "identity " + signer, err
		}
		s, k, err := provenance.VerifyKeyBundle(bd, trusted)
		if err != nil {
			return nil, "", err
		}
		return s, "key " + k.ID[:16] + " (" + k.Source + ")", nil
	}

	switch {
	case sigPath != "":
		raw, bd, err := provenance.ReadBundleFile(sigPath)
		if raw == nil && err != nil {
			return usageErr("signature: %v", err)
		}
		if err != nil && !keyless {
			return bad(err)
		}
		s, who, err := verifyBundle(raw, bd)
		if err != nil {
			var ee *exitError
			if errors.As(err, &ee) {
				return err
			}
			return bad(err)
		}
		sc, verdict = s, "signature verified: "+who
	default:
		m, raw, bd, err := provenance.LoadManifestOrBundle(v.manifest)
		switch {
		case raw == nil && err != nil:
			if errors.Is(err, os.ErrNotExist) {
				return usageErr("manifest: %v", err)
			}
			return bad(err)
		case err != nil:
			return bad(err)
		case m != nil:
			sc = provenance.ManifestContent(m)
			verdict = "checked against an UNSIGNED manifest"
			rep.Findings = append(rep.Findings, provenance.RuleUnsigned.New(srcLoc, fmt.Sprintf("%s was checked against the unsigned manifest %s", dir, srcLoc.Path), ""))
		case keyless || v.keyPath != "":
			s, who, err := verifyBundle(raw, bd)
			if err != nil {
				var ee *exitError
				if errors.As(err, &ee) {
					return err
				}
				return bad(err)
			}
			sc, verdict = s, "signature verified: "+who
		default:
			s, err := provenance.UnverifiedContent(bd)
			if err != nil {
				return bad(err)
			}
			sc = s
			verdict = "files checked against the bundle's manifest; signer NOT verified (no --key/--identity)"
			rep.Findings = append(rep.Findings, provenance.RuleUntrustedSigner.New(srcLoc, fmt.Sprintf("%s carries a signature, but no --key or --identity was given to check who signed it", srcLoc.Path), "key hint "+bd.Hint()))
		}
	}

	cur, err := provenance.Recompute(c.Context(), dir, sc.Serialization, exclude, v.workers)
	if err != nil {
		return usageErr("%v", err)
	}
	changes := provenance.CompareSigned(sc, cur)
	rep.Findings = append(rep.Findings, provenance.ChangeFindings(changes, cur.Errors, "", srcLoc.Path)...)
	setMeta(rep, "verified_resources", fmt.Sprint(len(sc.Digests)))
	walked := len(cur.Sizes) + len(cur.Errors)
	if len(changes) > 0 || len(cur.Errors) > 0 {
		verdict += fmt.Sprintf("; %d change(s), %d unreadable file(s)", len(changes), len(cur.Errors))
	} else {
		verdict += fmt.Sprintf("; %d resource(s) match, nothing changed", len(sc.Digests))
	}
	return a.finishVerify(rep, v, failOn, verdict, walked)
}

// displayPath shows a file relative to DIR when inside it, else as given.
func displayPath(dir, p string) string {
	if rel, ok := relInsideDir(dir, p); ok {
		return rel
	}
	return filepath.ToSlash(p)
}

func (a *app) finishVerify(rep *core.Report, v *verifyOptions, failOn *core.Severity, verdict string, walked int) error {
	setMeta(rep, "verdict", verdict)
	rep.Finalize(failOn)
	rep.Summary.FilesWalked = walked
	for _, f := range rep.Findings {
		if verifyFailRules[f.RuleID] {
			rep.Summary.Failed, rep.Summary.ExitCode = true, ExitFindings
		}
	}
	if !v.o.quiet {
		fmt.Fprintf(a.stderr, "assay: %s: %s\n", rep.Target, verdict)
	}
	return a.emit(rep, &v.o)
}
