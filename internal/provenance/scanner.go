package provenance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/keys"
)

// TrustedKeysDir is where `assay scan` looks, under the scan root, for
// public keys (*.pub, *.pem) it trusts to have signed model and dataset
// directories.
const TrustedKeysDir = ".assay/keys"

// Properties set on the component recorded for each signature/manifest.
const (
	PropCovers = "signature_covers" // the directory (relative to the scan root) the signature covers
	PropSigner = "signature_signer" // key id or certificate identity that verified it

	SigVerified   = "verified"
	SigUnverified = "signer-not-verified"
	SigUnsigned   = "unsigned-manifest"
	SigFailed     = "failed"
)

// sigScanner verifies model-signing bundles (*.sig) and assay manifests
// (*.manifest.json) found in the tree against the directory they cover.
type sigScanner struct{}

func (sigScanner) Name() string { return "provenance/signature" }

func (sigScanner) FileRequired(f core.FileInfo) bool {
	name := strings.ToLower(f.Name())
	switch {
	case strings.HasSuffix(name, ".sig"):
		return bytes.Contains(f.Head, []byte("sigstore.bundle")) || bytes.Contains(f.Head, []byte(`"dsseEnvelope"`))
	case strings.HasSuffix(name, ".manifest.json"):
		return bytes.Contains(f.Head, []byte(`"`+ManifestType+`"`))
	}
	return false
}

// coveredDir picks the directory a signature at rel covers: the sibling
// directory named like the file without its suffix (model.sig beside
// model/), else the file's own directory (model-signing's model/model.sig).
func coveredDir(in *core.Input, suffix string) string {
	dir := path.Dir(in.Path)
	base := path.Base(in.Path)
	stem := base[:len(base)-len(suffix)]
	if in.Root != nil && stem != "" {
		sib := path.Join(dir, stem)
		if st, err := in.Root.Lstat(filepath.FromSlash(sib)); err == nil && st.IsDir() {
			return sib
		}
	}
	return dir
}

// rootAbs is the scan root's absolute path.
func rootAbs(in *core.Input) string {
	return strings.TrimSuffix(in.AbsPath, filepath.FromSlash(in.Path))
}

// trustedKeys loads the scan root's trusted keys (through the root, so a
// symlink cannot pull keys from outside it).
func trustedKeys(in *core.Input) ([]keys.PublicKey, error) {
	if in.Root == nil {
		return nil, nil
	}
	d, err := in.Root.Open(filepath.FromSlash(TrustedKeysDir))
	if err != nil {
		return nil, nil
	}
	defer d.Close()
	ents, err := d.ReadDir(1000)
	if err != nil && err != io.EOF {
		return nil, err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	var out []keys.PublicKey
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(n, ".pub") || strings.HasSuffix(n, ".pem")) {
			continue
		}
		p := path.Join(TrustedKeysDir, n)
		b, err := fs.ReadFile(in.Root.FS(), p)
		if err != nil || len(b) > keys.MaxKeyFile {
			return nil, fmt.Errorf("%s: cannot read", p)
		}
		ks, err := keys.ParsePublic(b, p)
		if err != nil {
			return nil, err
		}
		out = append(out, ks...)
	}
	return out, nil
}

