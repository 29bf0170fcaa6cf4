package acceptance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
)

// A phone that signs in after the plan's approval shows its task and
// acknowledges it, and the group's progress counts it.
func TestResponderPageAcknowledgesTaskAfterApproval(t *testing.T) {
	h := newHarness(t)
	actID := h.approvedMassPlan()
	b := newBrowser(t, 390, 844)
	b.login(h.base+"/responder.html", "foot-01")
	sel := fmt.Sprintf(`#tasks li.task[data-group-id="onsite-control"][data-activation-id=%q]`, actID)
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible(sel+`[data-status="assigned"] button.task-ack`, chromedp.ByQuery))
	var text string
	b.run(2*time.Second, textOf(sel, &text))
	if !strings.Contains(text, "控制现场秩序") || !strings.Contains(text, "待确认") {
		t.Errorf("task shown as %q", text)
	}
	// Where to go: the incident's place, and a link that opens the map app
	// there (the sample city's phones use Amap).
	var place, nav, target string
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector(%q)?.href.startsWith('https://uri.amap.com/')`, sel+" a.task-nav"))
	b.run(2*time.Second, textOf(sel+" .task-place-text", &place),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q)?.getAttribute('href') ?? ''`, sel+" a.task-nav"), &nav),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q)?.target ?? ''`, sel+" a.task-nav"), &target))
	if place != "北纬 22.54700，东经 114.11180" {
		t.Errorf("the task's place %q", place)
	}
	checkAmapLink(t, nav, target, 114.1118, 22.547, "商户聚集")
	b.run(5*time.Second,
		click(sel+" button.task-ack"),
		chromedp.WaitVisible(sel+`[data-status="acknowledged"] button.task-done`, chromedp.ByQuery),
	)
	if g := h.group(actID, "onsite-control"); g.Tasks.Acknowledged != 1 {
		t.Errorf("progress after the phone's ack: %+v", g.Tasks)
	}
	b.screenshot("acknowledged")
	// Another plan's task arrives while the note is typed: the note keeps
	// its text and the focus.
	b.run(5*time.Second, typeInto(sel+" input.task-note-input", "已到"))
	h.approvedMassPlan()
	b.poll(10*time.Second, `document.querySelectorAll('#tasks li.task').length === 2`)
	b.poll(2*time.Second, fmt.Sprintf(`document.activeElement === document.querySelector(%q) && document.activeElement.value === '已到'`, sel+" input.task-note-input"))
	b.run(5*time.Second,
		typeInto(sel+" input.task-note-input", "位"),
		click(sel+" button.task-done"),
		chromedp.WaitVisible(sel+`[data-status="done"]`, chromedp.ByQuery),
	)
	if g := h.group(actID, "onsite-control"); g.Tasks.Done != 1 {
		t.Errorf("progress after done: %+v", g.Tasks)
	}
	var note string
	b.run(3*time.Second, textOf(sel+" .task-note", &note))
	if note != "已到位" {
		t.Errorf("the done task's note %q, want 已到位", note)
	}
	b.clean()
	b.screenshot("ok")
}

// At phone width every header control of the leader page lies inside the
// viewport and takes a click; approving first shows what goes to whom; the
// active plan shows its group's progress live; open deadlines count down.
func TestLeaderPagePhoneConfirmProgressDeadlines(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 390, 844)
	b.login(h.base+"/leader.html", "leader")
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))

	var bad []string
	b.run(2*time.Second, chromedp.Evaluate(`(() => {
		const out = [];
		for (const n of document.querySelectorAll('.topbar button, .topbar a, .topbar input, .topbar select')) {
			const r = n.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) { out.push(n.id + ': not shown'); continue; }
			if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) { out.push(n.id + ': outside ' + JSON.stringify(r)); continue; }
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (!hit || !(hit === n || n.contains(hit))) out.push(n.id + ': covered by ' + (hit ? hit.outerHTML.slice(0, 60) : 'nothing'));
		}
		if (document.documentElement.scrollWidth > innerWidth) out.push('page wider than the viewport: ' + document.documentElement.scrollWidth);
		if (!document.querySelector('.topbar #logout')) out.push('no #logout');
		return out;
	})()`, &bad))
	if len(bad) > 0 {
		t.Errorf("header at 390 px: %s", strings.Join(bad, "; "))
	}

	inc := h.create(dongmen("商户聚集", 150))
	card := fmt.Sprintf(`#proposed-list article.act-card[data-incident-id=%q][data-plan-id="mass-incident"]`, inc["id"])
	b.run(5*time.Second, chromedp.WaitVisible(card+` button[data-action="approve"]`, chromedp.ByQuery))
	// The open deadlines of the incident count down.
	b.run(5*time.Second, chromedp.WaitVisible(fmt.Sprintf(`#deadlines-list li.deadline-item[data-incident-id=%q][data-state]`, inc["id"]), chromedp.ByQuery))
	var left string
	b.run(2*time.Second, textOf(fmt.Sprintf(`#deadlines-list li[data-incident-id=%q] .deadline-left`, inc["id"]), &left))
	if !strings.Contains(left, "剩余") {
		t.Errorf("deadline countdown %q", left)
	}

	// Approving asks first, naming the groups and their units; cancel sends nothing.
	b.run(5*time.Second,
		click(card+` button[data-action="approve"]`),
		chromedp.WaitVisible(`#confirm-dialog #confirm-groups li.confirm-group[data-group-id="onsite-control"]`, chromedp.ByQuery),
	)
	var groups string
	b.run(3*time.Second, chromedp.Poll(`document.querySelector('#confirm-groups').textContent.includes('现场控制组')`, nil, chromedp.WithPollingTimeout(3*time.Second)),
		textOf("#confirm-groups", &groups))
	for _, want := range []string{"现场控制组", "医疗救护组", "个力量"} {
		if !strings.Contains(groups, want) {
			t.Errorf("confirmation lacks %s: %q", want, groups)
		}
	}
	b.run(3*time.Second, click("#confirm-cancel"), chromedp.WaitNotVisible("#confirm-dialog", chromedp.ByQuery))
	var actID string
	for _, a := range h.activations(inc["id"].(string)) {
		if a.PlanID == "mass-incident" {
			actID = a.ID
			if a.Status != "proposed" {
				t.Fatalf("cancelled confirmation approved the plan: %s", a.Status)
			}
		}
	}
	b.run(5*time.Second,
		click(card+` button[data-action="approve"]`),
		chromedp.WaitVisible("#confirm-send", chromedp.ByQuery),
		click("#confirm-send"),
	)
	group := fmt.Sprintf(`#active-list article[data-activation-id=%q] li.act-group[data-group-id="onsite-control"] .act-group-progress`, actID)
	b.run(5*time.Second, chromedp.WaitVisible(group, chromedp.ByQuery))
	total := h.group(actID, "onsite-control").Tasks.Total
	var progress string
	b.run(2*time.Second, textOf(group, &progress))
	if want := fmt.Sprintf("0/%d 已确认，0/%d 已完成", total, total); progress != want {
		t.Errorf("progress %q, want %q", progress, want)
	}
	// A phone acknowledges: the leader page counts it at once.
	phone := h.responder("foot-01", nil)
	var snap struct{ Tasks []taskView }
	mustJSON(t, phone.next(2*time.Second).Data, &snap)
	if len(snap.Tasks) != 1 {
		t.Fatalf("foot-01 tasks %+v", snap.Tasks)
	}
	if res, body := h.do("POST", "/api/v1/tasks/"+snap.Tasks[0].ID+"/ack", h.token("foot-01"), nil); res.StatusCode != 200 {
		t.Fatalf("ack %d %s", res.StatusCode, body)
	}
	want := fmt.Sprintf("1/%d 已确认，0/%d 已完成", total, total)
	b.run(3*time.Second, chromedp.Poll(fmt.Sprintf(`document.querySelector(%q).textContent === %q`, group, want), nil, chromedp.WithPollingTimeout(3*time.Second)))
	b.clean()
	b.screenshot("ok")
}

