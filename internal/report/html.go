package report

import (
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/assay-dev/assay/internal/core"
)

// HTML renders the report as one self-contained page: inline CSS and
// JavaScript, no external assets, and a Content-Security-Policy that forbids
// every network load. It shows the verdict and counts, severity filter
// toggles, a text search, finding details (message, evidence, advisories,
// rationale, fix), accepted (suppressed) findings, the component inventory
// and the inputs that could not be scanned. Everything is escaped by
// html/template.
func HTML(w io.Writer, r *core.Report, opts Options) error {
	return htmlTemplate.Execute(w, newHTMLData(r, opts))
}

type htmlFinding struct {
	core.Finding
	Sev       string
	Why       string
	Search    string
	Locations string
}

type htmlComponent struct {
	core.Component
	Locs   []string
	Search string
}

type htmlData struct {
	R          *core.Report
	Verdict    string
	Counts     []htmlCount
	Findings   []htmlFinding
	Suppressed []htmlFinding
	Components []htmlComponent
	Meta       [][2]string
}

type htmlCount struct {
	Sev string
	N   int
}

func newHTMLData(r *core.Report, opts Options) *htmlData {
	why := make(map[string]string, len(opts.Rules))
	for _, rl := range opts.Rules {
		why[rl.ID] = rl.Description
	}
	d := &htmlData{R: r, Verdict: "PASS"}
	if r.Summary.Failed {
		d.Verdict = "FAIL"
	}
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		d.Counts = append(d.Counts, htmlCount{Sev: s, N: r.Summary.BySeverity[s]})
	}
	conv := func(fs []core.Finding) []htmlFinding {
		out := make([]htmlFinding, len(fs))
		for i, f := range fs {
			out[i] = htmlFinding{Finding: f, Sev: f.Severity.String(), Why: why[f.RuleID], Locations: f.Location.String()}
			out[i].Search = strings.ToLower(strings.Join([]string{f.RuleID, f.Title, f.Message, f.Location.String(), f.Component, f.Evidence, strings.Join(f.Advisories, " ")}, " "))
		}
		return out
	}
	d.Findings = conv(r.Findings)
	d.Suppressed = conv(r.Suppressed)
	for _, c := range r.Components {
		hc := htmlComponent{Component: c}
		for _, l := range c.Locations {
			hc.Locs = append(hc.Locs, l.String())
		}
		hc.Search = strings.ToLower(strings.Join([]string{string(c.Kind), c.Ecosystem, c.Name, c.Version, c.Requirement, c.PURL, strings.Join(hc.Locs, " ")}, " "))
		d.Components = append(d.Components, hc)
	}
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.Meta = append(d.Meta, [2]string{k, r.Meta[k]})
	}
	return d
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(htmlSource))

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>assay report: {{.R.Target}}</title>
<style>
:root{--bg:#f6f7f9;--fg:#1c2430;--muted:#5d6b7e;--card:#fff;--line:#dde2e8;--code:#f0f2f5;
--critical:#7b1fa2;--high:#c62828;--medium:#b26a00;--low:#1565c0;--info:#607080;--pass:#2e7d32;--fail:#c62828}
@media (prefers-color-scheme: dark){:root{--bg:#12161c;--fg:#e3e8ef;--muted:#9aa6b6;--card:#1b2129;--line:#2c3440;--code:#232b35;
--critical:#ce93d8;--high:#ef9a9a;--medium:#ffcc80;--low:#90caf9;--info:#b0bec5;--pass:#81c784;--fail:#ef9a9a}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;background:var(--bg);color:var(--fg)}
header{padding:20px 28px 12px;border-bottom:1px solid var(--line);background:var(--card)}
h1{font-size:20px;margin:0 0 4px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h2{font-size:16px;margin:28px 0 10px}
main{padding:0 28px 40px;max-width:1200px}
.verdict{font-size:13px;font-weight:700;letter-spacing:.06em;padding:3px 10px;border-radius:4px;color:#fff}
.verdict.PASS{background:var(--pass)}.verdict.FAIL{background:var(--fail)}
.sub{color:var(--muted);font-size:13px}
.sub code{font-size:12px}
.summary{display:flex;gap:10px;flex-wrap:wrap;margin:14px 0 4px}
.toggle{border:1px solid var(--line);background:var(--card);color:var(--fg);border-radius:6px;padding:6px 12px;cursor:pointer;font:inherit;display:flex;gap:8px;align-items:baseline;min-width:96px}
.toggle b{font-size:18px}
.toggle[aria-pressed=false]{opacity:.45;text-decoration:line-through}
.toggle.critical b{color:var(--critical)}.toggle.high b{color:var(--high)}.toggle.medium b{color:var(--medium)}.toggle.low b{color:var(--low)}.toggle.info b{color:var(--info)}
.toolbar{display:flex;gap:12px;align-items:center;margin:16px 0 8px;flex-wrap:wrap}
input[type=search]{flex:1;min-width:240px;padding:7px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);font:inherit}
.finding{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;margin:8px 0}
.finding.critical{border-left-color:var(--critical)}.finding.high{border-left-color:var(--high)}.finding.medium{border-left-color:var(--medium)}.finding.low{border-left-color:var(--low)}
.finding summary{cursor:pointer;padding:9px 12px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap;list-style:none}
.finding summary::-webkit-details-marker{display:none}
.finding summary::before{content:"▸";color:var(--muted)}
.finding[open] summary::before{content:"▾"}
.pill{font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 7px;border-radius:10px;color:#fff;background:var(--info)}
.pill.critical{background:var(--critical)}.pill.high{background:var(--high)}.pill.medium{background:var(--medium)}.pill.low{background:var(--low)}
@media (prefers-color-scheme: dark){.pill{color:#12161c}}
.rid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;color:var(--muted)}
.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;color:var(--muted);margin-left:auto;word-break:break-all}
.body{padding:4px 16px 12px 30px;border-top:1px solid var(--line)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:8px 0}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
pre{background:var(--code);padding:8px 10px;border-radius:4px;overflow:auto;max-height:240px;margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:6px;font-size:13px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--code);font-weight:600}
td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;word-break:break-all}
.empty{color:var(--muted);padding:8px 0}
.hidden{display:none!important}
.errors li{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;margin:3px 0}
footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
</style>
</head>
<body>
<header>
<h1><span class="verdict {{.Verdict}}" id="verdict">{{.Verdict}}</span> assay report <span class="sub">{{.R.Target}}</span></h1>
<div class="sub">{{.R.Summary.Findings}} findings · {{.R.Summary.Suppressed}} suppressed · {{.R.Summary.Components}} components · {{.R.Summary.FilesWalked}} files · {{.R.Summary.Errors}} errors · fail-on <b>{{.R.Summary.FailOn}}</b> · exit {{.R.Summary.ExitCode}}{{range .Meta}} · {{index . 0}} <code>{{index . 1}}</code>{{end}}</div>
<div class="summary" role="group" aria-label="Filter by severity">
{{range .Counts}}<button type="button" class="toggle {{.Sev}}" data-sev="{{.Sev}}" aria-pressed="true" title="show or hide {{.Sev}} findings"><b>{{.N}}</b> {{.Sev}}</button>
{{end}}</div>
</header>
<main>
<div class="toolbar">
<input type="search" id="q" placeholder="Search findings and components (rule, path, package, advisory …)" aria-label="Search">
<span class="sub" id="shown"></span>
</div>

<h2>Findings</h2>
<div id="findings">
{{range .Findings}}{{template "finding" .}}{{else}}<p class="empty">No findings.</p>{{end}}
</div>
<p class="empty hidden" id="none-shown">No finding matches the filters.</p>

{{if .Suppressed}}
<h2>Accepted risks ({{len .Suppressed}} suppressed)</h2>
<div id="suppressed">
{{range .Suppressed}}{{template "finding" .}}{{end}}
</div>
{{end}}

<h2>Components ({{len .Components}})</h2>
{{if .Components}}
<table id="components">
<thead><tr><th>Kind</th><th>Ecosystem</th><th>Name</th><th>Version</th><th>Locations</th></tr></thead>
<tbody>
{{range .Components}}<tr data-search="{{.Search}}"><td>{{.Kind}}</td><td>{{.Ecosystem}}</td><td class="mono">{{.Name}}{{if and (eq (print .Kind) "package") (not .Direct)}} <span class="sub">(transitive)</span>{{end}}</td><td class="mono">{{if .Version}}{{.Version}}{{else}}{{.Requirement}}{{end}}</td><td class="mono">{{join .Locs ", "}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<p class="empty">No components.</p>{{end}}

{{if .R.Errors}}
<h2>Errors ({{len .R.Errors}})</h2>
<p class="sub">These inputs could not be read or scanned; the rest of the scan went on.</p>
<ul class="errors">
{{range .R.Errors}}<li>{{.Path}}{{if .Member}}!{{.Member}}{{end}}: {{.Reason}}{{if .Scanner}} ({{.Scanner}}){{end}}</li>
{{end}}</ul>
{{end}}
</main>
<footer>{{.R.Tool.Name}} {{.R.Tool.Version}} · report schema {{.R.SchemaVersion}} · this page loads nothing from the network</footer>
<script>
(function () {
  "use strict";
  var off = {};
  var q = document.getElementById("q");
  var cards = Array.prototype.slice.call(document.querySelectorAll("#findings .finding"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#components tbody tr"));
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  function apply() {
    var term = q.value.trim().toLowerCase();
    var n = 0;
    cards.forEach(function (c) {
      var vis = !off[c.getAttribute("data-sev")] && (term === "" || c.getAttribute("data-search").indexOf(term) >= 0);
      c.classList.toggle("hidden", !vis);
      if (vis) { n++; }
    });
    rows.forEach(function (r) {
      r.classList.toggle("hidden", term !== "" && r.getAttribute("data-search").indexOf(term) < 0);
    });
    shown.textContent = n + " of " + cards.length + " findings shown";
    none.classList.toggle("hidden", n > 0 || cards.length === 0);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".toggle"), function (b) {
    b.addEventListener("click", function () {
      var sev = b.getAttribute("data-sev");
      off[sev] = !off[sev];
      b.setAttribute("aria-pressed", off[sev] ? "false" : "true");
      apply();
    });
  });
  q.addEventListener("input", apply);
  apply();
})();
</script>
</body>
</html>
{{define "finding"}}<details class="finding {{.Sev}}" data-sev="{{.Sev}}" data-search="{{.Search}}">
<summary><span class="pill {{.Sev}}">{{.Sev}}</span> <span class="rid">{{.RuleID}}</span> <span>{{.Title}}</span> <span class="loc">{{.Locations}}</span></summary>
<div class="body"><dl>
{{if .Message}}<dt>Message</dt><dd>{{.Message}}</dd>{{end}}
{{if .Component}}<dt>Component</dt><dd class="rid">{{.Component}}</dd>{{end}}
{{if .Evidence}}<dt>Evidence</dt><dd><pre>{{.Evidence}}</pre></dd>{{end}}
{{if .Advisories}}<dt>Advisories</dt><dd>{{join .Advisories ", "}}</dd>{{end}}
{{if .Why}}<dt>Why it matters</dt><dd>{{.Why}}</dd>{{end}}
{{if .Fix}}<dt>Fix</dt><dd>{{.Fix}}</dd>{{end}}
{{if .Suppression}}<dt>Accepted</dt><dd>{{.Suppression.Reason}}{{if .Suppression.Expires}} · until {{.Suppression.Expires}}{{end}}{{if .Suppression.Source}} · <span class="rid">{{.Suppression.Source}}</span>{{end}}</dd>{{end}}
{{if .Confidence}}<dt>Confidence</dt><dd>{{.Confidence}}</dd>{{end}}
<dt>Fingerprint</dt><dd class="rid">{{.Fingerprint}}</dd>
</dl></div>
</details>
{{end}}`
