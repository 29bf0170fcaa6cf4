package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// poll waits until the JavaScript expression is true (for d, minStep at least).
func (b *browser) poll(d time.Duration, expr string) {
	b.t.Helper()
	d = max(d, minStep)
	b.run(d+time.Second, chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(d)))
}

// openConsole signs user in on the console and waits until the call form,
// the live link and the categories are there.
func (b *browser) openConsole(base, user string) {
	b.t.Helper()
	b.login(base+"/console.html", user)
	b.run(10*time.Second, chromedp.WaitVisible("#call-form", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelectorAll("#call-category option").length > 3`)
}

// openOnDesk opens incident id on the console's incident desk.
func (b *browser) openOnDesk(id string) {
	b.t.Helper()
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, id)
	b.run(10*time.Second,
		click("#tab-desk"),
		chromedp.WaitVisible(item, chromedp.ByQuery),
		click(item),
	)
}

// drawnOnDesk waits until incident id is drawn on the desk, every read of
// it done (its follow-up form there: an incident not closed).
func (b *browser) drawnOnDesk(id string) {
	b.t.Helper()
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #followup-form') !== null`, id))
}

// followUpSaved waits until the follow-up form shown says its report was
// saved.
func (b *browser) followUpSaved() {
	b.t.Helper()
	b.poll(10*time.Second, `document.querySelector("#followup-form .form-error")?.textContent === "续报已保存"`)
}

// valueOf is the value of the field sel now.
func (b *browser) valueOf(sel string) string {
	b.t.Helper()
	var v string
	b.run(5*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).value`, sel), &v))
	return v
}

// answered waits until the page has the whole answer to a request whose
// URL ends with path.
func (b *browser) answered(path string) {
	b.t.Helper()
	b.poll(10*time.Second, fmt.Sprintf(`performance.getEntriesByType("resource").some((e) => e.name.endsWith(%q) && e.responseEnd > 0)`, path))
}

// sendToPhone sends unit, a candidate of the incident open on the desk, as
// the operator would, and returns its phone showing the order offered.
func (b *browser) sendToPhone(base, unit string) *browser {
	b.t.Helper()
	b.run(10*time.Second,
		chromedp.WaitVisible(fmt.Sprintf(`#candidates li.cand[data-unit-id=%q]`, unit), chromedp.ByQuery),
		click("#cand-"+unit),
		click("#send-units"),
		chromedp.WaitVisible(fmt.Sprintf(`#orders li.order[data-unit-id=%q][data-status="offered"]`, unit), chromedp.ByQuery),
	)
	r := newBrowser(b.t, 412, 915)
	r.login(base+"/responder.html", unit)
	r.run(10*time.Second, chromedp.WaitVisible(`#order[data-state="offered"]`, chromedp.ByQuery))
	return r
}

// pick chooses an option of a select as a person would, and tells the page.
func pick(sel, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, sel, value), nil)
}

// consoleCall fills in a call on the console, its place found by gazetteer
// search, and returns the level the preview shows.
func consoleCall(b *browser, search, category, title string, people int) (level string) {
	b.t.Helper()
	b.run(10*time.Second,
		click("#tab-call"),
		chromedp.WaitVisible("#call-form", chromedp.ByQuery),
		typeInto("#place-search", search),
		chromedp.WaitVisible("#place-results li.place", chromedp.ByQuery),
		typeInto("#place-search", kb.Enter),
		pick("#call-category", category),
		typeInto("#call-title", title),
		typeInto("#call-people", fmt.Sprint(people)),
		typeInto("#call-reporter-name", "王五"),
		typeInto("#call-reporter-phone", "13700001111"),
	)
	b.poll(5*time.Second, `document.querySelector("#preview").dataset.state === "loaded" && document.querySelector("#preview-reasons li[data-rule]") !== null`)
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#preview").dataset.level`, &level))
	return level
}

// saveCall presses the save button and returns the new incident's id.
func saveCall(b *browser, result string) string {
	b.t.Helper()
	var id string
	b.run(5*time.Second, click("#call-save"))
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector("#call-status").dataset.result === %q`, result))
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#call-status").dataset.id`, &id))
	return id
}

