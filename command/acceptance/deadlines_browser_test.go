package acceptance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// TestWallShowsDeadlineAlarms: a 督办 date passed before the wall opened
// (its snapshot) and an assembly deadline (4 h here) passing while it is
// open (live)
// show in the wall's alarm list by name, the date in the configured time
// zone, in Chinese and after the English switch; the console names the
// assembly alarm in the incident's timeline.
func TestWallShowsDeadlineAlarms(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) {
		c.Dispatch.TimerInterval = 20 * time.Millisecond
		c.Dispatch.AckTimeout = 5 * time.Hour
		c.Dispatch.AssemblyDeadline = 4 * time.Hour
	})
	cs := h.createCase(h.token("operator"), hubeiHazard("督办墙面"))
	due := clock.Now().Add(3 * time.Hour).Truncate(time.Second)
	if code, body := h.act(h.token("leader"), cs, map[string]any{"action": "supervise", "due_at": due.UTC().Format(time.RFC3339), "reason": "重点"}); code != 200 {
		t.Fatalf("supervise: %d %s", code, body)
	}
	h.placeNear("car-01")
	inc := h.create(publicOrder("集结墙面"))["id"].(string)
	if res, b := h.do("POST", "/api/v1/incidents/"+inc+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-01"}}); res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	clock.Advance(3*time.Hour + time.Minute)
	waitFor(t, 5*time.Second, "the supervision alarm", func() bool { return len(h.alarmsOf("supervision.overdue")) == 1 })
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.Poll(`!!document.querySelector('#alarms .alarm[data-kind="supervision.overdue"]')`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	if got := h.alarmsOf("order.assembly_overdue"); len(got) != 0 {
		t.Fatalf("assembly raised early: %v", got)
	}
	clock.Advance(time.Hour) // the assembly deadline passes with the wall open
	sup := `#alarms .alarm[data-kind="supervision.overdue"]`
	asm := `#alarms .alarm[data-kind="order.assembly_overdue"]`
	var supKind, supText, asmKind, asmText string
	b.run(10*time.Second,
		chromedp.Poll(`!!document.querySelector('`+asm+`')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.querySelector('`+sup+` .alarm-kind').textContent`, &supKind),
		chromedp.Evaluate(`document.querySelector('`+sup+` .alarm-text').textContent`, &supText),
		chromedp.Evaluate(`document.querySelector('`+asm+` .alarm-kind').textContent`, &asmKind),
		chromedp.Evaluate(`document.querySelector('`+asm+` .alarm-text').textContent`, &asmText))
	date := due.In(h.cfg.Location).Format("01-02 15:04")
	if supKind != "督办到期未办结" || !strings.Contains(supText, "督办期限 "+date+" 已过") || !strings.Contains(supText, cs) {
		t.Errorf("supervision alarm: %q %q (date %s)", supKind, supText, date)
	}
	if asmKind != "集结超时" || !strings.Contains(asmText, "未在集结时限内到达现场") {
		t.Errorf("assembly alarm: %q %q", asmKind, asmText)
	}
	b.run(5*time.Second, click("#lang-toggle"),
		chromedp.Poll(`document.querySelector('`+asm+` .alarm-kind').textContent === 'Assembly overdue' && document.querySelector('`+sup+` .alarm-kind').textContent === 'Supervision date passed'`,
			nil, chromedp.WithPollingTimeout(5*time.Second)))
	b.clean()
	b.screenshot("ok")
	// The console names the alarm in the incident's timeline.
	c := newBrowser(t, 1920, 1080)
	c.openConsole(h.base, "operator")
	c.openOnDesk(inc)
	c.poll(10*time.Second, `[...document.querySelectorAll('#timeline li[data-type="alarm.raised"] .tl-bits')].some(n => n.textContent.includes('集结超时'))`)
	c.clean()
}

// TestLeaderCountsDownTheDeadlinesDueFirst: an incident filed before 500
// others (more than the 200 of a list by status) still has its report
// deadline, due first, at the top of the leader page's countdown; the page
// lists the 500 due first and says one incident is left out; the API
// answers a bad limit with a problem naming it.
func TestLeaderCountsDownTheDeadlinesDueFirst(t *testing.T) {
	// 501 incidents filed at once are more than one session's rate allows.
	h := newHarness(t, func(c *config.Config) { c.Limits.TokenRate, c.Limits.TokenBurst = 1e9, 1e9 })
	first := h.create(dongmenAt("最早的聚集", 0))["id"].(string)
	// 501 in all: the page reads the 500 due first and says one is left out.
	for i := range 500 {
		h.create(dongmenAt(fmt.Sprintf("聚集%d", i), 0.01+float64(i)*0.0004))
	}
	for _, q := range []string{"0", "-1", "1001", "x", "1.5", "1e3", "%205", "99999999999999999999"} {
		if code, fields, body := h.problemFields("GET", "/api/v1/deadlines?limit="+q, h.token("leader"), ""); code != 400 || !slices.Equal(fields, []string{"limit"}) {
			t.Errorf("limit=%s: %d %v %s", q, code, fields, body)
		}
	}
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	var top, more string
	var listed int
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.WaitVisible(fmt.Sprintf(`#deadlines-list li.deadline-item[data-incident-id=%q]`, first), chromedp.ByQuery),
		chromedp.WaitVisible("#deadlines-more", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#deadlines-list li.deadline-item').dataset.incidentId`, &top),
		chromedp.Evaluate(`new Set([...document.querySelectorAll('#deadlines-list li.deadline-item')].map((li) => li.dataset.incidentId)).size`, &listed),
		chromedp.Text("#deadlines-more", &more, chromedp.ByQuery))
	if top != first {
		t.Errorf("the countdown begins with %s, want %s (due first)", top, first)
	}
	if listed != 500 || !strings.Contains(more, "另有 1 起") || !strings.Contains(more, "500") {
		t.Errorf("%d incidents listed, the note says %q; want 500 and one left out", listed, more)
	}
	b.clean()
	b.screenshot("countdown")
}

// TestLeaderPageSaysWhenAReadFailed: the deadlines and the history cannot
// be read (the requests fail): the page says so, instead of an empty
// countdown and "nothing yet".
func TestLeaderPageSaysWhenAReadFailed(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	paused := b.paused()
	target := b.target()
	go func() {
		for {
			select {
			case <-b.ctx.Done():
				return
			case id := <-paused:
				_ = fetch.FailRequest(id, network.ErrorReasonConnectionFailed).Do(target)
			}
		}
	}()
	b.run(10*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{
		{URLPattern: "*/api/v1/deadlines*", RequestStage: fetch.RequestStageRequest},
		{URLPattern: "*/api/v1/activations?status=ended*", RequestStage: fetch.RequestStageRequest},
	}))
	b.login(h.base+"/leader.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.WaitVisible("#deadlines-failed", chromedp.ByQuery),
		chromedp.WaitVisible("#history-failed", chromedp.ByQuery))
	var empty bool
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#history-empty").hidden`, &empty))
	if !empty {
		t.Error("the history says there is nothing yet though it could not be read")
	}
	b.clean()
}

// TestLeaderCardReadsTheIncidentAgainOnANewProposal: a follow-up raises
// the incident from III to II and a plan is proposed again for II; its card
// shows the incident at II (the page kept the incident it read for the
// first proposal, at III).
func TestLeaderCardReadsTheIncidentAgainOnANewProposal(t *testing.T) {
	h := newHarness(t)
	id := h.create(dongmen("聚集升级", 40))["id"].(string) // III
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	card := `#proposed-list article.act-card[data-plan-id="mass-incident"][data-level="%s"]`
	b.run(10*time.Second, chromedp.WaitVisible(fmt.Sprintf(card, "III")+" .act-incident .badge-code", chromedp.ByQuery))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/reports", h.token("operator"), map[string]int{"people_involved": 150}); res.StatusCode != 200 {
		t.Fatalf("report: %d %s", res.StatusCode, body)
	}
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent === "II"`, fmt.Sprintf(card, "II")+" .act-incident .badge-code"))
	b.clean()
}
