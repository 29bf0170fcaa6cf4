package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// skewClock makes the browser's clock run ahead of the real one by d from
// the next page on, as a wall PC or a phone with a wrong clock does.
func skewClock(d time.Duration) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(fmt.Sprintf(`(() => {
			const skew = %d, Real = Date;
			class Skewed extends Real {
				constructor(...a) { if (a.length === 0) super(Real.now() + skew); else super(...a); }
				static now() { return Real.now() + skew; }
			}
			globalThis.Date = Skewed;
		})();`, d.Milliseconds())).Do(ctx)
		return err
	})
}

// A leader's PC and a wall whose clocks run two hours fast still count the
// reporting deadline, the incident's age and the header clock by the
// server's time: the heartbeats and snapshots say what it is.
func TestPagesFollowTheServerClock(t *testing.T) {
	h := newHarness(t)
	inc := h.create(dongmen("商户聚集", 150))

	leader := newBrowser(t, 1280, 900)
	leader.run(5*time.Second, skewClock(2*time.Hour))
	leader.login(h.base+"/leader.html", "leader")
	leader.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	var skewed bool
	leader.run(2*time.Second, chromedp.Evaluate(`Date.now() - performance.timeOrigin - performance.now() > 3600e3`, &skewed))
	if !skewed {
		t.Fatal("the browser's clock was not moved on")
	}
	item := fmt.Sprintf(`#deadlines-list li.deadline-item[data-incident-id=%q]`, inc["id"])
	leader.poll(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.state === 'ok'`, item))
	var left string
	leader.run(2*time.Second, textOf(item+" .deadline-left", &left))
	if !strings.HasPrefix(left, "剩余 5") && !strings.HasPrefix(left, "剩余 1:00") {
		t.Errorf("the one-hour report deadline shows %q, want about an hour left", left)
	}
	// The header clock in the sample city's zone (the page learns it from
	// the configuration), within a minute either side of the server's.
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	var near []string
	for _, d := range []time.Duration{-time.Minute, 0, time.Minute} {
		near = append(near, now.Add(d).Format("15:04"))
	}
	want, _ := json.Marshal(near)
	leader.poll(5*time.Second, fmt.Sprintf(`%s.includes(document.querySelector('#clock-time').textContent.slice(0, 5))`, want))
	leader.clean()

	wall := newBrowser(t, 1920, 1080)
	wall.run(5*time.Second, skewClock(2*time.Hour))
	wall.login(h.base+"/", "viewer")
	wall.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	age := fmt.Sprintf(`li.incident[data-id=%q] .age`, inc["id"])
	wall.poll(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent === '0分'`, age))
	wall.clean()
}

// A PC whose calendar is 45 days behind opens the reports page: the day of
// the bulletin is the server's today, learnt from its answers (the page
// may have no socket up when it fills it).
func TestReportsPageFollowsTheServerDate(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.run(5*time.Second, skewClock(-45*24*time.Hour))
	b.login(h.base+"/analysis.html", "leader")
	b.poll(10*time.Second, `document.querySelector("#analysis").dataset.state === "loaded"`)
	var day string
	b.run(2*time.Second, chromedp.Value("#bulletin-date", &day, chromedp.ByQuery))
	if want := time.Now().In(h.cfg.Location).Format(time.DateOnly); day != want {
		t.Errorf("the bulletin's day is %q, want the server's %s", day, want)
	}
	b.clean()
}
