package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An administrator creates a unit with a device on the administration
// page; OsmAnd positions for that device move it on the wall screen that
// was open all along, with no restart; retired, it leaves the wall.
func TestUnitRegistryAdminPageToWall(t *testing.T) {
	h := newHarness(t)
	// The wall is open before the unit exists.
	wall := newBrowser(t, 1920, 1080)
	wall.login(h.base+"/", "viewer")
	wall.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	wall.poll(10*time.Second, `+document.querySelector("#map").dataset.unitsKnown > 0`)
	wall.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map").dataset.watchUnit = "car-96"`, nil))

	admin := newBrowser(t, 1280, 900)
	admin.login(h.base+"/admin.html", "admin")
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden`)
	admin.run(5*time.Second, chromedp.Click(`.admin-tab[data-tab="units"]`, chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelectorAll('#units-table tr[data-unit-id]').length > 10 && document.querySelector('#units-table tr[data-unit-id="car-01"]') !== null`)
	admin.run(5*time.Second, chromedp.Click("#units-new", chromedp.ByQuery), chromedp.WaitVisible("#unit-form", chromedp.ByQuery))
	// Every control of the form has a visible label.
	admin.poll(2*time.Second, `[...document.querySelectorAll('#unit-form input, #unit-form select')].every((c) => { const l = document.querySelector('label[for="' + c.id + '"]'); return l && l.textContent.trim() !== '' && l.offsetParent !== null; })`)
	admin.poll(5*time.Second, `document.querySelectorAll('#unit-type option').length > 3 && document.querySelectorAll('#unit-grid option').length > 10`)
	admin.run(5*time.Second,
		chromedp.SendKeys("#unit-id", "car-01", chromedp.ByQuery),
		chromedp.SendKeys("#unit-callsign", "新建巡96", chromedp.ByQuery),
		chromedp.SetValue("#unit-type", "car", chromedp.ByQuery),
		chromedp.SendKeys("#unit-team", "patrol-dongmen", chromedp.ByQuery),
		chromedp.SetValue("#unit-grid", "440303001001004", chromedp.ByQuery),
		chromedp.SendKeys("#unit-device", "dev-96", chromedp.ByQuery),
		chromedp.Click("#unit-save", chromedp.ByQuery))
	// A taken id is refused, the field named by its label, the input kept.
	admin.poll(5*time.Second, `document.querySelector('#units-error li') !== null && document.querySelector('#units-error li').textContent.startsWith('力量编号') && document.querySelector('#unit-device').value === 'dev-96' && document.querySelector('#unit-grid').value === '440303001001004'`)
	admin.run(5*time.Second, chromedp.SetValue("#unit-id", "car-96", chromedp.ByQuery), chromedp.Click("#unit-save", chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"]') !== null && document.querySelector('#units-error').textContent === '' && document.querySelector('#units-note').textContent.includes('car-96') && document.querySelector('#unit-form') === null`)

	// The device reports; the wall draws the unit where it is, then moves it.
	at := func(lon, lat float64) string {
		return fmt.Sprintf(`(() => { const [x, y] = (document.querySelector("#map").dataset.watchAt || "").split(",").map(Number); return Math.abs(x - %f) < 1e-6 && Math.abs(y - %f) < 1e-6; })()`, lon, lat)
	}
	now := time.Now().Unix()
	for i, p := range [][2]float64{{114.1120, 22.5470}, {114.1125, 22.5472}} {
		q := fmt.Sprintf("id=dev-96&lat=%f&lon=%f&timestamp=%d", p[1], p[0], now-20+int64(10*i))
		if code, body := h.osmand("GET", q, "", ""); code != 200 {
			t.Fatalf("osmand %d: %d %s", i, code, body)
		}
		wall.poll(5*time.Second, at(p[0], p[1]))
	}

	// Retired on the admin page (after a confirmation), it leaves the wall.
	admin.run(5*time.Second, chromedp.Click(`#units-table tr[data-unit-id="car-96"] .unit-retire`, chromedp.ByQuery),
		chromedp.WaitVisible(`#units-table tr[data-unit-id="car-96"] .unit-retire-confirm`, chromedp.ByQuery),
		chromedp.Click(`#units-table tr[data-unit-id="car-96"] .unit-retire-confirm`, chromedp.ByQuery))
	wall.poll(5*time.Second, `document.querySelector("#map").dataset.watchAt === ""`)
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"]') === null && document.querySelector('#units-note').textContent.includes('car-96')`)
	admin.run(5*time.Second, chromedp.Click("#units-show-retired", chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"][data-retired="1"] .unit-restore') !== null`)
	// The tab follows the English switch: its title, headings and buttons.
	admin.run(5*time.Second, chromedp.Click("#lang-toggle", chromedp.ByQuery))
	admin.poll(5*time.Second, `document.querySelector('.admin-units-title').textContent === 'Units and devices' && [...document.querySelectorAll('#tab-units th, #tab-units button, #tab-units label')].every((e) => !/[\u4e00-\u9fff]/.test(e.textContent))`)
	admin.clean()
	wall.clean()
}
