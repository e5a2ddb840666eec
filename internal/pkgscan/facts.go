package pkgscan

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/assay-dev/assay/internal/core"
	"github.com/assay-dev/assay/internal/textstat"
)

// Context is when code runs. Severity depends on it: the same spawn is normal
// in a function a caller invokes and alarming at interpreter start-up.
type Context int

// Contexts, from least to most alarming.
const (
	CtxFunc    Context = iota // inside a function (runs when called)
	CtxImport                 // module level: runs on import
	CtxInstall                // setup.py, install hooks, npm lifecycle scripts
	CtxStartup                // .pth lines, sitecustomize: every interpreter start
)

var ctxWords = [...]string{"inside a function", "at import time", "at install time", "at interpreter start-up"}

func (c Context) String() string { return ctxWords[c] }

// sev is a per-context severity table; -1 means "no finding" (the behaviour
// still counts as a capability).
type sev [4]int8

const (
	nn = -1
	in = int8(core.SeverityInfo)
	lo = int8(core.SeverityLow)
	md = int8(core.SeverityMedium)
	hi = int8(core.SeverityHigh)
	cr = int8(core.SeverityCritical)
)

var (
	sevDecodeExec   = sev{hi, cr, cr, cr}
	sevEntropy      = sev{nn, lo, md, hi}
	sevMinified     = sev{md, md, hi, hi}
	sevSpawnTool    = sev{nn, nn, nn, md}
	sevSpawnDyn     = sev{nn, lo, lo, hi}
	sevSpawnShell   = sev{md, hi, hi, cr}
	sevDynCode      = sev{nn, md, md, hi}
	sevDownloadExec = sev{hi, cr, cr, cr}
	sevEnvDump      = sev{lo, hi, hi, hi}
	sevMetadata     = sev{nn, hi, cr, cr}
	sevExfil        = sev{hi, hi, cr, cr}
	sevIP           = sev{lo, md, hi, hi}
	sevPersist      = sev{md, hi, cr, cr}
	sevMiner        = sev{cr, cr, cr, cr}
	sevDisable      = sev{hi, hi, cr, cr}
)

// Capability is something a package's code can do.
type Capability string

// Capabilities summarised per package and compared by diff.
const (
	CapInstall     Capability = "install-time"
	CapNetwork     Capability = "network"
	CapProcess     Capability = "process"
	CapSecrets     Capability = "secrets"
	CapObfuscation Capability = "obfuscation"
	CapDynamic     Capability = "dynamic-code"
	CapPersistence Capability = "persistence"
)

// AllCapabilities in display order.
var AllCapabilities = []Capability{CapInstall, CapNetwork, CapProcess, CapSecrets, CapObfuscation, CapDynamic, CapPersistence}

// gainSeverity is the severity of RuleNewCapability when a release gains c.
var gainSeverity = map[Capability]core.Severity{
	CapInstall:     core.SeverityHigh,
	CapNetwork:     core.SeverityMedium,
	CapProcess:     core.SeverityMedium,
	CapSecrets:     core.SeverityHigh,
	CapObfuscation: core.SeverityHigh,
	CapDynamic:     core.SeverityMedium,
	CapPersistence: core.SeverityHigh,
}

// --- string literal classification -----------------------------------------

type family struct {
	name   string
	strong bool // credentials of a service, not general config
	pats   []string
}

