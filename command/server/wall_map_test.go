package server_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// On the wall's map a unit with an order has a line to its incident; at
// city zoom the units are drawn as clusters with counts, at street zoom as
// themselves again.
func TestWallMapUnits(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.placeNear("car-01", "car-02", "foot-01", "moto-01")
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.Poll(`+document.querySelector("#map").dataset.unitsDrawn >= 4`, nil, chromedp.WithPollingTimeout(5*time.Second)))

	inc := h.create(publicOrder("湖贝路打架斗殴"))
	if res, body := h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}}); res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body)
	}
	b.run(3*time.Second, chromedp.Poll(`+document.querySelector("#map").dataset.orderLines === 1`, nil, chromedp.WithPollingTimeout(3*time.Second)))

	// City zoom: clusters with counts that add up to the units placed.
	// (Zoom clicks during Leaflet's zoom animation are dropped: click, then
	// wait for the zoom to settle.)
	const sum = `[...document.querySelectorAll("#map .unit-cluster")].reduce((n, e) => n + +e.dataset.count, 0)`
	clustered := false
	for range 6 {
		b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map .leaflet-control-zoom-out").click()`, nil))
		var ok bool
		deadline := time.Now().Add(time.Second)
		for !ok && time.Now().Before(deadline) {
			b.run(2*time.Second, chromedp.Evaluate(`+document.querySelector("#map").dataset.unitClusters > 0 && `+sum+` >= 4`, &ok))
		}
		if ok {
			clustered = true
			break
		}
	}
	if !clustered {
		t.Fatal("no clusters with the 4 units at city zoom")
	}

	// Street zoom: the units themselves, no clusters.
	unclustered := false
	for range 8 {
		b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map .leaflet-control-zoom-in").click()`, nil))
		deadline := time.Now().Add(time.Second)
		for !unclustered && time.Now().Before(deadline) {
			b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#map").dataset.unitClusters === "0" && document.querySelectorAll("#map .unit-cluster").length === 0`, &unclustered))
		}
		if unclustered {
			break
		}
	}
	if !unclustered {
		t.Fatal("clusters stay at street zoom")
	}
	b.clean()
	b.screenshot("street-zoom")
}
