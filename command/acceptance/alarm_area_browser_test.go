package acceptance_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
	"watchfloor/config"
)

// TestWallAckFollowsTheAccountsArea: an account limited to an area may not
// acknowledge an alarm of no area (a serious incident's, the city's: it
// would clear it from every screen), so its wall shows that alarm without
// a button and the server answers 403; an alarm of its own area keeps its
// button, and the click acknowledges it.
func TestWallAckFollowsTheAccountsArea(t *testing.T) {
	// 17:00 in Shanghai: the daily reports are due at 18:00.
	clock := timer.NewManual(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	b := newBrowser(t, 1920, 1080)
	// A name no account can have (capitals) is, to the person signing in, a
	// wrong username, as an unknown one is (the server answers 400 on it).
	b.loginWith(h.base+"/", "Hubei-Operator", testPassword)
	b.poll(5*time.Second, `document.querySelector('#login-error').textContent.includes('用户名或密码错误')`)
	b.login(h.base+"/", "hubei-operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	id := h.create(map[string]any{"category": "production_safety", "title": "区域告警测试", "grid": "440303001001001", "deaths": 10})["id"].(string)
	serious := `#alarms > li.alarm[data-kind="incident.serious"]`
	b.run(10*time.Second, chromedp.Poll(`!!document.querySelector('`+serious+`')`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	// The page learns the account's area from /me.
	var buttons int
	b.run(5*time.Second, chromedp.WaitReady(`#alarm-panel[data-area="440303001001"]`, chromedp.ByQuery), chromedp.Evaluate(`document.querySelectorAll('`+serious+` button.alarm-ack').length`, &buttons))
	if buttons != 0 {
		t.Errorf("the city's alarm has %d acknowledge buttons on an area's wall", buttons)
	}
	if res, body := h.do("POST", "/api/v1/alarms/"+url.PathEscape("incident.serious:"+id)+"/ack", h.token("hubei-operator"), nil); res.StatusCode != 403 {
		t.Errorf("an area's operator acknowledged the city's alarm: %d %s", res.StatusCode, body)
	}
	// Hubei has not reported by 18:00: its own alarm, with a button that works.
	clock.Advance(61 * time.Minute)
	missing := `#alarms > li.alarm[data-kind="daily_report.missing"][data-alarm-id*="440303001001"] button.alarm-ack`
	b.run(10*time.Second, chromedp.Poll(`!!document.querySelector('`+missing+`')`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		click("#alarm-expand"), chromedp.WaitVisible("#alarm-drawer", chromedp.ByQuery), click(missing))
	b.run(5*time.Second, chromedp.Poll(`!document.querySelector('`+missing+`')`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	b.clean()
}
