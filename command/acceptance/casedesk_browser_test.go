package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// caseStatus reads a case's status and timeline actions through the API.
func (h *harness) caseStatus(id string) (string, []string, map[string]any) {
	_, b := h.do("GET", "/api/v1/cases/"+id, h.token("operator"), nil)
	var cs map[string]any
	_ = json.Unmarshal(b, &cs)
	var actions []string
	tl, _ := cs["timeline"].([]any)
	for _, e := range tl {
		if m, ok := e.(map[string]any); ok {
			actions = append(actions, fmt.Sprint(m["action"]))
		}
	}
	status, _ := cs["status"].(string)
	return status, actions, cs
}

// openCases switches the console to its case desk.
func (b *browser) openCases() {
	b.t.Helper()
	b.run(10*time.Second, chromedp.WaitVisible("#tab-cases", chromedp.ByQuery), click("#tab-cases"),
		chromedp.WaitVisible(`#app[data-tab="cases"] #case-desk`, chromedp.ByQuery))
}

// submit clicks the submit button of the case desk's form for action. The
// desk re-renders its detail when the case changes, so the button is found
// and clicked in one step in the page (a node found first may be replaced
// before a separate click reaches it).
func (b *browser) submit(action string) {
	b.t.Helper()
	sel := fmt.Sprintf(`#cdesk-detail form.cdesk-form-%s button[type=submit]`, action)
	click := fmt.Sprintf(`(() => { const btn = document.querySelector(%q); if (!btn || btn.disabled || !btn.offsetParent) return false; btn.click(); return true; })()`, sel)
	b.run(10*time.Second, chromedp.Poll(click, nil, chromedp.WithPollingTimeout(10*time.Second)))
}

