package acceptance_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestWarningEditedAfterALostAnswer: a warning is issued but its answer is
// lost; the operator changes its colour and presses again. Nothing is
// issued twice, and the form says which warning the first press issued
// (yellow) and that the edit was not, keeping the edited form, instead of
// "already used, reload" or a second warning.
func TestWarningEditedAfterALostAnswer(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1600, 1000)
	b.loseFirstPostAnswer()
	b.login(h.base+"/console.html", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		click("#tab-warnings"),
		chromedp.WaitVisible("#warn-form", chromedp.ByQuery),
		chromedp.WaitVisible(`#warn-streets input[value="440303002"]`, chromedp.ByQuery))
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/warnings", RequestStage: fetch.RequestStageResponse}}))
	b.run(5*time.Second, setValue("#warn-type", "rainstorm"), setValue("#warn-colour", "yellow"),
		typeInto("#warn-title", "南湖街道暴雨黄色预警"),
		typeInto("#warn-text", "预计未来3小时南湖街道有强降雨，请做好防御。"),
		typeInto("#warn-source", "深圳市气象台"),
		click(`#warn-streets input[value="440303002"]`),
		click("#warn-issue"))
	b.waitFor(5*time.Second, `document.querySelector('#warn-status').dataset.result === 'failed'`)
	b.run(5*time.Second, setValue("#warn-colour", "red"), click("#warn-issue"))
	b.waitFor(5*time.Second, `document.querySelector('#warn-status').dataset.result === 'issued-earlier'`)
	status := b.text(`document.querySelector('#warn-status').textContent`)
	colour := b.text(`document.querySelector('#warn-colour').value`)
	var ws struct {
		Warnings []struct{ ID, Colour string }
	}
	_, body := h.do("GET", "/api/v1/warnings", h.token("operator"), nil)
	mustJSON(t, body, &ws)
	if len(ws.Warnings) != 1 || ws.Warnings[0].Colour != "yellow" {
		t.Fatalf("warnings issued: %+v, want one yellow", ws.Warnings)
	}
	if id := b.text(`document.querySelector('#warn-status').dataset.id`); id != ws.Warnings[0].ID || colour != "red" {
		t.Errorf("the form says %q (id %s), keeps the colour %q; want the yellow %s named, red kept", status, id, colour, ws.Warnings[0].ID)
	}
	b.clean()
}