// The wall's plan banner shows each working group's progress, live.
func TestScreenPlanBannerShowsGroupProgress(t *testing.T) {
	h := newHarness(t)
	b := newBrowser(t, 1920, 1080)
	b.login(h.base+"/", "viewer")
	b.run(10*time.Second, chromedp.WaitVisible("#screen", chromedp.ByQuery), chromedp.WaitVisible("#link-state.up", chromedp.ByQuery))
	actID := h.approvedMassPlan()
	sel := fmt.Sprintf(`#plan-banners .plan-banner[data-activation-id=%q] .plan-progress[data-group-id="onsite-control"]`, actID)
	b.run(10*time.Second, chromedp.Poll(fmt.Sprintf(`!!document.querySelector(%q)`, sel), nil, chromedp.WithPollingTimeout(10*time.Second)))
	total := h.group(actID, "onsite-control").Tasks.Total
	phone := h.responder("foot-01", nil)
	var snap struct{ Tasks []taskView }
	mustJSON(t, phone.next(2*time.Second).Data, &snap)
	if len(snap.Tasks) != 1 {
		t.Fatalf("foot-01 tasks %+v", snap.Tasks)
	}
	if res, body := h.do("POST", "/api/v1/tasks/"+snap.Tasks[0].ID+"/done", h.token("foot-01"), nil); res.StatusCode != 200 {
		t.Fatalf("done %d %s", res.StatusCode, body)
	}
	want := fmt.Sprintf("1/%d 已确认，1/%d 已完成", total, total)
	var got string
	b.run(10*time.Second, chromedp.Poll(fmt.Sprintf(`document.querySelector(%q).textContent.includes(%q)`, sel, want), nil, chromedp.WithPollingTimeout(10*time.Second)),
		textOf(sel, &got))
	if !strings.Contains(got, "现场控制组") {
		t.Errorf("banner progress %q", got)
	}
	b.clean()
}

