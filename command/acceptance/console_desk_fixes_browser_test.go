package acceptance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestConsoleDeskDoesNotCarryTypingToAnotherIncident: the operator types a
// follow-up description and ticks a candidate on incident A, then opens B:
// B's forms are empty (the fields have the same ids for every incident, and
// a redraw put A's typing into B's forms, one press from sending it there).
func TestConsoleDeskDoesNotCarryTypingToAnotherIncident(t *testing.T) {
	h := newHarness(t)
	h.placeNear("car-01", "foot-01")
	a := h.create(publicOrder("甲处打架"))["id"].(string)
	bID := h.create(publicOrder("乙处打架"))["id"].(string)
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	b.openOnDesk(a)
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #followup-form') !== null`, a))
	b.run(10*time.Second,
		chromedp.WaitVisible(`#candidates li.cand[data-unit-id="car-01"]`, chromedp.ByQuery),
		typeInto("#fu-description", "甲处现场又有人员聚集"),
		click("#cand-car-01"),
	)
	b.poll(2*time.Second, `document.querySelector("#cand-car-01").checked`)
	b.run(10*time.Second, click(fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, bID)))
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #followup-form') !== null && document.querySelector('#candidates li.cand') !== null`, bID))
	var desc string
	var ticked int
	b.run(2*time.Second,
		chromedp.Evaluate(`document.querySelector("#fu-description").value`, &desc),
		chromedp.Evaluate(`document.querySelectorAll("#candidates input:checked").length`, &ticked))
	if desc != "" {
		t.Errorf("incident B's follow-up description holds %q, typed for A", desc)
	}
	if ticked != 0 {
		t.Errorf("incident B has %d candidates ticked, ticked for A", ticked)
	}
	// Back to A: its page draws (what was typed there may or may not stay).
	b.run(10*time.Second, click(fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, a)))
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #followup-form') !== null`, a))
	b.clean()
}

// TestConsoleSecondEnterAfterSaveSendsNothing: a second Enter just after a
// call is saved finds the form emptied: it sends nothing, marks no field
// and the saved line stays.
func TestConsoleSecondEnterAfterSaveSendsNothing(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", "两次回车", 2)
	b.run(10*time.Second, chromedp.Focus("#call-title", chromedp.ByQuery), chromedp.KeyEvent(kb.Enter))
	b.poll(5*time.Second, `document.querySelector("#call-status").dataset.result === "created"`)
	time.Sleep(150 * time.Millisecond)
	b.run(5*time.Second, chromedp.Focus("#call-title", chromedp.ByQuery), chromedp.KeyEvent(kb.Enter))
	time.Sleep(time.Second)
	var result string
	var invalid int
	b.run(2*time.Second,
		chromedp.Evaluate(`document.querySelector("#call-status").dataset.result ?? ""`, &result),
		chromedp.Evaluate(`document.querySelectorAll('#call-form [aria-invalid="true"], #call-form .fld.invalid, #call-form .field-error:not([hidden]):not(:empty)').length`, &invalid))
	if result != "created" {
		t.Errorf("#call-status data-result %q after a second Enter, want created", result)
	}
	if invalid != 0 {
		t.Errorf("%d fields marked wrong after a second Enter on the emptied form", invalid)
	}
	b.clean()
}

// TestConsoleDeskKeepsFocusOnRedrawnItem: a keyboard user on an incident
// of the desk's list keeps the focus there when another incident arrives
// and the list is drawn anew.
func TestConsoleDeskKeepsFocusOnRedrawnItem(t *testing.T) {
	h := newHarness(t)
	a := h.create(publicOrder("焦点所在"))["id"].(string)
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, a)
	b.run(10*time.Second, click("#tab-desk"), chromedp.WaitVisible(item, chromedp.ByQuery), chromedp.Focus(item, chromedp.ByQuery))
	b.poll(2*time.Second, fmt.Sprintf(`document.activeElement?.dataset?.id === %q`, a))
	other := h.create(publicOrder("又来一起"))["id"].(string)
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#incident-list li.desk-item[data-id=%q]') !== null`, other))
	var focused string
	b.run(2*time.Second, chromedp.Evaluate(`document.activeElement?.dataset?.id ?? document.activeElement?.tagName ?? ""`, &focused))
	if focused != a {
		t.Errorf("focus on %q after the list was redrawn, want the item %s", focused, a)
	}
	b.clean()
}

// TestConsoleDeskWrapsLongUnbrokenText: a title of 200 Latin letters with
// no space wraps in the list and the facts instead of stretching the desk.
func TestConsoleDeskWrapsLongUnbrokenText(t *testing.T) {
	h := newHarness(t)
	body := publicOrder(strings.Repeat("A", 200))
	body["description"] = strings.Repeat("b", 300)
	id := h.create(body)["id"].(string)
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	b.openOnDesk(id)
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] .facts') !== null`, id))
	var over []string
	b.run(2*time.Second, chromedp.Evaluate(`["#incident-list", "#detail .facts", "#detail .detail-title", "#detail"].filter(s => { const e = document.querySelector(s); return e && e.scrollWidth > e.clientWidth + 1; })`, &over))
	if len(over) != 0 {
		t.Errorf("stretched by long unbroken text: %q", over)
	}
	b.clean()
}
