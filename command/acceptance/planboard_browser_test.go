package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"watchfloor/config"
)

// TestScreenPlansReadAgainAfterAFailedRead: the wall's first read of the
// plans fails (Redis blinked, say); it reads them again by itself and
// shows the plan, where it used to wait for a snapshot that a resumed
// socket never brings.
func TestScreenPlansReadAgainAfterAFailedRead(t *testing.T) {
	h := newHarness(t)
	a := struct{ ID string }{h.startOnRequest()}
	b := newBrowser(t, 1920, 1080)
	paused := b.paused()
	target := b.target()
	reads := make(chan int, 1)
	go func() {
		n := 0
		for {
			var id fetch.RequestID
			select {
			case <-b.ctx.Done():
				return
			case id = <-paused:
			}
			n++
			var err error
			if n == 1 {
				err = fetch.FailRequest(id, network.ErrorReasonConnectionFailed).Do(target)
			} else {
				err = fetch.ContinueRequest(id).Do(target)
			}
			if err != nil && b.ctx.Err() == nil {
				t.Errorf("answering read %d: %v", n, err)
			}
			select {
			case <-reads:
			default:
			}
			reads <- n
		}
	}()
	b.run(10*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/activations", RequestStage: fetch.RequestStageRequest}}))
	b.login(h.base+"/", "viewer")
	sel := fmt.Sprintf(`#plan-banners .plan-banner[data-activation-id=%q]`, a.ID)
	b.poll(15*time.Second, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	if n := <-reads; n < 2 {
		t.Errorf("the plans were read %d time(s); the banner came without a second read", n)
	}
	b.clean()
}

// TestActivationBookDropsWhatWasDecidedMeanwhile: after a read of the
// proposed and active plans, one the read did not hold goes (it was decided
// while the page was not told), unless an event brought it after the mark
// taken before the read; ended ones stay for the record.
func TestActivationBookDropsWhatWasDecidedMeanwhile(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 800, 600)
	b.run(10*time.Second, chromedp.Navigate(h.base+"/"))
	var left []string
	evalAsync(b, `(async () => {
  const { ActivationBook } = await import('/js/activations.js');
  const book = new ActivationBook();
  const at = '2026-12-06T08:00:00Z';
  book.put({ id: 'decided', status: 'proposed', proposed_at: at });
  book.put({ id: 'listed', status: 'active', proposed_at: at });
  book.put({ id: 'ended', status: 'ended', proposed_at: at });
  const mark = book.mark();
  book.put({ id: 'after', status: 'proposed', proposed_at: at }); // an event after the read was asked for
  book.dropOpen(new Set(['listed']), mark);
  const out = [...book.byId.keys()].sort();
  book.dropOpen(new Set(['listed'])); // a snapshot: every one missing goes
  return out.concat(['|'], [...book.byId.keys()].sort());
})()`, &left)
	if want := "[after ended listed | ended listed]"; fmt.Sprint(left) != want {
		t.Errorf("left %v, want %s", left, want)
	}
	b.clean()
}

// TestScreenPlansForgetWhatWasDecidedMeanwhile: the wall shows a proposal
// it heard of; when it reads the plans again (after a new snapshot) and the
// proposal is not among them, it was decided while the wall was not told,
// and its item goes (it stayed until sign-out).
func TestScreenPlansForgetWhatWasDecidedMeanwhile(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	var shown []bool
	evalAsync(b, `(async () => {
  const pb = await import('/js/planboard.js'); // the page's own module
  const item = () => !!document.querySelector('#proposed li.proposed-item[data-activation-id="ghost"]');
  pb.applyPlan({ type: 'activation.proposed', data: { id: 'ghost', status: 'proposed', plan_id: 'general', level: 'II',
    plan_name: { zh: '综合应急预案', en: 'General' }, proposed_at: new Date().toISOString(), updated_at: new Date().toISOString(), groups: [] } });
  const before = item();
  await pb.loadPlans();
  return [before, item()];
})()`, &shown)
	if fmt.Sprint(shown) != "[true false]" {
		t.Errorf("the proposal decided meanwhile: shown before and after the read %v, want [true false]", shown)
	}
	b.clean()
}

// TestScreenTotalNotTakenDownByAnIncidentClosedBefore: the wall's snapshot
// carries two of three open incidents and counts the third; an update of
// an incident closed before the snapshot, or of one closed since, (a
// deadline marked sent) leaves the open total, where it took one off; one
// closed before and reopened since adds one.
func TestScreenTotalNotTakenDownByAnIncidentClosedBefore(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Streams.SnapshotIncidents = 2 })
	var closedBefore []string
	for _, title := range []string{"早已结案", "结案后重开"} {
		id := h.create(dongmen(title, 40))["id"].(string)
		if res, body := h.do("POST", "/api/v1/incidents/"+id+"/status", h.token("operator"), closing("处置完毕")); res.StatusCode != 200 {
			t.Fatalf("closing: %d %s", res.StatusCode, body)
		}
		closedBefore = append(closedBefore, id)
	}
	closed, reopened := closedBefore[0], closedBefore[1]
	for i := range 3 {
		h.create(publicOrder(fmt.Sprintf("未结%d", i)))
	}
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.poll(10*time.Second, `document.querySelector('#count-total')?.textContent === '共 3 起'`)
	if res, body := h.do("POST", "/api/v1/incidents/"+closed+"/deadlines/report_higher", h.token("operator"), map[string]any{"to": []string{"district_ecc"}}); res.StatusCode != 200 {
		t.Fatalf("marking the deadline sent: %d %s", res.StatusCode, body)
	}
	h.create(publicOrder("之后的警情")) // heard of after the update: four open
	b.poll(10*time.Second, `document.querySelector('#count-total')?.textContent === '共 4 起'`)
	// One the wall shows is closed (three open), then its deadline is
	// marked sent: the total stays three, and a fifth makes it four.
	var shown string
	b.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#incidents li.incident').dataset.id`, &shown))
	if res, body := h.do("POST", "/api/v1/incidents/"+shown+"/status", h.token("operator"), closing("处置完毕")); res.StatusCode != 200 {
		t.Fatalf("closing: %d %s", res.StatusCode, body)
	}
	b.poll(10*time.Second, `document.querySelector('#count-total')?.textContent === '共 3 起'`)
	if res, body := h.do("POST", "/api/v1/incidents/"+shown+"/deadlines/report_higher", h.token("operator"), map[string]any{"to": []string{"district_ecc"}}); res.StatusCode != 200 {
		t.Fatalf("marking the deadline sent: %d %s", res.StatusCode, body)
	}
	h.create(publicOrder("再之后的警情"))
	b.poll(10*time.Second, `document.querySelector('#count-total')?.textContent === '共 4 起'`)
	// Another closed before the snapshot is reopened by a leader (the
	// first the wall hears of it): open again, it adds one.
	if res, body := h.do("POST", "/api/v1/incidents/"+reopened+"/status", h.token("leader"), map[string]any{"status": "open", "reason": "群众再次聚集"}); res.StatusCode != 200 {
		t.Fatalf("reopening: %d %s", res.StatusCode, body)
	}
	b.poll(10*time.Second, `document.querySelector('#count-total')?.textContent === '共 5 起'`)
	b.clean()
}