// The leader page's history shows the plans rejected last, newest first,
// no more than its fifteen, however many there were before, and asks the
// server for no more.
func TestLeaderHistoryShowsTheLatest(t *testing.T) {
	h := newHarness(t)
	var rejected []string
	for i := range 17 {
		inc := h.create(dongmen(fmt.Sprintf("商户聚集%d", i), 150))
		for _, a := range h.activations(inc["id"].(string)) {
			if a.PlanID != "mass-incident" {
				continue
			}
			if res, b := h.do("POST", "/api/v1/activations/"+a.ID+"/reject", h.token("leader"), map[string]string{"reason": "已处置"}); res.StatusCode != 200 {
				t.Fatalf("reject %s: %d %s", a.ID, res.StatusCode, b)
			}
			rejected = append(rejected, a.ID)
		}
	}
	if len(rejected) != 17 {
		t.Fatalf("%d proposals rejected, want 17", len(rejected))
	}
	slices.Reverse(rejected)
	b := newBrowser(t, 1280, 900)
	b.login(h.base+"/leader.html", "leader")
	var shown []string
	b.run(10*time.Second, chromedp.WaitVisible("#app", chromedp.ByQuery),
		chromedp.Poll(`document.querySelectorAll('#history-list li.history-item').length === 15`, nil, chromedp.WithPollingTimeout(5*time.Second)),
		chromedp.Evaluate(`[...document.querySelectorAll('#history-list li.history-item')].map((li) => li.dataset.activationId)`, &shown))
	if !slices.Equal(shown, rejected[:15]) {
		t.Errorf("history %v, want the latest 15 %v", shown, rejected[:15])
	}
	// It asked for no more than it shows, whatever the years behind.
	var asked []string
	b.run(2*time.Second, chromedp.Evaluate(`performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/api/v1/activations?'))`, &asked))
	for _, want := range []string{"status=ended&limit=15", "status=rejected&limit=15"} {
		if !slices.ContainsFunc(asked, func(u string) bool { return strings.HasSuffix(u, want) }) {
			t.Errorf("the page did not ask for %s: %v", want, asked)
		}
	}
	b.clean()
	b.screenshot("history")
}