// secretFamilies are the credential stores malware sweeps (threats.md:
// LiteLLM, torchtriton, Trivy action, nx). Patterns match inside literals,
// lower-cased, with backslashes as slashes.
var secretFamilies = []family{
	{"aws", true, []string{".aws/credentials", ".aws/config", "aws/credentials"}},
	{"ssh", true, []string{".ssh/id_", ".ssh/", "/.ssh", "id_rsa", "id_ed25519", "id_ecdsa", "authorized_keys"}},
	{"kube", true, []string{".kube/config", ".kube/", "/var/run/secrets/kubernetes.io", "serviceaccount/token"}},
	{"docker", true, []string{".docker/config.json"}},
	{"npm", true, []string{".npmrc"}},
	{"pypi", true, []string{".pypirc"}},
	{"gcloud", true, []string{".config/gcloud", "application_default_credentials.json", "gcloud/credentials.db", "gcloud/access_tokens.db"}},
	{"azure", true, []string{".azure/", "accesstokens.json", "msal_token_cache", "azureprofile.json"}},
	{"git-credentials", true, []string{".git-credentials", ".config/gh/hosts.yml"}},
	{"vault", true, []string{".vault-token", ".terraform.d/credentials"}},
	{"browser", true, []string{"login data", "/cookies", "local state", "key4.db", "logins.json", "google/chrome", "mozilla/firefox", "brave-browser"}},
	{"wallet", true, []string{"wallet.dat", "/exodus", "electrum/wallets", "metamask", ".ethereum/keystore", "solana/id.json", ".bitcoin/", "nkbihfbeogaeaoehlefnkodbefgpgknn"}},
	{"shadow", true, []string{"/etc/shadow", "/etc/sudoers"}},
	{"dotenv", false, []string{".env"}},
	{"netrc", false, []string{".netrc", "_netrc"}},
	{"gitconfig", false, []string{".gitconfig"}},
	{"passwd", false, []string{"/etc/passwd", "/etc/hosts"}},
	{"shell-history", false, []string{".bash_history", ".zsh_history"}},
}

// secretFamily returns the credential family a literal names ("" for none).
func secretFamily(lit string) string {
	l := strings.ToLower(strings.ReplaceAll(lit, "\\", "/"))
	if len(l) > 300 { // long literals are code or data, handled elsewhere
		return ""
	}
	for _, f := range secretFamilies {
		for _, p := range f.pats {
			if !strings.Contains(l, p) {
				continue
			}
			switch p {
			case ".env":
				// only the dotenv file itself: ".env", "/.env", ".env.local"
				t := strings.TrimSpace(l)
				if !(t == ".env" || strings.HasSuffix(t, "/.env") || strings.HasPrefix(t, ".env.") && !strings.ContainsAny(t, " (") || strings.HasSuffix(t, "/.env.local") || strings.HasSuffix(t, "/.env.production")) {
					continue
				}
			case ".ssh/", "/.ssh":
				// a path, not prose
				if strings.Contains(l, " ") && !strings.Contains(l, "~/.ssh") {
					continue
				}
			case "/cookies", "local state", "login data":
				if !strings.Contains(l, "chrome") && !strings.Contains(l, "chromium") && !strings.Contains(l, "brave") && !strings.Contains(l, "edge") && !strings.Contains(l, "opera") && !strings.Contains(l, "user data") && t0(l) != p {
					continue
				}
			}
			return f.name
		}
	}
	return ""
}

func t0(l string) string { return strings.TrimSpace(strings.Trim(l, "/")) }

func familyStrong(name string) bool {
	for _, f := range secretFamilies {
		if f.name == name {
			return f.strong
		}
	}
	return false
}

var metadataHosts = []string{"169.254.169.254", "metadata.google.internal", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "metadata.azure.com"}

func isMetadata(lit string) bool {
	l := strings.ToLower(lit)
	for _, h := range metadataHosts {
		if strings.Contains(l, h) {
			return true
		}
	}
	return false
}

