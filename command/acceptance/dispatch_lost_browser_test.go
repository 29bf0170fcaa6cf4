package acceptance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// sendLosingTheAnswer files a call, opens it on the desk and sends foot-01,
// whose answer is lost after the server made the order: the page says it
// failed.
func sendLosingTheAnswer(t *testing.T, title string) (*harness, *browser, string) {
	t.Helper()
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	b := newBrowser(t, 1920, 1080)
	lost := b.loseFirstPostAnswer()
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", title, 4)
	id := saveCall(b, "created")
	b.openOnDesk(id)
	b.run(10*time.Second, chromedp.WaitVisible(`#candidates li.cand[data-unit-id="foot-01"]`, chromedp.ByQuery))
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/dispatches", RequestStage: fetch.RequestStageResponse}}))
	b.run(5*time.Second, click("#cand-foot-01"), click("#send-units"))
	b.poll(5*time.Second, `document.querySelector("#dispatch-error")?.textContent !== ""`)
	if n := lost(); n != 1 {
		t.Fatalf("%d answers dropped, want 1", n)
	}
	return h, b, id
}

// The answer to 派警 is lost after the server sent the unit: the operator
// presses again, and the page sends the same request (the same
// Idempotency-Key), which answers the first order instead of refusing the
// unit as busy; one order is made.
func TestConsoleSendUnitsLostAnswerRetried(t *testing.T) {
	h, b, id := sendLosingTheAnswer(t, "派警应答丢失")
	b.run(5*time.Second, click("#send-units"))
	b.poll(5*time.Second, `document.querySelector("#dispatch-error")?.textContent === "" && !!document.querySelector('#orders li.order[data-unit-id="foot-01"]')`)
	_, body := h.do("GET", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), nil)
	var got struct {
		Dispatches []struct {
			UnitID string `json:"unit_id"`
		}
	}
	if err := json.Unmarshal(body, &got); err != nil || len(got.Dispatches) != 1 || got.Dispatches[0].UnitID != "foot-01" {
		t.Fatalf("orders after the retry: %s", body)
	}
	b.clean()
}

// The same units sent again long after a lost answer, once the first
// order has ended, are a new request: the page does not keep the key past
// its retry window, and a new order is made (a replay of the ended one
// would send no one while the page says they were sent).
func TestConsoleSendUnitsAgainAfterTheRetryWindow(t *testing.T) {
	h, b, id := sendLosingTheAnswer(t, "派警重发")
	orders := func() []struct{ ID, Status string } {
		_, body := h.do("GET", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), nil)
		var got struct{ Dispatches []struct{ ID, Status string } }
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		return got.Dispatches
	}
	first := orders()
	if len(first) != 1 {
		t.Fatalf("orders after the lost answer: %+v", first)
	}
	if res, body := h.do("POST", "/api/v1/dispatches/"+first[0].ID+"/cancel", h.token("operator"), map[string]string{"reason": "派错"}); res.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	b.poll(5*time.Second, `document.querySelector('#orders li.order[data-unit-id="foot-01"]')?.dataset.status === "cancelled" && !!document.querySelector("#cand-foot-01")`)
	// Two minutes later on the page's clock, the operator sends foot-01 again.
	b.run(2*time.Second, chromedp.Evaluate(`(() => { const real = Date.now; Date.now = () => real() + 120000;
		document.querySelector("#cand-foot-01").checked = true; return true; })()`, nil))
	b.run(5*time.Second, click("#send-units"))
	b.poll(5*time.Second, `document.querySelectorAll('#orders li.order[data-unit-id="foot-01"]').length === 2`)
	if got := orders(); len(got) != 2 {
		t.Fatalf("orders after sending again: %+v", got)
	}
	b.clean()
}

// Within the retry window, the first order has ended (cancelled): the
// repeat does not answer "sent" for an order that sends no one; the page
// says so in the catalogue's words, and the next press sends the unit as a
// new dispatch.
func TestConsoleSendUnitsAgainAfterTheOrderEnded(t *testing.T) {
	h, b, id := sendLosingTheAnswer(t, "派警已取消后重发")
	_, body := h.do("GET", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), nil)
	var first struct{ Dispatches []struct{ ID string } }
	if err := json.Unmarshal(body, &first); err != nil || len(first.Dispatches) != 1 {
		t.Fatalf("orders after the lost answer: %s", body)
	}
	if res, body := h.do("POST", "/api/v1/dispatches/"+first.Dispatches[0].ID+"/cancel", h.token("operator"), map[string]string{"reason": "派错"}); res.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	b.poll(5*time.Second, `document.querySelector('#orders li.order[data-unit-id="foot-01"]')?.dataset.status === "cancelled" && !!document.querySelector("#cand-foot-01")`)
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#cand-foot-01").checked = true`, nil))
	b.run(5*time.Second, click("#send-units"))
	b.poll(5*time.Second, `(document.querySelector("#dispatch-error")?.textContent ?? "").includes("已结束")`)
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#cand-foot-01").checked = true`, nil))
	b.run(5*time.Second, click("#send-units"))
	b.poll(5*time.Second, `document.querySelectorAll('#orders li.order[data-unit-id="foot-01"]').length === 2`)
	b.clean()
}