func (h *harness) incidentJSON(id string) map[string]any {
	h.t.Helper()
	res, body := h.do("GET", "/api/v1/incidents/"+id, h.token("operator"), nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("incident %s: %d %s", id, res.StatusCode, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// An operator takes a call by gazetteer search, sees the level and the rules
// that fired, saves it, and the wall screen shows it with its level.
func TestConsoleTakesCallByGazetteer(t *testing.T) {
	h := newHarness(t)
	screen := newBrowser(t, 1920, 1080)
	screen.login(h.base+"/", "viewer")
	screen.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))

	b := newBrowser(t, 1366, 768)
	b.openConsole(h.base, "operator")
	level := consoleCall(b, "东门步行", "mass_incident", "东门步行街商户聚集", 150)
	if level != "II" {
		t.Errorf("preview level %q, want II", level)
	}
	var rules []string
	b.run(2*time.Second, chromedp.Evaluate(`[...document.querySelectorAll("#preview-reasons li")].map(l => l.dataset.rule)`, &rules))
	if len(rules) == 0 || !strings.HasPrefix(rules[0], "mass_incident.") {
		t.Errorf("rules shown: %q", rules)
	}
	var zones string
	b.run(2*time.Second, textOf("#preview-zones", &zones))
	if !strings.Contains(zones, "东门步行街") {
		t.Errorf("zones shown: %q", zones)
	}
	id := saveCall(b, "created")
	if id == "" {
		t.Fatal("no incident id after saving")
	}
	inc := h.incidentJSON(id)
	if inc["level"] != "II" || inc["category"] != "mass_incident" || inc["people_involved"] != float64(150) {
		t.Errorf("stored: level %v category %v people %v", inc["level"], inc["category"], inc["people_involved"])
	}
	if rep, _ := inc["reporter"].(map[string]any); rep["name"] != "王五" || rep["phone"] != "13700001111" {
		t.Errorf("reporter stored as %v", inc["reporter"])
	}
	sel := fmt.Sprintf(`li.incident[data-id=%q]`, id)
	screen.run(10*time.Second, chromedp.WaitVisible(sel, chromedp.ByQuery))
	var badge string
	screen.run(2*time.Second, textOf(sel+" .badge", &badge))
	if !strings.Contains(badge, "II") {
		t.Errorf("wall screen badge %q", badge)
	}
	// The call made one incident.
	res, body := h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"count":1`) {
		t.Errorf("one incident expected: %s", body)
	}
	// The desk lists it with a badge for a new one.
	b.run(10*time.Second, chromedp.WaitVisible("#new-badge", chromedp.ByQuery))
	time.Sleep(200 * time.Millisecond) // late console messages
	b.clean()
	screen.clean()
}

// A second call at the same place is offered as a duplicate and saved as a
// follow-up (续报) of the first incident.
func TestConsoleDuplicateSavedAsFollowUp(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "mass_incident", "第一通电话", 40)
	first := saveCall(b, "created")
	consoleCall(b, "东门步行", "mass_incident", "第二通电话", 60)
	dup := fmt.Sprintf(`#dups-list li.dup[data-id=%q] button.dup-follow`, first)
	b.run(5*time.Second, chromedp.WaitVisible(dup, chromedp.ByQuery), click(dup))
	b.poll(5*time.Second, `document.querySelector("#call-status").dataset.result === "followup"`)
	inc := h.incidentJSON(first)
	if inc["reports"] != float64(1) || inc["people_involved"] != float64(60) {
		t.Errorf("after the follow-up: reports %v people %v", inc["reports"], inc["people_involved"])
	}
	res, body := h.do("GET", "/api/v1/incidents?status=open", h.token("operator"), nil)
	if res.StatusCode != 200 || strings.Count(string(body), `"id":"INC-`) != 1 {
		t.Errorf("one incident expected: %s", body)
	}
	b.clean()
}

// The operator sends the nearest unit; the unit's responder page
// acknowledges it and goes en route, on scene and cleared, and the console
// shows each step live.
func TestConsoleDispatchFollowedLive(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	b := newBrowser(t, 1920, 1080)
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", "步行街打架", 4)
	id := saveCall(b, "created")

	b.openOnDesk(id)
	b.run(10*time.Second,
		chromedp.WaitVisible(`#candidates li.cand[data-unit-id="foot-01"]`, chromedp.ByQuery),
	)
	var first string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#candidates li.cand").dataset.unitId`, &first))
	if first != "foot-01" {
		t.Errorf("nearest candidate %q, want foot-01", first)
	}
	b.poll(5*time.Second, `+document.querySelector("#dispatch-map").dataset.units >= 1`)
	r := b.sendToPhone(h.base, "foot-01")
	r.poll(2*time.Second, `document.querySelector("#order-drill").hidden === true`)
	// The order's navigate button opens Amap at the incident's address.
	inc := h.incidentJSON(id)
	loc, _ := inc["location"].(map[string]any)
	var nav, target string
	r.poll(5*time.Second, `document.querySelector("#nav-link").href.startsWith("https://uri.amap.com/")`)
	r.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#nav-link").getAttribute("href") ?? ""`, &nav),
		chromedp.Evaluate(`document.querySelector("#nav-link").target`, &target))
	lon, _ := loc["lon"].(float64)
	lat, _ := loc["lat"].(float64)
	addr, _ := inc["address"].(string)
	if addr == "" {
		t.Fatal("the call's incident has no address")
	}
	checkAmapLink(t, nav, target, lon, lat, addr)
	for _, step := range []string{"ack", "en_route", "on_scene", "cleared"} {
		r.run(5*time.Second, chromedp.WaitVisible(fmt.Sprintf(`#action-btn[data-step=%q]:not([data-settling])`, step), chromedp.ByQuery), click("#action-btn"))
		want := map[string]string{"ack": "acked", "en_route": "en_route", "on_scene": "on_scene", "cleared": "cleared"}[step]
		b.poll(5*time.Second, fmt.Sprintf(`document.querySelector('#orders li.order[data-unit-id="foot-01"]')?.dataset.status === %q`, want))
	}
	b.poll(5*time.Second, `document.querySelector('#timeline li[data-type="dispatch.cleared"]') !== null`)
	var steps []string
	b.run(2*time.Second, chromedp.Evaluate(`[...document.querySelectorAll("#timeline li")].map(l => l.dataset.type)`, &steps))
	for _, want := range []string{"created", "dispatch.created", "dispatch.acked", "dispatch.en_route", "dispatch.on_scene", "dispatch.cleared"} {
		if !strings.Contains(strings.Join(steps, " "), want) {
			t.Errorf("timeline lacks %s: %q", want, steps)
		}
	}
	time.Sleep(200 * time.Millisecond)
	b.clean()
	r.clean()
	b.screenshot("ok")
}

