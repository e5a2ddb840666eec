package provenance

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/engine"
	"github.com/assay-dev/assay/internal/inventory/npm"
	"github.com/assay-dev/assay/internal/inventory/python"
	"github.com/assay-dev/assay/internal/keys"
)

func scanTree(t *testing.T, root string) *core.Report {
	t.Helper()
	sc := append(Scanners(), python.Scanners()...)
	sc = append(sc, npm.Scanners()...)
	rep, err := engine.Run(context.Background(), engine.Config{Target: root, Scanners: sc, Analyzers: Analyzers()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func ruleSet(rep *core.Report) []string {
	var out []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.RuleID, "ASSAY-PRV") {
			out = append(out, f.RuleID+" "+f.Severity.String()+" "+f.Location.Path)
		}
	}
	sort.Strings(out)
	return out
}

func sigState(rep *core.Report, name string) string {
	for _, c := range rep.Components {
		if c.Name == name {
			return c.Properties[core.PropSignature]
		}
	}
	return "<none>"
}

func writeSigned(t *testing.T, root, dirRel, sigRel string) []byte {
	t.Helper()
	priv, pub, _ := keys.Generate(keys.Ed25519)
	s, _ := keys.ParsePrivate(priv)
	dir := filepath.Join(root, dirRel)
	sigPath := filepath.Join(root, sigRel)
	b, err := SignDir(context.Background(), dir, s, SignOptions{SigPath: sigPath})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := b.Encode()
	if err := os.WriteFile(sigPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestScanSignatures(t *testing.T) {
	t.Run("trusted key, unchanged: verified, no findings", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "models/bert/model.safetensors", []byte("weights"))
		put(t, root, "models/bert/config.json", []byte("{}"))
		pub := writeSigned(t, root, "models/bert", "models/bert.sig")
		put(t, root, ".assay/keys/team.pub", pub)
		rep := scanTree(t, root)
		if got := ruleSet(rep); len(got) != 0 {
			t.Errorf("findings: %v", got)
		}
		if s := sigState(rep, "models/bert.sig"); s != SigVerified {
			t.Errorf("state %q", s)
		}
		// tampered twin
		put(t, root, "models/bert/model.safetensors", []byte("weightz"))
		rep = scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-010 critical models/bert/model.safetensors"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		if s := sigState(rep, "models/bert.sig"); s != SigFailed {
			t.Errorf("state %q", s)
		}
	})
	t.Run("model.sig inside the directory, no trusted keys", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "m/weights.bin", []byte("w"))
		writeSigned(t, root, "m", "m/model.sig")
		rep := scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-022 medium m/model.sig"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		put(t, root, "m/extra.pkl", []byte("x"))
		rep = scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-011 high m/extra.pkl", "ASSAY-PRV-022 medium m/model.sig"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("signed by a key that is not trusted", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "m/weights.bin", []byte("w"))
		writeSigned(t, root, "m", "m.sig")
		_, other, _ := keys.Generate(keys.ECDSAP256)
		put(t, root, ".assay/keys/team.pub", other)
		rep := scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-020 critical m.sig"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("corrupt bundle", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "m.sig", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}}`))
		rep := scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-020 critical m.sig"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("unsigned manifest", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "data/train.csv", []byte("a,b\n1,2\n"))
		m, _, _ := BuildManifest(context.Background(), filepath.Join(root, "data"), ManifestOptions{})
		f, _ := os.Create(filepath.Join(root, "data.manifest.json"))
		m.Encode(f)
		f.Close()
		rep := scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-021 medium data.manifest.json"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		put(t, root, "data/train.csv", []byte("a,b\n1,3\n"))
		rep = scanTree(t, root)
		if d := cmp.Diff([]string{"ASSAY-PRV-010 critical data/train.csv", "ASSAY-PRV-021 medium data.manifest.json"}, ruleSet(rep)); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
	})
	t.Run("unrelated .sig files are not claimed", func(t *testing.T) {
		root := t.TempDir()
		put(t, root, "release.tar.gz.sig", []byte("-----BEGIN PGP SIGNATURE-----\n"))
		if got := ruleSet(scanTree(t, root)); len(got) != 0 {
			t.Errorf("findings: %v", got)
		}
	})
}

func TestSignedMarker(t *testing.T) {
	rep := &core.Report{Components: []core.Component{
		{Kind: core.KindFile, Name: "models/bert.sig", Properties: map[string]string{PropCovers: "models/bert", core.PropSignature: SigVerified}},
		{Kind: core.KindModel, Name: "bert", Locations: []core.Location{{Path: "models/bert/model.safetensors"}}},
		{Kind: core.KindModel, Name: "gpt2", Locations: []core.Location{{Path: "models/gpt2/model.safetensors"}}},
		{Kind: core.KindModel, Name: "ref", Locations: []core.Location{{Path: "models/bert/app.py", Line: 3}}},
		{Kind: core.KindDataset, Name: "other", Locations: []core.Location{{Path: "models/bertx/d.csv"}}},
	}}
	if err := (signedMarker{}).Analyze(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range rep.Components[1:] {
		got[c.Name] = c.Properties[core.PropSignature]
	}
	want := map[string]string{"bert": SigVerified, "gpt2": "", "ref": "", "other": ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestHashPins(t *testing.T) {
	h := strings.Repeat("a", 64)
	root := t.TempDir()
	put(t, root, "partial/requirements.txt", []byte("requests==2.32.3 --hash=sha256:"+h+"\nurllib3==2.2.3\n"))
	put(t, root, "none/requirements.txt", []byte("requests==2.32.3\nurllib3==2.2.3\n"))
	put(t, root, "all/requirements.txt", []byte("requests==2.32.3 --hash=sha256:"+h+"\n"))
	put(t, root, "local/requirements.txt", []byte("-e ./src/pkg\n"))
	put(t, root, "py/pyproject.toml", []byte("[project]\nname='x'\nversion='1'\ndependencies=['requests>=2']\n"))
	put(t, root, "npmok/package-lock.json", []byte(`{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x","dependencies":{"a":"1.0.0"}},"node_modules/a":{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz","integrity":"sha512-`+strings.Repeat("A", 86)+`=="}}}`))
	put(t, root, "npmbad/package-lock.json", []byte(`{"name":"x","lockfileVersion":3,"packages":{"":{"name":"x","dependencies":{"a":"1.0.0"}},"node_modules/a":{"version":"1.0.0","resolved":"https://registry.npmjs.org/a/-/a-1.0.0.tgz"}}}`))
	rep := scanTree(t, root)
	want := []string{
		"ASSAY-PRV-001 info none/requirements.txt",
		"ASSAY-PRV-001 low npmbad/package-lock.json",
		"ASSAY-PRV-001 medium partial/requirements.txt",
	}
	if d := cmp.Diff(want, ruleSet(rep)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, f := range rep.Findings {
		if f.Location.Path == "partial/requirements.txt" && (!strings.Contains(f.Evidence, "urllib3") || strings.Contains(f.Evidence, "requests") || f.Location.Line != 2) {
			t.Errorf("partial finding: %+v", f)
		}
	}
}
