package acceptance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"watchfloor/command/store/storetest"
)

// browser is a headless Chromium on one page, recording console errors,
// uncaught exceptions, CSP violations and dialogs: any of them fails the test.
type browser struct {
	t        testing.TB
	ctx      context.Context
	id       cdp.BrowserContextID // its browser context, shared with its tabs
	mu       sync.Mutex
	problems []string
}

func chromiumPath(t testing.TB) string {
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium found (run make deps)")
	return ""
}

// chromium is the one headless Chromium the package's tests share: starting
// one for each of some eighty browser tests cost a second or two each. Each
// test gets a browser context of its own (cookies, storage, permissions), as
// a fresh profile would give it.
type chromium struct {
	mu      sync.Mutex
	ctx     context.Context // the browser's first tab, kept open
	cancel  func()
	profile string
}

// sharedChromium is started by the first browser test and stopped by TestMain.
var sharedChromium chromium

func TestMain(m *testing.M) {
	code := m.Run()
	sharedChromium.stop()
	os.Exit(code)
}

// browser returns the running Chromium, starting one if none runs or the
// last one died.
func (c *chromium) browser(t testing.TB) context.Context {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil && c.ctx.Err() == nil {
		return c.ctx
	}
	c.stopLocked()
	// Chromium may still write to its profile as it exits: a directory of
	// our own, removed without failing the test.
	profile, err := os.MkdirTemp("", "wf-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1920, 1080),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
		t.Fatalf("starting chromium: %v", err)
	}
	c.ctx, c.profile = ctx, profile
	c.cancel = func() {
		// Closed politely, or after 10 s killed: a hung Chromium must not
		// hold the run until go test's timeout.
		closed := make(chan struct{})
		go func() { _ = chromedp.Cancel(ctx); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
		}
		cancel()
		cancelAlloc()
	}
	return ctx
}

// page opens a page of the running Chromium in browser context id, or in
// a new one when id is empty; its cancel closes the page and disposes of a
// new context. The page gets a window of its own: headless Chromium opens
// no tab in a context without one.
func (c *chromium) page(t testing.TB, id cdp.BrowserContextID) (context.Context, cdp.BrowserContextID, func()) {
	t.Helper()
	shared := c.browser(t)
	owner := id == ""
	var tab target.ID
	err := chromedp.Run(shared, chromedp.ActionFunc(func(ctx context.Context) error {
		x := cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser)
		var err error
		if owner {
			if id, err = target.CreateBrowserContext().Do(x); err != nil {
				return err
			}
		}
		if tab, err = target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(x); err != nil && owner {
			_ = target.DisposeBrowserContext(id).Do(x)
		}
		return err
	}))
	if err != nil {
		t.Fatalf("opening a page in chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(shared, chromedp.WithTargetID(tab))
	return ctx, id, func() {
		_ = chromedp.Cancel(ctx)
		cancel()
		if owner {
			// A Chromium that hangs fails the test that waits, not the run.
			bctx, stop := context.WithTimeout(shared, 10*time.Second)
			defer stop()
			_ = chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
				return target.DisposeBrowserContext(id).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
			}))
		}
	}
}

func (c *chromium) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopLocked()
}

func (c *chromium) stopLocked() {
	if c.cancel != nil {
		c.cancel()
		_ = os.RemoveAll(c.profile)
	}
	c.ctx, c.cancel, c.profile = nil, nil, ""
}

// newBrowser opens a page of the given size in a browser context of its own
// (as a fresh browser: no cookies, storage or permissions of another test).
func newBrowser(t testing.TB, width, height int) *browser {
	t.Helper()
	return openPage(t, "", width, height, "failure")
}

// openPage opens a page of the given size in browser context id (a new one
// when empty), recording its problems, closed when the test ends, and saved
// as the screenshot shot if the test failed.
func openPage(t testing.TB, id cdp.BrowserContextID, width, height int, shot string) *browser {
	t.Helper()
	ctx, id, closePage := sharedChromium.page(t, id)
	b := &browser{t: t, ctx: ctx, id: id}
	b.listen()
	if err := chromedp.Run(ctx, log.Enable(), runtime.Enable(), chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		closePage()
		t.Fatalf("opening a page in chromium: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot(shot)
		}
		closePage()
	})
	return b
}

