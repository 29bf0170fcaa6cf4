package acceptance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ending a page's session elsewhere (a sign-out through the API with its
// token) closes its socket with 4001, and the page shows the sign-in form
// saying why, without waiting for its next request. How soon is logged, not
// judged: a loaded machine may be slow.
func TestSessionEndedShowsSignIn(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 800)
	for _, p := range []struct{ page, user, shown, key, up string }{
		{"/", "operator", "#screen", "wf.token", "#link-state.up"},
		{"/leader.html", "leader", "#app", "wf.leader.token", "#link-state.up"},
		{"/responder.html", "car-01", "#app", "wf.responder.token", "#link-state.up"},
		// The reports have no stream: /ws/session carries the end.
		{"/analysis.html", "viewer", "#app", "wf.reports.token", `body[data-link="up"]`},
	} {
		b.login(h.base+p.page, p.user)
		b.run(10*time.Second, chromedp.WaitVisible(p.shown, chromedp.ByQuery))
		// The live link is up: a socket exists to be closed.
		b.run(10*time.Second, chromedp.WaitReady(p.up, chromedp.ByQuery))
		var token string
		b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`localStorage.getItem(%q) || ""`, p.key), &token))
		if token == "" {
			t.Fatalf("%s: no token under %s", p.page, p.key)
		}
		if res, body := h.do("DELETE", "/api/v1/sessions", token, nil); res.StatusCode/100 != 2 {
			t.Fatalf("%s: ending the session: %d %s", p.page, res.StatusCode, body)
		}
		start := time.Now()
		b.run(3*time.Second, chromedp.WaitVisible("#login", chromedp.ByQuery), chromedp.WaitNotVisible(p.shown, chromedp.ByQuery))
		t.Logf("%s: the sign-in form came %v after the sign-out", p.page, time.Since(start))
		var msg string
		b.run(2*time.Second, textOf("#login-error", &msg))
		if !strings.Contains(msg, "会话已结束") {
			t.Errorf("%s: the sign-in form says %q, want why the session ended", p.page, msg)
		}
	}
	b.clean()
}
