package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
)

// On the administration page's duty tab a leader plans a day: a shift with
// a leader of the wrong role is refused naming the field, and nothing is
// written; once corrected it is saved and listed in the month's table. The
// handover log lists a handover and its search by text narrows it. The
// server's clock is at 01:00 in the sample city, the previous day in UTC
// (the browser's zone here): the page's dates are the city's.
func TestAdminDutyRosterAndHandoverLog(t *testing.T) {
	clock := timer.NewManual(time.Date(2026, 3, 10, 1, 0, 0, 0, time.FixedZone("CST", 8*3600)).UTC())
	h := newHarnessWith(t, storetest.Start(t), clock.Now)
	today, _ := dutyDayAt(t, clock.Now())
	op := h.token("operator")
	res, b := h.do("POST", "/api/v1/handovers", op, nil)
	var ho handover
	mustJSON(t, b, &ho)
	if res.StatusCode != 201 {
		t.Fatalf("open: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/handovers/"+ho.ID+"/submit", op, map[string]any{"notes": "仓库钥匙在值班室"}); res.StatusCode != 200 {
		t.Fatalf("submit: %d %s", res.StatusCode, b)
	}
	br := newBrowser(t, 1600, 1000)
	br.login(h.base+"/admin.html", "leader")
	row := `#duty-log tbody tr[data-id="` + ho.ID + `"]`
	br.run(15*time.Second, chromedp.WaitVisible("#duty-edit-open", chromedp.ByQuery), chromedp.WaitVisible(row, chromedp.ByQuery),
		setValue("#duty-edit-date", today), click("#duty-edit-open"),
		chromedp.WaitVisible("#duty-editor", chromedp.ByQuery), click("#duty-add-shift"),
		chromedp.WaitVisible("#duty-shift-0-id", chromedp.ByQuery),
		setValue("#duty-shift-0-id", "day"),
		setValue("#duty-shift-0-leader", "operator"),
		setValue("#duty-shift-0-operators", "operator"),
		setValue("#duty-shift-0-standby", "grid-01"),
		click("#duty-save"),
		chromedp.WaitVisible(`#duty-errors > li[data-field="shifts[0].leader"]`, chromedp.ByQuery))
	if _, b := h.do("GET", "/api/v1/roster/"+today, h.token("leader"), nil); !strings.Contains(string(b), `"version":0`) {
		t.Fatalf("a refused day was written: %s", b)
	}
	br.run(10*time.Second, setValue("#duty-shift-0-leader", "dongmen-leader"), click("#duty-save"),
		chromedp.WaitVisible(`#duty-message[data-kind="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#duty-roster tbody tr[data-date="`+today+`"][data-shift="day"]`, chromedp.ByQuery))
	if _, b := h.do("GET", "/api/v1/roster/"+today, h.token("leader"), nil); !strings.Contains(string(b), `"leader":"dongmen-leader"`) || !strings.Contains(string(b), `"standby":["grid-01"]`) {
		t.Fatalf("the saved day: %s", b)
	}
	var rows int
	br.run(10*time.Second, setValue("#duty-log-q", "没有这样的内容"), click("#duty-log-search"),
		chromedp.Poll(`document.querySelectorAll('#duty-log tbody tr').length === 0`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		setValue("#duty-log-q", "钥匙"), click("#duty-log-search"),
		chromedp.WaitVisible(row, chromedp.ByQuery), chromedp.Evaluate(`document.querySelectorAll('#duty-log tbody tr').length`, &rows))
	if rows != 1 {
		t.Errorf("the search by text lists %d handovers", rows)
	}
	br.clean()
}
