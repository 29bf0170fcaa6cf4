package acceptance_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// On leader.html a leader starts the mass-incident plan for a level II
// incident by hand with two of its four groups (dialogue and medical): the
// plan shows as active with those two groups, a grid officer of the
// dialogue group sees the task on the phone page, and a foot patrol of the
// unchosen on-site control group gets none.
func TestLeaderPageStartsPlanByHandWithTwoGroups(t *testing.T) {
	h := newHarness(t)
	inc := h.create(dongmen("商户聚集", 150))
	id := inc["id"].(string)
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	b.run(10*time.Second,
		click("#start-open"),
		chromedp.WaitVisible("#start-dialog #start-plan", chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`!!document.querySelector('#start-incident option[value=%q]')`, id), nil, chromedp.WithPollingTimeout(5*time.Second)),
	)
	// Every control of the form has a visible label.
	var unlabelled []string
	b.run(3*time.Second, chromedp.Evaluate(`(() => {
		const s = document.querySelector('#start-plan');
		s.value = 'mass-incident';
		s.dispatchEvent(new Event('change'));
		const out = [];
		for (const n of document.querySelectorAll('#start-form input, #start-form select, #start-form textarea')) {
			const l = n.labels && n.labels[0];
			if (!l || !l.textContent.trim()) out.push(n.id || n.name);
		}
		return out;
	})()`, &unlabelled))
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	var checked []string
	b.run(3*time.Second,
		setValue("#start-incident", id),
		chromedp.Evaluate(`[...document.querySelectorAll('#start-groups input:checked')].map((x) => x.value)`, &checked))
	if strings.Join(checked, ",") != "onsite-control,dialogue,medical,logistics" {
		t.Fatalf("groups checked by default: %v", checked)
	}
	b.run(5*time.Second,
		click("#start-group-onsite-control"),
		click("#start-group-logistics"),
		typeInto("#start-reason", "现场人员持续增多"),
	)
	b.screenshot("form")
	b.run(5*time.Second,
		click("#start-send"),
		chromedp.WaitNotVisible("#start-dialog", chromedp.ByQuery),
	)
	card := fmt.Sprintf(`#active-list article[data-plan-id="mass-incident"][data-incident-id=%q]`, id)
	b.run(5*time.Second, chromedp.WaitVisible(card+` li.act-group[data-group-id="dialogue"]`, chromedp.ByQuery))
	var groups []string
	b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((x) => x.dataset.groupId)`, card+" li.act-group"), &groups))
	if strings.Join(groups, ",") != "dialogue,medical" {
		t.Errorf("active plan's groups %v", groups)
	}
	var cardText string
	b.run(2*time.Second, textOf(card, &cardText))
	if !strings.Contains(cardText, "leader 手动启动") || !strings.Contains(cardText, "现场人员持续增多") {
		t.Errorf("active card %q", cardText)
	}
	b.clean()
	b.screenshot("started")

	if got := h.snapshotTasks("foot-01"); len(got) != 0 {
		t.Errorf("foot-01 of an unchosen group has tasks %+v", got)
	}
	b.login(h.base+"/responder.html", "grid-01")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.WaitVisible(`#tasks li.task[data-group-id="dialogue"][data-status="assigned"]`, chromedp.ByQuery))
	var text string
	b.run(2*time.Second, textOf(`#tasks`, &text))
	if !strings.Contains(text, "了解诉求") || strings.Contains(text, "控制现场秩序") {
		t.Errorf("grid-01's tasks %q", text)
	}
	b.clean()
	b.screenshot("phone")
}

// The wall's banner of a plan started on a higher body's request names who
// asked, in place of an incident.
func TestScreenBannerOfPlanStartedOnRequest(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	a := struct{ ID string }{h.startOnRequest()}
	sel := fmt.Sprintf(`#plan-banners .plan-banner[data-activation-id=%q] .plan-incident`, a.ID)
	b.run(10*time.Second, chromedp.Poll(fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? '') === '上级要求（市应急管理局）'`, sel), nil,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.clean()
}

// TestLeaderStartRefusalsBesideTheirFields: a start on a higher body's
// request without saying who asked or what: each refusal is shown beside
// its field in the page's language (they were one line of the server's
// English), and goes when the dialog opens again.
func TestLeaderStartRefusalsBesideTheirFields(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		click("#start-open"),
		chromedp.WaitVisible("#start-dialog #start-plan", chromedp.ByQuery))
	b.poll(5*time.Second, `document.querySelectorAll('#start-plan option').length > 0`)
	b.run(5*time.Second,
		setValue("#start-plan", "general"),
		click("#start-basis-request"),
		chromedp.WaitVisible("#start-request-from", chromedp.ByQuery),
		setValue("#start-level", "II"),
		click("#start-send"))
	b.poll(10*time.Second, `document.querySelector('#start-form p.start-field-error[data-err-for="request.from"]') !== null`)
	var from, text, line string
	b.run(2*time.Second,
		textOf(`#start-form p.start-field-error[data-err-for="request.from"]`, &from),
		textOf(`#start-form p.start-field-error[data-err-for="request.text"]`, &text),
		textOf("#start-error", &line))
	if from != "请填写提出要求的上级单位" || text != "请填写要求内容" || strings.Contains(line, "required") {
		t.Errorf("beside the fields %q and %q, on the line %q", from, text, line)
	}
	b.run(5*time.Second, click("#start-cancel"), chromedp.WaitNotVisible("#start-dialog", chromedp.ByQuery),
		click("#start-open"), chromedp.WaitVisible("#start-dialog #start-plan", chromedp.ByQuery))
	var left int
	b.run(2*time.Second, chromedp.Evaluate(`document.querySelectorAll('#start-form p.start-field-error').length`, &left))
	if left != 0 {
		t.Errorf("%d refusals of the last try are still shown", left)
	}
	b.clean()
}