// The 1-hour report draft carries the incident's facts, is marked sent to
// its recipients and its deadline stops; the incident is closed with a
// summary and leaves the open list.
func TestConsoleReportSentAndClosed(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1366, 768)
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "mass_incident", "商户聚集讨薪", 150)
	id := saveCall(b, "created")
	b.openOnDesk(id)
	b.run(10*time.Second,
		chromedp.WaitVisible(`#deadlines li.deadline[data-deadline-id="report_higher"] button.open-report`, chromedp.ByQuery),
		click(`#deadlines li.deadline[data-deadline-id="report_higher"] button.open-report`),
	)
	b.poll(5*time.Second, `document.querySelector("#report")?.dataset.state === "loaded" && document.querySelector("#report-text").value.length > 20`)
	var text string
	var recipients int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#report-text").value`, &text), chromedp.Evaluate(`document.querySelectorAll("#report input[name=to]:checked").length`, &recipients))
	for _, want := range []string{"东门步行街", "150"} {
		if !strings.Contains(text, want) {
			t.Errorf("the draft lacks %q:\n%s", want, text)
		}
	}
	if recipients == 0 {
		t.Fatal("no recipients offered")
	}
	b.run(5*time.Second, click("#report-send"))
	b.poll(5*time.Second, `document.querySelector('#deadlines li.deadline[data-deadline-id="report_higher"]')?.dataset.status === "sent" && document.querySelector("#report")?.dataset.sent === "1"`)
	b.screenshot("sent")
	inc := h.incidentJSON(id)
	for _, d := range inc["deadlines"].([]any) {
		dl := d.(map[string]any)
		if dl["id"] == "report_higher" && dl["status"] != "sent" {
			t.Errorf("deadline stored as %v", dl)
		}
	}

	// Close with the after-action summary, once no fetch is to come (each
	// redraws the detail).
	b.poll(5*time.Second, `document.querySelector('#detail[data-sync="idle"] #status-select') !== null`)
	b.run(5*time.Second,
		pick("#status-select", "closed"),
		chromedp.WaitVisible("#summary-outcome", chromedp.ByQuery),
		typeInto("#status-reason", "处置完毕"),
		typeInto("#summary-outcome", "人员已劝离"),
		typeInto("#summary-losses", "无伤亡"),
		typeInto("#summary-lessons", "加强巡逻"),
		click("#status-save"),
	)
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector('#incident-list li.desk-item[data-id=%q]') === null`, id))
	if got := h.incidentJSON(id); got["status"] != "closed" {
		t.Errorf("status %v after closing", got["status"])
	}
	b.clean()
}

// A call taken with the keyboard alone: F2, Tab through the form, the
// gazetteer with the arrow keys and Enter, Enter to save. No mouse event.
func TestConsoleKeyboardOnlyCall(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1366, 768)
	b.run(10*time.Second,
		chromedp.Navigate(h.base+"/console.html"),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		typeInto("#username", "operator"),
		typeInto("#password", testPassword+kb.Enter),
		chromedp.WaitVisible("#call-form", chromedp.ByQuery),
	)
	b.poll(5*time.Second, `document.querySelectorAll("#call-category option").length > 3`)
	keys := func(s ...string) {
		for _, k := range s {
			b.run(2*time.Second, chromedp.KeyEvent(k))
		}
	}
	// F2 focuses the source; Tab to the category and take the first one.
	keys(kb.F2)
	b.poll(2*time.Second, `document.activeElement.id === "call-source"`)
	keys(kb.Tab, kb.ArrowDown)
	b.poll(2*time.Second, `document.activeElement.name === "category" && document.activeElement.value !== ""`)
	keys(kb.Tab, "Li Si", kb.Tab, "13600001111", kb.Tab, "Keyboard call")
	b.poll(2*time.Second, `document.activeElement.name === "title"`)
	keys(kb.Tab, kb.Tab, "7")
	b.poll(2*time.Second, `document.activeElement.name === "people_involved"`)
	// On to the gazetteer: search by code, arrow down and Enter to pick.
	for range 20 {
		var at string
		b.run(2*time.Second, chromedp.Evaluate(`document.activeElement.id`, &at))
		if at == "place-search" {
			break
		}
		keys(kb.Tab)
	}
	keys("LM-00")
	b.run(5*time.Second, chromedp.WaitVisible("#place-results li.place", chromedp.ByQuery))
	keys(kb.ArrowDown, kb.ArrowUp, kb.Enter)
	b.poll(3*time.Second, `document.querySelector("[name='location.lon']").value !== "" && document.querySelector("#place-results").hidden`)
	b.poll(5*time.Second, `document.querySelector("#preview").dataset.state === "loaded"`)
	keys(kb.Enter)
	b.poll(5*time.Second, `document.querySelector("#call-status").dataset.result === "created"`)
	var id string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#call-status").dataset.id`, &id))
	inc := h.incidentJSON(id)
	if inc["title"] != "Keyboard call" || inc["people_involved"] != float64(7) || inc["location"] == nil {
		t.Errorf("stored: %v %v %v", inc["title"], inc["people_involved"], inc["location"])
	}
	// Esc cancels: the first press asks, the second empties the form.
	keys(kb.F2, kb.Tab, kb.Tab, kb.Tab, kb.Tab, "draft")
	b.poll(2*time.Second, `document.querySelector("#call-title").value === "draft"`)
	keys(kb.Escape)
	b.poll(2*time.Second, `document.querySelector("#call-title").value === "draft" && document.querySelector("#call-status").textContent !== ""`)
	keys(kb.Escape)
	b.poll(2*time.Second, `document.querySelector("#call-title").value === ""`)
	b.clean()
}