// listen records the page's console errors, uncaught exceptions, CSP
// violations and dialogs as problems.
func (b *browser) listen() {
	chromedp.ListenTarget(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				b.problem("console error: " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			b.problem("uncaught exception: " + ev.ExceptionDetails.Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.LevelError && !strings.Contains(ev.Entry.Text, "Failed to load resource") {
				b.problem("browser log: " + ev.Entry.Text)
			}
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				b.problem("CSP violation: " + ev.Entry.Text)
			}
		case *page.EventJavascriptDialogOpening:
			b.problem("a dialog opened: " + ev.Message)
			go chromedp.Run(b.ctx, page.HandleJavaScriptDialog(true))
		}
	})
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	b.problems = append(b.problems, s)
	b.mu.Unlock()
}

// clean fails the test on any problem seen so far.
func (b *browser) clean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page: %s", p)
	}
	b.problems = nil
}

// screenshot saves the page under var/test-screenshots/ and says where.
func (b *browser) screenshot(name string) string {
	var buf []byte
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
		b.t.Logf("screenshot failed: %v", err)
		return ""
	}
	dir := filepath.Join("..", "..", "var", "test-screenshots")
	_ = os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, fmt.Sprintf("%s-%s.png", strings.ReplaceAll(b.t.Name(), "/", "_"), name))
	if err := os.WriteFile(path, buf, 0o644); err == nil {
		b.t.Logf("screenshot: %s", path)
	}
	return path
}

// minStep is the least any browser step is given: a deadline is a hang
// detector, not a timing assertion, and CI's two cores run other tests beside.
const minStep = 5 * time.Second

