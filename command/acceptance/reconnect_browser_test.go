package acceptance_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Pages cut off together dial again spread over the backoff delay, not in
// the same instant: each wait is between half the delay and all of it, at
// random (a browser cannot read a refused upgrade's Retry-After), and a
// live link waits so.
func TestPagesDialAgainSpreadOut(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	// Signed in: a dial that fails before it opens asks for the session,
	// and only one that is found ended stops dialling.
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	var got []float64
	expr := `import('/js/live.js').then(m => [m.retryDelay(1000, () => 0), m.retryDelay(1000, () => 0.999999),
		...Array.from({length: 200}, () => m.retryDelay(1000))])`
	b.run(10*time.Second, chromedp.Evaluate(expr, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if len(got) != 202 || got[0] != 500 || got[1] < 999 || got[1] >= 1000 {
		t.Fatalf("the waits at either end of the random range: %v, want 500 and just under 1000", got[:min(2, len(got))])
	}
	spread := got[2:]
	if lo, hi := slices.Min(spread), slices.Max(spread); lo < 500 || hi >= 1000 || hi-lo < 250 {
		t.Fatalf("200 waits of a 1000 ms delay from %.1f to %.1f ms, want spread over [500, 1000)", lo, hi)
	}
	// A link whose dials fail waits as retryDelay says: with the random
	// draw at 0, half of each backoff delay (250 ms, then 500 ms).
	var waits []float64
	link := `import('/js/live.js').then(m => new Promise(resolve => {
		const waits = [], later = window.setTimeout.bind(window);
		Math.random = () => 0;
		window.setTimeout = (fn, ms, ...rest) => {
			if (fn && fn.name === 'connect') waits.push(ms);
			return later(fn, ms, ...rest);
		};
		const l = m.createLiveLink({url: () => 'ws://' + location.host + '/ws/none', onMessage() {}, onState() {}, onSessionEnded() {}, silenceMs: 60000});
		l.start();
		const done = () => { l.stop(); resolve(waits); };
		const check = () => (waits.length >= 2 ? done() : later(check, 50));
		later(check, 50);
		later(done, 5000);
	}))`
	b.run(10*time.Second, chromedp.Evaluate(link, &waits, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if len(waits) < 2 || waits[0] != 250 || waits[1] != 500 {
		t.Fatalf("a failing link waited %v ms before its dials, want 250 then 500", waits)
	}
	b.mu.Lock()
	b.problems = nil // the failed dials are logged
	b.mu.Unlock()
	b.clean()
}

// A live link's dial refused before it opens (the browser shows no status)
// asks for the session: one found ended (401) stops dialling and says so,
// where one whose session lives dials again.
func TestARefusedDialAsksForTheSession(t *testing.T) {
	h := newHarness(t)
	dead := h.freshToken("viewer")
	if res, _ := h.do("DELETE", "/api/v1/sessions", dead, nil); res.StatusCode/100 != 2 {
		t.Fatalf("ending the session: %d", res.StatusCode)
	}
	b := newBrowser(t, 1280, 900)
	b.run(10*time.Second, chromedp.Navigate(h.base+"/"), chromedp.WaitVisible("#login", chromedp.ByQuery))
	var got struct {
		Ended bool
		Dials int
	}
	link := fmt.Sprintf(`localStorage.setItem("wf.token", %q), import('/js/live.js').then(m => new Promise(resolve => {
		let dials = 0;
		const l = m.createLiveLink({url: () => { dials++; return m.streamURL('/ws/screen', null); },
			onMessage() {}, onState() {}, onSessionEnded() { resolve({ended: true, dials}); }});
		l.start();
		setTimeout(() => { l.stop(); resolve({ended: false, dials}); }, 5000);
	}))`, dead)
	b.run(10*time.Second, chromedp.Evaluate(link, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if !got.Ended || got.Dials != 1 {
		t.Fatalf("a link of an ended session: ended %v after %d dials; want it ended after 1", got.Ended, got.Dials)
	}
	b.mu.Lock()
	b.problems = nil // the refused dial and the 401 are logged
	b.mu.Unlock()
}

// A page offers its token among a socket's subprotocols only to its own
// host: an address elsewhere gets the server's subprotocol alone.
func TestTheTokenGoesOnlyToThePagesHost(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	b.run(10*time.Second, chromedp.Navigate(h.base+"/"), chromedp.WaitVisible("#login", chromedp.ByQuery))
	var got [][]string
	expr := `localStorage.setItem("wf.token", "tok"), import('/js/live.js').then(m => [
		m.socketProtocols(m.streamURL('/ws/screen', null)),
		m.socketProtocols('ws://' + location.host + '/ws/screen'),
		m.socketProtocols('/ws/screen'),
		m.socketProtocols('ws://elsewhere.example/ws/screen'),
		m.socketProtocols('wss://' + location.hostname + ':1/ws/screen'),
		m.socketProtocols('not an address ::'),
	])`
	b.run(10*time.Second, chromedp.Evaluate(expr, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	own, other := []string{"watchfloor", "watchfloor.bearer.tok"}, []string{"watchfloor"}
	want := [][]string{own, own, own, other, other, own}
	for i := range want {
		if i >= len(got) || !slices.Equal(got[i], want[i]) {
			t.Fatalf("subprotocols offered %q, want %q", got, want)
		}
	}
	b.clean()
}
