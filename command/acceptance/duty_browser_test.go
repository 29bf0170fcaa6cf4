package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The wall shows who is on duty now: the leader with their phone (masked
// for a viewer), the operators and the stand-by units, in the header; a
// serious incident's alarm names the leader on duty; the block follows the
// language switch.
func TestWallShowsLeaderOnDuty(t *testing.T) {
	h := newHarness(t)
	putToday(t, h)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(15*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.WaitVisible(`#onduty[data-state="shift"][data-leader="dongmen-leader"] #onduty-shift`, chromedp.ByQuery))
	var leader, phone, ops, standby string
	b.run(5*time.Second, chromedp.Text("#onduty-leader", &leader, chromedp.ByQuery), chromedp.Text("#onduty-phone", &phone, chromedp.ByQuery),
		chromedp.Text("#onduty-operators", &ops, chromedp.ByQuery), chromedp.Text("#onduty-standby", &standby, chromedp.ByQuery))
	if leader != "东门街道带班领导" || phone != "138****8000" || ops == "" || standby != "网格员·湖贝1" {
		t.Fatalf("on duty: leader %q phone %q operators %q stand-by %q", leader, phone, ops, standby)
	}
	// An edit of the roster reaches the wall at once (roster.changed), not
	// at the next minute's reading.
	today, shifts := dutyDay(t)
	for _, sh := range shifts {
		sh["leader"] = "leader"
	}
	if res, body := h.do("PUT", "/api/v1/roster/"+today, h.token("admin"), map[string]any{"version": 1, "shifts": shifts}); res.StatusCode != 200 {
		t.Fatalf("edit the roster: %d %s", res.StatusCode, body)
	}
	b.run(10*time.Second, chromedp.WaitVisible(`#onduty[data-leader="leader"]`, chromedp.ByQuery))
	if res, body := h.do("PUT", "/api/v1/roster/"+today, h.token("admin"), map[string]any{"version": 2, "shifts": dutyShifts(t)}); res.StatusCode != 200 {
		t.Fatalf("edit the roster back: %d %s", res.StatusCode, body)
	}
	b.run(10*time.Second, chromedp.WaitVisible(`#onduty[data-leader="dongmen-leader"]`, chromedp.ByQuery))
	// The block sits in the header and takes no height from the incident list.
	var inHeader bool
	b.run(5*time.Second, chromedp.Evaluate(`(() => { const o = document.querySelector('#onduty').getBoundingClientRect(), h = document.querySelector('.topbar').getBoundingClientRect();
	  return o.width > 200 && o.top >= h.top && o.bottom <= h.bottom; })()`, &inHeader))
	if !inHeader {
		t.Error("the on-duty block is not a visible part of the header")
	}
	h.create(map[string]any{"category": "production_safety", "title": "值班告警测试", "grid": "440303002002001", "deaths": 10})
	var approver string
	b.run(10*time.Second, chromedp.Poll(`!!document.querySelector('#alarms .alarm[data-kind="incident.serious"] .alarm-approver')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.querySelector('#alarms .alarm[data-kind="incident.serious"] .alarm-approver').textContent`, &approver))
	if approver != "带班领导：东门街道带班领导" {
		t.Errorf("the alarm names %q", approver)
	}
	var label string
	b.run(5*time.Second, chromedp.Click("#lang-toggle", chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#onduty-leader-label').textContent === 'Leader'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Text("#onduty-label", &label, chromedp.ByQuery))
	if !strings.Contains(label, "On duty") {
		t.Errorf("the block's label in English: %q", label)
	}
	b.clean()
}
