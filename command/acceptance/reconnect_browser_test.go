package acceptance_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Pages cut off together dial again spread over the backoff delay, not in
// the same instant: each wait is between half the delay and all of it, at
// random (a browser cannot read a refused upgrade's Retry-After).
func TestPagesDialAgainSpreadOut(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	b.run(10*time.Second, chromedp.Navigate(h.base+"/"))
	var got []float64
	expr := `import('/js/live.js').then(m => [m.retryDelay(1000, () => 0), m.retryDelay(1000, () => 0.999999),
		...Array.from({length: 200}, () => m.retryDelay(1000))])`
	b.run(10*time.Second, chromedp.Evaluate(expr, &got, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	if len(got) != 202 || got[0] != 500 || got[1] < 999 || got[1] >= 1000 {
		t.Fatalf("the waits at either end of the random range: %v, want 500 and just under 1000", got[:min(2, len(got))])
	}
	spread := got[2:]
	if lo, hi := slices.Min(spread), slices.Max(spread); lo < 500 || hi >= 1000 || hi-lo < 250 {
		t.Fatalf("200 waits of a 1000 ms delay from %.1f to %.1f ms, want spread over [500, 1000)", lo, hi)
	}
	b.clean()
}
