package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"watchfloor/command/store/storetest"
)

// On the console the outgoing operator opens a handover that lists the
// shift's open items (its incident, the incident's unsent reports and its
// alarm), adds notes and submits it; the incoming leader sees it waiting and
// accepts it, and the log says so.
func TestConsoleHandoverListsOpenItemsAndIsAccepted(t *testing.T) {
	// At 09:00 on a clock of its own, as TestHandoverAPI.
	h := newHarnessWith(t, storetest.Start(t), morningClock().Now)
	putToday(t, h)
	inc := h.create(map[string]any{"category": "production_safety", "title": "交接班浏览器测试", "grid": "440303002002001", "deaths": 10})
	id := inc["id"].(string)
	b := newBrowser(t, 1600, 1000)
	b.login(h.base+"/console.html", "operator")
	b.run(15*time.Second, chromedp.WaitVisible("#tab-handover", chromedp.ByQuery), click("#tab-handover"),
		chromedp.WaitVisible("#handover-open", chromedp.ByQuery), click("#handover-open"),
		chromedp.WaitVisible("#handover-draft", chromedp.ByQuery))
	var listed string
	b.run(5*time.Second, chromedp.Evaluate(`[...document.querySelectorAll('#handover-draft .handover-list')].map(l => l.dataset.kind + ':' + [...l.querySelectorAll('li[data-id]')].map(li => li.dataset.id).join('|')).join(' ')`, &listed))
	for _, want := range []string{"incidents:" + id, "reports:" + id + "/", "alarms:incident.serious:" + id} {
		if !strings.Contains(listed, want) {
			t.Errorf("the handover lists %q, want %q in it", listed, want)
		}
	}
	// Notes typed survive a trip to another tab (the panel reloads).
	b.run(10*time.Second, typeInto("#handover-notes", "事故现场"), click("#tab-call"), click("#tab-handover"),
		chromedp.WaitVisible("#handover-draft", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelector('#handover-pending') !== null && document.querySelector('#handover-notes')?.value === '事故现场'`)
	b.run(10*time.Second, typeInto("#handover-notes", "仍在处置"), click("#handover-submit"),
		chromedp.WaitVisible(`#handover-message[data-kind="ok"]`, chromedp.ByQuery), chromedp.WaitVisible("#handover-open", chromedp.ByQuery))
	b.clean()

	in := newBrowser(t, 1600, 1000)
	in.login(h.base+"/console.html", "leader")
	item := `#handover-pending > li.handover`
	in.run(15*time.Second, chromedp.WaitVisible("#tab-handover", chromedp.ByQuery), click("#tab-handover"),
		chromedp.WaitVisible(item, chromedp.ByQuery))
	var text, hid string
	in.run(5*time.Second, textOf(item, &text), chromedp.AttributeValue(item, "data-id", &hid, nil, chromedp.ByQuery))
	if !strings.Contains(text, "事故现场仍在处置") || !strings.Contains(text, "交接班浏览器测试") {
		t.Errorf("the waiting handover shows %q", text)
	}
	in.run(10*time.Second, typeInto(item+" .handover-accept-note", "已接班"), click(item+" .handover-accept"),
		chromedp.WaitVisible(`#handover-message[data-kind="ok"]`, chromedp.ByQuery),
		chromedp.Poll(`!document.querySelector('#handover-pending > li.handover')`, nil, chromedp.WithPollingTimeout(5*time.Second)))
	_, body := h.do("GET", "/api/v1/handovers/"+hid, h.token("operator"), nil)
	if !strings.Contains(string(body), `"status":"accepted"`) || !strings.Contains(string(body), `"incoming":"leader"`) || !strings.Contains(string(body), `"accept_note":"已接班"`) {
		t.Errorf("the handover after accepting: %s", body)
	}
	in.clean()
}
