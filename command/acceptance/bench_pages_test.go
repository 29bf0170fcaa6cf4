package acceptance_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// BenchmarkPageModulesSlowLink: when the last of a page's modules has
// arrived in headless Chromium on an emulated mobile link (300 ms a round
// trip, 1.5 MB/s down), a fresh browser context each time (nothing
// cached), for the responder's phone page and the console.
func BenchmarkPageModulesSlowLink(b *testing.B) {
	h := newHarness(b)
	for _, page := range []struct{ path, unit string }{{"/responder.html", "ms/responder"}, {"/console.html", "ms/console"}} {
		var total float64
		for range b.N {
			ctx, _, closePage := sharedChromium.page(b, "") // closed each time: the pages of earlier loads must not weigh on the next
			br := &browser{t: b, ctx: ctx}
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(412, 915)); err != nil {
				closePage()
				b.Fatal(err)
			}
			br.run(5*time.Second, network.Enable(), network.EmulateNetworkConditions(false, 300, 1500*1024, 750*1024))
			br.run(60*time.Second, chromedp.Navigate(h.base+page.path))
			var last float64
			br.run(5*time.Second, chromedp.Evaluate(`Math.max(...performance.getEntriesByType('resource').filter(e => e.name.includes('/js/')).map(e => e.responseEnd))`, &last))
			closePage()
			total += last
		}
		b.ReportMetric(total/float64(b.N), page.unit)
	}
}
