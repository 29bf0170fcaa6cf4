package acceptance_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// socketTamper wraps the page's WebSocket from the next page on: with
// window.__dropReply set, the first reply to an order step is dropped and
// the socket closed (the answer is lost in a tunnel, the step stored); with
// window.__dropUpdates set, dispatch.updated messages are dropped (the
// phone has not heard of a change yet).
func socketTamper() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`(() => {
			const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
			Object.defineProperty(WebSocket.prototype, 'onmessage', {
				configurable: true,
				get() { return d.get.call(this); },
				set(fn) {
					const ws = this;
					d.set.call(this, typeof fn !== 'function' ? fn : function (ev) {
						let m = null;
						try { m = JSON.parse(ev.data); } catch {}
						if (m && window.__dropReply && m.type === 'reply' && m.data && m.data.request !== 'position') {
							window.__dropReply = false;
							window.__dropped = (window.__dropped || 0) + 1;
							ws.close();
							return;
						}
						if (m && window.__dropUpdates && m.type === 'dispatch.updated') return;
						return fn.call(this, ev);
					});
				},
			});
		})();`).Do(ctx)
		return err
	})
}

// phoneWithOffer sends foot-01 an order through the API and opens its phone
// (tampered with as socketTamper says) showing it offered; it returns the
// phone and the order's id.
func phoneWithOffer(t *testing.T, h *harness, title string) (*browser, string) {
	t.Helper()
	h.placeNear("foot-01")
	inc := h.create(publicOrder(title))["id"].(string)
	res, body := h.do("POST", "/api/v1/incidents/"+inc+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"foot-01"}})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body)
	}
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, body, &created)
	r := newBrowser(t, 412, 915)
	r.run(5*time.Second, socketTamper())
	r.login(h.base+"/responder.html", "foot-01")
	r.run(10*time.Second, chromedp.WaitVisible(`#link-state.up`, chromedp.ByQuery),
		chromedp.WaitVisible(`#order[data-state="offered"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#action-btn[data-step="ack"]:not([data-settling])`, chromedp.ByQuery))
	return r, created.Dispatches[0].ID
}

// orderStatus is the order's status as the server has it.
func orderStatus(t *testing.T, h *harness, id string) string {
	t.Helper()
	res, body := h.do("GET", "/api/v1/dispatches/"+id, h.token("operator"), nil)
	if res.StatusCode != 200 {
		t.Fatalf("order %s: %d %s", id, res.StatusCode, body)
	}
	var d struct{ Status string }
	mustJSON(t, body, &d)
	return d.Status
}

// TestPhoneStepRecordedDespiteLostReply: the responder taps 确认接单 in a
// tunnel; the server stores it but the socket drops before the reply. Once
// the link is back, the replay shows the order acked: the phone no longer
// says "please retry" above a button that now offers 出发.
func TestPhoneStepRecordedDespiteLostReply(t *testing.T) {
	h := newHarness(t)
	r, id := phoneWithOffer(t, h, "隧道中接单")
	r.run(5*time.Second, chromedp.Evaluate(`window.__dropReply = true`, nil), click("#action-btn"))
	r.poll(5*time.Second, `window.__dropped === 1`)
	r.run(15*time.Second,
		chromedp.WaitVisible(`#order[data-state="acked"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#link-state.up`, chromedp.ByQuery))
	if got := orderStatus(t, h, id); got != "acked" {
		t.Fatalf("the server has the order %s, want acked", got)
	}
	// After the step was recorded, no "please retry" above 出发.
	r.poll(2*time.Second, `document.querySelector('#action-error').hidden`)
	r.clean()
}

// TestPhoneDoubleTapTakesOneStep: two taps on the big button 150 ms apart,
// the answer to the first arriving between them, take one step only.
func TestPhoneDoubleTapTakesOneStep(t *testing.T) {
	h := newHarness(t)
	r, id := phoneWithOffer(t, h, "双击接单")
	r.run(5*time.Second, click("#action-btn"), chromedp.Sleep(150*time.Millisecond), click("#action-btn"))
	r.poll(10*time.Second, `document.querySelector('#order').dataset.state !== 'offered'`)
	time.Sleep(time.Second)
	if got := orderStatus(t, h, id); got != "acked" {
		t.Errorf("after a double tap on 确认接单 the order is %s, want acked", got)
	}
	r.clean()
}

// TestPhoneRefusedStepInChinese: the order was cancelled before the phone
// heard of it; the refused step is told in the catalogue's Chinese only,
// without the server's English message.
func TestPhoneRefusedStepInChinese(t *testing.T) {
	h := newHarness(t)
	r, id := phoneWithOffer(t, h, "已取消的指令")
	r.run(5*time.Second, chromedp.Evaluate(`window.__dropUpdates = true;
		window.__errTexts = [];
		new MutationObserver(() => {
			const e = document.querySelector('#action-error');
			if (!e.hidden && e.textContent) window.__errTexts.push(e.textContent);
		}).observe(document.querySelector('#action-error'), {childList: true, subtree: true, characterData: true, attributes: true});
		true`, nil))
	if res, body := h.do("POST", "/api/v1/dispatches/"+id+"/cancel", h.token("operator"), map[string]any{"reason": "派错"}); res.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", res.StatusCode, body)
	}
	r.run(5*time.Second, click("#action-btn"))
	r.poll(5*time.Second, `window.__errTexts.length > 0`)
	var texts []string
	r.run(2*time.Second, chromedp.Evaluate(`window.__errTexts`, &texts))
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, s := range texts {
		if latin.MatchString(s) {
			t.Errorf("the zh phone shows English in the step's error: %q", s)
		}
	}
	if fmt.Sprint(texts) == "[]" {
		t.Error("no error shown")
	}
	r.clean()
}
