package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// leaderWithProposal signs a leader in on the leader page and makes an
// incident whose mass-incident plan waits there; card is its card.
func leaderWithProposal(t *testing.T) (*harness, *browser, string) {
	t.Helper()
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	first := h.create(dongmen("商户聚集", 150))
	return h, b, fmt.Sprintf(`#proposed-list article.act-card[data-incident-id=%q][data-plan-id="mass-incident"]`, first["id"])
}

// A leader presses "approve" while another plan's proposal arrives and
// re-renders the list: the release still makes the click (the confirmation
// opens), and the new proposal appears once the press is over.
func TestLeaderClickSurvivesALiveReRender(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	button := card + ` button[data-action="approve"]`
	b.run(5*time.Second, chromedp.WaitVisible(button, chromedp.ByQuery))
	var at struct{ X, Y float64 }
	b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`(() => { const n = document.querySelector(%q); n.scrollIntoView({block: 'center'});
		const r = n.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, button), &at))
	var before string
	b.run(2*time.Second, textOf("#proposed-count", &before))
	b.run(2*time.Second, chromedp.MouseEvent(input.MousePressed, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))

	body := dongmen("又一处聚集", 150) // a plan of its own
	body["location"] = map[string]float64{"lon": 114.1218, "lat": 22.547}
	second := h.create(body)
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector('#proposed-count').innerText !== %q`, before))
	b.run(2*time.Second, chromedp.MouseEvent(input.MouseReleased, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.run(5*time.Second, chromedp.WaitVisible("#confirm-send", chromedp.ByQuery))
	b.run(5*time.Second, chromedp.WaitVisible(fmt.Sprintf(`#proposed-list article.act-card[data-incident-id=%q]`, second["id"]), chromedp.ByQuery))
	b.run(3*time.Second, click("#confirm-cancel"), chromedp.WaitNotVisible("#confirm-dialog", chromedp.ByQuery))

	// Rejecting without a reason asks for one there, in the field that
	// takes the focus (the lists the click redraws do not take it away).
	b.run(3*time.Second, click(card+` button[data-action="reject"]`))
	b.poll(3*time.Second, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, card+" textarea.reason-input"))
	b.clean()
}

// A leader types a reason with an input method (pinyin) while another
// plan's proposal arrives: the composition is not cut short, the chosen
// characters replace the pinyin, and the new proposal appears after it.
func TestLeaderReasonKeepsAComposition(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	field := card + ` textarea.reason-input`
	b.run(5*time.Second, chromedp.WaitVisible(field, chromedp.ByQuery), click(field))
	b.poll(2*time.Second, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, field))
	var before string
	b.run(2*time.Second, textOf("#proposed-count", &before))
	b.run(2*time.Second, input.ImeSetComposition("zhi", 3, 3))

	body := dongmen("又一处聚集", 150) // a plan of its own
	body["location"] = map[string]float64{"lon": 114.1218, "lat": 22.547}
	second := h.create(body)
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector('#proposed-count').innerText !== %q`, before))
	b.run(2*time.Second, input.InsertText("知"))
	b.poll(3*time.Second, fmt.Sprintf(`document.querySelector(%q)?.value === '知'`, field))
	b.run(5*time.Second, chromedp.WaitVisible(fmt.Sprintf(`#proposed-list article.act-card[data-incident-id=%q]`, second["id"]), chromedp.ByQuery))
	b.poll(2*time.Second, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, field))
	b.clean()
}

// An operator typing a dispatch note keeps its text, caret and focus when a
// follow-up arriving redraws the incident's detail.
func TestConsoleDetailKeepsTheCaretAcrossARedraw(t *testing.T) {
	h := newHarness(t)
	id := h.create(publicOrder("打字时来了续报"))["id"].(string)
	b := newBrowser(t, 1366, 768)
	b.login(h.base+"/console.html", "operator")
	item := fmt.Sprintf(`#incident-list li.desk-item[data-id=%q]`, id)
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery), click("#tab-desk"), chromedp.WaitVisible(item, chromedp.ByQuery), click(item))
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector('#detail[data-sync="idle"][data-id=%q] #dispatch-note') !== null`, id))
	b.run(5*time.Second, typeInto("#dispatch-note", "abcd"),
		chromedp.Evaluate(`document.querySelector('#dispatch-note').setSelectionRange(1, 1)`, nil))
	var before int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll('#timeline > li').length`, &before))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/reports", h.token("operator"), map[string]any{"people_involved": 40}); res.StatusCode != 200 {
		t.Fatalf("follow-up: %d %s", res.StatusCode, body)
	}
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelectorAll('#timeline > li').length > %d`, before))
	b.run(2*time.Second, chromedp.KeyEvent("X"))
	b.poll(2*time.Second, `document.activeElement?.id === 'dispatch-note' && document.activeElement.value === 'aXbcd'`)
	b.clean()
}

// An operator presses a case form's button while an update of the case
// arrives: the detail waits, and the release still submits the form (a form
// redrawn as the click starts is no longer in the page, and the browser
// then drops its submission).
func TestCaseDeskSubmitSurvivesAnUpdate(t *testing.T) {
	h := newHarness(t)
	id := h.createCase(h.token("operator"), hubeiHazard("按下时有更新"))
	desk := caseDesk(t, h, nil)
	row := caseRow(id)
	button := `#cdesk-detail form.cdesk-form-accept button[type=submit]`
	desk.run(10*time.Second, chromedp.WaitVisible(row, chromedp.ByQuery), click(row), chromedp.WaitVisible(button, chromedp.ByQuery))
	var at struct{ X, Y float64 }
	desk.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`(() => { const n = document.querySelector(%q); n.scrollIntoView({block: 'center'});
		const r = n.getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, button), &at))
	desk.run(2*time.Second, chromedp.MouseEvent(input.MousePressed, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	h.supervise(id)
	desk.poll(10*time.Second, `document.querySelector('#cdesk-detail').hasAttribute('data-held')`)
	desk.run(2*time.Second, chromedp.MouseEvent(input.MouseReleased, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitFor(t, 5*time.Second, "the case accepted", func() bool { s, _, _ := h.caseStatus(id); return s == "accepted" })
	desk.poll(5*time.Second, `document.querySelector('#cdesk-detail')?.textContent.includes('挂牌督办') && !document.querySelector('#cdesk-detail').hasAttribute('data-held')`)
	desk.clean()
}