func (s sigScanner) Scan(ctx context.Context, in *core.Input) (core.Result, error) {
	var res core.Result
	isManifest := strings.HasSuffix(strings.ToLower(in.Name()), ".manifest.json")
	suffix := ".sig"
	if isManifest {
		suffix = ".manifest.json"
	}
	covered := coveredDir(in, suffix)
	b, err := in.ReadAll(MaxBundle)
	if err != nil {
		return res, err
	}
	loc := core.Location{Path: in.Path}
	comp := core.Component{Kind: core.KindFile, Name: in.Path, Locations: []core.Location{loc},
		Properties: map[string]string{PropCovers: covered}}
	var (
		sc     *SignedContent
		state  string
		source = in.Path
	)
	if isManifest {
		m, err := ParseManifest(b)
		if err != nil {
			res.Errors = append(res.Errors, core.Error{Path: in.Path, Reason: "manifest: " + err.Error()})
			return res, nil
		}
		sc, state = ManifestContent(m), SigUnsigned
		res.Findings = append(res.Findings, RuleUnsigned.New(loc, fmt.Sprintf("%s is checked against the unsigned manifest %s", dirLabel(covered), in.Path), ""))
	} else {
		bd, err := ParseBundle(b)
		if err != nil {
			comp.Properties[core.PropSignature] = SigFailed
			res.Components = append(res.Components, comp)
			res.Findings = append(res.Findings, RuleBadSignature.New(loc, fmt.Sprintf("signature %s is unusable: %v", in.Path, err), core.Clip(err.Error(), 200)))
			return res, nil
		}
		trusted, kerr := trustedKeys(in)
		if kerr != nil {
			res.Errors = append(res.Errors, core.Error{Path: TrustedKeysDir, Reason: kerr.Error()})
		}
		switch {
		case len(trusted) > 0 && !bd.IsKeyless():
			content, k, err := VerifyKeyBundle(bd, trusted)
			if err != nil {
				comp.Properties[core.PropSignature] = SigFailed
				res.Components = append(res.Components, comp)
				res.Findings = append(res.Findings, RuleBadSignature.New(loc, fmt.Sprintf("signature %s does not verify against the keys in %s: %v", in.Path, TrustedKeysDir, err), core.Clip(err.Error(), 200)))
				return res, nil
			}
			sc, state = content, SigVerified
			comp.Properties[PropSigner] = k.ID
		default:
			content, err := UnverifiedContent(bd)
			if err != nil {
				comp.Properties[core.PropSignature] = SigFailed
				res.Components = append(res.Components, comp)
				res.Findings = append(res.Findings, RuleBadSignature.New(loc, fmt.Sprintf("signature %s carries no usable model-signing statement: %v", in.Path, err), core.Clip(err.Error(), 200)))
				return res, nil
			}
			sc, state = content, SigUnverified
			why := "no trusted keys in " + TrustedKeysDir
			if bd.IsKeyless() {
				why = "it is a keyless (Sigstore) bundle and scan has no expected identity"
			}
			res.Findings = append(res.Findings, RuleUntrustedSigner.New(loc, fmt.Sprintf("%s is signed by %s, but the signer was not verified (%s)", dirLabel(covered), in.Path, why), "key hint "+bd.Hint()))
		}
	}
	dirAbs := filepath.Join(rootAbs(in), filepath.FromSlash(covered))
	exclude := map[string]bool{}
	if rel, ok := relInside(dirAbs, in.AbsPath); ok {
		exclude[rel] = true
	}
	cur, err := Recompute(ctx, dirAbs, sc.Serialization, exclude, 0)
	if err != nil {
		return res, fmt.Errorf("cannot hash %s: %w", covered, err)
	}
	changes := CompareSigned(sc, cur)
	res.Findings = append(res.Findings, ChangeFindings(changes, cur.Errors, covered, source)...)
	if len(changes) > 0 || len(cur.Errors) > 0 {
		state = SigFailed
	}
	comp.Properties[core.PropSignature] = state
	res.Components = append(res.Components, comp)
	return res, nil
}

func dirLabel(d string) string {
	if d == "." || d == "" {
		return "the scanned directory"
	}
	return d + "/"
}

// signedMarker sets Properties["signature"] on model, dataset and file
// components that lie in a directory whose signature verified with no
// changes ("verified"), or that an unchanged unsigned manifest covers
// ("unsigned-manifest").
type signedMarker struct{}

func (signedMarker) Name() string { return "provenance/signed-marker" }

func (signedMarker) Analyze(ctx context.Context, r *core.Report) error {
	type cover struct{ dir, state string }
	var covers []cover
	for i := range r.Components {
		c := &r.Components[i]
		d, ok := c.Properties[PropCovers]
		if !ok {
			continue
		}
		if st := c.Properties[core.PropSignature]; st == SigVerified || st == SigUnsigned {
			covers = append(covers, cover{d, st})
		}
	}
	if len(covers) == 0 {
		return nil
	}
	for i := range r.Components {
		c := &r.Components[i]
		if c.Kind != core.KindModel && c.Kind != core.KindDataset && (c.Kind != core.KindFile || c.Properties[PropCovers] != "") {
			continue
		}
		for _, l := range c.Locations {
			if l.Path == "" || l.Line > 0 { // a reference in code is not the file itself
				continue
			}
			for _, cv := range covers {
				if cv.dir == "." || l.Path == cv.dir || strings.HasPrefix(l.Path, cv.dir+"/") {
					if c.Properties == nil {
						c.Properties = map[string]string{}
					}
					if c.Properties[core.PropSignature] != SigVerified {
						c.Properties[core.PropSignature] = cv.state
					}
				}
			}
		}
	}
	return nil
}
