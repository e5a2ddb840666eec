package workflow

import (
	"regexp"
	"strings"
)

// pipeInstall is one "download a script and run it" command found in a
// shell script.
type pipeInstall struct {
	Line    int    // 0-based line within the script
	Text    string // the command as written (trimmed)
	URL     string // the script's URL ("" when not literal)
	Pinning string // "commit", "version" or "" (mutable)
	Tool    string // security tool the script installs ("" when none)
	// LatestTool: the tool's version is not given to the installer.
	LatestTool bool
}

var (
	// fetch | interpreter, with anything but another pipe or a command
	// separator between them.
	rePipeShell = regexp.MustCompile(`(?i)\b(curl|wget|iwr|irm|invoke-webrequest|invoke-restmethod)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(sh|bash|zsh|dash|ksh|fish|python[0-9.]*|perl|ruby|node|pwsh|powershell|iex|invoke-expression)\b`)
	// sh <(curl …), bash -c "$(curl …)", iex (irm …), iex ((New-Object …).DownloadString(…))
	reSubstShell = regexp.MustCompile(`(?i)\b(?:sh|bash|zsh)\s+(?:-\S+\s+)*(?:<\(\s*|["']?\$\(\s*)(?:curl|wget)\b|\b(?:iex|invoke-expression)\s*\(+\s*(?:irm|iwr|invoke-restmethod|invoke-webrequest|\(?new-object\s+(?:system\.)?net\.webclient\)?)`)
	reURL        = regexp.MustCompile(`https?://[^\s"'|;&)<>]+`)
	reSHASeg     = regexp.MustCompile(`(?i)[/=@][0-9a-f]{40}(?:[/?#&]|$)`)
	reVersionSeg = regexp.MustCompile(`(?i)(?:[/=@_-]v?\d+\.\d+(?:\.\d+)?(?:[-.][0-9a-z.]+)?(?:[/?#&]|$))|(?:/releases/download/)`)
	reBranchSeg  = regexp.MustCompile(`(?i)/(?:main|master|head|develop|dev|trunk|latest|refs/heads/[^/]+)/`)
	reVersionArg = regexp.MustCompile(`(?i)(?:^|\s|=)v?\d+\.\d+(?:\.\d+)?\b`)
)

// securityTools are scanners and CI helpers that run with a workflow's
// secrets and whose install scripts or tags were hijacked before (trivy,
// reviewdog) or are the same shape.
var securityTools = []string{"trivy", "grype", "syft", "cosign", "kics", "gitleaks", "trufflehog", "reviewdog", "snyk", "semgrep", "checkov", "tfsec", "osv-scanner", "zizmor", "hadolint", "codecov"}

// findPipeInstalls scans a shell script for remote scripts piped into an
// interpreter. Backslash-continued lines are joined first.
func findPipeInstalls(script string) []pipeInstall {
	if !strings.Contains(script, "http") { // every fetch names a URL
		return nil
	}
	var out []pipeInstall
	lines := strings.Split(script, "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		cmd := lines[i]
		for strings.HasSuffix(strings.TrimRight(cmd, " \t\r"), "\\") && i+1 < len(lines) && i-start < 50 {
			cmd = strings.TrimSuffix(strings.TrimRight(cmd, " \t\r"), "\\") + " " + strings.TrimSpace(lines[i+1])
			i++
		}
		trimmed := strings.TrimSpace(cmd)
		if strings.HasPrefix(trimmed, "#") || !mayFetch(cmd) {
			continue
		}
		loc := rePipeShell.FindStringIndex(cmd)
		if loc == nil {
			loc = reSubstShell.FindStringIndex(cmd)
		}
		if loc == nil {
			continue
		}
		seg := cmd[loc[0]:]
		p := pipeInstall{Line: start, Text: trimmed}
		if u := reURL.FindString(seg); u != "" {
			p.URL = u
			switch {
			case reSHASeg.MatchString(u):
				p.Pinning = "commit"
			case reBranchSeg.MatchString(u):
				p.Pinning = ""
			case reVersionSeg.MatchString(u):
				p.Pinning = "version"
			}
			lu := strings.ToLower(u)
			for _, t := range securityTools {
				if strings.Contains(lu, t) {
					p.Tool = t
					break
				}
			}
			if p.Tool != "" {
				// Arguments after the interpreter: `| sh -s -- -b bin v0.50.0`.
				after := cmd[loc[1]:]
				if k := strings.IndexAny(after, ";&|"); k >= 0 {
					after = after[:k]
				}
				// Install scripts fetch the latest release unless told a version.
				p.LatestTool = !reVersionArg.MatchString(after)
			}
		}
		out = append(out, p)
		if len(out) >= 100 {
			break
		}
	}
	return out
}

// mayFetch is the cheap pre-filter before the regular expressions: a line
// that names no downloader cannot pipe one into a shell.
func mayFetch(line string) bool {
	for _, w := range []string{"curl", "wget", "iwr", "irm", "nvoke-", "NVOKE-", "ownloadString", "CURL", "WGET", "IWR", "IRM"} {
		if strings.Contains(line, w) {
			return true
		}
	}
	return false
}