// Every field error of a refused call is shown beside its field, at once,
// in the page's language; nothing is created and the form keeps its text.
func TestConsoleFieldErrorsBesideFields(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/console.html", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#call-form", chromedp.ByQuery))
	b.run(5*time.Second,
		typeInto("#call-description", "只有描述"),
		typeInto("#call-lon", "114.1"),
		typeInto("#call-lat", "95"),
		click("#call-save"),
	)
	b.poll(5*time.Second, `document.querySelector("#call-status").dataset.result === "failed"`)
	var shown map[string]string
	b.run(2*time.Second, chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll(".fld.invalid")].map(f => [f.dataset.field, f.querySelector(".field-error").textContent]))`, &shown))
	for _, f := range []string{"category", "title", "location.lat"} {
		if shown[f] == "" {
			t.Errorf("no error beside %s; shown: %v", f, shown)
		}
	}
	if shown["category"] != "必填" {
		t.Errorf("category error %q, want 必填", shown["category"])
	}
	var kept string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#call-description").value`, &kept))
	if kept != "只有描述" {
		t.Errorf("the form lost its text: %q", kept)
	}
	res, body := h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"count":0`) {
		t.Errorf("a refused call created something: %s", body)
	}
	b.clean()
}

// A wall-screen viewer is refused at sign-in with a message that says why.
func TestConsoleRefusesViewer(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1366, 768)
	b.login(h.base+"/console.html", "viewer")
	b.poll(5*time.Second, `document.querySelector("#login-error").textContent.includes("不能使用值班台")`)
	var shown bool
	b.run(2*time.Second, chromedp.Evaluate(`!document.querySelector("#app").hidden`, &shown))
	if shown {
		t.Error("the console is shown to a viewer")
	}
	b.clean()
}

// loseFirstPostAnswer cuts the connection of the first POST whose answer
// fetch.Enable holds (the server has stored it; the page never hears so),
// and lets every other request through; it returns how many it cut.
func (b *browser) loseFirstPostAnswer() (lost func() int) {
	var mu sync.Mutex
	n := 0
	chromedp.ListenTarget(b.ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go func() {
			mu.Lock()
			drop := e.Request.Method == "POST" && n == 0
			if drop {
				n++
			}
			mu.Unlock()
			c := cdp.WithExecutor(b.ctx, chromedp.FromContext(b.ctx).Target)
			if drop {
				_ = fetch.FailRequest(e.RequestID, network.ErrorReasonConnectionReset).Do(c)
				return
			}
			_ = fetch.ContinueResponse(e.RequestID).Do(c)
		}()
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// The answer to a save is lost after the server stored the call: the form
// stays, says so, and the person's retry (the same key) gives back the same
// incident instead of a second one.
func TestConsoleLostAnswerRetriedOnce(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	lost := b.loseFirstPostAnswer()
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", "丢失应答的接警", 3)
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/incidents", RequestStage: fetch.RequestStageResponse}}))
	b.run(5*time.Second, click("#call-save"))
	b.poll(5*time.Second, `document.querySelector("#call-status").dataset.result === "failed"`)
	var title string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#call-title").value`, &title))
	if title != "丢失应答的接警" {
		t.Fatalf("the form lost the call: title %q", title)
	}
	res, body := h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"count":1`) {
		t.Fatalf("the lost answer's call should be stored once: %s", body)
	}
	id := saveCall(b, "created")
	res, body = h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"count":1`) || !strings.Contains(string(body), id) {
		t.Errorf("the retry made a second incident (or another one): %s; page says %s", body, id)
	}
	if n := lost(); n != 1 {
		t.Errorf("%d answers dropped, want 1", n)
	}
	b.clean()
}

// The English switch relabels the console: no catalogue label stays
// Chinese, in the call form or on the desk.
func TestConsoleEnglishSwitch(t *testing.T) {
	h := newHarness(t)
	h.create(publicOrder("中文标题"))
	b := newBrowser(t, 1366, 768)
	b.openConsole(h.base, "operator")
	check := `[...document.querySelectorAll("[data-i18n]:not(.lang-toggle), #call-form label, #call-form option, #desk-panel label, #call-status")].map(e => e.textContent).filter(t => /[\u4e00-\u9fff]/.test(t))`
	var han []string
	b.run(2*time.Second, chromedp.Evaluate(check, &han))
	if len(han) < 20 {
		t.Errorf("zh-CN by default: only %d Chinese labels", len(han))
	}
	b.run(2*time.Second, click("#lang-toggle"))
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	_ = chromedp.Run(ctx, chromedp.Poll(check+".length === 0", nil))
	cancel()
	han = nil
	b.run(2*time.Second, chromedp.Evaluate(check, &han))
	if len(han) != 0 {
		t.Errorf("call form labels still in Chinese after the switch: %q", han)
	}
	b.run(5*time.Second, click("#tab-desk"), chromedp.WaitVisible("#incident-list li.desk-item", chromedp.ByQuery))
	han = nil
	b.run(2*time.Second, chromedp.Evaluate(`[...document.querySelectorAll("#desk-panel [data-i18n], #incident-list .tag, #incident-list .item-meta span:not(:nth-child(2))")].map(e => e.textContent).filter(t => /[\u4e00-\u9fff]/.test(t))`, &han))
	if len(han) != 0 {
		t.Errorf("desk labels still in Chinese after the switch: %q", han)
	}
	b.clean()
}

