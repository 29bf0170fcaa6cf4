package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Issue 19's whole round, in the browser only, with no restart: an
// administrator creates a unit with a device and a responder account for
// it; the responder signs in on the phone page with the one-time password
// and changes it; the unit's OsmAnd positions move it on the wall screen,
// open all along; the administrator disables the account and the phone
// shows the sign-in form within 1 s.
func TestAdminOnboardsResponderAndUnit(t *testing.T) {
	h := newHarness(t)
	wall := newBrowser(t, 1920, 1080)
	wall.login(h.base+"/", "viewer")
	wall.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	wall.poll(10*time.Second, `+document.querySelector("#map").dataset.unitsKnown > 0`)
	wall.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map").dataset.watchUnit = "car-97"`, nil))

	// The unit, with its tracker.
	admin := newBrowser(t, 1280, 900)
	admin.login(h.base+"/admin.html", "admin")
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden`)
	admin.run(5*time.Second, chromedp.Click(`.admin-tab[data-tab="units"]`, chromedp.ByQuery))
	admin.poll(10*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-01"]') !== null`)
	admin.run(5*time.Second, chromedp.Click("#units-new", chromedp.ByQuery), chromedp.WaitVisible("#unit-form", chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelectorAll('#unit-type option').length > 3 && document.querySelectorAll('#unit-grid option').length > 10`)
	admin.run(5*time.Second,
		chromedp.SendKeys("#unit-id", "car-97", chromedp.ByQuery),
		chromedp.SendKeys("#unit-callsign", "东门巡97", chromedp.ByQuery),
		chromedp.SetValue("#unit-type", "car", chromedp.ByQuery),
		chromedp.SendKeys("#unit-team", "patrol-dongmen", chromedp.ByQuery),
		chromedp.SetValue("#unit-grid", "440303001001004", chromedp.ByQuery),
		chromedp.SendKeys("#unit-device", "tracker-97", chromedp.ByQuery),
		chromedp.Click("#unit-save", chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-97"]') !== null && document.querySelector('#unit-form') === null`)

	// The responder's account, bound to the new unit.
	admin.run(5*time.Second, chromedp.Click(`.admin-tab[data-tab="accounts"]`, chromedp.ByQuery))
	admin.poll(10*time.Second, `!!document.querySelector('#acc-table tr[data-username="admin"]')`)
	admin.run(5*time.Second, chromedp.Click("#acc-new", chromedp.ByQuery), chromedp.WaitVisible("#acc-form", chromedp.ByQuery))
	admin.poll(5*time.Second, `[...document.querySelectorAll('#acc-unit option')].some((o) => o.value === 'car-97')`)
	admin.run(10*time.Second,
		chromedp.SendKeys("#acc-username", "li-si", chromedp.ByQuery),
		chromedp.SendKeys("#acc-name", "李四", chromedp.ByQuery),
		chromedp.SetValue("#acc-role", "responder", chromedp.ByQuery),
		chromedp.SetValue("#acc-unit", "car-97", chromedp.ByQuery),
		chromedp.SendKeys("#acc-phone", "13900139000", chromedp.ByQuery),
		chromedp.Click("#acc-save", chromedp.ByQuery),
	)
	admin.poll(5*time.Second, `document.querySelector('#acc-otp').open && document.querySelector('#acc-otp-value').textContent.length >= 10`)
	var otp string
	admin.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#acc-otp-value').textContent`, &otp))
	admin.run(5*time.Second, chromedp.Click("#acc-otp-close", chromedp.ByQuery))
	admin.poll(5*time.Second, `!!document.querySelector('#acc-table tr[data-username="li-si"]')`)

	// The phone: the one-time password, then one of the responder's own.
	phone := newBrowser(t, 400, 800)
	phone.run(10*time.Second,
		chromedp.Navigate(h.base+"/responder.html"),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.SendKeys("#username", "li-si", chromedp.ByQuery),
		chromedp.SendKeys("#password", otp, chromedp.ByQuery),
		chromedp.Click("#login-submit", chromedp.ByQuery),
	)
	phone.poll(5*time.Second, `!!document.querySelector('#password-form') && document.querySelector('#app').hidden`)
	phone.run(5*time.Second,
		chromedp.SendKeys("#new-password", "Patrol97-east", chromedp.ByQuery),
		chromedp.SendKeys("#new-password-again", "Patrol97-east", chromedp.ByQuery),
		chromedp.Click("#password-submit", chromedp.ByQuery),
	)
	phone.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#password-form')`)
	phone.poll(10*time.Second, `document.querySelector('#link-state').classList.contains('up')`)

	// The tracker reports: the wall draws the new unit and moves it.
	at := func(lon, lat float64) string {
		return fmt.Sprintf(`(() => { const [x, y] = (document.querySelector("#map").dataset.watchAt || "").split(",").map(Number); return Math.abs(x - %f) < 1e-6 && Math.abs(y - %f) < 1e-6; })()`, lon, lat)
	}
	now := time.Now().Unix()
	for i, p := range [][2]float64{{114.1130, 22.5460}, {114.1136, 22.5463}} {
		q := fmt.Sprintf("id=tracker-97&lat=%f&lon=%f&timestamp=%d", p[1], p[0], now-20+int64(10*i))
		if code, body := h.osmand("GET", q, "", ""); code != 200 {
			t.Fatalf("osmand %d: %d %s", i, code, body)
		}
		wall.poll(5*time.Second, at(p[0], p[1]))
	}

	// Disabled: the phone is signed out within a second.
	dis := `#acc-table tr[data-username="li-si"] button[data-action="disable"]`
	admin.run(5*time.Second, chromedp.Click(dis, chromedp.ByQuery))
	phone.poll(time.Second, `!document.querySelector('#login').hidden && document.querySelector('#app').hidden`)
	admin.clean()
	phone.clean()
	wall.clean()
}
