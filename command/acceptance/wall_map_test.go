package acceptance_test

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
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

// unitFrames is evaluated in a page: a map of the wall's size with 10,000
// units, moved in frames of every unit as the stream sends them, at city
// zoom (clustered) and at street zoom (canvas markers). It returns the
// milliseconds one frame takes, move and draw, at each zoom.
const unitFrames = `(async () => {
  const { UnitLayer } = await import('/js/units.js');
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;left:0;top:0;width:1400px;height:800px';
  document.body.append(box);
  const map = L.map(box, { preferCanvas: true, renderer: L.canvas({ padding: 0.5 }), zoomControl: false, attributionControl: false });
  const layer = new UnitLayer(L, map, {});
  const n = 10000;
  const list = (step) => Array.from({ length: n }, (_, i) => ({
    id: 'u' + i, status: i % 5 === 0 ? 'en_route' : 'available',
    position: { lon: 114.05 + (i % 100) * 0.0015 + step * 0.00001, lat: 22.50 + Math.floor(i / 100) * 0.0009, at: new Date(Date.now() + step * 250).toISOString() },
  }));
  layer.replace(Array.from({ length: n }, (_, i) => ({ id: 'u' + i, callsign: '车' + i, type: 'car', status: 'available' })));
  const frame = async (zoom) => {
    map.setView([22.545, 114.125], zoom, { animate: false });
    layer.recluster();
    const frames = 8;
    const data = Array.from({ length: frames }, (_, s) => list(zoom * 100 + s + 1)); // as decoded from the socket
    const t0 = performance.now();
    for (let s = 0; s < frames; s++) {
      layer.move(data[s]);
      layer.recluster();
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return (performance.now() - t0) / frames;
  };
  const city = await frame(12);
  const street = await frame(17);
  return [city, street];
})()`

// BenchmarkWallUnitFrames measures one frame of 10,000 moving units on the
// wall's map (move, cluster or draw, paint) at city and at street zoom.
// Four frames a second leave 250 ms each.
func BenchmarkWallUnitFrames(b *testing.B) {
	h := newHarness(b)
	br := newBrowser(b, 1920, 1080)
	br.run(10*time.Second, chromedp.Navigate(h.base+"/"), chromedp.WaitVisible("#username", chromedp.ByQuery))
	var city, street float64
	for range b.N {
		var ms []float64
		br.run(120*time.Second, chromedp.Evaluate(unitFrames, &ms, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
		city, street = ms[0], ms[1]
	}
	b.ReportMetric(city, "ms/frame-city")
	b.ReportMetric(street, "ms/frame-street")
}