// An order is redirected (改派) to another unit from the desk: the first is
// cancelled and the other unit's order appears, live.
func TestConsoleRedirectsOrder(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	inc := h.create(publicOrder("改派测试"))
	id := inc["id"].(string)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/console.html", "operator")
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, id)
	b.run(10*time.Second,
		chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		click("#tab-desk"),
		chromedp.WaitVisible(item, chromedp.ByQuery),
		click(item),
		chromedp.WaitVisible(`#cand-foot-01`, chromedp.ByQuery),
		click(`#cand-foot-01`),
		click("#send-units"),
		chromedp.WaitVisible(`#orders li.order[data-unit-id="foot-01"][data-status="offered"]`, chromedp.ByQuery),
	)
	var did string
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#orders li.order[data-unit-id="foot-01"]').dataset.dispatchId`, &did))
	// Only the operator's page offers the level control to leaders.
	var levelForms int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll("#level-form").length`, &levelForms))
	if levelForms != 0 {
		t.Error("an operator is offered the level control")
	}
	b.poll(5*time.Second, fmt.Sprintf(`[...document.querySelectorAll("#order-unit-%s option")].some(o => o.value === "car-01") && document.querySelector('#detail[data-sync="idle"]') !== null`, did))
	b.run(5*time.Second,
		pick("#order-unit-"+did, "car-01"),
		typeInto("#order-reason-"+did, "步巡01 另有任务"),
		click(fmt.Sprintf(`#orders li.order[data-dispatch-id=%q] button.order-redirect`, did)),
	)
	b.poll(5*time.Second, `document.querySelector('#orders li.order[data-unit-id="foot-01"]')?.dataset.status === "cancelled" && document.querySelector('#orders li.order[data-unit-id="car-01"]')?.dataset.status === "offered"`)
	b.poll(5*time.Second, `document.querySelector('#timeline li[data-type="dispatch.redirected"]') !== null`)
	b.clean()
}

// A leader sets the level with a reason and reopens a closed incident; the
// timeline shows who and why.
func TestConsoleLeaderSetsLevelAndReopens(t *testing.T) {
	h := newHarness(t)
	inc := h.create(publicOrder("领导定级"))
	id := inc["id"].(string)
	b := newBrowser(t, 1366, 768)
	b.login(h.base+"/console.html", "leader")
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, id)
	b.run(10*time.Second,
		chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		chromedp.WaitVisible("#call-readonly", chromedp.ByQuery),
		click("#tab-desk"),
		chromedp.WaitVisible(item, chromedp.ByQuery),
		click(item),
	)
	// Each fetch of the incident redraws the detail and replaces its
	// elements: a node found before the last redraw is gone ("Could not
	// find node with given id"). Wait until no fetch is to come.
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #level-form') !== null`, id))
	b.run(10*time.Second,
		pick("#level-select", "III"),
		typeInto("#level-reason", "现场人员情绪激动"),
		click("#level-form button[type=submit]"),
	)
	b.poll(5*time.Second, `document.querySelector("#detail").dataset.level === "III" && document.querySelector('#timeline li[data-type="level.set"]')?.textContent.includes("现场人员情绪激动") && document.querySelector("#detail").dataset.sync === "idle"`)
	b.run(5*time.Second,
		pick("#status-select", "closed"),
		typeInto("#status-reason", "已平息"),
		typeInto("#summary-outcome", "双方和解"),
		typeInto("#summary-losses", "无"),
		typeInto("#summary-lessons", "早发现早处置"),
		click("#status-save"),
	)
	b.poll(5*time.Second, `document.querySelector("#detail").dataset.status === "closed" && document.querySelector("#detail").dataset.sync === "idle"`)
	b.run(5*time.Second,
		pick("#status-select", "responding"),
		typeInto("#status-reason", "又有人聚集"),
		click("#status-save"),
	)
	b.poll(5*time.Second, `document.querySelector("#detail").dataset.status === "responding"`)
	got := h.incidentJSON(id)
	if got["level"] != "III" || got["status"] != "responding" {
		t.Errorf("stored: level %v status %v", got["level"], got["status"])
	}
	b.clean()
}

// A level set elsewhere (another leader, the rules) while a leader has the
// incident open reaches the level control, where a redraw used to put back
// the level it was drawn with, so that saving a reason set the level back;
// the reason being typed is kept.
func TestConsoleLevelFollowsAChangeElsewhere(t *testing.T) {
	h := newHarness(t)
	id := h.create(publicOrder("别处定级"))["id"].(string)
	b := newBrowser(t, 1366, 768)
	b.login(h.base+"/console.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.openOnDesk(id)
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #level-form') !== null && document.querySelector("#level-select").value === "IV"`, id))
	b.run(5*time.Second, typeInto("#level-reason", "正在核实"))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/level", h.token("leader"), map[string]string{"level": "II", "reason": "另一位领导定级"}); res.StatusCode != 200 {
		t.Fatalf("setting the level: %d %s", res.StatusCode, body)
	}
	b.poll(10*time.Second, `document.querySelector("#detail").dataset.level === "II" && document.querySelector("#detail").dataset.sync === "idle"`)
	var level, reason string
	b.run(5*time.Second,
		chromedp.Evaluate(`document.querySelector("#level-select").value`, &level),
		chromedp.Evaluate(`document.querySelector("#level-reason").value`, &reason))
	if level != "II" || reason != "正在核实" {
		t.Errorf("after the level was set elsewhere the control shows %q and the reason %q; want II and the reason typed", level, reason)
	}
	b.clean()
}

