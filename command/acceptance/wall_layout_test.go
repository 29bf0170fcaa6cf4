package acceptance_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// wallScene files 12 open incidents, 10 of them level II (each raises an
// alarm).
func wallScene(h *harness) {
	for i := range 10 {
		inc := dongmen(fmt.Sprintf("东门商户聚集讨薪 %02d", i+1), 150)
		h.create(inc) // in the Dongmen sensitive zone: level II
	}
	h.create(publicOrder("湖贝路打架斗殴"))
	h.create(map[string]any{"category": "traffic", "title": "深南东路两车相撞", "location": map[string]float64{"lon": 114.1290, "lat": 22.5400}, "injuries": 2})
}

// layoutProblems is evaluated in the page: every incident row visible and
// inside the viewport, its list and its panel; no overlay over the map's
// centre half (map layers themselves excepted). It returns what is wrong.
const layoutProblems = `(() => {
  const out = [];
  const vw = window.innerWidth, vh = window.innerHeight;
  const inside = (r, o, slack = 0.5) => r.left >= o.left - slack && r.top >= o.top - slack && r.right <= o.right + slack && r.bottom <= o.bottom + slack;
  const list = document.querySelector('#incidents').getBoundingClientRect();
  const panel = document.querySelector('#list-panel').getBoundingClientRect();
  const view = {left: 0, top: 0, right: vw, bottom: vh};
  // Rows left out for want of room are counted in #list-more (checked by the caller).
  for (const li of document.querySelectorAll('#incidents > li.incident:not([hidden])')) {
    const r = li.getBoundingClientRect();
    const name = li.querySelector('.title').textContent;
    if (r.height < 10 || r.width < 100) out.push('row not shown: ' + name);
    else if (!inside(r, view) || !inside(r, list) || !inside(r, panel)) out.push('row clipped: ' + name + ' ' + JSON.stringify(r));
    for (const cell of li.querySelectorAll('.badge, .title, .grid, .age, .incident-orders, .deadline-cell')) {
      const c = cell.getBoundingClientRect();
      if (c.width === 0 || !inside(c, r, 1)) out.push('cell hidden or outside its row: ' + name + ' ' + cell.className);
    }
  }
  const mapEl = document.querySelector('#map');
  const m = mapEl.getBoundingClientRect();
  const centre = {left: m.left + m.width / 4, right: m.right - m.width / 4, top: m.top + m.height / 4, bottom: m.bottom - m.height / 4};
  if (m.width < vw * 0.4 || m.height < vh * 0.4) out.push('map too small: ' + JSON.stringify(m));
  for (const e of document.querySelectorAll('body *')) {
    if (e === mapEl || e.contains(mapEl) || e.closest('.leaflet-pane')) continue;
    const s = getComputedStyle(e);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    // What is drawn of it: its box cut by every ancestor that clips.
    const b = e.getBoundingClientRect();
    const r = {left: b.left, top: b.top, right: b.right, bottom: b.bottom};
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflow === 'visible') continue;
      const c = a.getBoundingClientRect();
      r.left = Math.max(r.left, c.left); r.top = Math.max(r.top, c.top);
      r.right = Math.min(r.right, c.right); r.bottom = Math.min(r.bottom, c.bottom);
    }
    if (r.right <= r.left || r.bottom <= r.top) continue;
    if (r.left < centre.right && r.right > centre.left && r.top < centre.bottom && r.bottom > centre.top) {
      out.push('over the map centre: ' + e.tagName + '#' + e.id + '.' + e.className);
    }
  }
  return out;
})()`

