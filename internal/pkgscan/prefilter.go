package pkgscan

import (
	"bytes"
)

// The pre-filter decides, in one pass over the bytes, whether a source file
// can possibly trigger a rule (then it is parsed) and whether it imports a
// network library (a capability even when nothing else is suspicious). It is
// an Aho–Corasick automaton over byte classes: one table lookup per byte.

type token struct {
	s        string
	boundary bool // previous byte must not be an identifier character or '.'
	network  bool // only a network hint, not a reason to parse
	line     bool // must start a line (after indentation): an import statement
}

var pyTokens = []token{
	{s: "exec(", boundary: true}, {s: "exec (", boundary: true}, {s: "eval(", boundary: true}, {s: "compile(", boundary: true},
	{s: "execfile("}, {s: "subprocess"}, {s: "os.system"}, {s: "os.popen"}, {s: "os.exec"}, {s: "os.spawn"}, {s: "pty.spawn"},
	{s: "posix_spawn"}, {s: "create_subprocess"}, {s: "startfile"}, {s: "b64decode"}, {s: "b32decode"}, {s: "b85decode"}, {s: "a85decode"},
	{s: "fromhex"}, {s: "unhexlify"}, {s: "a2b_"}, {s: "decodebytes"}, {s: "decodestring"}, {s: "marshal"}, {s: "decompress("},
	{s: "rot13"}, {s: "rot_13"}, {s: "__import__"}, {s: "import_module("}, {s: "getattr(__builtins__"}, {s: "builtins"},
	{s: "pickle.load"}, {s: "torch.load"}, {s: "joblib.load"}, {s: "dill.load"}, {s: "runpy"}, {s: "read_pickle"},
	{s: "urlretrieve"}, {s: "gethostbyname"}, {s: "getaddrinfo("}, {s: "dns.resolver"},
	{s: "environ)"}, {s: "environ.copy())"}, {s: "environ.items()))"}, {s: "**os.environ}"},
	{s: "open(", boundary: true, network: true}, // write detection only matters with other hits
	{s: "import socket", network: true, line: true}, {s: "from socket", network: true, line: true}, {s: "import requests", network: true, line: true}, {s: "from requests", network: true, line: true},
	{s: "from urllib.request", network: true, line: true}, {s: "import urllib.request", network: true, line: true}, {s: "import urllib2", network: true, line: true}, {s: "http.client import", network: true}, {s: "import http.client", network: true, line: true},
	{s: "import httpx", network: true, line: true}, {s: "from httpx", network: true, line: true}, {s: "import aiohttp", network: true, line: true}, {s: "from aiohttp", network: true, line: true}, {s: "import urllib3", network: true, line: true}, {s: "from urllib3", network: true, line: true},
	{s: "import smtplib", network: true, line: true}, {s: "import ftplib", network: true, line: true}, {s: "import paramiko", network: true, line: true}, {s: "import websocket", network: true, line: true}, {s: "from websocket", network: true, line: true},
}

var jsTokens = []token{
	{s: "child_process"}, {s: "eval(", boundary: true}, {s: "Function(", boundary: true}, {s: "vm.run"}, {s: "runInNewContext"}, {s: "runInThisContext"},
	{s: "compileFunction"}, {s: "'base64'"}, {s: "\"base64\""}, {s: "atob("}, {s: "fromCharCode"}, {s: "_0x"}, {s: "Bun.spawn"}, {s: "Deno.run"},
	{s: "execSync"}, {s: "execa"}, {s: "shelljs"}, {s: "inflateSync"}, {s: "gunzipSync"}, {s: "process.env)"}, {s: "dns.resolve"}, {s: "dns.lookup"},
	{s: "require('https')", network: true}, {s: "require(\"https\")", network: true}, {s: "require('http')", network: true}, {s: "require(\"http\")", network: true},
	{s: "require('node:https')", network: true}, {s: "require(\"node:https\")", network: true}, {s: "require('net')", network: true}, {s: "require(\"net\")", network: true},
	{s: "require('dgram')", network: true}, {s: "from 'https'", network: true}, {s: "from \"https\"", network: true}, {s: "from 'node:https'", network: true},
	{s: "fetch(", boundary: true, network: true}, {s: "axios", network: true}, {s: "XMLHttpRequest", network: true}, {s: "WebSocket(", network: true},
	{s: "node-fetch", network: true}, {s: "undici", network: true},
}

