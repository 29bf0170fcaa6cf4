package acceptance_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"

	"watchfloor/command/auth"
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

// A page whose session ended while its socket was down (the server
// restarting) is refused at its next dial, which a browser cannot read: it
// asks for its session, finds it ended and shows the sign-in form saying
// why, instead of dialling for ever.
// Pages dial with the token among the socket's subprotocols: no ticket is
// asked for.
func TestSessionEndedWhileDownShowsSignIn(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 800)
	b.login(h.base+"/", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	var token string
	b.run(2*time.Second, chromedp.Evaluate(`localStorage.getItem("wf.token") || ""`, &token))
	if n := ticketsAsked(h); n != 0 {
		t.Fatalf("%d tickets asked for: the page dials with its token among its subprotocols", n)
	}
	h.restartSamePortAfter(func() {
		rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
		defer rdb.Close()
		if err := rdb.Del(context.Background(), "wf:{"+h.cfg.Deployment+"}:session:"+auth.HashToken(token)).Err(); err != nil {
			t.Error(err)
		}
	})
	b.run(15*time.Second, chromedp.WaitVisible("#login", chromedp.ByQuery), chromedp.WaitNotVisible("#screen", chromedp.ByQuery))
	var msg string
	b.run(2*time.Second, textOf("#login-error", &msg))
	if !strings.Contains(msg, "会话已结束") {
		t.Errorf("the sign-in form says %q, want why the session ended", msg)
	}
	if n := ticketsAsked(h); n != 0 {
		t.Fatalf("%d tickets asked for after the restart", n)
	}
	b.mu.Lock()
	b.problems = nil // the dials of the restart and the refused one are logged
	b.mu.Unlock()
}

// ticketsAsked is how many requests h answered for a websocket ticket
// (its metrics must count some requests, or nothing is checked).
func ticketsAsked(h *harness) int {
	h.t.Helper()
	res, body := h.do("GET", "/metrics", "", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), "watchfloor_http_request_duration_seconds_count{") {
		h.t.Fatalf("metrics: %d, with no request counted", res.StatusCode)
	}
	n := 0
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "watchfloor_http_request_duration_seconds_count{") && strings.Contains(line, `route="/api/v1/sessions/ticket"`) {
			f := strings.Fields(line)
			v, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				h.t.Fatalf("%s: %v", line, err)
			}
			n += v
		}
	}
	return n
}