// The place found the two other ways: a click on the map puts the marker
// and the coordinates; a grid picked from the tree district → street →
// community → grid places a call by itself.
func TestConsolePlacesByMapAndGridTree(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/console.html", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#call-form", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelector("#call-map").dataset.base === "loaded" && document.querySelectorAll("#grid-district option").length > 1`)
	b.run(5*time.Second, click("#call-map"))
	b.poll(3*time.Second, `document.querySelector("#call-map").dataset.marker === "1" && document.querySelector("[name='location.lon']").value !== "" && document.querySelector("[name='location.lat']").value !== ""`)
	b.run(5*time.Second,
		chromedp.Evaluate(`document.querySelector("[name='location.lon']").value = ""; document.querySelector("[name='location.lat']").value = ""`, nil),
		pick("#call-category", "public_order"),
		typeInto("#call-title", "网格选点"),
		pick("#grid-district", "440303"),
		pick("#grid-street", "440303001"),
		pick("#grid-community", "440303001001"),
		pick("#grid-grid", "440303001001003"),
	)
	b.poll(5*time.Second, `document.querySelector("#call-grid").value === "440303001001003" && document.querySelector("#preview").dataset.state === "loaded" && document.querySelector("#preview-grid").textContent.includes("湖贝社区第3网格")`)
	id := saveCall(b, "created")
	inc := h.incidentJSON(id)
	if g, _ := inc["grid"].(map[string]any); g["code"] != "440303001001003" || inc["location_approximate"] != true {
		t.Errorf("stored grid %v approximate %v", inc["grid"], inc["location_approximate"])
	}
	b.clean()
}

// A drill call sent to a unit is marked as a drill on the responder's
// phone, so nobody on the street takes an exercise for a real emergency.
func TestPhoneMarksDrillOrder(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	b := newBrowser(t, 1920, 1080)
	b.openConsole(h.base, "operator")
	consoleCall(b, "东门步行", "public_order", "演练：步行街打架", 4)
	b.run(2*time.Second, click("#call-drill"))
	id := saveCall(b, "created")
	if inc := h.incidentJSON(id); inc["drill"] != true {
		t.Fatalf("the call was not saved as a drill: %v", inc["drill"])
	}
	b.openOnDesk(id)
	r := b.sendToPhone(h.base, "foot-01")
	r.poll(5*time.Second, `(() => { const d = document.querySelector("#order-drill"); return !d.hidden && d.textContent.includes("演练"); })()`)
	b.clean()
	r.clean()
}

// TestConsoleSignOutLeavesNothingForTheNext: an operator types a caller's
// name and number, opens an incident and a case (a report typed and left
// on another incident), and signs out; a leader
// signs in on the same page, without it loading again: the call form is
// empty, neither the incident nor the case is drawn, the report left is
// not kept, and the case desk offers the leader's actions (it kept the
// operator's role before).
func TestConsoleSignOutLeavesNothingForTheNext(t *testing.T) {
	h := newHarness(t)
	incID := h.create(publicOrder("交接前打开的警情"))["id"].(string)
	otherID := h.create(publicOrder("交接前的另一起警情"))["id"].(string)
	caseID := h.createCase(h.token("operator"), hubeiHazard("交接前的案件"))
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	b.run(5*time.Second, typeInto("#call-reporter-name", "张三"), typeInto("#call-reporter-phone", "13800000000"))
	b.openOnDesk(incID)
	b.drawnOnDesk(incID)
	// A report typed and left unsent, kept while another incident is open.
	b.run(5*time.Second, typeInto("#fu-description", "交接前未发送的续报"))
	b.openOnDesk(otherID)
	b.drawnOnDesk(otherID)
	b.openCases()
	b.run(10*time.Second, chromedp.WaitVisible(caseRow(caseID), chromedp.ByQuery), click(caseRow(caseID)),
		chromedp.WaitVisible(`#cdesk-detail form[data-action="reject"]`, chromedp.ByQuery))
	b.run(10*time.Second,
		click("#logout"),
		chromedp.WaitVisible("#login", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#username").value = ""; document.querySelector("#password").value = ""`, nil),
		typeInto("#username", "leader"),
		typeInto("#password", testPassword),
		click("#login-submit"),
		chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	var name, phone string
	var drawn int
	b.run(5*time.Second,
		chromedp.Evaluate(`document.querySelector("#call-reporter-name").value`, &name),
		chromedp.Evaluate(`document.querySelector("#call-reporter-phone").value`, &phone),
		chromedp.Evaluate(`document.querySelector("#detail-body").children.length`, &drawn))
	if name != "" || phone != "" {
		t.Errorf("the next person finds the caller %q, %q in the call form", name, phone)
	}
	if drawn != 0 {
		t.Errorf("the incident the operator had open is still drawn (%d elements)", drawn)
	}
	b.openOnDesk(incID)
	b.drawnOnDesk(incID)
	if report := b.valueOf("#fu-description"); report != "" {
		t.Errorf("the next person finds the report %q the operator left unsent", report)
	}
	b.openCases()
	var caseLeft bool
	b.run(5*time.Second, chromedp.Evaluate(`document.querySelector('#cdesk-detail').textContent.includes('交接前的案件')`, &caseLeft))
	if caseLeft {
		t.Error("the case the operator had open is still drawn for the next person")
	}
	b.run(10*time.Second, chromedp.WaitVisible(caseRow(caseID), chromedp.ByQuery), click(caseRow(caseID)))
	b.poll(10*time.Second, `document.querySelector('#cdesk-detail form[data-action="supervise"]') !== null`)
	// Naming an owner who may not own the case (a viewer) is refused in
	// the catalogue's words; a reason box holds no more than the server
	// takes.
	owner := `#cdesk-detail form[data-action="assign_owner"]`
	b.run(5*time.Second, typeInto(owner+` input[name="account"]`, "viewer"), click(owner+` button[type="submit"]`))
	b.poll(5*time.Second, `document.querySelector('`+owner+`').textContent.includes('领导或副职')`)
	var maxLen int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector('#cdesk-detail form[data-action="supervise"] input[name="reason"]').maxLength`, &maxLen))
	if maxLen != 2000 {
		t.Errorf("a reason box takes %d characters, the server 2000", maxLen)
	}
	b.clean()
}

// TestConsoleFollowUpAnsweredOnTheFormShown: while a follow-up report's
// answer is held, the incident changes elsewhere and the desk redraws: the
// redrawn form's button stays disabled (a second press cannot record the
// report twice), and when the answer comes the form drawn then says it was
// saved and is emptied; the timeline has the report once.
func TestConsoleFollowUpAnsweredOnTheFormShown(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报途中更新", "现场又有人员聚集")
	held := b.held(paused, "the follow-up")
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/level", h.token("leader"), map[string]string{"level": "III", "reason": "升级"}); res.StatusCode != 200 {
		t.Fatalf("setting the level: %d %s", res.StatusCode, body)
	}
	b.poll(10*time.Second, `document.querySelector("#detail").dataset.level === "III" && document.querySelector("#detail").dataset.sync === "idle"`)
	var disabled bool
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelector("#fu-save").disabled`, &disabled))
	if !disabled {
		t.Error("the redrawn follow-up form could send the report again while it is under way")
	}
	b.release(held)
	b.poll(10*time.Second, `document.querySelector("#followup-form .form-error")?.textContent === "续报已保存" && document.querySelector("#fu-description").value === "" && !document.querySelector("#fu-save").disabled`)
	if n := h.followUps(id); n != 1 {
		t.Errorf("the timeline has %d follow-up reports, want 1", n)
	}
	b.clean()
}

