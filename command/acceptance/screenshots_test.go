//go:build screenshots

package acceptance_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestDocsScreenshots renders the wall screen at 1920×1080 in zh-CN and in
// English with a living city, for docs/ and the README. It is built only
// with -tags screenshots (make screenshots), since it writes into docs/.
func TestDocsScreenshots(t *testing.T) {
	h := newHarness(t)
	bin := filepath.Join(t.TempDir(), "wfsim")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/wfsim").CombinedOutput(); err != nil {
		t.Fatalf("building the simulator: %v\n%s", err, out)
	}
	sim := exec.Command(bin, "--config", "../../config/sample/watchfloor.yaml", "--api", h.base,
		"--osmand", "http://"+h.srv.OsmandAddr(), "--every", "500ms", "--incidents", "0", "--seed", "7")
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sim.Process.Kill(); _ = sim.Wait() }()
	time.Sleep(2 * time.Second)
	for _, inc := range []map[string]any{
		dongmen("东门步行街商户聚集讨薪", 150),
		{"category": "fire", "title": "湖贝路电动车充电起火", "location": map[string]float64{"lon": 114.1160, "lat": 22.5520}, "injuries": 12},
		{"category": "traffic", "title": "深南东路两车相撞", "location": map[string]float64{"lon": 114.1290, "lat": 22.5400}, "injuries": 2},
		{"category": "civil_dispute", "title": "文华社区邻里纠纷", "location": map[string]float64{"lon": 114.1250, "lat": 22.5330}, "people_involved": 4},
		{"category": "crowd", "title": "罗湖火车站广场人流密集", "location": map[string]float64{"lon": 114.1170, "lat": 22.5325}, "people_involved": 12000},
	} {
		h.create(inc)
	}
	h.createCase(h.token("operator"), hubeiHazard("湖贝路井盖缺失"))
	time.Sleep(time.Second)
	dir := filepath.Join("..", "..", "docs", "screenshots")
	_ = os.MkdirAll(dir, 0o755)
	for _, lang := range []string{"zh-CN", "en"} {
		b := newBrowser(t, 1920, 1080)
		b.login(h.base+"/", "operator")
		b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
		if lang == "en" {
			b.run(2*time.Second, click("#lang-toggle"))
		}
		time.Sleep(2 * time.Second)
		var buf []byte
		b.run(10*time.Second, chromedp.FullScreenshot(&buf, 100))
		if err := os.WriteFile(filepath.Join(dir, "screen-1920x1080-"+lang+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The reports page (analysis, hotspots, playback) and the printable bulletin.
	start := time.Now().Add(-30 * time.Minute)
	var ps []map[string]any
	for i := range 30 {
		ps = append(ps, map[string]any{"unit_id": "car-01", "lon": 114.108 + float64(i)*0.0006, "lat": 22.549 + float64(i%7)*0.0003, "at": ts(start.Add(time.Duration(i) * time.Minute))})
	}
	h.positions(h.token("operator"), ps...)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/analysis.html", "leader")
	b.run(15*time.Second, chromedp.Poll(`document.querySelector("#analysis").dataset.state === "loaded"`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	time.Sleep(2 * time.Second)
	var buf []byte
	b.run(10*time.Second, chromedp.FullScreenshot(&buf, 100))
	_ = os.WriteFile(filepath.Join(dir, "analysis-zh-CN.png"), buf, 0o644)
	b.run(5*time.Second, chromedp.ScrollIntoView("#playback", chromedp.ByQuery))
	time.Sleep(time.Second)
	b.run(10*time.Second, chromedp.CaptureScreenshot(&buf))
	_ = os.WriteFile(filepath.Join(dir, "playback-zh-CN.png"), buf, 0o644)
	page := newBrowser(t, 1240, 1754)
	page.run(10*time.Second, network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Authorization": "Bearer " + h.token("operator")}),
		chromedp.Navigate(h.base+"/api/v1/bulletins/daily?format=html"), chromedp.WaitVisible("h1", chromedp.ByQuery))
	page.run(10*time.Second, chromedp.FullScreenshot(&buf, 100))
	_ = os.WriteFile(filepath.Join(dir, "bulletin-zh-CN.png"), buf, 0o644)
}