// startOnRequest has a leader start the general plan at II on a higher
// body's request and returns the activation's id.
func (h *harness) startOnRequest() string {
	h.t.Helper()
	res, body := h.do("POST", "/api/v1/activations", h.token("leader"), map[string]any{"plan_id": "general", "level": "II",
		"request": map[string]string{"from": "市应急管理局", "text": "做好防汛准备"}})
	if res.StatusCode != 201 {
		h.t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	var a struct{ ID string }
	mustJSON(h.t, body, &a)
	return a.ID
}

// TestLeaderStartRefusedInTheCataloguesWords: a deputy starting at level
// III the plan that waits as a level II proposal (which only a leader
// decides) is refused, and the page says so in its own language, not the
// server's English.
func TestLeaderStartRefusedInTheCataloguesWords(t *testing.T) {
	h := newHarness(t)
	id := h.create(dongmen("商户聚集", 150))["id"].(string)
	waitFor(t, 5*time.Second, "the level II proposal", func() bool {
		for _, a := range h.activations(id) {
			if a.PlanID == "mass-incident" && a.Status == "proposed" {
				return true
			}
		}
		return false
	})
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "deputy")
	b.openStart(id)
	b.run(5*time.Second, startActions("mass-incident", id, "III", "先行处置")...)
	b.poll(10*time.Second, `document.querySelector('#start-error').textContent.includes('等待审批')`)
	var line string
	b.run(2*time.Second, textOf("#start-error", &line))
	if strings.Contains(line, "proposed") || strings.Contains(line, "decide") {
		t.Errorf("the refusal in the server's English: %q", line)
	}
	b.clean()
}

// A start refused because its incident kept changing (four times in a row,
// here the answer put in place of the server's) is said in the catalogue's
// words, not the server's English.
func TestLeaderStartRefusedAsTheIncidentChanged(t *testing.T) {
	h := newHarness(t)
	id := h.create(publicOrder("手动启动时事件变化"))["id"].(string)
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok && e.Request.Method == "POST" {
			go func() {
				_ = fetch.FulfillRequest(e.RequestID, 409).
					WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/problem+json"}}).
					WithBody(base64.StdEncoding.EncodeToString([]byte(`{"type":"/docs/problems#conflict","title":"conflict","status":409,"detail":"incident ` + id + ` changed meanwhile"}`))).
					Do(b.target())
			}()
		}
	})
	b.openStart(id)
	b.run(5*time.Second, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/api/v1/activations", RequestStage: fetch.RequestStageRequest}}))
	b.run(5*time.Second, startActions("general", id, "II", "现场扩大")...)
	b.poll(10*time.Second, `document.querySelector('#start-error').textContent.includes('事件刚被更新')`)
	var line string
	b.run(2*time.Second, textOf("#start-error", &line))
	if strings.Contains(line, "meanwhile") {
		t.Errorf("the refusal in the server's English: %q", line)
	}
	b.clean()
}

// openStart opens the leader's start dialog once incident id is among its
// choices.
func (b *browser) openStart(id string) {
	b.t.Helper()
	b.run(10*time.Second, chromedp.WaitVisible("#link-state.up", chromedp.ByQuery),
		click("#start-open"),
		chromedp.WaitVisible("#start-dialog #start-plan", chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`!!document.querySelector('#start-incident option[value=%q]')`, id), nil, chromedp.WithPollingTimeout(5*time.Second)))
}

// startActions fill the start dialog with plan, incident id, level and
// reason, and send it.
func startActions(plan, id, level, reason string) []chromedp.Action {
	return []chromedp.Action{setValue("#start-plan", plan), setValue("#start-incident", id), setValue("#start-level", level),
		typeInto("#start-reason", reason), click("#start-send")}
}
