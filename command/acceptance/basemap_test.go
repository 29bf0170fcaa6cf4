package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"watchfloor/config"
	"watchfloor/geo/datum"
	"watchfloor/geo/tiles"
)

// sampleArchive builds the sample city's schematic base map into a temp dir,
// as make run does into var/.
func sampleArchive(t *testing.T) string {
	t.Helper()
	dir := "../../config/sample/basemap/"
	layers, err := tiles.ParseLayerArgs([]string{"roads=" + dir + "roads.geojson", "buildings=" + dir + "buildings.geojson",
		"water=" + dir + "water.geojson", "pois=" + dir + "landmarks.geojson"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "basemap.pmtiles")
	if _, err := tiles.WriteArchive(context.Background(), path, layers, tiles.Options{MinZoom: 10, MaxZoom: 17}, tiles.Meta{Name: "sample"}); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverOnly lets the page reach the server alone: every other request fails
// and is recorded, so an offline page that needs nothing external proves it.
func serverOnly(t *testing.T, b *browser, base string) func() []string {
	var mu sync.Mutex
	var blocked []string
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			go func() {
				if strings.HasPrefix(e.Request.URL, base+"/") || strings.HasPrefix(e.Request.URL, "data:") {
					_ = chromedp.Run(b.ctx, fetch.ContinueRequest(e.RequestID))
					return
				}
				mu.Lock()
				blocked = append(blocked, e.Request.URL)
				mu.Unlock()
				_ = chromedp.Run(b.ctx, fetch.FailRequest(e.RequestID, network.ErrorReasonBlockedByClient))
			}()
		}
	})
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*"}}))
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), blocked...)
	}
}

