package acceptance_test

import (
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
	wall := wallWatching(t, h, "car-96")

	admin := newBrowser(t, 1280, 900)
	admin.login(h.base+"/admin.html", "admin")
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden`)
	admin.run(5*time.Second, click(`.admin-tab[data-tab="units"]`))
	admin.poll(5*time.Second, `document.querySelectorAll('#units-table tr[data-unit-id]').length > 10 && document.querySelector('#units-table tr[data-unit-id="car-01"]') !== null`)
	admin.openUnitForm()
	// Every control of the form has a visible label.
	admin.poll(2*time.Second, `[...document.querySelectorAll('#unit-form input, #unit-form select')].every((c) => { const l = document.querySelector('label[for="' + c.id + '"]'); return l && l.textContent.trim() !== '' && l.offsetParent !== null; })`)
	admin.submitUnit("car-01", "新建巡96", "dev-96")
	// A taken id is refused, the field named by its label, the input kept.
	admin.poll(5*time.Second, `document.querySelector('#units-error li') !== null && document.querySelector('#units-error li').textContent.startsWith('力量编号') && document.querySelector('#unit-device').value === 'dev-96' && document.querySelector('#unit-grid').value === '440303001001004'`)
	admin.run(5*time.Second, setValue("#unit-id", "car-96"), click("#unit-save"))
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"]') !== null && document.querySelector('#units-error').textContent === '' && document.querySelector('#units-note').textContent.includes('car-96') && document.querySelector('#unit-form') === null`)

	// The device reports; the wall draws the unit where it is, then moves it.
	driveTracker(t, h, wall, "dev-96", [][2]float64{{114.1120, 22.5470}, {114.1125, 22.5472}})

	// Retired on the admin page (after a confirmation), it leaves the wall.
	admin.run(5*time.Second, click(`#units-table tr[data-unit-id="car-96"] .unit-retire`),
		chromedp.WaitVisible(`#units-table tr[data-unit-id="car-96"] .unit-retire-confirm`, chromedp.ByQuery),
		click(`#units-table tr[data-unit-id="car-96"] .unit-retire-confirm`))
	wall.poll(5*time.Second, `document.querySelector("#map").dataset.watchAt === ""`)
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"]') === null && document.querySelector('#units-note').textContent.includes('car-96')`)
	admin.run(5*time.Second, click("#units-show-retired"))
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-96"][data-retired="1"] .unit-restore') !== null`)
	// The tab follows the English switch: its title, headings and buttons.
	admin.run(5*time.Second, click("#lang-toggle"))
	admin.poll(5*time.Second, `document.querySelector('.admin-units-title').textContent === 'Units and devices' && [...document.querySelectorAll('#tab-units th, #tab-units button, #tab-units label')].every((e) => !/[\u4e00-\u9fff]/.test(e.textContent))`)
	admin.clean()
	wall.clean()
}