var exfilRes = []*regexp.Regexp{
	regexp.MustCompile(`(?i)discord(?:app)?\.com/api/webhooks/\d{5,}`),
	regexp.MustCompile(`(?i)hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{4,}`),
	regexp.MustCompile(`(?i)api\.telegram\.org/bot\d{5,}:`),
	regexp.MustCompile(`(?i)webhook\.site/[0-9a-f-]{8,}|\bwebhook\.site\b`),
	regexp.MustCompile(`(?i)\b(?:pastebin\.com|paste\.ee|hastebin\.com|ghostbin\.|rentry\.co|dpaste\.org|termbin\.com)\b`),
	regexp.MustCompile(`(?i)\b(?:transfer\.sh|oshi\.at|file\.io|anonfiles\.com|gofile\.io)\b`),
	regexp.MustCompile(`(?i)[a-z0-9-]+\.(?:ngrok\.io|ngrok-free\.app|ngrok\.app|trycloudflare\.com|serveo\.net|loca\.lt)\b`),
	regexp.MustCompile(`(?i)\b(?:[a-z0-9]+\.)?(?:oast\.(?:fun|me|pro|live|site|online)|interact\.sh|burpcollaborator\.net|requestbin\.(?:net|com)|pipedream\.net|canarytokens\.com|dnslog\.cn|ceye\.io)\b`),
}

func exfilChannel(lit string) string {
	if len(lit) > 2000 {
		return ""
	}
	for _, re := range exfilRes {
		if m := re.FindString(lit); m != "" {
			return m
		}
	}
	return ""
}

var minerRe = regexp.MustCompile(`(?i)stratum\+(?:tcp|ssl|tls)://|\bxmrig\b|supportxmr\.com|minexmr\.com|nanopool\.org|moneroocean\.stream|hashvault\.pro|c3pool\.com|--donate-level|\bcryptonight\b|\bnicehash\.com`)

func minerIndicator(lit string) string {
	if len(lit) > 4000 {
		return ""
	}
	return minerRe.FindString(lit)
}

// persistence locations; hits need a write or a spawn in the same file.
var persistRe = regexp.MustCompile(`(?i)/etc/cron|\bcrontab\b|/var/spool/cron|/etc/systemd/system|\.config/systemd/user|/lib/systemd/system|sysmon\.service|systemctl\s+(?:--user\s+)?enable|\.bashrc\b|\.bash_profile\b|\.zshrc\b|(?:^|[/~"'])\.profile\b|\.config/autostart|LaunchAgents|LaunchDaemons|CurrentVersion\\\\?Run|/etc/rc\.local|/etc/init\.d/|/etc/profile\.d/|/etc/ld\.so\.preload`)

func persistLocation(lit string) string {
	if len(lit) > 2000 {
		return ""
	}
	return persistRe.FindString(lit)
}

var disableRe = regexp.MustCompile(`(?i)setenforce\s+0|systemctl\s+(?:stop|disable|mask)\s+(?:apparmor|firewalld|ufw|auditd|falco|falcon-sensor|osqueryd|wazuh-agent|clamav|sentinel)|\bufw\s+disable\b|iptables\s+-F\b|Set-MpPreference\s+-Disable|DisableAntiSpyware|DisableRealtimeMonitoring|\bhistory\s+-c\b|unset\s+HISTFILE|HISTFILE=/dev/null|auditctl\s+-e\s*0|rm\s+-rf?\s+/var/log`)

func disableIndicator(lit string) string {
	if len(lit) > 2000 {
		return ""
	}
	return disableRe.FindString(lit)
}

// command classes of a literal passed to a process spawn
type cmdClass int

const (
	cmdNone     cmdClass = iota
	cmdTool              // a build/dev tool (git, cmake, ...)
	cmdShell             // shell one-liner, interpreter -c, program in /tmp
	cmdDownload          // curl/wget/iwr: fetches from the network
	cmdRevShell          // /dev/tcp, nc -e: remote shell
)