// TestCaseDeskBrowserSevenSteps takes a case through the seven steps on
// the pages alone: the grid officer reports it on the phone page (kinds
// from the configuration), the community operator accepts and dispatches it
// on the console's case desk, the officer handles it on the phone, and the
// desk verifies, closes and evaluates it; a missing satisfaction is shown
// beside its field. The API only checks the result.
func TestCaseDeskBrowserSevenSteps(t *testing.T) {
	h := newHarness(t)
	phone := newBrowser(t, 412, 915)
	phone.run(10*time.Second,
		cdpbrowser.GrantPermissions([]cdpbrowser.PermissionType{cdpbrowser.PermissionTypeGeolocation}).WithOrigin(h.base).WithBrowserContextID(phone.id),
		emulation.SetGeolocationOverride().WithLatitude(22.55415).WithLongitude(114.10877).WithAccuracy(8),
	)
	phone.login(h.base+"/responder.html", "grid-01")
	phone.run(10*time.Second,
		chromedp.WaitVisible("#report-section", chromedp.ByQuery),
		chromedp.WaitReady(`#report-kind option[value="hazard"]`, chromedp.ByQuery),
	)
	var kinds int
	phone.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll('#report-kind option[value]:not([value=""])').length`, &kinds))
	if kinds != len(h.cfg.CaseKinds) {
		t.Errorf("the phone offers %d kinds, the configuration has %d", kinds, len(h.cfg.CaseKinds))
	}
	phone.run(10*time.Second,
		setValue("#report-kind", "hazard"),
		typeInto("#report-title", "消防通道堵塞"),
		click("#report-locate"),
		chromedp.WaitVisible(`#report-loc[data-state="ok"]`, chromedp.ByQuery),
		click("#report-submit"),
	)
	var id string
	waitFor(t, 5*time.Second, "the phone's report is stored", func() bool {
		_, b := h.do("GET", "/api/v1/cases", h.token("operator"), nil)
		var l struct{ Cases []struct{ ID, Title string } }
		_ = json.Unmarshal(b, &l)
		for _, c := range l.Cases {
			if c.Title == "消防通道堵塞" {
				id = c.ID
			}
		}
		return id != ""
	})

	desk := newBrowser(t, 1366, 768)
	desk.login(h.base+"/console.html", "hubei-operator")
	// The shift handover is the centre's: an area operator has no tab for it.
	desk.poll(10*time.Second, `!document.querySelector('#filter-mine').closest('label').hidden && document.querySelector('#tab-handover').hidden`)
	desk.openCases()
	row := caseRow(id)
	desk.run(10*time.Second, chromedp.WaitVisible(row, chromedp.ByQuery), click(row))
	desk.submit("accept")
	desk.run(10*time.Second,
		chromedp.WaitVisible(`#cdesk-detail form.cdesk-form-dispatch input[name="assignee"]`, chromedp.ByQuery),
		typeInto(`#cdesk-detail form.cdesk-form-dispatch input[name="assignee"]`, "grid-01"),
	)
	desk.submit("dispatch")
	waitFor(t, 5*time.Second, "dispatched", func() bool { s, _, _ := h.caseStatus(id); return s == "dispatched" })

	// The officer handles it on the phone.
	item := fmt.Sprintf(`#mycases li.mycase[data-case-id=%q][data-to-handle="true"]`, id)
	phone.run(10*time.Second,
		chromedp.WaitVisible(item+" button.case-handle-btn", chromedp.ByQuery),
		click(item+" button.case-handle-btn"),
		chromedp.WaitVisible(item+" textarea.case-result", chromedp.ByQuery),
		typeInto(item+" textarea.case-result", "已清理通道"),
		click(item+" button.case-handle-submit"),
	)
	waitFor(t, 5*time.Second, "handled", func() bool { s, _, _ := h.caseStatus(id); return s == "handled" })

	// The desk sees the officer's result, verifies, closes and evaluates.
	desk.run(5*time.Second, click("button.cdesk-refresh"))
	desk.run(10*time.Second, chromedp.Poll(`document.querySelector('#cdesk-detail')?.textContent.includes('已清理通道')`, nil, chromedp.WithPollingTimeout(10*time.Second)))
	desk.submit("verify")
	desk.submit("close")
	// No satisfaction picked: refused, shown beside the field (and still
	// shown when the close's own event redraws the form).
	desk.submit("evaluate")
	errSel := `#cdesk-detail form.cdesk-form-evaluate .cdesk-err[data-err-for="satisfaction"]`
	refused := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e && e.offsetParent && e.textContent.trim() ? e.textContent : false; })()`, errSel)
	var shown string
	desk.run(15*time.Second, chromedp.Poll(refused, &shown, chromedp.WithPollingTimeout(15*time.Second)))
	if !strings.Contains(shown, "满意度") {
		t.Errorf("the satisfaction error reads %q", shown)
	}
	desk.run(5*time.Second, setValue(`#cdesk-detail form.cdesk-form-evaluate select[name="satisfaction"]`, "5"))
	desk.submit("evaluate")
	waitFor(t, 5*time.Second, "evaluated", func() bool { s, _, _ := h.caseStatus(id); return s == "evaluated" })
	_, actions, cs := h.caseStatus(id)
	if got := strings.Join(actions, ","); got != "collect,accept,dispatch,handle,verify,close,evaluate" {
		t.Errorf("timeline %s", got)
	}
	if cs["handler"] != "grid-01" || cs["satisfaction"] != float64(5) || cs["owner"] != "grid-01" {
		t.Errorf("case %v", cs)
	}
	time.Sleep(200 * time.Millisecond) // let late console messages arrive before judging
	phone.clean()
	desk.clean()
}