// evalAsync evaluates an async expression and decodes its result.
func evalAsync(b *browser, expr string, out any) {
	b.t.Helper()
	b.run(10*time.Second, chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
}

// markerPixels is the JS that finds an incident marker's centre on screen,
// where the plain Web Mercator projection would put [lon, lat], and the map's zoom.
const markerPixels = `(async (id, lon, lat) => {
  const m = (await import('/js/basemap.js')).mapOf('map');
  const el = document.querySelector('.incident-marker[data-incident-id="' + id + '"]');
  const box = document.querySelector('#map').getBoundingClientRect();
  const r = el.getBoundingClientRect();
  const merc = L.CRS.EPSG3857.latLngToPoint(L.latLng(lat, lon), m.getZoom()).subtract(m.getPixelOrigin());
  const c = m.layerPointToContainerPoint(merc);
  return { marker: [r.left + r.width / 2, r.top + r.height / 2], at: [box.left + c.x, box.top + c.y], zoom: m.getZoom(), box: [box.left, box.top] };
})`

type pixels struct {
	Marker [2]float64 `json:"marker"`
	At     [2]float64 `json:"at"`
	Zoom   float64    `json:"zoom"`
	Box    [2]float64 `json:"box"`
}

// corner is a street corner of the sample city: 深南东路 × 人民南路.
var corner = [2]float64{114.11795, 22.54395}

func TestBaseMapDrawsOfflineStreets(t *testing.T) {
	archive := sampleArchive(t)
	h := newHarness(t, func(c *config.Config) { c.Map.Base.Archive = archive })
	inc := h.create(map[string]any{"category": "public_order", "title": "路口纠纷", "description": "测试",
		"location": map[string]float64{"lon": corner[0], "lat": corner[1]}, "people_involved": 2,
		"reporter": map[string]string{"name": "李四", "phone": "13900001111"}})
	b := newBrowser(t, 1280, 800)
	blocked := serverOnly(t, b, h.base)
	b.login(h.base+"/", "viewer")
	b.run(15*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.Poll(`(() => { const d = document.querySelector('#map').dataset;
		  return d.basemap === 'pmtiles' && +d.baseTiles >= 4 && +d.baseFeatures > 0 && +d.baseLabels > 0; })()`, nil,
			chromedp.WithPollingTimeout(15*time.Second)))
	// The tiles' canvases hold major roads' and labels' colours.
	var px struct{ Road, Label, Tiles int }
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.run(5*time.Second, chromedp.Evaluate(`(() => {
	  let road = 0, label = 0, tiles = 0;
	  for (const c of document.querySelectorAll('#map canvas.leaflet-tile')) {
	    if (!c.width) continue;
	    tiles++;
	    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
	    for (let i = 0; i < d.length; i += 4) {
	      if (Math.abs(d[i] - 0x62) < 8 && Math.abs(d[i+1] - 0x77) < 8 && Math.abs(d[i+2] - 0x8c) < 8) road++;
	      if (Math.abs(d[i] - 0xcf) < 8 && Math.abs(d[i+1] - 0xd8) < 8 && Math.abs(d[i+2] - 0xdc) < 8) label++;
	    }
	  }
	  return { road, label, tiles };
	})()`, &px))
		if px.Road > 200 && px.Label > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("base map tiles: %d drawn, %d road pixels, %d label pixels: want streets and names", px.Tiles, px.Road, px.Label)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("base map: %d tiles drawn, %d road pixels, %d label pixels", px.Tiles, px.Road, px.Label)
	if got := blocked(); len(got) > 0 {
		t.Errorf("the offline page asked for outside URLs: %v", got)
	}
	var attribution string
	b.run(5*time.Second, textOf(".basemap-attribution", &attribution))
	if !strings.Contains(attribution, "离线") || !strings.Contains(attribution, "示意") {
		t.Errorf("attribution %q: want the offline source and the schematic note", attribution)
	}
	// On a WGS-84 base map the incident sits where Web Mercator puts its position.
	b.run(5*time.Second, chromedp.WaitVisible(fmt.Sprintf(`.incident-marker[data-incident-id=%q]`, inc["id"]), chromedp.ByQuery))
	var p pixels
	evalAsync(b, fmt.Sprintf(`%s(%q, %v, %v)`, markerPixels, inc["id"], corner[0], corner[1]), &p)
	if d := math.Hypot(p.Marker[0]-p.At[0], p.Marker[1]-p.At[1]); d > 1.5 {
		t.Errorf("on the WGS-84 base map the marker is at %v, its position at %v (%.1f px off)", p.Marker, p.At, d)
	}
	b.clean()
}

func TestBaseMapGCJ02Shift(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Map.Base = config.BaseMap{Kind: config.BaseAmap, MaxZoom: 18, Attribution: "© 高德"}
	})
	res, body := h.do("GET", "/api/v1/config", h.token("viewer"), nil)
	var cfg struct {
		Map struct {
			Base struct {
				Kind, Datum string
				Tiles       []string
			}
		}
	}
	if res.StatusCode != 200 || json.Unmarshal(body, &cfg) != nil || cfg.Map.Base.Datum != "gcj02" || len(cfg.Map.Base.Tiles) != 1 {
		t.Fatalf("config: %d %s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://*.is.autonavi.com;") {
		t.Errorf("CSP %q: img-src must allow the Amap tile hosts", csp)
	}
	inc := h.create(map[string]any{"category": "public_order", "title": "路口纠纷", "description": "测试",
		"location": map[string]float64{"lon": corner[0], "lat": corner[1]}, "people_involved": 2,
		"reporter": map[string]string{"name": "李四", "phone": "13900001111"}})
	b := newBrowser(t, 1280, 800)
	serverOnly(t, b, h.base) // Amap's tiles cannot load here: the shift is checked by geometry
	b.login(h.base+"/", "viewer")
	b.run(15*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.WaitVisible(fmt.Sprintf(`.incident-marker[data-incident-id=%q]`, inc["id"]), chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('#map').dataset.baseDatum === 'gcj02'`, nil, chromedp.WithPollingTimeout(5*time.Second)))

	// The page's transform agrees with Go's on reference points across the city.
	type pt struct{ Lon, Lat float64 }
	var ref []pt
	for _, lon := range []float64{114.05, 114.1177, 114.2} {
		for _, lat := range []float64{22.50, 22.5439, 22.60} {
			ref = append(ref, pt{lon, lat})
		}
	}
	ref = append(ref, pt{121.5272106, 31.1774276}, pt{116.377817, 39.911954})
	in, _ := json.Marshal(ref)
	var js [][2]float64
	evalAsync(b, fmt.Sprintf(`(async () => { const g = await import('/js/gcj02.js'); return %s.map((p) => g.toGCJ02(p.Lon, p.Lat)); })()`, in), &js)
	for i, p := range ref {
		lon, lat := datum.ToGCJ02(p.Lon, p.Lat)
		if math.Abs(js[i][0]-lon) > 1e-9 || math.Abs(js[i][1]-lat) > 1e-9 {
			t.Errorf("toGCJ02(%v, %v): page %v, Go %v, %v", p.Lon, p.Lat, js[i], lon, lat)
		}
	}

	// The marker of a WGS-84 position sits where Web Mercator puts its GCJ-02
	// position: the same street corner as Amap draws it.
	gLon, gLat := datum.ToGCJ02(corner[0], corner[1])
	var p pixels
	evalAsync(b, fmt.Sprintf(`%s(%q, %v, %v)`, markerPixels, inc["id"], gLon, gLat), &p)
	if d := math.Hypot(p.Marker[0]-p.At[0], p.Marker[1]-p.At[1]); d > 1.5 {
		t.Errorf("on the GCJ-02 base map the marker is at %v, the shifted position at %v (%.1f px off)", p.Marker, p.At, d)
	}
	var unshifted pixels
	evalAsync(b, fmt.Sprintf(`%s(%q, %v, %v)`, markerPixels, inc["id"], corner[0], corner[1]), &unshifted)
	if d := math.Hypot(unshifted.Marker[0]-unshifted.At[0], unshifted.Marker[1]-unshifted.At[1]); d < 20 {
		t.Errorf("the marker is only %.1f px from its unshifted position: no shift drawn", d)
	}

	// A click on the map yields a WGS-84 location: Go's inverse of the GCJ-02
	// point under the mouse.
	x, y := p.Marker[0]+60, p.Marker[1]+25
	evalAsync(b, `(async () => { const m = (await import('/js/basemap.js')).mapOf('map');
	  window.__click = null; m.once('click', (e) => { window.__click = [e.latlng.lng, e.latlng.lat, e.containerPoint.x, e.containerPoint.y]; }); return true; })()`, new(bool))
	b.run(5*time.Second, chromedp.ActionFunc(func(ctx context.Context) error {
		if err := input.DispatchMouseEvent(input.MousePressed, x, y).WithButton(input.Left).WithClickCount(1).Do(ctx); err != nil {
			return err
		}
		return input.DispatchMouseEvent(input.MouseReleased, x, y).WithButton(input.Left).WithClickCount(1).Do(ctx)
	}))
	var click []float64
	b.run(5*time.Second, chromedp.Poll(`window.__click`, &click, chromedp.WithPollingTimeout(5*time.Second)))
	// the GCJ-02 point under the click, by plain Web Mercator
	var under [2]float64
	evalAsync(b, fmt.Sprintf(`(async () => { const m = (await import('/js/basemap.js')).mapOf('map');
	  const ll = L.CRS.EPSG3857.pointToLatLng(m.containerPointToLayerPoint(L.point(%v, %v)).add(m.getPixelOrigin()), m.getZoom());
	  return [ll.lng, ll.lat]; })()`, click[2], click[3]), &under)
	wLon, wLat := datum.ToWGS84(under[0], under[1])
	if math.Abs(click[0]-wLon) > 1e-7 || math.Abs(click[1]-wLat) > 1e-7 {
		t.Errorf("a click on the GCJ-02 map gave %v, %v; the WGS-84 point under it is %v, %v", click[0], click[1], wLon, wLat)
	}
	if math.Abs(click[0]-under[0]) < 1e-3 {
		t.Errorf("the click's location %v is the GCJ-02 point %v: not shifted back", click[0], under[0])
	}
	b.clean()
}

func TestBaseMapArchiveRoute(t *testing.T) {
	archive := sampleArchive(t)
	h := newHarness(t, func(c *config.Config) { c.Map.Base.Archive = archive })
	whole, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	// No session needed; a range comes back with its place in the file.
	res, b := h.do("GET", "/tiles/base.pmtiles", "", nil, "Range", "bytes=0-126")
	if res.StatusCode != 206 || string(b) != string(whole[:127]) || res.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-126/%d", len(whole)) {
		t.Fatalf("header range: %d %q", res.StatusCode, res.Header.Get("Content-Range"))
	}
	etag := res.Header.Get("ETag")
	if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("caching headers: %v", res.Header)
	}
	if res, b := h.do("GET", "/tiles/base.pmtiles", "", nil, "Range", "bytes=-10"); res.StatusCode != 206 || string(b) != string(whole[len(whole)-10:]) {
		t.Errorf("suffix range: %d, %d bytes", res.StatusCode, len(b))
	}
	if res, b := h.do("GET", "/tiles/base.pmtiles", "", nil); res.StatusCode != 200 || len(b) != len(whole) {
		t.Errorf("whole file: %d, %d bytes of %d", res.StatusCode, len(b), len(whole))
	}
	if res, _ := h.do("GET", "/tiles/base.pmtiles", "", nil, "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	for _, c := range []struct {
		rng    string
		status int
	}{{"bytes=abc-", 400}, {"bytes=10-5", 400}, {"items=0-1", 400}, {"bytes=0-1,5-9", 400}, {fmt.Sprintf("bytes=%d-", len(whole)), 416}} {
		res, b := h.do("GET", "/tiles/base.pmtiles", "", nil, "Range", c.rng)
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), `"Range"`) {
			t.Errorf("Range %q: %d %s, want %d problem+json naming Range", c.rng, res.StatusCode, b, c.status)
		}
	}
	// The config tells the pages where the archive is; CSP stays offline.
	res, b = h.do("GET", "/api/v1/config", h.token("viewer"), nil)
	if !strings.Contains(string(b), `"url":"/tiles/base.pmtiles"`) || !strings.Contains(string(b), `"datum":"wgs84"`) {
		t.Errorf("config: %s", b)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("CSP %q: an offline base map needs no outside images", csp)
	}
	// Without the archive: 404 problem+json, and no url for the pages.
	if err := os.Remove(archive); err != nil {
		t.Fatal(err)
	}
	if res, _ := h.do("GET", "/tiles/base.pmtiles", "", nil); res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("missing archive: %d", res.StatusCode)
	}
	if _, b := h.do("GET", "/api/v1/config", h.token("viewer"), nil); strings.Contains(string(b), `"url"`) {
		t.Errorf("config names a missing archive: %s", b)
	}
}
