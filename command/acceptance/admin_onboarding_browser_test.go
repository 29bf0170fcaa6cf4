package acceptance_test

import (
	"testing"
	"time"
)

// Issue 19's whole round, in the browser only, with no restart: an
// administrator creates a unit with a device and a responder account for
// it; the responder signs in on the phone page with the one-time password
// and changes it; the unit's OsmAnd positions move it on the wall screen,
// open all along; the administrator disables the account and the phone
// shows the sign-in form within 1 s.
func TestAdminOnboardsResponderAndUnit(t *testing.T) {
	h := newHarness(t)
	wall := wallWatching(t, h, "car-97")

	// The unit, with its tracker.
	admin := newBrowser(t, 1280, 900)
	admin.login(h.base+"/admin.html", "admin")
	admin.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden`)
	admin.run(5*time.Second, click(`.admin-tab[data-tab="units"]`))
	admin.poll(10*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-01"]') !== null`)
	admin.openUnitForm()
	admin.submitUnit("car-97", "东门巡97", "tracker-97")
	admin.poll(5*time.Second, `document.querySelector('#units-table tr[data-unit-id="car-97"]') !== null && document.querySelector('#unit-form') === null`)

	// The responder's account, bound to the new unit.
	admin.run(5*time.Second, click(`.admin-tab[data-tab="accounts"]`))
	admin.poll(10*time.Second, `!!document.querySelector('#acc-table tr[data-username="admin"]')`)
	otp := admin.createResponder("li-si", "李四", "car-97", "13900139000")
	admin.poll(5*time.Second, `!!document.querySelector('#acc-table tr[data-username="li-si"]')`)

	// The phone: the one-time password, then one of the responder's own.
	phone := newBrowser(t, 400, 800)
	phone.loginWith(h.base+"/responder.html", "li-si", otp)
	phone.poll(5*time.Second, `!!document.querySelector('#password-form') && document.querySelector('#app').hidden`)
	phone.run(5*time.Second,
		typeInto("#new-password", "Patrol97-east"),
		typeInto("#new-password-again", "Patrol97-east"),
		click("#password-submit"),
	)
	phone.poll(10*time.Second, `!document.querySelector('#app').hidden && !document.querySelector('#password-form')`)
	phone.poll(10*time.Second, `document.querySelector('#link-state').classList.contains('up')`)

	// The tracker reports: the wall draws the new unit and moves it.
	driveTracker(t, h, wall, "tracker-97", [][2]float64{{114.1130, 22.5460}, {114.1136, 22.5463}})

	// Disabled: the phone is signed out within a second.
	dis := `#acc-table tr[data-username="li-si"] button[data-action="disable"]`
	admin.run(5*time.Second, click(dis))
	phone.poll(time.Second, `!document.querySelector('#login').hidden && document.querySelector('#app').hidden`)
	admin.clean()
	phone.clean()
	wall.clean()
}