// TestResponderTaskAnswersKeepThroughARedrawAndClose: while a task's
// acknowledgement is under way the page redraws (the language switched):
// its button stays disabled. Then the plan ends where the phone is not told
// (its tasks.closed lost: here the plan's status is set in Redis alone);
// pressing done closes the task on the phone for good, no button left,
// instead of a refusal that leaves the task open.
func TestResponderTaskAnswersKeepThroughARedrawAndClose(t *testing.T) {
	h := newHarness(t)
	actID := h.approvedMassPlan()
	b := newBrowser(t, 390, 844)
	paused := b.paused()
	b.login(h.base+"/responder.html", "foot-01")
	sel := fmt.Sprintf(`#tasks li.task[data-group-id="onsite-control"][data-activation-id=%q]`, actID)
	b.run(10*time.Second, chromedp.WaitVisible(sel+`[data-status="assigned"] button.task-ack`, chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/ack", RequestStage: fetch.RequestStageResponse}}),
		click(sel+" button.task-ack"))
	held := b.held(paused, "the acknowledgement")
	b.run(5*time.Second, click("#lang-toggle"))
	b.poll(5*time.Second, `document.documentElement.lang === "en"`)
	var disabled bool
	// The stream may already have told the phone of the acknowledgement
	// (done is then offered): whichever button is drawn waits for the answer.
	b.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).disabled`, sel+" .task-actions button"), &disabled))
	if !disabled {
		t.Error("the redrawn task could be answered again while its acknowledgement is under way")
	}
	b.release(held)
	b.run(10*time.Second, fetch.Disable(), chromedp.WaitVisible(sel+`[data-status="acknowledged"] button.task-done`, chromedp.ByQuery))
	keys := redisKeys(t, h, "*:activation:"+actID)
	if len(keys) != 1 {
		t.Fatalf("the activation's keys: %q", keys)
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer rdb.Close()
	if err := rdb.HSet(context.Background(), keys[0], "status", "ended").Err(); err != nil {
		t.Fatal(err)
	}
	b.run(5*time.Second, click(sel+" button.task-done"))
	b.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q) !== null && document.querySelector(%q) === null`, sel+`[data-status="closed"]`, sel+" button"))
	b.clean()
	b.screenshot("closed")
}

// A leader ends a plan on the leader page while the phone's acknowledgement
// of its task is on its way back: the phone closes the task at once, no
// button left, says that the plan ended, and the late answer does not open
// it again; the same phone's task of another plan stays open.
func TestPhoneTaskClosedWhenThePlanEnds(t *testing.T) {
	h := newHarness(t)
	actID := h.approvedMassPlan()
	other := h.approvedMassPlan()
	phone := newBrowser(t, 390, 844)
	paused := phone.paused()
	phone.login(h.base+"/responder.html", "foot-01")
	sel := func(id string) string {
		return fmt.Sprintf(`#tasks li.task[data-group-id="onsite-control"][data-activation-id=%q]`, id)
	}
	phone.run(10*time.Second, chromedp.WaitVisible(sel(actID)+` button.task-ack`, chromedp.ByQuery),
		chromedp.WaitVisible(sel(other)+` button.task-ack`, chromedp.ByQuery),
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*/ack", RequestStage: fetch.RequestStageResponse}}),
		click(sel(actID)+" button.task-ack"))
	held := phone.held(paused, "the acknowledgement")

	leader := newBrowser(t, 1280, 900)
	leader.login(h.base+"/leader.html", "leader")
	card := fmt.Sprintf(`#active-list article.act-card[data-activation-id=%q]`, actID)
	leader.run(10*time.Second, chromedp.WaitVisible(card+` button[data-action="end"]`, chromedp.ByQuery))
	leader.run(5*time.Second, typeInto(card+` textarea.reason-input`, "现场秩序恢复"), click(card+` button[data-action="end"]`))
	leader.run(10*time.Second, chromedp.WaitNotPresent(card, chromedp.ByQuery))

	phone.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q) !== null && document.querySelector(%q) === null`,
		sel(actID)+`[data-status="closed"]`, sel(actID)+" button"))
	// The acknowledgement, stored before the end, answers now.
	phone.release(held)
	phone.run(5*time.Second, fetch.Disable())
	phone.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.dataset.sending === 'false'`, sel(actID)))
	var status string
	phone.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q)?.dataset.status ?? 'gone'`, sel(actID)), &status))
	if status != "closed" {
		t.Errorf("the late answer left the task %s, want closed", status)
	}
	var notice, kind string
	phone.run(2*time.Second, textOf("#notice-text", &notice), chromedp.Evaluate(`document.querySelector('#notice').dataset.kind ?? ''`, &kind))
	if kind != "plan-ended" || !strings.Contains(notice, "预案已结束") || !strings.Contains(notice, "群体性事件") {
		t.Errorf("the phone's notice %q (%s), want the plan ended", notice, kind)
	}
	var open bool
	phone.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q) !== null`, sel(other)+`[data-status="assigned"] button.task-ack`), &open))
	if !open {
		t.Error("the task of the plan still active was closed too")
	}
	phone.screenshot("plan-ended")
	phone.clean()
	leader.clean()
}