// TestConsoleFollowUpSentAgainAfterALostAnswer: the server records a
// follow-up report but its answer is lost (the connection fails); the
// operator reports on another incident meanwhile, comes back and presses
// again, and the report is recorded once: the page sends it again with the
// same Idempotency-Key (it kept one attempt per incident).
func TestConsoleFollowUpSentAgainAfterALostAnswer(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报应答丢失", "伤员已送医")
	// The server has recorded it; its answer never reaches the page.
	if err := fetch.FailRequest(b.held(paused, "the follow-up"), network.ErrorReasonConnectionReset).Do(b.target()); err != nil {
		t.Fatal(err)
	}
	b.poll(10*time.Second, `document.querySelector("#followup-form .form-error")?.dataset.status === "0" && !document.querySelector("#fu-save").disabled`)
	other := h.create(publicOrder("另一处续报"))["id"].(string)
	b.run(5*time.Second, fetch.Disable())
	b.openOnDesk(other)
	b.drawnOnDesk(other)
	b.run(5*time.Second, typeInto("#fu-description", "现场已疏散"), click("#fu-save"))
	b.followUpSaved()
	b.openOnDesk(id)
	b.drawnOnDesk(id)
	if typed := b.valueOf("#fu-description"); typed != "伤员已送医" {
		t.Fatalf("back on the first incident, the report box holds %q, not the report whose answer was lost", typed)
	}
	b.run(5*time.Second, click("#fu-save"))
	b.followUpSaved()
	if n, m := h.followUps(id), h.followUps(other); n != 1 || m != 1 {
		t.Errorf("the timelines have %d and %d follow-up reports, want 1 each", n, m)
	}
	b.clean()
}

// TestConsoleFollowUpSavedWhileAwayIsNotPutBack: the operator sends a
// follow-up report and opens another incident before its answer comes; back
// on the first, what else was typed there is as left, but the report sent is
// not in its box again (a second press would record it twice).
func TestConsoleFollowUpSavedWhileAwayIsNotPutBack(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报途中离开", "伤员已送医")
	held := b.held(paused, "the follow-up")
	b.run(5*time.Second, typeInto("#dispatch-note", "带上担架"))
	other := h.create(publicOrder("途中打开的警情"))["id"].(string)
	b.openOnDesk(other)
	b.drawnOnDesk(other)
	b.release(held)
	b.answered("/reports")
	b.openOnDesk(id)
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #followup-form .form-error')?.textContent === "续报已保存"`, id))
	if report, note := b.valueOf("#fu-description"), b.valueOf("#dispatch-note"); report != "" || note != "带上担架" {
		t.Errorf("back on the incident: report box %q (want it empty: sent), dispatch note %q (want it as left)", report, note)
	}
	if n := h.followUps(id); n != 1 {
		t.Errorf("the timeline has %d follow-up reports, want 1", n)
	}
	b.clean()
}

// TestConsoleFollowUpSavedBeforeTheNextIsDrawn: the report's answer comes
// after the operator chose another incident but before that one is drawn
// (its candidates still on their way): the report is emptied from the form
// still shown, and is not in it again when the operator comes back.
func TestConsoleFollowUpSavedBeforeTheNextIsDrawn(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报后立即切换", "伤员已送医")
	report := b.held(paused, "the follow-up")
	other := h.create(publicOrder("切换中的警情"))["id"].(string)
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, other)
	b.run(10*time.Second,
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/candidates*", RequestStage: fetch.RequestStageResponse}}),
		chromedp.WaitVisible(item, chromedp.ByQuery), click(item))
	cands := b.held(paused, "the other incident's candidates")
	b.release(report)
	b.answered("/reports")
	b.release(cands)
	// The saved report refreshes the incident chosen: its candidates again.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var drawn bool
		b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q]') !== null`, other), &drawn))
		if drawn {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the other incident was not drawn")
		}
		select {
		case rid := <-paused:
			b.release(rid)
		case <-time.After(100 * time.Millisecond):
		}
	}
	b.run(5*time.Second, fetch.Disable())
	b.openOnDesk(id)
	b.drawnOnDesk(id)
	if report := b.valueOf("#fu-description"); report != "" {
		t.Errorf("back on the incident, the report sent is in its box again: %q", report)
	}
	b.clean()
}

