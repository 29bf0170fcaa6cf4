package acceptance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// latinWords is evaluated in a page: the words of Latin letters in what the
// page shows (visible text, titles, labels and placeholders), less names,
// codes and numbers. Allowed, and why:
//   - Watchfloor: the product's name;
//   - English: the language switch names the other language on purpose
//     (and is marked lang="en", as is anything else in English on purpose);
//   - I, II, III, IV: the levels' codes, shown beside their Chinese names;
//   - km, h, min, s, km/h, m: units;
//   - the map's attribution (Leaflet, the tile source): names the licences
//     require as they are;
//   - CSV: the name of a file format; Webhook: the name of a protocol, as
//     Chinese software writes it;
//   - identifiers in <code>: a team's, a channel's or a capability's id as
//     the configuration writes it (they have no names of their own);
//   - the signed-in account's name (.user-name): a name;
//   - key caps (<kbd>: F2, Enter, Esc, Alt): the names printed on the keys
//     themselves, which Chinese software shows in Latin as the keyboard does;
//     what a key does is written beside it from the catalogue.
const latinWords = `(() => {
  const allowed = new Set(['Watchfloor', 'English', 'I', 'II', 'III', 'IV', 'km', 'h', 'min', 's', 'm', 'CSV', 'Webhook']);
  const found = new Map();
  const visible = (e) => {
    for (let a = e; a; a = a.parentElement) {
      if (a.hidden || a.closest('[lang="en"], .leaflet-control-attribution, .user-name, kbd, code, script, style, noscript, template')) return false;
      const s = getComputedStyle(a);
      if (s.display === 'none' || s.visibility === 'hidden') return false;
    }
    return e.getClientRects().length > 0;
  };
  const check = (text, where) => {
    for (const token of text.split(/[^A-Za-z0-9_\-./:@]+/)) {
      if (!/[A-Za-z]/.test(token)) continue;
      if (/[0-9]/.test(token)) continue;                 // codes, ids, numbers with units
      const word = token.replace(/^[-./:]+|[-./:]+$/g, '');
      if (!word || allowed.has(word) || /^(km\/h|[A-Z]-?)$/.test(word)) continue;
      if (!found.has(word)) found.set(word, where);
    }
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || !n.textContent.trim() || !visible(p)) continue;
    check(n.textContent, (p.id ? '#' + p.id : p.tagName.toLowerCase() + '.' + p.className) + ': ' + n.textContent.trim().slice(0, 80));
  }
  for (const e of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
    if (!visible(e)) continue;
    for (const a of ['title', 'aria-label', 'placeholder']) {
      const v = e.getAttribute(a);
      if (v) check(v, (e.id ? '#' + e.id : e.tagName.toLowerCase()) + '[' + a + ']: ' + v.slice(0, 80));
    }
  }
  document.title && check(document.title, 'title');
  return [...found].map(([w, where]) => w + '  (' + where + ')');
})()`

// In zh-CN, after a scripted session (incidents, alarms, orders, a plan
// proposal, a case), no page shows English: every string comes from the
// catalogue. The test lists each Latin word it finds, with where.
func TestZhPagesShowNoEnglish(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.placeNear("car-01", "foot-01")
	inc := h.create(publicOrder("湖贝路打架斗殴"))
	if res, body := h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}}); res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, body)
	}
	h.create(dongmen("东门商户聚集讨薪", 150)) // level II: an alarm, automatic orders, plan proposals
	h.createCase(op, hubeiHazard("湖贝路井盖缺失"))

	pages := []struct{ page, user, ready string }{
		{"/index.html", "operator", `document.querySelector('#link-state.up') && document.querySelectorAll('#incidents > li.incident').length >= 2`},
		{"/leader.html", "leader", `!!document.querySelector('#link-state.up')`},
		{"/responder.html", "car-01", `!!document.querySelector('#link-state.up')`},
		// foot-01 got the automatic order: its note comes from the catalogue.
		{"/responder.html?auto", "foot-01", `!!document.querySelector('#link-state.up') && !!document.querySelector('#order-note') && document.querySelector('#order-note').textContent !== ''`},
		{"/analysis.html", "leader", `document.querySelector('#analysis') && document.querySelector('#analysis').dataset.state === 'loaded'`},
		// The pages with tabs are read on every tab their user sees.
		{"/console.html", "operator", `!!document.querySelector('#link-state.up')`},
		{"/admin.html", "admin", `!document.querySelector('#app').hidden && !document.querySelector('#tab-btn-units').hidden`},
	}
	// english lists the Latin words the page shows, polled for 3 s while
	// what follows a render (reference data, charts) may still arrive.
	english := func(b *browser) []string {
		var words []string
		deadline := time.Now().Add(3 * time.Second)
		for {
			b.run(3*time.Second, chromedp.Evaluate(latinWords, &words))
			if len(words) == 0 || time.Now().After(deadline) {
				return words
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, p := range pages {
		t.Run(strings.TrimPrefix(p.page, "/"), func(t *testing.T) {
			b := newBrowser(t, 1920, 1080)
			b.login(h.base+p.page, p.user)
			b.run(15*time.Second, chromedp.Poll(p.ready, nil, chromedp.WithPollingTimeout(15*time.Second)))
			// Let what follows the first render (reference data, charts) arrive.
			b.run(5*time.Second, chromedp.Poll(`document.documentElement.lang === 'zh-CN'`, nil, chromedp.WithPollingTimeout(5*time.Second)))
			if words := english(b); len(words) > 0 {
				t.Errorf("%s in zh-CN shows English:\n  %s", p.page, strings.Join(words, "\n  "))
			}
			var tabs []string
			b.run(3*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('[role="tab"]')].filter((x) => !x.hidden && x.getAttribute('aria-selected') !== 'true').map((x) => '#' + x.id)`, &tabs))
			for _, tab := range tabs {
				b.run(5*time.Second, click(tab))
				b.poll(5*time.Second, fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-selected') === 'true'`, tab))
				if words := english(b); len(words) > 0 {
					t.Errorf("%s, tab %s, in zh-CN shows English:\n  %s", p.page, tab, strings.Join(words, "\n  "))
				}
			}
			b.mu.Lock()
			b.problems = nil // not this test's concern: the pages' own tests judge console output
			b.mu.Unlock()
		})
	}
}
