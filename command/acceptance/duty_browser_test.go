package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// wallWithDuty signs a viewer in on the wall at width×height with no shift
// planned, then plans today: the on-duty block appears (on roster.changed,
// not at the next minute's reading) and takes no height from the header or
// the incident list.
func wallWithDuty(t *testing.T, width, height int) (*harness, *browser) {
	h := newHarness(t)
	b := newBrowser(t, width, height)
	slow := time.Duration(width/1920) * 10 * time.Second
	b.login(h.base+"/", "viewer")
	heights := `[document.querySelector('.topbar').getBoundingClientRect().height, document.querySelector('#list-panel').getBoundingClientRect().height]`
	var before, after []float64
	b.run(slow, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery), chromedp.WaitVisible(`#onduty[data-state="none"] #onduty-none`, chromedp.ByQuery),
		chromedp.Evaluate(heights, &before))
	putToday(t, h)
	b.run(slow, chromedp.WaitVisible(`#onduty[data-state="shift"][data-leader="dongmen-leader"] #onduty-shift`, chromedp.ByQuery),
		chromedp.Evaluate(heights, &after))
	if len(before) != 2 || len(after) != 2 || before[0] != after[0] || before[1] != after[1] {
		t.Errorf("the header and the incident list were %v high, %v with the on-duty block", before, after)
	}
	return h, b
}

// The wall shows who is on duty now: the leader with their phone (masked
// for a viewer), the operators and the stand-by units, in the header, at
// 1920×1080 and 3840×2160; an edit of the roster shows at once; a serious
// incident's alarm names the leader on duty; the block follows the
// language switch.
func TestWallShowsLeaderOnDuty(t *testing.T) {
	t.Run("3840x2160", func(t *testing.T) {
		_, b := wallWithDuty(t, 3840, 2160)
		b.clean()
	})
	h, b := wallWithDuty(t, 1920, 1080)
	var leader, phone, ops, standby string
	b.run(5*time.Second, textOf("#onduty-leader", &leader), textOf("#onduty-phone", &phone),
		textOf("#onduty-operators", &ops), textOf("#onduty-standby", &standby))
	if leader != "东门街道带班领导" || phone != "138****8000" || ops == "" || standby != "网格员·湖贝1" {
		t.Fatalf("on duty: leader %q phone %q operators %q stand-by %q", leader, phone, ops, standby)
	}
	// An edit of the roster reaches the wall at once.
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
	b.run(5*time.Second, click("#lang-toggle"),
		chromedp.Poll(`document.querySelector('#onduty-leader-label').textContent === 'Leader'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		textOf("#onduty-label", &label))
	if !strings.Contains(label, "On duty") {
		t.Errorf("the block's label in English: %q", label)
	}
	b.clean()
}