// At 1920×1080 and 3840×2160, with 12 open incidents and 10 alarms, every
// incident row is visible and unclipped, alarms are a strip by kind, nothing
// lies over the centre half of the map, and what appeared later did not
// shrink the incident list.
func TestWallLayout(t *testing.T) {
	for _, size := range [][2]int{{1920, 1080}, {3840, 2160}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			h := newHarness(t)
			b := newBrowser(t, size[0], size[1])
			// A 4K page in software rendering on a shared machine is slow to paint.
			slow := time.Duration(size[0]/1920) * 10 * time.Second
			b.run(slow, chromedp.Navigate(h.base+"/"), chromedp.WaitVisible("#username", chromedp.ByQuery),
				typeInto("#username", "operator"), typeInto("#password", testPassword),
				click("#login-submit"))
			b.run(slow, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
			var before, after float64
			b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#list-panel').getBoundingClientRect().height`, &before))
			wallScene(h)
			b.run(slow, chromedp.Poll(`document.querySelectorAll('#incidents > li.incident').length === 12 && +document.querySelector('#alarm-panel').dataset.count >= 10`, nil, chromedp.WithPollingTimeout(slow)))
			// Let the plan proposals and charts that follow the incidents arrive.
			b.run(slow, chromedp.Poll(`document.querySelector('#chart-hours').dataset.ready === '1' && +document.querySelector('#chart-hours').dataset.total >= 12`, nil, chromedp.WithPollingTimeout(slow)))
			var problems []string
			b.run(slow, chromedp.Evaluate(layoutProblems, &problems))
			for _, p := range problems {
				t.Error(p)
			}
			b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#list-panel').getBoundingClientRect().height`, &after))
			if after != before {
				t.Errorf("the incident list's height changed from %v to %v as things appeared", before, after)
			}
			var groups []string
			b.run(2*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('#alarm-groups > li.alarm-group')].map(g => g.dataset.kind + '=' + g.dataset.count)`, &groups))
			if len(groups) == 0 || !strings.Contains(strings.Join(groups, ","), "incident.serious=10") {
				t.Errorf("alarm strip groups %v, want incident.serious=10", groups)
			}
			var more string
			b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#list-more').dataset.more`, &more))
			if more != "0" {
				t.Errorf("list says %s more are not shown", more)
			}
			// The screenshot for docs/ and the README, with WF_DOCS_SCREENSHOTS=1.
			if os.Getenv("WF_DOCS_SCREENSHOTS") != "" {
				var buf []byte
				b.run(3*slow, chromedp.FullScreenshot(&buf, 100))
				name := filepath.Join("..", "..", "docs", "screenshots", fmt.Sprintf("wall-%dx%d-zh-CN.png", size[0], size[1]))
				if err := os.WriteFile(name, buf, 0o644); err != nil {
					t.Error(err)
				}
			}
			// More than fit: at least 15 rows at 1080p, the rest counted.
			for i := range 8 {
				h.create(publicOrder(fmt.Sprintf("补充事件 %d", i+1)))
			}
			b.run(slow, chromedp.Poll(`document.querySelectorAll('#incidents > li.incident').length === 20`, nil, chromedp.WithPollingTimeout(slow)))
			var shown, rest int
			var restText string
			b.run(slow, chromedp.Poll(`+document.querySelector('#incidents').dataset.shown + +document.querySelector('#list-more').dataset.more === 20`, nil, chromedp.WithPollingTimeout(slow)),
				chromedp.Evaluate(`+document.querySelector('#incidents').dataset.shown`, &shown),
				chromedp.Evaluate(`+document.querySelector('#list-more').dataset.more`, &rest),
				textOf("#list-panel", &restText))
			if shown < 15 {
				t.Errorf("%d rows shown, want at least 15", shown)
			}
			if rest > 0 && !strings.Contains(restText, fmt.Sprintf("另有 %d 起", rest)) {
				t.Errorf("%d not shown, and the list does not say so", rest)
			}
			b.run(2*time.Second, chromedp.Evaluate(layoutProblems, &problems))
			for _, p := range problems {
				t.Error("with 20 open: " + p)
			}
			t.Logf("%d of 20 rows shown", shown)
			b.clean()
		})
	}
}

// One screen of a 2×2 4K wall (1920×1080) told to show only the map and
// the incidents shows those two, the map twice as wide, and nothing else.
func TestWallPanelsSplit(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/?panels=map,incidents", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	h.create(publicOrder("湖贝路打架斗殴"))
	b.run(3*time.Second, chromedp.WaitVisible("li.incident", chromedp.ByQuery))
	var shown []string
	b.run(2*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('[data-panel]')].filter(e => e.getClientRects().length > 0).map(e => e.dataset.panel).sort()`, &shown))
	if strings.Join(shown, ",") != "incidents,map" {
		t.Errorf("panels shown %v, want incidents and map", shown)
	}
	var ratio float64
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#map-panel').getBoundingClientRect().width / document.querySelector('#list-panel').getBoundingClientRect().width`, &ratio))
	if ratio < 1.8 || ratio > 2.2 {
		t.Errorf("map %.2f times as wide as the list, want about 2", ratio)
	}
	b.clean()
}