// TestCaseDeskBrowserZeroReportAndRaise files a zero report on the desk and
// sees the roll-up show it, then raises a case into an incident: the
// console opens the incident, the case shows its link, the incident carries
// the case.
func TestCaseDeskBrowserZeroReportAndRaise(t *testing.T) {
	h := newHarness(t)
	gather := hubeiHazard("居民聚集")
	gather["kind"], gather["people_involved"] = "dispute", 35
	id := h.createCase(h.token("hubei-operator"), gather) // setup: the case to raise

	desk := newBrowser(t, 1920, 1080)
	desk.login(h.base+"/console.html", "hubei-operator")
	desk.openCases()
	area := `#cdesk-rollup li[data-area="440303001001"]`
	desk.run(10*time.Second, chromedp.WaitVisible(area+`[data-reported="false"]`, chromedp.ByQuery))
	var others int
	desk.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll('#cdesk-rollup li').length`, &others))
	if others != 1 {
		t.Errorf("a community operator's roll-up shows %d areas", others)
	}
	desk.run(10*time.Second,
		click(`form.cdesk-zero button[type=submit]`),
		chromedp.WaitVisible(area+`[data-reported="true"]`, chromedp.ByQuery),
	)
	_, b := h.do("GET", "/api/v1/daily-reports", h.token("operator"), nil)
	if !strings.Contains(string(b), `"code":"440303001001","name":"湖贝社区","name_en":"Hubei Community","reported":true`) || !strings.Contains(string(b), `"nothing_to_report":true`) {
		t.Errorf("roll-up after the zero report: %s", b)
	}

	row := caseRow(id)
	desk.run(10*time.Second,
		chromedp.WaitVisible(row, chromedp.ByQuery), click(row),
		chromedp.WaitVisible(`#cdesk-detail form.cdesk-form-raise select[name="category"]`, chromedp.ByQuery),
		setValue(`#cdesk-detail form.cdesk-form-raise select[name="category"]`, "mass_incident"),
	)
	desk.submit("raise")
	// The console opens the new incident on its incident desk; back on the
	// case desk, the case shows its link.
	var opened string
	waitFor(t, 5*time.Second, "the case is linked", func() bool {
		_, _, cs := h.caseStatus(id)
		opened, _ = cs["incident_id"].(string)
		return opened != ""
	})
	desk.run(10*time.Second,
		chromedp.WaitVisible(`#app[data-tab="desk"]`, chromedp.ByQuery),
		chromedp.WaitVisible(fmt.Sprintf(`#detail[data-id=%q]`, opened), chromedp.ByQuery),
		chromedp.WaitVisible(`#detail .detail-case`, chromedp.ByQuery),
	)
	var fromCase string
	desk.run(2*time.Second, textOf(`#detail .detail-case`, &fromCase))
	if !strings.Contains(fromCase, id) {
		t.Errorf("the incident desk shows %q, not case %s", fromCase, id)
	}
	desk.openCases()
	var link string
	var ok bool
	desk.run(10*time.Second,
		chromedp.WaitVisible(`#cdesk-detail button.cdesk-incident-link`, chromedp.ByQuery),
		chromedp.AttributeValue(`#cdesk-detail button.cdesk-incident-link`, "data-incident", &link, &ok, chromedp.ByQuery),
	)
	if link != opened {
		t.Errorf("the case desk links %q, the case %q", link, opened)
	}
	_, ib := h.do("GET", "/api/v1/incidents/"+opened, h.token("operator"), nil)
	if !strings.Contains(string(ib), `"case_id":"`+id+`"`) || !strings.Contains(string(ib), `"category":"mass_incident"`) {
		t.Errorf("incident %s", ib)
	}
	// The English switch relabels the desk, kinds included.
	desk.run(10*time.Second,
		click("#lang-toggle"),
		chromedp.Poll(`document.querySelector('#case-desk .cdesk-title').textContent === 'Grid case desk' &&
			document.querySelector('#cdesk-list .cdesk-kind').textContent === 'Dispute'`, nil, chromedp.WithPollingTimeout(5*time.Second)),
	)
	time.Sleep(200 * time.Millisecond) // let late console messages arrive before judging
	desk.clean()
	desk.screenshot("ok")
}