// The incident of an active plan is closed on the console: the leader page
// shows it closed on the plan's card at once and asks for the plan to be
// ended (its tasks close with it); reopened, the hint goes.
func TestLeaderSeesAPlansIncidentClosed(t *testing.T) {
	h := newHarness(t)
	actID := h.approvedMassPlan()
	_, body := h.do("GET", "/api/v1/activations/"+actID, h.token("viewer"), nil)
	var act struct {
		IncidentID string `json:"incident_id"`
	}
	mustJSON(t, body, &act)
	incID := act.IncidentID
	leader := newBrowser(t, 1280, 900)
	leader.login(h.base+"/leader.html", "leader")
	card := fmt.Sprintf(`#active-list article.act-card[data-activation-id=%q]`, actID)
	leader.run(10*time.Second, chromedp.WaitVisible(card+` button[data-action="end"]`, chromedp.ByQuery))
	var hints int
	leader.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, card+" .incident-closed"), &hints))
	if hints != 0 {
		t.Fatal("the hint shows while the incident is open")
	}
	if res, body := h.do("POST", "/api/v1/incidents/"+incID+"/status", h.token("operator"), closing("处置完毕")); res.StatusCode != 200 {
		t.Fatalf("closing: %d %s", res.StatusCode, body)
	}
	leader.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent.includes('请结束本预案') && document.querySelector(%q)?.textContent === '已结束'`,
		card+" .incident-closed", card+" .status-closed"))
	leader.screenshot("incident-closed")
	if res, body := h.do("POST", "/api/v1/incidents/"+incID+"/status", h.token("leader"), map[string]any{"status": "recovery", "reason": "现场仍需善后"}); res.StatusCode != 200 {
		t.Fatalf("reopening: %d %s", res.StatusCode, body)
	}
	leader.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q) === null`, card+" .incident-closed"))
	leader.clean()
}

// The warning a plan was started for is lifted: the leader page shows it
// lifted on the plan's card at once and asks for the plan to be ended.
func TestLeaderSeesAPlansWarningLifted(t *testing.T) {
	h := newHarness(t)
	w := h.issueWarning("leader", warningBody("rainstorm", "red", 6, time.Now()))
	res, body := h.do("POST", "/api/v1/activations", h.token("leader"), map[string]any{"plan_id": "flood-typhoon", "warning_id": w.ID, "reason": "暴雨红色预警"})
	if res.StatusCode != 201 {
		t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	var act struct{ ID string }
	mustJSON(t, body, &act)
	leader := newBrowser(t, 1280, 900)
	leader.login(h.base+"/leader.html", "leader")
	card := fmt.Sprintf(`#active-list article.act-card[data-activation-id=%q]`, act.ID)
	leader.run(10*time.Second, chromedp.WaitVisible(card+` .act-warning .warn-id`, chromedp.ByQuery))
	var hints int
	leader.run(2*time.Second, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, card+" .incident-closed"), &hints))
	if hints != 0 {
		t.Fatal("the hint shows while the warning is in force")
	}
	if code, _, b := h.warningStep("operator", w.ID, "lift", map[string]any{"reason": "雨停"}); code != 200 {
		t.Fatalf("lifting: %d %s", code, b)
	}
	leader.poll(10*time.Second, fmt.Sprintf(`document.querySelector(%q)?.textContent.includes('预警已解除') && document.querySelector(%q)?.textContent === '已解除'`,
		card+" .incident-closed", card+" .warn-status-lifted"))
	leader.clean()
}
