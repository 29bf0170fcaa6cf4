package acceptance_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// reportPhone opens grid-01's phone with its position at lat, lon, ready to
// report a case.
func reportPhone(t *testing.T, h *harness, lat, lon float64) *browser {
	t.Helper()
	phone := newBrowser(t, 412, 915)
	phone.run(10*time.Second,
		cdpbrowser.GrantPermissions([]cdpbrowser.PermissionType{cdpbrowser.PermissionTypeGeolocation}).WithOrigin(h.base).WithBrowserContextID(phone.id),
		emulation.SetGeolocationOverride().WithLatitude(lat).WithLongitude(lon).WithAccuracy(8),
	)
	phone.login(h.base+"/responder.html", "grid-01")
	phone.run(10*time.Second,
		chromedp.WaitVisible("#report-section", chromedp.ByQuery),
		chromedp.WaitReady(`#report-kind option[value="hazard"]`, chromedp.ByQuery),
	)
	return phone
}

// casesTitled counts the cases with title through the API.
func casesTitled(h *harness, title string) int {
	_, b := h.do("GET", "/api/v1/cases", h.token("operator"), nil)
	var l struct{ Cases []struct{ Title string } }
	_ = json.Unmarshal(b, &l)
	n := 0
	for _, c := range l.Cases {
		if c.Title == title {
			n++
		}
	}
	return n
}

// TestPhoneReportFiledOnceAfterUnknownOutcome: the first report's POST is
// stored on the server but its answer is lost (or is a 503, "may
// nevertheless be stored"); the officer relocates (the fix changes) and
// submits again: the server has one case, not two.
func TestPhoneReportFiledOnceAfterUnknownOutcome(t *testing.T) {
	for _, tc := range []struct {
		name     string
		relocate bool
		answer   int // 0: the answer is lost
	}{{"lost", true, 0}, {"503", false, 503}, {"503-relocated", true, 503}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			title := "井盖缺失-" + tc.name
			phone := reportPhone(t, h, 22.55415, 114.10877)
			var mu sync.Mutex
			spoilt := 0
			chromedp.ListenTarget(phone.ctx, func(ev any) {
				e, ok := ev.(*fetch.EventRequestPaused)
				if !ok {
					return
				}
				go func() {
					mu.Lock()
					spoil := e.Request.Method == "POST" && spoilt == 0
					if spoil {
						spoilt++
					}
					mu.Unlock()
					c := phone.target()
					switch {
					case !spoil:
						_ = fetch.ContinueResponse(e.RequestID).Do(c)
					case tc.answer == 0:
						_ = fetch.FailRequest(e.RequestID, network.ErrorReasonConnectionReset).Do(c)
					default:
						_ = fetch.FulfillRequest(e.RequestID, int64(tc.answer)).
							WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/problem+json"}}).
							WithBody("eyJ0aXRsZSI6InVuYXZhaWxhYmxlIn0="). // {"title":"unavailable"}
							Do(c)
					}
				}()
			})
			phone.run(10*time.Second,
				fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/cases", RequestStage: fetch.RequestStageResponse}}),
				setValue("#report-kind", "hazard"),
				typeInto("#report-title", title),
				click("#report-locate"),
				chromedp.WaitVisible(`#report-loc[data-state="ok"]`, chromedp.ByQuery),
				click("#report-submit"),
				chromedp.WaitVisible(`#report-error[data-code]`, chromedp.ByQuery),
			)
			waitFor(t, 5*time.Second, "the first report stored", func() bool { return casesTitled(h, title) == 1 })
			if tc.relocate {
				// Chrome answers from its cached fix for 30 s (the page's
				// maximumAge) whatever the override says: the new fix is
				// handed to the page directly.
				phone.run(10*time.Second,
					emulation.SetGeolocationOverride().WithLatitude(22.55515).WithLongitude(114.10977).WithAccuracy(8),
					chromedp.Evaluate(`navigator.geolocation.getCurrentPosition = (ok) => { window.__moved = true; setTimeout(() => ok({coords: {latitude: 22.55515, longitude: 114.10977, accuracy: 8}, timestamp: Date.now()}), 10); }; true`, nil),
					click("#report-locate"),
				)
				phone.poll(5*time.Second, `window.__moved === true && document.querySelector('#report-loc').dataset.state === 'ok'`)
			}
			phone.run(10*time.Second, click("#report-submit"), chromedp.WaitVisible(`#report-done[data-case-id]`, chromedp.ByQuery))
			time.Sleep(300 * time.Millisecond)
			if n := casesTitled(h, title); n != 1 {
				t.Errorf("the server has %d cases titled %q, want 1", n, title)
			}
			phone.clean()
		})
	}
}

// TestPhoneReportSecondTapKeepsSavedLine: a second tap on 提交 just after
// a quick save, the form empty, is ignored: the saved line stays and no
// "请选择类别" appears.
func TestPhoneReportSecondTapKeepsSavedLine(t *testing.T) {
	h := newHarness(t)
	phone := reportPhone(t, h, 22.55415, 114.10877)
	phone.run(10*time.Second,
		setValue("#report-kind", "hazard"),
		typeInto("#report-title", "路灯损坏"),
		click("#report-locate"),
		chromedp.WaitVisible(`#report-loc[data-state="ok"]`, chromedp.ByQuery),
		click("#report-submit"),
		chromedp.WaitVisible(`#report-done[data-case-id]`, chromedp.ByQuery),
		click("#report-submit"),
	)
	time.Sleep(300 * time.Millisecond)
	var done, errShown bool
	phone.run(2*time.Second,
		chromedp.Evaluate(`!document.querySelector('#report-done').hidden && !!document.querySelector('#report-done').dataset.caseId`, &done),
		chromedp.Evaluate(`!document.querySelector('#report-error').hidden && document.querySelector('#report-error').textContent !== ''`, &errShown))
	if !done || errShown {
		t.Errorf("after a second tap the saved line is shown: %v, an error is shown: %v", done, errShown)
	}
	if n := casesTitled(h, "路灯损坏"); n != 1 {
		t.Errorf("%d cases filed", n)
	}
	phone.clean()
}