var (
	revShellRe = regexp.MustCompile(`/dev/tcp/|\bnc(?:at)?\s+(?:-\S+\s+)*-e\b|\bsocat\b.*\bexec:|\bmkfifo\b.*\bnc\b|\bbash\s+-i\s+>&`)
	downloadRe = regexp.MustCompile(`(?i)(?:^|[\s;&|('"])(?:curl|wget|iwr|invoke-webrequest|invoke-restmethod|certutil\s+-urlcache|bitsadmin)\b|downloadstring\(|\biex\s*\(`)
	shellRe    = regexp.MustCompile(`(?i)(?:^|[\s;&|('"/])(?:ba|z|da)?sh\s+-[ci]\b|\bpython[0-9.]*\s+-c\b|\bnode\s+-e\b|\bperl\s+-e\b|powershell.*-(?:enc|e|encodedcommand)\b|base64\s+(?:-d|--decode)|(?:^|[\s'"])/tmp/[\w.-]+|\|\s*(?:ba)?sh\b|\bnohup\b|\bdisown\b`)
	toolRe     = regexp.MustCompile(`^(?:git|cmake|make|gmake|ninja|gcc|g\+\+|cc|c\+\+|clang|clang\+\+|nvcc|hipcc|pkg-config|nvidia-smi|rocm-smi|uname|sysctl|lsb_release|ldconfig|which|where|xcrun|sw_vers|xcode-select|lscpu|nproc|getconf|rustc|cargo|go|node|npm|yarn|pnpm|tsc|esbuild|swig|protoc|cython|ld|ar|strip|install_name_tool|otool|patchelf|codesign|hdiutil|sh|bash|cmd|powershell|python|python3|pip|open|xdg-open|explorer|less|more|vim|vi|nano|notepad|ps|df|du|id|whoami|hostname|locale|tput|stty|clear|cls|tasklist|taskkill|kill|wmic|reg|sc|pgrep|file|ldd|readelf|nm|objdump|brew|apt-get|dpkg|rpm|conda|java|javac|docker|kubectl|ffmpeg|ffprobe|tar|unzip|gzip|ssh-keygen|gpg|openssl|security|pbcopy|pbpaste|xclip|xsel|wl-copy|osascript|say|dot|latex|pdflatex|dvipng|convert|gs|lsof|netstat|ip|ifconfig|route|sudo|env|ls|cat|echo|true|false|test|chmod|chown|mkdir|cp|mv|rm|ln|touch)(?:\.exe)?$`)
)

func classifyCommand(lit string) cmdClass {
	if len(lit) > 4000 {
		lit = lit[:4000]
	}
	switch {
	case revShellRe.MatchString(lit):
		return cmdRevShell
	case downloadRe.MatchString(lit):
		return cmdDownload
	case shellRe.MatchString(lit):
		return cmdShell
	}
	first := strings.Fields(lit)
	if len(first) > 0 {
		name := first[0]
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		if toolRe.MatchString(strings.ToLower(name)) {
			return cmdTool
		}
	}
	return cmdNone
}

// smuggledCode: code hidden in a string (passed to python -c, node -e, a shell)
// that decodes and executes.
var smuggledRe = regexp.MustCompile(`(?is)(?:exec|eval)\s*\(.{0,200}?(?:b64decode|base64|decodebytes|fromhex|unhexlify|zlib|marshal|decompress)|(?:b64decode|base64|fromhex|zlib)[^\n]{0,200}?(?:\|\s*(?:ba)?sh|exec\s*\()`)

// urlHost extracts the host of an http(s)/ws URL literal.
var urlRe = regexp.MustCompile(`(?i)\b(?:https?|wss?)://([a-z0-9.-]+|\[[0-9a-f:]+\])(?::\d+)?`)

func urlHosts(lit string) []string {
	if len(lit) > 4000 {
		return nil
	}
	var out []string
	for _, m := range urlRe.FindAllStringSubmatch(lit, 8) {
		h := strings.ToLower(strings.Trim(m[1], "[]."))
		if h == "" || ignorableHost(h) {
			continue
		}
		out = append(out, h)
	}
	return out
}

func ignorableHost(h string) bool {
	switch h {
	case "localhost", "example.com", "example.org", "example.net", "127.0.0.1", "0.0.0.0", "::1", "www.w3.org", "w3.org", "schemas.xmlsoap.org", "json-schema.org", "purl.org", "xmlns.com", "ns.adobe.com":
		return true
	}
	return strings.HasSuffix(h, ".example.com") || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".test") || strings.HasSuffix(h, ".invalid") || strings.HasSuffix(h, ".localhost") || !strings.Contains(h, ".") && !strings.Contains(h, ":")
}