// TestCaseDeskKeepsTypingAcrossAnUpdate: the case shown is updated by
// someone else (a leader supervises it) while the operator is typing in one
// of its forms and another form shows a refusal: the redraw keeps the text
// with its caret and the refusal beside its field.
func TestCaseDeskKeepsTypingAcrossAnUpdate(t *testing.T) {
	h := newHarness(t)
	id := h.createCase(h.token("operator"), hubeiHazard("更新时正在填写"))
	desk := caseDesk(t, h, nil)
	row := caseRow(id)
	reason := `#cdesk-detail form.cdesk-form-reject input[name="reason"]`
	refusal := `#cdesk-detail form.cdesk-form-escalate .cdesk-err[data-err-for="reason"]`
	desk.run(10*time.Second, chromedp.WaitVisible(row, chromedp.ByQuery), click(row), chromedp.WaitVisible(reason, chromedp.ByQuery))
	desk.submit("escalate") // no reason: refused beside its field
	desk.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() !== ''`, refusal))
	desk.run(5*time.Second, typeInto(reason, "abcd"),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).setSelectionRange(1, 1)`, reason), nil))
	h.supervise(id) // someone else updates the case
	desk.poll(10*time.Second, `document.querySelector('#cdesk-detail')?.textContent.includes('挂牌督办')`)
	desk.run(2*time.Second, chromedp.KeyEvent("X"))
	desk.poll(2*time.Second, fmt.Sprintf(`document.activeElement === document.querySelector(%q) && document.activeElement.value === 'aXbcd'`, reason))
	var shown string
	desk.run(2*time.Second, textOf(refusal, &shown))
	if strings.TrimSpace(shown) == "" {
		t.Error("the escalation's refusal went with the redraw")
	}
	desk.clean()
}

// TestCaseDeskAnswersTheFormShown: while a form's request is under way the
// case is updated and the form redrawn; the redrawn form's button stays
// disabled (no second request) and the answer, a refusal, is shown on it.
func TestCaseDeskAnswersTheFormShown(t *testing.T) {
	h := newHarness(t)
	id := h.createCase(h.token("operator"), hubeiHazard("请求途中更新"))
	desk, next := pausingDesk(t, h)
	row := caseRow(id)
	form := `#cdesk-detail form.cdesk-form-reject`
	desk.run(10*time.Second, chromedp.WaitVisible(row, chromedp.ByQuery), click(row), chromedp.WaitVisible(form+` input[name="reason"]`, chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/actions", RequestStage: fetch.RequestStageResponse}}))
	desk.submit("reject") // no reason: the server refuses, its answer held
	req := next("the rejection")
	h.supervise(id) // someone else updates the case
	desk.poll(10*time.Second, `document.querySelector('#cdesk-detail')?.textContent.includes('挂牌督办')`)
	var disabled bool
	desk.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).disabled`, form+` button[type=submit]`), &disabled))
	if !disabled {
		t.Error("the redrawn form could send the rejection again while it is under way")
	}
	desk.release(req)
	desk.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() !== '' && !document.querySelector(%q).disabled`,
		form+` .cdesk-err[data-err-for="reason"]`, form+` button[type=submit]`))
	desk.clean()
}

