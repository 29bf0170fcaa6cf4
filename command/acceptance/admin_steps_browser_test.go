package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Steps of the administration page's browser tests, shared so that each
// test keeps only its own assertions.

// wallWatching opens the wall as a viewer and watches one unit's marker
// (the map's data-watch-unit hook; its position in data-watch-at).
func wallWatching(t *testing.T, h *harness, unit string) *browser {
	t.Helper()
	wall := newBrowser(t, 1920, 1080)
	wall.login(h.base+"/", "viewer")
	wall.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	wall.poll(10*time.Second, `+document.querySelector("#map").dataset.unitsKnown > 0`)
	wall.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map").dataset.watchUnit = "`+unit+`"`, nil))
	return wall
}

// openUnitForm opens the units tab's form for a new unit, its type and
// grid choices loaded.
func (b *browser) openUnitForm() {
	b.t.Helper()
	b.run(5*time.Second, click("#units-new"), chromedp.WaitVisible("#unit-form", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelectorAll('#unit-type option').length > 3 && document.querySelectorAll('#unit-grid option').length > 10`)
}

// submitUnit fills the open unit form (a car of patrol-dongmen in grid
// 440303001001004) and saves it.
func (b *browser) submitUnit(id, callsign, device string) {
	b.t.Helper()
	b.run(5*time.Second,
		typeInto("#unit-id", id),
		typeInto("#unit-callsign", callsign),
		setValue("#unit-type", "car"),
		typeInto("#unit-team", "patrol-dongmen"),
		setValue("#unit-grid", "440303001001004"),
		typeInto("#unit-device", device),
		click("#unit-save"))
}

// createResponder creates a responder account bound to unit on the
// accounts tab and returns its one-time password, read from the dialog
// that shows it once (closed after).
func (b *browser) createResponder(username, name, unit, phone string) string {
	b.t.Helper()
	b.run(5*time.Second, click("#acc-new"), chromedp.WaitVisible("#acc-form", chromedp.ByQuery))
	b.poll(5*time.Second, `[...document.querySelectorAll('#acc-unit option')].some((o) => o.value === '`+unit+`')`)
	b.run(10*time.Second,
		typeInto("#acc-username", username),
		typeInto("#acc-name", name),
		setValue("#acc-role", "responder"),
		setValue("#acc-unit", unit),
		typeInto("#acc-phone", phone),
		click("#acc-save"),
	)
	b.poll(5*time.Second, `document.querySelector('#acc-otp').open && document.querySelector('#acc-otp-value').textContent.length >= 10`)
	var otp string
	b.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#acc-otp-value').textContent`, &otp))
	b.run(5*time.Second, click("#acc-otp-close"))
	return otp
}

// driveTracker sends device's OsmAnd fixes at points (lon, lat), ten
// seconds apart, and waits for the wall to draw the watched unit at each.
func driveTracker(t *testing.T, h *harness, wall *browser, device string, points [][2]float64) {
	t.Helper()
	now := time.Now().Unix()
	for i, p := range points {
		q := fmt.Sprintf("id=%s&lat=%f&lon=%f&timestamp=%d", device, p[1], p[0], now-20+int64(10*i))
		if code, body := h.osmand("GET", q, "", ""); code != 200 {
			t.Fatalf("osmand %d: %d %s", i, code, body)
		}
		wall.poll(5*time.Second, fmt.Sprintf(`(() => { const [x, y] = (document.querySelector("#map").dataset.watchAt || "").split(",").map(Number); return Math.abs(x - %f) < 1e-6 && Math.abs(y - %f) < 1e-6; })()`, p[0], p[1]))
	}
}
