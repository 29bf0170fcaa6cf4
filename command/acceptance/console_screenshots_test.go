//go:build screenshots

package acceptance_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestConsoleScreenshot renders the operator's console at 1920×1080 in
// zh-CN for the README: a call being taken at a place with an open incident
// nearby, so the level preview, the rules and a possible duplicate show. Built
// only with -tags screenshots, since it writes into docs/.
func TestConsoleScreenshot(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01", "car-02")
	h.create(dongmen("东门步行街商户聚集讨薪", 80))
	h.create(map[string]any{"category": "fire", "title": "湖贝路电动车充电起火", "location": map[string]float64{"lon": 114.1160, "lat": 22.5520}, "injuries": 12})
	h.create(publicOrder("解放路两伙人打架"))
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/console.html", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelectorAll("#call-category option").length > 3`)
	consoleCall(b, "东门步行", "mass_incident", "东门步行街人员聚集，堵塞通道", 150)
	b.run(5*time.Second, typeInto("#call-description", "约150名商户聚集讨要租金押金，情绪激动"))
	b.poll(5*time.Second, `document.querySelector("#dups-list li.dup") !== null && document.querySelector("#call-map").dataset.base === "loaded"`)
	// The base map's tiles are drawn (when there is a base map to draw).
	b.poll(10*time.Second, `(d => d.baseTiles === undefined || +d.baseTiles > 0)(document.querySelector("#call-map").dataset)`)
	var buf []byte
	b.run(10*time.Second, chromedp.FullScreenshot(&buf, 100))
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.WriteFile(filepath.Join(dir, "console-1920x1080-zh-CN.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
	b.clean()
}