// TestCaseDeskShowsTheCaseOpenedLast: the operator opens one case, then
// another before the first one's answer came; the first answer, late, does
// not replace the second case's detail.
func TestCaseDeskShowsTheCaseOpenedLast(t *testing.T) {
	h := newHarness(t)
	first := h.createCase(h.token("operator"), hubeiHazard("先点开的事件"))
	second := h.createCase(h.token("operator"), hubeiHazard("后点开的事件"))
	desk, next := pausingDesk(t, h)
	desk.run(10*time.Second, chromedp.WaitVisible(caseRow(first), chromedp.ByQuery), chromedp.WaitVisible(caseRow(second), chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/cases/" + first, RequestStage: fetch.RequestStageResponse}}),
		click(caseRow(first)))
	held := next("the first case")
	desk.run(5*time.Second, click(caseRow(second)))
	desk.poll(10*time.Second, `document.querySelector('#cdesk-detail .cdesk-detail-title')?.textContent === '后点开的事件'`)
	desk.release(held)
	// The page marks the late answer it dropped; the detail is the second's.
	desk.poll(5*time.Second, fmt.Sprintf(`document.querySelector('#cdesk-detail').dataset.late === %q`, first))
	var title string
	desk.run(2*time.Second, textOf("#cdesk-detail .cdesk-detail-title", &title))
	if title != "后点开的事件" {
		t.Errorf("the detail shows %q after the first case's late answer, want the case opened last", title)
	}
	desk.clean()
}

// supervise has a leader put case id under supervision (挂牌督办) through
// the API: an update of the case from someone else.
func (h *harness) supervise(id string) {
	h.t.Helper()
	if code, body := h.act(h.token("leader"), id, map[string]any{"action": "supervise", "due_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "reason": "挂牌督办"}); code != 200 {
		h.t.Fatalf("supervise: %d %s", code, body)
	}
}

// pausingDesk opens the console's case desk as the operator in a browser
// whose requests paused by the Fetch domain (the test enables it) next
// waits for, to be let go with release.
func pausingDesk(t *testing.T, h *harness) (*browser, func(what string) fetch.RequestID) {
	t.Helper()
	desk := caseDesk(t, h, nil)
	paused := desk.paused()
	return desk, func(what string) fetch.RequestID {
		t.Helper()
		return desk.held(paused, what)
	}
}

// caseRow is the selector of case id's row in the desk's list.
func caseRow(id string) string { return fmt.Sprintf(`#cdesk-list li[data-id=%q]`, id) }

// caseDesk opens the console's case desk as the operator, with listen (if
// any) hearing the browser's events from before the page loads.
func caseDesk(t *testing.T, h *harness, listen func(ev any)) *browser {
	t.Helper()
	desk := newBrowser(t, 1366, 900)
	if listen != nil {
		chromedp.ListenTarget(desk.ctx, listen)
	}
	desk.login(h.base+"/console.html", "operator")
	desk.openCases()
	return desk
}

// release lets a paused request's answer go on to the page.
func (b *browser) release(id fetch.RequestID) {
	b.t.Helper()
	if err := fetch.ContinueResponse(id).Do(b.target()); err != nil {
		b.t.Fatal(err)
	}
}

// target is the context that sends a command to the page's target.
func (b *browser) target() context.Context {
	return cdp.WithExecutor(b.ctx, chromedp.FromContext(b.ctx).Target)
}

// paused hears the requests the page holds once fetch.Enable names them,
// from now on (call it before the page loads to hear its first ones).
func (b *browser) paused() <-chan fetch.RequestID {
	ch := make(chan fetch.RequestID, 256) // more than any test holds: the listener must not block
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case ch <- e.RequestID:
			default:
				b.t.Errorf("more than 256 requests held: request %s dropped", e.RequestID)
			}
		}
	})
	return ch
}

// held is the next request held, which the test fails without.
func (b *browser) held(ch <-chan fetch.RequestID, what string) fetch.RequestID {
	b.t.Helper()
	select {
	case id := <-ch:
		return id
	case <-time.After(10 * time.Second):
		b.t.Fatalf("%s was not sent", what)
		return ""
	}
}

// TestCaseDeskRefusalOfACaseNoLongerShown: the operator sends a rejection
// without a reason and opens another case before the refusal comes back;
// it is not shown on the other case's form, but the desk says which case's
// action was not done, until that case is opened again.
func TestCaseDeskRefusalOfACaseNoLongerShown(t *testing.T) {
	h := newHarness(t)
	first := h.createCase(h.token("operator"), hubeiHazard("先驳回的事件"))
	second := h.createCase(h.token("operator"), hubeiHazard("随后打开的事件"))
	desk, next := pausingDesk(t, h)
	desk.run(10*time.Second, chromedp.WaitVisible(caseRow(first), chromedp.ByQuery), click(caseRow(first)),
		chromedp.WaitVisible(`#cdesk-detail form.cdesk-form-reject`, chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/actions", RequestStage: fetch.RequestStageResponse}}))
	desk.submit("reject")
	held := next("the rejection")
	desk.run(5*time.Second, click(caseRow(second)))
	desk.poll(10*time.Second, `document.querySelector('#cdesk-detail .cdesk-detail-title')?.textContent === '随后打开的事件'`)
	desk.release(held)
	desk.poll(5*time.Second, fmt.Sprintf(`!document.querySelector('#cdesk-elsewhere').hidden && document.querySelector('#cdesk-elsewhere').textContent.includes(%q)`, first))
	var shown string
	desk.run(2*time.Second, textOf(`#cdesk-detail form.cdesk-form-reject .cdesk-err[data-err-for="reason"]`, &shown))
	if strings.TrimSpace(shown) != "" {
		t.Errorf("the first case's refusal shows on the second case's form: %q", shown)
	}
	desk.run(5*time.Second, click(caseRow(first)))
	desk.poll(5*time.Second, `document.querySelector('#cdesk-elsewhere').hidden`)
	desk.clean()
}
