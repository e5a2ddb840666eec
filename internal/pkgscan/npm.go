package pkgscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// installScripts run on `npm install` of a package from a registry. prepare
// runs only for git/local installs, so it is noted at a lower severity.
var installScripts = []string{"preinstall", "install", "postinstall", "prepare"}

// benignScript matches install scripts that are ubiquitous and harmless.
var benignScript = regexp.MustCompile(`^(?:node-gyp rebuild|node-gyp-build(?:-optional)?|prebuild-install(?:\s+\|\|\s+node-gyp rebuild)?(?:\s+--\S+)*|husky(?: install)?|is-ci \|\| husky(?: install)?|npx husky(?: install)?|patch-package|opencollective-postinstall(?: \|\| (?:true|exit 0))?|node-pre-gyp install --fallback-to-build|cmake-js compile|napi-postinstall.*|echo [^;&|]*|exit 0|true|ngcc|tsc(?: .*)?|npm run build|yarn build|pnpm build|lerna bootstrap|node -e "try\{require\('\./postinstall'\)\}catch\(e\)\{\}"|playwright install)$`)

type packageJSON struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Scripts map[string]string `json:"scripts"`
}

func parsePackageJSON(b []byte) (*packageJSON, error) {
	var p packageJSON
	if len(b) > 8<<20 {
		return nil, fmt.Errorf("package.json larger than 8 MiB")
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// scriptLine finds the 1-based line of the script key in package.json.
func scriptLine(b []byte, key string) int {
	i := bytes.Index(b, []byte(`"`+key+`"`))
	if i < 0 {
		return 0
	}
	return bytes.Count(b[:i], []byte("\n")) + 1
}

func analyzePackageJSON(in fileInput, em *emitter) {
	p, err := parsePackageJSON(in.data)
	if err != nil {
		em.res.errs = append(em.res.errs, core.Error{Path: in.loc.Path, Member: in.loc.Member, Scanner: scannerName, Reason: "invalid package.json: " + core.Clip(err.Error(), 200)})
		return
	}
	if p.Name != "" {
		if target, why := typosquatOf(p.Name, "npm"); target != "" {
			loc := in.loc
			loc.Line = scriptLine(in.data, "name")
			em.res.findings = append(em.res.findings, RuleTyposquat.New(loc, fmt.Sprintf("npm package %q imitates %q (%s)", p.Name, target, why), fmt.Sprintf(`"name": %q`, p.Name)))
		}
	}
	for _, k := range installScripts {
		cmd, ok := p.Scripts[k]
		if !ok {
			continue
		}
		cmd = strings.TrimSpace(cmd)
		loc := in.loc
		loc.Line = scriptLine(in.data, k)
		ev := clipEvidence(fmt.Sprintf(`"%s": %q`, k, cmd))
		em.res.caps[CapInstall] = capHit{loc: loc, evidence: ev, detail: "npm " + k}
		ctx := CtxInstall
		switch classifyCommand(cmd) {
		case cmdRevShell, cmdDownload:
			em.res.caps[CapNetwork] = capHit{loc: loc, evidence: ev, detail: "npm " + k + " downloads"}
			f := RuleDownloadExec.New(loc, fmt.Sprintf("npm %s script downloads and runs code or opens a remote shell", k), ev)
			em.res.findings = append(em.res.findings, f)
			continue
		}
		if smuggledRe.MatchString(cmd) || strings.Contains(cmd, "node -e") && (strings.Contains(cmd, "base64") || strings.Contains(cmd, "eval(")) {
			em.res.findings = append(em.res.findings, RuleDecodeExec.New(loc, fmt.Sprintf("npm %s script decodes and runs a payload", k), ev))
			continue
		}
		if m := minerIndicator(cmd); m != "" {
			em.res.findings = append(em.res.findings, RuleMiner.New(loc, fmt.Sprintf("npm %s script mentions %q", k, m), ev))
		}
		if m := persistLocation(cmd); m != "" {
			f := RulePersistence.New(loc, fmt.Sprintf("npm %s script touches %q", k, m), ev)
			f.Severity = core.Severity(sevPersist[ctx])
			em.res.findings = append(em.res.findings, f)
		}
		if benignScript.MatchString(cmd) {
			continue
		}
		f := RuleNPMLifecycle.New(loc, fmt.Sprintf("npm %s script runs on install: %s", k, core.Clip(cmd, 120)), ev)
		if k == "prepare" {
			f.Severity = core.SeverityLow
			f.Message = fmt.Sprintf("npm prepare script (runs for git/local installs, not from the registry): %s", core.Clip(cmd, 120))
		}
		switch {
		case classifyCommand(cmd) == cmdShell:
			f.Severity = core.SeverityHigh
		case k != "prepare" && nodeScriptRe.MatchString(cmd):
			// the script file itself is analysed as install-time code and
			// carries its own findings; the hook alone is a note
			f.Severity = core.SeverityLow
			f.Message += " (the script is analysed as install-time code)"
		}
		em.res.findings = append(em.res.findings, f)
	}
}

var nodeScriptRe = regexp.MustCompile(`^node\s+(?:\./)?[\w@./-]+(?:\.c?js|\.mjs)?(?:\s+[\w=.-]+)*$`)

var scriptFileRe = regexp.MustCompile(`(?:^|[\s'"=])((?:\./)?[\w@./-]+\.(?:c|m)?js)\b`)

// lifecycleTargets returns the package-relative JS files that install-time
// scripts run ("node scripts/postinstall.js" → scripts/postinstall.js).
func lifecycleTargets(p *packageJSON) map[string]bool {
	out := map[string]bool{}
	if p == nil {
		return out
	}
	for _, k := range installScripts[:3] {
		cmd := p.Scripts[k]
		for _, m := range scriptFileRe.FindAllStringSubmatch(cmd, 8) {
			f := path.Clean(strings.TrimPrefix(m[1], "./"))
			out[f] = true
		}
		// "node ." / "node install" style: index.js / install.js
		for _, w := range strings.Fields(cmd) {
			if w == "install" || w == "postinstall" || w == "preinstall" || w == "setup" {
				out[w+".js"] = true
			}
		}
	}
	return out
}
