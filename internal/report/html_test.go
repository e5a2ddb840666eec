package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/assay-dev/assay/internal/core"
)

func renderHTML(t *testing.T, r *core.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, r, Options{Rules: renderRules()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHTMLGolden(t *testing.T) {
	checkGolden(t, "html/sample.html", renderHTML(t, renderSample()))
}

func TestHTMLEscapesAndIsSelfContained(t *testing.T) {
	out := string(renderHTML(t, renderSample()))
	if strings.Contains(out, "<script>alert(1)") || strings.Contains(out, "<llm>") {
		t.Error("untrusted text is not escaped")
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped probe not found")
	}
	// No external assets: no src/href attributes, no @import, no url().
	for _, re := range []string{`(?i)\ssrc\s*=`, `(?i)\shref\s*=`, `(?i)@import`, `(?i)url\(`, `(?i)<link\b`, `(?i)<iframe\b`} {
		if regexp.MustCompile(re).MatchString(out) {
			t.Errorf("report contains %s", re)
		}
	}
	if !strings.Contains(out, `default-src 'none'`) {
		t.Error("no Content-Security-Policy forbidding network loads")
	}
	for _, want := range []string{"FAIL", "ASSAY-DEP-001", "requirements.txt:5:1", "MAL-2026-2144, PYSEC-2026-2", "models/reranker.pkl!archive/data.pkl@112",
		"release job reviewed", "until 2027-01-01", "@ctrl/tinycolor", "^4.1.0", "web/package-lock.json:40, web/package.json:6", "broken.lock: toml",
		"The pinned version is a known-compromised release.", "Pin litellm 1.83.0 or later"} {
		if !strings.Contains(out, htmlText(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// htmlText escapes s the way html/template does in text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;", "+", "&#43;").Replace(s)
}

func TestHTMLEmpty(t *testing.T) {
	out := string(renderHTML(t, emptyReport()))
	for _, want := range []string{"PASS", "No findings.", "No components."} {
		if !strings.Contains(out, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}

// chromiumPath finds Debian's chromium (.ci/install-browser installs it).
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestHTMLInBrowser loads the report in headless Chromium from a file://
// URL, asserts no console errors, exceptions or CSP violations, clicks a
// severity toggle and types a search, checking what is visible, and saves a
// screenshot (in ASSAY_SCREENSHOT_DIR when set, else a temp dir).
func TestHTMLInBrowser(t *testing.T) {
	exe := chromiumPath()
	if exe == "" {
		t.Skip("chromium not installed (run .ci/install-browser); skipping the browser check")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, renderHTML(t, renderSample()), 0o644); err != nil {
		t.Fatal(err)
	}
	profile, err := os.MkdirTemp("", "assay-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 { // chromium's children may still be writing
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("allow-file-access-from-files", false),
	}
	// Generous: a slow machine only takes longer, it never fails the check.
	base, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()

	var (
		mu       sync.Mutex
		problems []string
	)
	enable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		return nil
	})
	if err := chromedp.Do(ctx, enable); err != nil {
		t.Skipf("chromium did not start (%v); skipping the browser check", err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" || ev.Type == "assert" {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *cdplog.EventEntryAdded:
			if ev.Entry != nil && (ev.Entry.Level == "error" || ev.Entry.Level == "warning") {
				problems = append(problems, fmt.Sprintf("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	visible := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#findings .finding")).filter(e => e.offsetParent !== null).length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+"`"+sel+"`"+`).textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if n := visible(); n != 5 {
		t.Errorf("%d findings visible at load, want 5", n)
	}
	if s := text("#shown"); s != "5 of 5 findings shown" {
		t.Errorf("counter = %q", s)
	}
	// Hide critical: the two critical findings disappear.
	if err := chromedp.Do(ctx, chromedp.Click(`button.toggle[data-sev="critical"]`)); err != nil {
		t.Fatal(err)
	}
	if n := visible(); n != 3 {
		t.Errorf("%d findings visible with critical hidden, want 3", n)
	}
	pressed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('button.toggle[data-sev="critical"]').getAttribute("aria-pressed")`))
	if pressed != "false" {
		t.Errorf("aria-pressed = %q after click", pressed)
	}
	// Show it again, then search.
	if err := chromedp.Do(ctx, chromedp.Click(`button.toggle[data-sev="critical"]`)); err != nil {
		t.Fatal(err)
	}
	if n := visible(); n != 5 {
		t.Errorf("%d findings visible after re-enabling critical, want 5", n)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys("#q", "litellm")); err != nil {
		t.Fatal(err)
	}
	if n := visible(); n != 1 {
		t.Errorf("%d findings match the search, want 1", n)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#components tbody tr")).filter(e => e.offsetParent !== null).length`))
	if rows != 1 {
		t.Errorf("%d component rows match the search, want 1", rows)
	}
	// Clear the search and open one finding for the screenshot.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function(){var q=document.getElementById("q");q.value="";q.dispatchEvent(new Event("input"));document.querySelector("#findings .finding").open=true;return true})()`)); err != nil {
		t.Fatal(err)
	}
	// Grow the viewport to the whole page so the screenshot shows everything.
	height, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: int64(min(height, 8000)), DeviceScaleFactor: 1})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	outDir := os.Getenv("ASSAY_SCREENSHOT_DIR")
	if outDir == "" {
		outDir = dir
	}
	shotPath := filepath.Join(outDir, "report.png")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shotPath, len(shot))
	if len(shot) < 10_000 {
		t.Errorf("screenshot is suspiciously small (%d bytes)", len(shot))
	}
	// A final round trip so that every event the page caused has arrived.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}

func BenchmarkHTML(b *testing.B) { benchRender(b, HTML) }
