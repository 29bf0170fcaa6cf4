package acceptance_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"watchfloor/config"
	"watchfloor/geo/datum"
)

// checkAmapLink checks that a navigate link opens Amap on a route to the
// WGS-84 point (lon, lat) named name, the point given in GCJ-02 as Amap's
// URI API documents, beside the page.
func checkAmapLink(t *testing.T, href, target string, lon, lat float64, name string) {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "https" || u.Host != "uri.amap.com" || u.Path != "/navigation" {
		t.Fatalf("navigation link %q is not Amap's (%v)", href, err)
	}
	q := u.Query()
	to := strings.SplitN(q.Get("to"), ",", 3)
	gLon, gLat := datum.ToGCJ02(lon, lat)
	near := func(s string, v float64) bool {
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && math.Abs(f-v) < 2e-6
	}
	named := len(to) == 3 && to[2] == name || len(to) == 2 && name == ""
	if len(to) < 2 || !near(to[0], gLon) || !near(to[1], gLat) || !named {
		t.Errorf("Amap's to=%q, want %.6f,%.6f (GCJ-02 of %v, %v) named %q", q.Get("to"), gLon, gLat, lon, lat, name)
	}
	if q.Get("coordinate") != "gaode" || q.Get("mode") != "car" || q.Get("callnative") != "1" || target != "_blank" {
		t.Errorf("Amap link %q target %q: want coordinate=gaode, mode=car, callnative=1, beside the page", href, target)
	}
}

// The navigate button gives each map app the datum it documents: Amap the
// point shifted onto GCJ-02 (read as WGS-84 it lands hundreds of metres off
// in a Chinese city), a geo: URI WGS-84. With map.navigation geo a phone's
// task opens a geo: link.
func TestNavigateLinkPerApp(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.Map.Navigation = config.NavGeo })
	b := newBrowser(t, 390, 844)
	b.login(h.base+"/responder.html", "foot-01")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery))

	type link struct {
		App      string
		Lon, Lat float64
		Name     string
	}
	long := strings.Repeat("🚒", 70) // beyond the 60 characters kept, each two UTF-16 units
	cases := []link{
		{"amap", 114.1118, 22.547, "东门步行街, 3号，北门"},
		{"amap", 114.1118, 22.547, ""},
		{"amap", 2.3522, 48.8566, "Paris"}, // outside China: GCJ-02 is WGS-84
		{"amap", 114.1118, 22.547, long},
		{"amap", 114.1118, 22.547, "A&B #3 +1 ?q=x"}, // kept as it is, not read as the link's own
		{"amap", 114.1118, 22.547, "东门<lone>"},       // a lone surrogate (put in by the page): replaced, not thrown on
		{"geo", 114.1118, 22.547, "东门"},
		{"", 114.1118, 22.547, "东门"}, // not configured yet: geo
	}
	in, _ := json.Marshal(cases)
	var got []string
	evalAsync(b, fmt.Sprintf(`(async () => { const n = await import('/js/navlink.js'); return %s.map((c) => n.navHref(c.App, c.Lon, c.Lat, c.Name.replace('<lone>', '\ud800'))); })()`, in), &got)
	wantNames := []string{"东门步行街 3号 北门", "", "Paris", strings.Repeat("🚒", 60), "A&B #3 +1 ?q=x", "东门\ufffd"}
	for i, name := range wantNames {
		checkAmapLink(t, got[i], "_blank", cases[i].Lon, cases[i].Lat, name)
	}
	for i := len(wantNames); i < len(cases); i++ {
		if got[i] != "geo:22.547000,114.111800?q=22.547000,114.111800" {
			t.Errorf("%q: %q, want a WGS-84 geo: URI", cases[i].App, got[i])
		}
	}

	actID := h.approvedMassPlan()
	sel := fmt.Sprintf(`#tasks li.task[data-activation-id=%q] a.task-nav`, actID)
	b.run(10*time.Second, chromedp.WaitVisible(sel, chromedp.ByQuery))
	var nav, target string
	b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getAttribute('href')`, sel), &nav),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).target`, sel), &target))
	if nav != "geo:22.547000,114.111800?q=22.547000,114.111800" || target != "" {
		t.Errorf("with map.navigation geo the task's link is %q (target %q)", nav, target)
	}
}

// Until the phone knows which app the deployment uses it shows no navigate
// button (a guess could send a responder hundreds of metres off); a phone
// that was told before, on a link too poor to fetch the configuration
// again, uses what it was told.
func TestNavigateWaitsForTheConfiguration(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 390, 844)
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			go func() { _ = chromedp.Run(b.ctx, fetch.FailRequest(e.RequestID, network.ErrorReasonConnectionFailed)) }()
		}
	})
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/config"}}))
	b.login(h.base+"/responder.html", "foot-01")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery))
	first := h.approvedMassPlan()
	task := fmt.Sprintf(`#tasks li.task[data-activation-id=%q]`, first)
	b.run(10*time.Second, chromedp.WaitVisible(task+" .task-place-text", chromedp.ByQuery))
	var navs int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll('#tasks a.task-nav').length`, &navs))
	if navs != 0 {
		t.Fatalf("%d navigate buttons before the phone knows the app", navs)
	}
	// Told before (another sign-in on this phone): a task arriving now has
	// the button, as the deployment's app.
	b.run(2*time.Second, chromedp.Evaluate(`localStorage.setItem('wf.navigation', 'amap'), true`, nil))
	second := h.approvedMassPlan()
	b.run(10*time.Second, chromedp.WaitVisible(fmt.Sprintf(`#tasks li.task[data-activation-id=%q] a.task-nav`, second), chromedp.ByQuery))
	var nav string
	b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).getAttribute('href')`, task+" a.task-nav"), &nav))
	checkAmapLink(t, nav, "_blank", 114.1118, 22.547, "商户聚集")
}