// TestConsoleFollowUpKeepsWhatIsTypedWhileItIsSent: while a report is on
// its way the operator goes on typing in its box (the next report begun);
// when it is saved, that box keeps what was typed since, and the report
// was recorded once with what was sent.
func TestConsoleFollowUpKeepsWhatIsTypedWhileItIsSent(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报途中续写", "伤员已送医")
	held := b.held(paused, "the follow-up")
	b.run(5*time.Second, typeInto("#fu-description", "，另有一人待送"))
	b.release(held)
	b.followUpSaved()
	if typed := b.valueOf("#fu-description"); typed != "伤员已送医，另有一人待送" {
		t.Errorf("the report box holds %q after the save, not what was typed while it was sent", typed)
	}
	if n := h.followUps(id); n != 1 {
		t.Errorf("the timeline has %d follow-up reports, want 1", n)
	}
	b.clean()
}

// TestConsoleFollowUpSentAgainLongAfterALostAnswer: the same report sent
// again long after its answer was lost (two minutes on the page's clock)
// is a new report, not a repeat: the page kept its key only for a prompt
// retry (a report sent again later may be a correction).
func TestConsoleFollowUpSentAgainLongAfterALostAnswer(t *testing.T) {
	h := newHarness(t)
	b, id, paused := followUpHeld(t, h, "续报稍后再发", "伤员已送医")
	if err := fetch.FailRequest(b.held(paused, "the follow-up"), network.ErrorReasonConnectionReset).Do(b.target()); err != nil {
		t.Fatal(err)
	}
	b.poll(10*time.Second, `document.querySelector("#followup-form .form-error")?.dataset.status === "0" && !document.querySelector("#fu-save").disabled`)
	b.run(2*time.Second, chromedp.Evaluate(`(() => { const real = Date.now; Date.now = () => real() + 120000; return true; })()`, nil))
	b.run(5*time.Second, fetch.Disable(), click("#fu-save"))
	b.followUpSaved()
	if n := h.followUps(id); n != 2 {
		t.Errorf("the timeline has %d follow-up reports, want 2", n)
	}
	b.clean()
}

// TestConsoleNewBadgeForgetsIncidentsClosedElsewhere: an incident arrives
// while the operator is on the call form (the desk's tab says "1 新"); it
// is closed elsewhere before anyone looked: the badge goes (it stayed).
func TestConsoleNewBadgeForgetsIncidentsClosedElsewhere(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1366, 900)
	b.openConsole(h.base, "operator")
	id := h.create(publicOrder("别处结案"))["id"].(string)
	b.run(10*time.Second, chromedp.WaitVisible("#new-badge", chromedp.ByQuery))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/status", h.token("operator"), closing("误报")); res.StatusCode != 200 {
		t.Fatalf("closing: %d %s", res.StatusCode, body)
	}
	b.run(10*time.Second, chromedp.WaitNotVisible("#new-badge", chromedp.ByQuery))
	b.clean()
}

// followUpHeld opens incident titled title on an operator's desk, holds
// the answers to follow-up reports, and sends one with text: the browser,
// the incident and the requests held.
func followUpHeld(t *testing.T, h *harness, title, text string) (*browser, string, <-chan fetch.RequestID) {
	t.Helper()
	id := h.create(publicOrder(title))["id"].(string)
	b := newBrowser(t, 1366, 900)
	paused := b.paused()
	b.openConsole(h.base, "operator")
	b.openOnDesk(id)
	b.drawnOnDesk(id)
	b.run(10*time.Second,
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/reports", RequestStage: fetch.RequestStageResponse}}),
		typeInto("#fu-description", text),
		click("#fu-save"))
	return b, id, paused
}

// followUps counts the follow-up reports on incident id's timeline.
func (h *harness) followUps(id string) int {
	n := 0
	for _, e := range h.incidentJSON(id)["timeline"].([]any) {
		if e.(map[string]any)["type"] == "report" {
			n++
		}
	}
	return n
}

// An operator sends a unit that another desk sent elsewhere a moment
// before: the refusal names the unit and why in the page's language, not
// in the server's English, and follows the language switch.
func TestConsoleRefusalsInThePagesLanguage(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	first := h.create(publicOrder("先到的警情"))["id"].(string)
	second := h.create(publicOrder("后到的警情"))["id"].(string)
	b := newBrowser(t, 1920, 1080)
	paused := b.paused()
	b.login(h.base+"/console.html", "operator")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.openOnDesk(second)
	b.run(10*time.Second, chromedp.WaitVisible(`#cand-foot-01`, chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/dispatches", RequestStage: fetch.RequestStageRequest}}),
		click(`#cand-foot-01`), click("#send-units"))
	held := b.held(paused, "the order")
	if res, body := h.do("POST", "/api/v1/incidents/"+first+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"foot-01"}}); res.StatusCode != 201 {
		t.Fatalf("the other desk's order: %d %s", res.StatusCode, body)
	}
	if err := fetch.ContinueRequest(held).Do(b.target()); err != nil {
		t.Fatal(err)
	}
	b.poll(10*time.Second, `document.querySelector('#dispatch-error')?.dataset.status === '409'`)
	b.run(5*time.Second, fetch.Disable())
	zh := b.textOf("#dispatch-error")
	if !strings.Contains(zh, "foot-01") || !strings.Contains(zh, "不能派遣") && !strings.Contains(zh, "派往别处") || regexp.MustCompile(`[a-z]{3,} [a-z]{3,}`).MatchString(zh) {
		t.Errorf("the refusal reads %q, want it in Chinese naming foot-01", zh)
	}
	b.run(5*time.Second, click("#lang-toggle"))
	b.poll(5*time.Second, `document.documentElement.lang === "en" && document.querySelector('#dispatch-error')?.textContent.includes('foot-01')`)
	if en := b.textOf("#dispatch-error"); !strings.Contains(en, "Unit foot-01") {
		t.Errorf("the refusal in English reads %q", en)
	}
	b.clean()
}