// tokens shared by both languages: literals malware needs.
var sharedTokens = []token{
	{s: ".ssh"}, {s: ".aws"}, {s: ".kube"}, {s: ".docker/"}, {s: ".npmrc"}, {s: ".pypirc"}, {s: "'.env"}, {s: "\".env"}, {s: "/.env"},
	{s: "gcloud"}, {s: ".azure"}, {s: "accessTokens"}, {s: "Login Data"}, {s: "wallet"}, {s: "Wallet"}, {s: "keystore"}, {s: "/etc/shadow"}, {s: "/etc/passwd"},
	{s: ".git-credentials"}, {s: ".netrc"}, {s: "id_rsa"}, {s: "id_ed25519"}, {s: "serviceaccount"}, {s: ".vault-token"},
	{s: "169.254."}, {s: "metadata.google"}, {s: "100.100.100.200"}, {s: "metadata.azure"},
	{s: "webhook"}, {s: "api.telegram"}, {s: "pastebin"}, {s: "paste.ee"}, {s: "transfer.sh"}, {s: "ngrok"}, {s: "trycloudflare"},
	{s: "oast."}, {s: "interact.sh"}, {s: "burpcollaborator"}, {s: "requestbin"}, {s: "pipedream"}, {s: "dnslog"},
	{s: "stratum"}, {s: "xmrig"}, {s: "supportxmr"}, {s: "nanopool"}, {s: "moneroocean"}, {s: "cryptonight"},
	{s: "crontab"}, {s: "/etc/cron"}, {s: "systemd"}, {s: ".bashrc"}, {s: ".bash_profile"}, {s: ".zshrc"}, {s: "/.profile"}, {s: "'.profile"},
	{s: "autostart"}, {s: "LaunchAgents"}, {s: "CurrentVersion\\\\Run"}, {s: "rc.local"}, {s: "ld.so.preload"},
	{s: "setenforce"}, {s: "HISTFILE"}, {s: "history -c"}, {s: "Set-MpPreference"}, {s: "iptables -F"}, {s: "ufw disable"},
	{s: "/dev/tcp"}, {s: "nc -e"}, {s: "curl "}, {s: "wget "}, {s: "Invoke-WebRequest"}, {s: "DownloadString"},
}

type automaton struct {
	class   [256]uint8
	nclass  int
	next    []int32 // state*nclass + class
	out     [][]int16
	tokens  []token
	isIdent [256]bool
}

func buildAutomaton(ts []token) *automaton {
	a := &automaton{tokens: ts}
	// byte classes: every byte that occurs in a token gets its own class
	used := [256]bool{}
	for _, t := range ts {
		for i := 0; i < len(t.s); i++ {
			used[t.s[i]] = true
		}
	}
	a.nclass = 1
	for b := 0; b < 256; b++ {
		if used[b] {
			a.class[b] = uint8(a.nclass)
			a.nclass++
		}
	}
	// trie
	type tnode struct {
		kids map[uint8]int32
		fail int32
		out  []int16
	}
	nodes := []tnode{{kids: map[uint8]int32{}}}
	for ti, t := range ts {
		s := int32(0)
		for i := 0; i < len(t.s); i++ {
			c := a.class[t.s[i]]
			n, ok := nodes[s].kids[c]
			if !ok {
				nodes = append(nodes, tnode{kids: map[uint8]int32{}})
				n = int32(len(nodes) - 1)
				nodes[s].kids[c] = n
			}
			s = n
		}
		nodes[s].out = append(nodes[s].out, int16(ti))
	}
	a.next = make([]int32, len(nodes)*a.nclass)
	a.out = make([][]int16, len(nodes))
	// BFS to build the DFA
	queue := []int32{}
	for c := 0; c < a.nclass; c++ {
		if n, ok := nodes[0].kids[uint8(c)]; ok {
			nodes[n].fail = 0
			a.next[c] = n
			queue = append(queue, n)
		}
	}
	a.out[0] = nodes[0].out
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		a.out[s] = append(append([]int16(nil), nodes[s].out...), a.out[nodes[s].fail]...)
		for c := 0; c < a.nclass; c++ {
			if n, ok := nodes[s].kids[uint8(c)]; ok {
				nodes[n].fail = a.next[int(nodes[s].fail)*a.nclass+c]
				a.next[int(s)*a.nclass+c] = n
				queue = append(queue, n)
			} else {
				a.next[int(s)*a.nclass+c] = a.next[int(nodes[s].fail)*a.nclass+c]
			}
		}
	}
	for b := 0; b < 256; b++ {
		c := byte(b)
		a.isIdent[b] = c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return a
}

var (
	pyAuto = buildAutomaton(append(append([]token(nil), pyTokens...), sharedTokens...))
	jsAuto = buildAutomaton(append(append([]token(nil), jsTokens...), sharedTokens...))
)

// prefilterResult says what the cheap pass found.
type prefilterResult struct {
	candidate bool // parse it
	netOff    int  // offset of the first network hint, -1 when none
	longLine  bool // a line longer than longLineLen (minified/packed)
}

const longLineLen = 3000

// prefilter scans src once.
func (a *automaton) prefilter(src []byte) prefilterResult {
	r := prefilterResult{netOff: -1}
	var s int32
	lastNL := -1
	nc := int32(a.nclass)
	for i, b := range src {
		if b == '\n' {
			if i-lastNL > longLineLen {
				r.longLine = true
			}
			lastNL = i
		}
		s = a.next[s*nc+int32(a.class[b])]
		if out := a.out[s]; out != nil {
			for _, ti := range out {
				t := &a.tokens[ti]
				if t.boundary {
					st := i - len(t.s)
					if st >= 0 && a.isIdent[src[st]] {
						continue
					}
				}
				if t.line && !atLineStart(src, i-len(t.s)+1) {
					continue
				}
				if t.network {
					if r.netOff < 0 && t.s != "open(" {
						r.netOff = i - len(t.s) + 1
					}
					continue
				}
				r.candidate = true
			}
			if r.candidate && r.netOff >= 0 {
				break
			}
		}
	}
	if len(src)-lastNL > longLineLen {
		r.longLine = true
	}
	return r
}

// lineAt returns the 1-based line number of offset off.
func lineAt(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return bytes.Count(src[:off], []byte{'\n'}) + 1
}

// atLineStart: only spaces or tabs between the previous newline and off.
func atLineStart(src []byte, off int) bool {
	for j := off - 1; j >= 0; j-- {
		switch src[j] {
		case '\n':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}