// run runs actions with a deadline of d, minStep at least.
func (b *browser) run(d time.Duration, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, max(d, minStep))
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// textOf reads the visible text of the first element matching sel in one
// evaluation, once it exists (an empty string while it is not rendered, as chromedp.Text
// says): a live page may replace the element between the node lookup and
// the read that chromedp.Text does in two steps.
func textOf(sel string, out *string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		q, err := json.Marshal(sel)
		if err != nil {
			return err
		}
		var r struct{ T string }
		expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? {T: e.offsetWidth || e.offsetHeight || e.getClientRects().length ? e.innerText : ''} : null })()`, q)
		if err := chromedp.Poll(expr, &r, chromedp.WithPollingInterval(50*time.Millisecond)).Do(ctx); err != nil {
			return fmt.Errorf("text of %s: %w", sel, err)
		}
		*out = r.T
		return nil
	})
}

// click clicks the first element matching sel as a user would, and looks
// it up again when the page replaced it between the lookup and the click
// (a live list re-rendered): no mouse event was sent then.
func click(sel string) chromedp.Action {
	return freshNode("click "+sel, func() chromedp.Action { return chromedp.Click(sel, chromedp.ByQuery) })
}

// typeInto types text into the first element matching sel, looking it up
// again when it went stale before it took the focus (no key was sent then).
func typeInto(sel, text string) chromedp.Action {
	return freshNode("type into "+sel, func() chromedp.Action { return chromedp.SendKeys(sel, text, chromedp.ByQuery) })
}

// setValue sets the value of the first element matching sel, looking it up
// again when it went stale first.
func setValue(sel, value string) chromedp.Action {
	return freshNode("set "+sel, func() chromedp.Action { return chromedp.SetValue(sel, value, chromedp.ByQuery) })
}

// freshNode runs the action a makes until it does not fail on a node that
// left the document after its lookup.
func freshNode(what string, a func() chromedp.Action) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			err := a().Do(ctx)
			if err == nil || !staleNode(err) {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s: %w (%w)", what, err, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
}

// staleNode reports whether err is the browser's answer about a node
// that left the document after it was looked up.
func staleNode(err error) bool {
	var e *cdproto.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, m := range []string{"No node with given id", "Could not find node with given id", "Node is detached", "Could not compute content quads"} {
		if strings.Contains(e.Message, m) {
			return true
		}
	}
	return false
}

// login signs in on the page at url.
func (b *browser) login(url, user string) {
	b.t.Helper()
	b.loginWith(url, user, testPassword)
}

// loginWith signs in on the page at url with password.
func (b *browser) loginWith(url, user, password string) {
	b.t.Helper()
	b.run(10*time.Second,
		chromedp.Navigate(url),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		typeInto("#username", user),
		typeInto("#password", password),
		click("#login-submit"),
	)
}

func TestScreenPageShowsIncidentsLive(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))

	// An incident created through the API appears within 2 s with its
	// level label, and a title that is HTML is shown as text and runs nothing.
	title := `<img src=x onerror=alert(1)>`
	inc := h.create(map[string]any{"category": "mass_incident", "title": title, "location": map[string]float64{"lon": 114.1118, "lat": 22.547}, "people_involved": 150})
	sel := fmt.Sprintf(`li.incident[data-id=%q]`, inc["id"])
	var shown, badge string
	var imgs int
	b.run(2*time.Second, chromedp.WaitVisible(sel, chromedp.ByQuery))
	b.run(2*time.Second,
		textOf(sel+" .title", &shown),
		textOf(sel+" .badge", &badge),
		chromedp.Evaluate(`document.querySelectorAll("#incidents img").length`, &imgs),
	)
	if shown != title || imgs != 0 {
		t.Errorf("title shown as %q with %d img elements", shown, imgs)
	}
	if !strings.Contains(badge, "II") || !strings.Contains(badge, "重大") {
		t.Errorf("level label %q, want II 重大", badge)
	}
	var count string
	b.run(2*time.Second, textOf("#count-II", &count))
	if strings.TrimSpace(count) != "1" {
		t.Errorf("counter II shows %q", count)
	}
	// The English switch changes the labels.
	b.run(2*time.Second, click("#lang-toggle"))
	b.run(2*time.Second, chromedp.Poll(fmt.Sprintf(`document.querySelector(%q).textContent.includes("Serious")`, sel+" .badge"), nil, chromedp.WithPollingTimeout(2*time.Second)))
	time.Sleep(200 * time.Millisecond) // let late console messages arrive before judging
	b.clean()
	b.screenshot("ok")
}

// The simulator's units move on the map, and killing and restarting the
// server leaves the page live again without a reload.
func TestScreenPageMapAndRecovery(t *testing.T) {
	h := newHarness(t)
	bin := filepath.Join(t.TempDir(), "wfsim")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/wfsim").CombinedOutput(); err != nil {
		t.Fatalf("building the simulator: %v\n%s", err, out)
	}
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.Poll(`document.querySelector("#map").dataset.base === "loaded"`, nil, chromedp.WithPollingTimeout(5*time.Second)))

	sim := exec.Command(bin, "--config", "../../config/sample/watchfloor.yaml", "--api", h.base,
		"--osmand", "http://"+h.srv.OsmandAddr(), "--every", "300ms", "--incidents", "0")
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sim.Process.Kill(); _ = sim.Wait() }()
	var drawn, frames int
	b.run(8*time.Second, chromedp.Poll(`+document.querySelector("#map").dataset.unitsDrawn >= 50 && +document.querySelector("#map").dataset.unitFrames >= 3`, nil, chromedp.WithPollingTimeout(8*time.Second)))
	b.run(2*time.Second, chromedp.Evaluate(`+document.querySelector("#map").dataset.unitsDrawn`, &drawn), chromedp.Evaluate(`+document.querySelector("#map").dataset.unitFrames`, &frames))
	if drawn < 50 || frames < 3 {
		t.Fatalf("units drawn %d, frames %d", drawn, frames)
	}
	// Units really move: one unit's position changes between two reads.
	res, body := h.do("GET", "/api/v1/units/car-01", h.token("operator"), nil)
	if res.StatusCode != 200 {
		t.Fatalf("car-01: %d %s", res.StatusCode, body)
	}
	waitFor(t, 3*time.Second, "car-01 moving", func() bool {
		_, now := h.do("GET", "/api/v1/units/car-01", h.token("operator"), nil)
		return string(now) != string(body)
	})
	_ = sim.Process.Kill()

	// Kill and restart the server on the same address: the page says the
	// link is down, then comes back by itself and shows what happens next.
	h.restartSamePort()
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	inc := h.create(publicOrder("重启之后"))
	b.run(3*time.Second, chromedp.WaitVisible(fmt.Sprintf(`li.incident[data-id=%q]`, inc["id"]), chromedp.ByQuery))
	time.Sleep(200 * time.Millisecond)
	b.clean()
}

// Every label changes with the English switch: no element of the
// catalogue keeps Chinese text.
func TestScreenPageEnglishSwitch(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	h.create(dongmen("中文标题", 150))
	b.run(3*time.Second, chromedp.WaitVisible("li.incident", chromedp.ByQuery))
	var han []string
	// The switch itself names the other language (中文) on purpose.
	check := `[...document.querySelectorAll("[data-i18n]:not(.lang-toggle)")].map(e => e.textContent).filter(t => /[\u4e00-\u9fff]/.test(t))`
	b.run(2*time.Second, chromedp.Evaluate(check, &han))
	if len(han) < 10 {
		t.Errorf("zh-CN by default: only %d Chinese labels", len(han))
	}
	b.run(2*time.Second, click("#lang-toggle"))
	// Wait for the relabelling; the check below says what stayed Chinese.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	_ = chromedp.Run(ctx, chromedp.Poll(check+".length === 0", nil))
	cancel()
	han = nil
	b.run(2*time.Second, chromedp.Evaluate(check, &han))
	if len(han) != 0 {
		t.Errorf("labels still in Chinese after the English switch: %q", han)
	}
	var lang string
	b.run(2*time.Second, chromedp.Evaluate(`document.documentElement.lang`, &lang))
	if !strings.HasPrefix(lang, "en") {
		t.Errorf("html lang %q after switching", lang)
	}
	b.clean()
}

// While Redis is away the page says it is not live, and it comes back by itself.
func TestScreenPageShowsRedisOutage(t *testing.T) {
	r := storetest.Start(t, "--appendonly", "yes")
	h := newHarnessOn(t, r)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	r.Stop()
	b.run(5*time.Second, chromedp.WaitVisible("#link-banner", chromedp.ByQuery), chromedp.WaitVisible("#link-state.down", chromedp.ByQuery))
	r.Restart()
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.mu.Lock()
	b.problems = nil // the page logs the failed requests of the outage
	b.mu.Unlock()
}

// The reports page renders the analysis, the hotspots and a unit's track
// playback; the printable bulletin renders as a page.
func TestReportsPages(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.create(map[string]any{"category": "fire", "title": "起火", "location": map[string]float64{"lon": 114.1160, "lat": 22.5520}, "injuries": 3})
	h.create(publicOrder("打架"))
	start := time.Now().Add(-20 * time.Minute)
	var ps []map[string]any
	for i := range 20 {
		ps = append(ps, map[string]any{"unit_id": "car-01", "lon": 114.110 + float64(i)*0.0004, "lat": 22.548, "at": ts(start.Add(time.Duration(i) * time.Minute))})
	}
	if code, out := h.positions(op, ps...); code != 202 || out.Accepted != 20 {
		t.Fatalf("%d %+v", code, out)
	}
	b := newBrowser(t, 1920, 1080)
	loaded := time.Now()
	b.login(h.base+"/analysis.html", "leader")
	b.run(15*time.Second,
		chromedp.Poll(`document.querySelector("#analysis").dataset.state === "loaded"`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll(`["category","level","grid","hour","weekday"].every(c => document.querySelector("#chart-"+c).dataset.ready === "1")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Poll(`document.querySelector("#hotspots").dataset.state === "loaded"`, nil, chromedp.WithPollingTimeout(10*time.Second)),
	)
	var incidents string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#analysis").dataset.incidents`, &incidents))
	if incidents != "2" {
		t.Errorf("analysis shows %s incidents, want 2", incidents)
	}
	// Track playback: car-01's last hour, 20 points; play moves the slider.
	b.run(10*time.Second, chromedp.Poll(`+document.querySelector("#playback").dataset.points === 20`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	// The window's fields show the deployment's clocks (Asia/Shanghai), not
	// the browser's (this machine runs on UTC): its end is the minute after
	// the page loaded, read in the deployment's zone.
	var to string
	b.run(2*time.Second, chromedp.Value("#playback-to", &to, chromedp.ByQuery))
	end, err := time.ParseInLocation("2006-01-02T15:04", to, h.cfg.Location)
	if earliest, latest := loaded.Truncate(time.Minute), time.Now().Add(time.Minute); err != nil || end.Before(earliest) || end.After(latest) {
		t.Errorf("playback to %q (%v), want a minute in the deployment's zone from %s to %s", to, err,
			earliest.In(h.cfg.Location).Format("15:04"), latest.In(h.cfg.Location).Format("15:04"))
	}
	b.run(2*time.Second, click("#playback-play"))
	b.run(5*time.Second, chromedp.Poll(`+document.querySelector("#playback-slider").dataset.index > 0`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	time.Sleep(200 * time.Millisecond)
	b.clean()

	// The bulletin page, as a browser shows it.
	page := newBrowser(t, 1240, 1754)
	page.run(10*time.Second, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Authorization": "Bearer " + op}),
		chromedp.Navigate(h.base+"/api/v1/bulletins/daily?format=html"), chromedp.WaitVisible("svg.chart", chromedp.ByQuery))
	var heading string
	page.run(2*time.Second, textOf("h1", &heading))
	if !strings.Contains(heading, "每日三通报") {
		t.Errorf("bulletin heading %q", heading)
	}
	page.clean()
}

// Every page signs out the same way: the button ends the session on the
// server, forgets the token and shows the sign-in form again.
func TestSignOutOnEveryPage(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 800)
	for _, p := range []struct{ page, user, shown, key string }{
		{"/", "operator", "#screen", "wf.token"},
		{"/leader.html", "leader", "#app", "wf.leader.token"},
		{"/responder.html", "car-01", "#app", "wf.responder.token"},
		{"/analysis.html", "leader", "#app", "wf.reports.token"},
		{"/console.html", "operator", "#app", "wf.console.token"},
	} {
		b.login(h.base+p.page, p.user)
		b.run(10*time.Second, chromedp.WaitVisible(p.shown, chromedp.ByQuery))
		var token string
		b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`localStorage.getItem(%q) || ""`, p.key), &token))
		if token == "" {
			t.Fatalf("%s: no token under %s after signing in", p.page, p.key)
		}
		b.run(5*time.Second,
			click("#logout"),
			chromedp.WaitVisible("#login", chromedp.ByQuery),
			chromedp.WaitNotVisible(p.shown, chromedp.ByQuery),
		)
		var left string
		b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`localStorage.getItem(%q) || ""`, p.key), &left))
		if left != "" {
			t.Errorf("%s: the token is still kept after signing out", p.page)
		}
		waitFor(t, 3*time.Second, p.page+": the session ended on the server", func() bool {
			res, _ := h.do("GET", "/api/v1/sessions/me", token, nil)
			return res.StatusCode == 401
		})
	}
	b.clean()
}

// The helpers act on a page that replaces its elements as a live list
// does: each click presses once (a press counts: its release may meet the
// next element) and every read sees one whole element.
func TestHelpersSurviveReRenders(t *testing.T) {
	b := newBrowser(t, 800, 600)
	page := `<!doctype html><p id="n">0</p><div id="box"></div><script>
let n = 0;
const draw = () => { const btn = document.createElement('button'); btn.id = 'b'; btn.textContent = 'clicks ' + n;
  btn.onmousedown = () => { n++; document.querySelector('#n').textContent = n; }; document.querySelector('#box').replaceChildren(btn); };
draw(); setInterval(draw, 10);
</script>`
	b.run(10*time.Second, chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(page)), chromedp.WaitVisible("#b", chromedp.ByQuery))
	for range 40 {
		b.run(5*time.Second, click("#b"))
	}
	var n, label string
	b.run(5*time.Second, textOf("#n", &n))
	for range 40 {
		b.run(5*time.Second, textOf("#b", &label))
	}
	if n != "40" || !strings.HasPrefix(label, "clicks ") {
		t.Errorf("%s presses counted, button %q; want 40", n, label)
	}
}
