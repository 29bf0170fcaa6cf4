package acceptance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"watchfloor/config"
)

// The wall's feed folds unit moves into one line per place per minute and
// shows each dispatch step; the sound is on by default and a mute is
// remembered by the screen across a reload.
func TestWallFeedAndSound(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))

	// Three grid officers walk into the Dongmen pedestrian street (a
	// sensitive zone) in the same minute: one line with a count of 3.
	at := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	for _, id := range []string{"grid-01", "grid-02", "grid-03"} {
		if code, out := h.positions(op, map[string]any{"unit_id": id, "lon": 114.10877, "lat": 22.55415, "at": ts(at)}); code != 202 {
			t.Fatalf("%s: %d %+v", id, code, out)
		}
	}
	for _, id := range []string{"grid-01", "grid-02", "grid-03"} {
		if code, out := h.positions(op, map[string]any{"unit_id": id, "lon": 114.1118, "lat": 22.547, "at": ts(at.Add(70 * time.Second))}); code != 202 || out.Moved != 1 {
			t.Fatalf("%s: %d %+v", id, code, out)
		}
	}
	const street = `#activity > li.moves[data-place="dongmen-pedestrian-street"]`
	b.run(3*time.Second, chromedp.Poll(fmt.Sprintf(`(() => { const l = document.querySelectorAll(%q); return l.length === 1 && l[0].dataset.count === "3"; })()`, street), nil, chromedp.WithPollingTimeout(3*time.Second)))

	// A dispatch's steps appear in the feed.
	h.placeNear("car-01")
	inc := h.create(publicOrder("湖贝路打架"))
	res, body := h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body)
	}
	var created struct {
		Dispatches []struct{ ID string } `json:"dispatches"`
	}
	mustJSON(t, body, &created)
	did := created.Dispatches[0].ID
	r := h.responder("car-01", nil)
	r.next(2 * time.Second)
	if ok, data := r.replyTo(map[string]any{"type": "ack", "id": "a", "dispatch_id": did}); !ok {
		t.Fatalf("ack: %v", data)
	}
	for i, st := range []string{"en_route", "on_scene"} {
		if ok, data := r.replyTo(map[string]any{"type": "status", "id": fmt.Sprint("s", i), "dispatch_id": did, "status": st}); !ok {
			t.Fatalf("%s: %v", st, data)
		}
	}
	for _, st := range []string{"acked", "en_route", "on_scene"} {
		sel := fmt.Sprintf(`#activity > li.step[data-status=%q][data-dispatch-id=%q]`, st, did)
		b.run(3*time.Second, chromedp.WaitVisible(sel, chromedp.ByQuery))
	}
	var text string
	b.run(2*time.Second, textOf(`#activity > li.step[data-status="on_scene"]`, &text))
	if want := "湖贝路打架"; !strings.Contains(text, want) {
		t.Errorf("the on-scene line %q does not name the incident %q", text, want)
	}

	// Sound: on by default; muted, it stays muted after a reload.
	var pressed string
	b.run(2*time.Second, chromedp.AttributeValue("#sound-toggle", "aria-pressed", &pressed, nil, chromedp.ByQuery))
	if pressed != "true" {
		t.Errorf("sound toggle aria-pressed=%q by default, want true", pressed)
	}
	b.run(2*time.Second, click("#sound-toggle"),
		chromedp.Poll(`document.querySelector('#sound-toggle').getAttribute('aria-pressed') === 'false'`, nil, chromedp.WithPollingTimeout(2*time.Second)))
	b.run(10*time.Second, chromedp.Reload(), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.run(2*time.Second, chromedp.AttributeValue("#sound-toggle", "aria-pressed", &pressed, nil, chromedp.ByQuery))
	if pressed != "false" {
		t.Errorf("after a reload the muted screen has aria-pressed=%q", pressed)
	}
	b.clean()
}

// Repeated alarms of one kind for one incident (orders that expire one
// after another) are one row with a count in the wall's alarm list, and
// one acknowledgement there acknowledges them all.
func TestWallMergesRepeatedAlarms(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Dispatch.AckTimeout = time.Second
		c.Dispatch.TimerInterval = 50 * time.Millisecond
	})
	h.placeNear("foot-01", "car-01", "moto-01")
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	id := h.create(publicOrder("无人应答"))["id"].(string)
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"foot-01"}}); res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body)
	}
	// foot-01 misses it, then the re-offer to the next unit is missed too.
	const merged = `(() => { const l = document.querySelectorAll('#alarms > li.alarm[data-kind="dispatch.expired"]'); return l.length === 1 && +l[0].dataset.count >= 2; })()`
	b.run(8*time.Second, chromedp.Poll(merged, nil, chromedp.WithPollingTimeout(8*time.Second)))
	var chip string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#alarm-groups > li.alarm-group[data-kind="dispatch.expired"]').dataset.count`, &chip))
	if chip == "" || chip == "1" {
		t.Errorf("the strip counts %q expired orders, want 2 or more", chip)
	}
	// One click acknowledges every alarm the row merges.
	b.run(3*time.Second, click("#alarm-expand"), chromedp.WaitVisible("#alarm-drawer", chromedp.ByQuery))
	var ids string
	b.run(2*time.Second, chromedp.AttributeValue(`#alarms > li.alarm[data-kind="dispatch.expired"] button.alarm-ack`, "data-alarm-id", &ids, nil, chromedp.ByQuery),
		click(`#alarms > li.alarm[data-kind="dispatch.expired"] button.alarm-ack`))
	n := len(strings.Fields(ids))
	waitFor(t, 3*time.Second, "the merged alarms acknowledged", func() bool {
		// The list holds the open alarms only.
		_, body := h.do("GET", "/api/v1/alarms", h.token("viewer"), nil)
		for _, one := range strings.Fields(ids) {
			if strings.Contains(string(body), `"id":"`+one+`"`) {
				return false
			}
		}
		return n >= 2
	})
	b.clean()
}