var ipRe = regexp.MustCompile(`^(?:[a-z]+://)?(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?::(\d{1,5}))?(?:/.*)?$`)

// wellKnownResolvers are public addresses benign code connects to (local IP
// discovery, connectivity checks).
var wellKnownResolvers = map[string]bool{"8.8.8.8": true, "8.8.4.4": true, "1.1.1.1": true, "1.0.0.1": true, "9.9.9.9": true, "208.67.222.222": true, "208.67.220.220": true, "114.114.114.114": true, "223.5.5.5": true}

// publicIP returns the address when lit is an IP (optionally with a port or
// in a URL) that is public and not a well-known resolver.
func publicIP(lit string) string {
	m := ipRe.FindStringSubmatch(strings.TrimSpace(lit))
	if m == nil {
		return ""
	}
	a, err := netip.ParseAddr(m[1])
	if err == nil && a.Is4() {
		o := a.As4()
		if o[0] == o[1] && o[1] == o[2] && o[2] == o[3] || o[1] == o[0]+1 && o[2] == o[1]+1 && o[3] == o[2]+1 || o[1] == o[0]-1 && o[2] == o[1]-1 && o[3] == o[2]-1 {
			return "" // 1.2.3.4, 4.4.4.4: placeholders in tests and docs
		}
	}
	if err != nil || !a.IsGlobalUnicast() || a.IsPrivate() || isDocRange(a) || wellKnownResolvers[m[1]] {
		return ""
	}
	return m[1]
}

func isDocRange(a netip.Addr) bool {
	for _, p := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "100.64.0.0/10", "169.254.0.0/16", "198.18.0.0/15"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return false
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 { return textstat.Entropy(s) }

const (
	entropyMinLen = 1024
	entropyMin    = 5.2
)

// packedLiteral reports whether lit looks like a long encoded payload
// (base64/hex-ish alphabet, high entropy), not prose, a PEM block or a data URI.
func packedLiteral(lit string) bool {
	if len(lit) < entropyMinLen {
		return false
	}
	if strings.HasPrefix(lit, "data:") || strings.Contains(lit, "-----BEGIN") || strings.Count(lit, " ") > len(lit)/40 {
		return false
	}
	sample := lit
	if len(sample) > 64<<10 {
		sample = sample[:64<<10]
	}
	alnum := 0
	for i := 0; i < len(sample); i++ {
		c := sample[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_' || c == '\\' || c == '\n' {
			alnum++
		}
	}
	if alnum < len(sample)*97/100 {
		return false
	}
	return entropy(sample) >= entropyMin || isHexBlob(sample)
}

func isHexBlob(s string) bool {
	s = strings.ReplaceAll(s, `\x`, "")
	if len(s) < entropyMinLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '\n') {
			return false
		}
	}
	return entropy(s) > 3.7
}

func clipEvidence(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, s)
	return core.Clip(s, 200)
}

// stripQuotes returns the value of a Python or JavaScript string literal
// source (prefixes, triple quotes and backticks removed; escapes kept raw).
func stripQuotes(s string) string {
	i := 0
	for i < len(s) && i < 3 && strings.IndexByte("rRbBuUfF", s[i]) >= 0 {
		i++
	}
	s = s[i:]
	for _, q := range []string{`"""`, `'''`, `"`, `'`, "`"} {
		if len(s) >= 2*len(q) && strings.HasPrefix(s, q) && strings.HasSuffix(s, q) {
			return s[len(q) : len(s)-len(q)]
		}
	}
	return s
}

// hostOf returns the host of a URL string, lower-cased ("" when not a URL).
func hostOf(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Host == "" {
		return ""
	}
	return strings.ToLower(p.Hostname())
}
