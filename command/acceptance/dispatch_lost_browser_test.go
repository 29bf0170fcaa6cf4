package acceptance_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// The answer to 派警 is lost after the server sent the unit: the operator
// presses again, and the page sends the same request (the same
// Idempotency-Key), which answers the first order instead of refusing the
// unit as busy; one order is made.
func TestConsoleSendUnitsLostAnswerRetried(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	b := newBrowser(t, 1920, 1080)
	lost := b.loseFirstPostAnswer()
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", "派警应答丢失", 4)
	id := saveCall(b, "created")
	b.openOnDesk(id)
	b.run(10*time.Second, chromedp.WaitVisible(`#candidates li.cand[data-unit-id="foot-01"]`, chromedp.ByQuery))
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/dispatches", RequestStage: fetch.RequestStageResponse}}))
	b.run(5*time.Second, click("#cand-foot-01"), click("#send-units"))
	b.poll(5*time.Second, `document.querySelector("#dispatch-error")?.textContent !== ""`)
	if n := lost(); n != 1 {
		t.Fatalf("%d answers dropped, want 1", n)
	}
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
