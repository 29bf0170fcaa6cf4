package acceptance_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

type taskView struct {
	ID           string
	ActivationID string `json:"activation_id"`
	GroupID      string `json:"group_id"`
	UnitID       string `json:"unit_id"`
	Status       string
	Note         string
}

type groupView struct {
	ID    string
	Units []string
	Tasks struct{ Total, Acknowledged, Done int }
}

// approvedMassPlan creates a level II mass incident and approves its
// mass-incident plan as the leader; it returns the activation id.
func (h *harness) approvedMassPlan() string {
	h.t.Helper()
	inc := h.create(dongmen("商户聚集", 150))
	for _, a := range h.activations(inc["id"].(string)) {
		if a.PlanID == "mass-incident" {
			res, b := h.do("POST", "/api/v1/activations/"+a.ID+"/approve", h.token("leader"), map[string]string{"reason": "立即启动"})
			if res.StatusCode != 200 {
				h.t.Fatalf("approve: %d %s", res.StatusCode, b)
			}
			return a.ID
		}
	}
	h.t.Fatal("no mass-incident proposal")
	return ""
}

func (h *harness) group(activationID, groupID string) groupView {
	h.t.Helper()
	_, b := h.do("GET", "/api/v1/activations/"+activationID, h.token("viewer"), nil)
	var a struct{ Groups []groupView }
	mustJSON(h.t, b, &a)
	for _, g := range a.Groups {
		if g.ID == groupID {
			return g
		}
	}
	h.t.Fatalf("activation %s has no group %s: %s", activationID, groupID, b)
	return groupView{}
}

// A responder that connects after the approval finds its tasks in the
// snapshot, acknowledges one and marks it done; repeats change nothing,
// others' tasks are not found, and the group's progress reaches the leader
// socket, the screens and the activation.
func TestPlanTasksReachLateResponderAndProgress(t *testing.T) {
	h := newHarness(t)
	leaderWS, res, err := h.ws("/ws/leader", h.token("leader"), nil, nil)
	if err != nil {
		t.Fatalf("leader socket: %v %v", err, res)
	}
	leaderWS.next(2 * time.Second)
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)

	actID := h.approvedMassPlan()
	g := h.group(actID, "onsite-control")
	if g.Tasks.Total != len(g.Units) || g.Tasks.Total < 2 || g.Tasks.Acknowledged != 0 || !strings.Contains(strings.Join(g.Units, ","), "foot-01") {
		t.Fatalf("group at approval %+v", g)
	}

	// foot-01 connects only now: its snapshot lists its task.
	phone := h.responder("foot-01", nil)
	snap := phone.next(2 * time.Second)
	var data struct{ Tasks []taskView }
	mustJSON(t, snap.Data, &data)
	if snap.Type != "snapshot" || len(data.Tasks) != 1 || data.Tasks[0].GroupID != "onsite-control" || data.Tasks[0].Status != "assigned" || data.Tasks[0].UnitID != "foot-01" {
		t.Fatalf("snapshot %s", snap.Data)
	}
	if !strings.Contains(string(snap.Data), "控制现场秩序") || strings.Contains(string(snap.Data), "13812345678") {
		t.Fatalf("snapshot task text or masking: %s", snap.Data)
	}
	task := data.Tasks[0]
	path := "/api/v1/tasks/" + url.PathEscape(task.ID)

	// Another unit's task is not found, for a responder; a viewer may not call.
	if res, b := h.do("POST", path+"/ack", h.token("fire-01"), nil); res.StatusCode != 404 {
		t.Errorf("fire-01 acknowledged foot-01's task: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do("POST", path+"/ack", h.token("viewer"), nil); res.StatusCode != 403 {
		t.Errorf("viewer: %d", res.StatusCode)
	}
	if res, _ := h.do("POST", "/api/v1/tasks/nope/ack", h.token("foot-01"), nil); res.StatusCode != 404 {
		t.Errorf("unknown task: %d", res.StatusCode)
	}
	// A note goes only with done, and every bad field is named.
	res2, b := h.do("POST", path+"/ack", h.token("foot-01"), map[string]string{"note": strings.Repeat("长", 2001)})
	if res2.StatusCode != 400 || !strings.Contains(string(b), "only marking a task done") || !strings.Contains(string(b), "at most 2000") {
		t.Errorf("ack with a note: %d %s", res2.StatusCode, b)
	}
	// A note's text is cleaned as an incident's is: a NUL is refused, a
	// note of only invisible characters is no note (so an ack may carry it).
	for _, c := range []struct {
		action, note string
		status       int
	}{
		{"done", `秩序\u0000已恢复`, 400},
		{"ack", `\u202e\u200b\u200b`, 0},
	} {
		body := `{"note":"` + c.note + `"}`
		if c.status == 0 {
			if _, b := h.do("POST", path+"/"+c.action, h.token("foot-01"), body); strings.Contains(string(b), `"field":"note"`) {
				t.Errorf("%s with an invisible note: %s", c.action, b)
			}
			continue
		}
		if res, b := h.do("POST", path+"/"+c.action, h.token("foot-01"), body); res.StatusCode != c.status || !strings.Contains(string(b), `"field":"note"`) {
			t.Errorf("%s with note %s: %d %s", c.action, c.note, res.StatusCode, b)
		}
	}

	for i := range 2 { // the repeat changes nothing
		res, b := h.do("POST", path+"/ack", h.token("foot-01"), nil)
		if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"acknowledged"`) {
			t.Fatalf("ack %d: %d %s", i, res.StatusCode, b)
		}
	}
	for _, c := range []*wsConn{leaderWS, screen, phone} {
		ev := c.await("task.acknowledged", 2*time.Second)
		var e struct {
			GroupID  string `json:"group_id"`
			Progress struct{ Total, Acknowledged, Done int }
		}
		mustJSON(t, ev.Data, &e)
		if e.GroupID != "onsite-control" || e.Progress.Acknowledged != 1 || e.Progress.Total != g.Tasks.Total || e.Progress.Done != 0 {
			t.Errorf("task.acknowledged %s", ev.Data)
		}
	}
	if g := h.group(actID, "onsite-control"); g.Tasks.Acknowledged != 1 || g.Tasks.Done != 0 {
		t.Errorf("after ack %+v", g.Tasks)
	}

	for i := range 2 {
		res, b := h.do("POST", path+"/done", h.token("foot-01"), map[string]string{"note": "秩序\u202e已恢复\u200b"})
		if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"done"`) || !strings.Contains(string(b), "秩序已恢复") || strings.ContainsAny(string(b), "\u202e\u200b") {
			t.Fatalf("done %d: %d %s", i, res.StatusCode, b)
		}
	}
	ev := leaderWS.await("task.done", 2*time.Second)
	if !strings.Contains(string(ev.Data), `"done":1`) || !strings.Contains(string(ev.Data), `"acknowledged":1`) {
		t.Errorf("task.done %s", ev.Data)
	}
	// The repeats sent nothing (the incident moving to responding, by its
	// automatic dispatch, may come at any time).
	leaderWS.quiet(300*time.Millisecond, "incident.status")
	if g := h.group(actID, "onsite-control"); g.Tasks.Acknowledged != 1 || g.Tasks.Done != 1 {
		t.Errorf("after done %+v", g.Tasks)
	}
	// A phone connecting again sees the task done.
	again := h.responder("foot-01", nil)
	snap = again.next(2 * time.Second)
	if !strings.Contains(string(snap.Data), `"status":"done"`) {
		t.Errorf("snapshot after done %s", snap.Data)
	}
	// Both steps are audited.
	_, b = h.do("GET", "/api/v1/audit?object="+url.QueryEscape(actID), h.token("leader"), nil)
	for _, want := range []string{`"action":"task.acknowledged"`, `"action":"task.done"`, `"who":"foot-01"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("audit lacks %s: %s", want, b)
		}
	}
	// Once the plan ends its tasks leave the phone and are closed.
	if res, b := h.do("POST", "/api/v1/activations/"+actID+"/end", h.token("leader"), map[string]string{"reason": "处置完毕"}); res.StatusCode != 200 {
		t.Fatalf("end: %d %s", res.StatusCode, b)
	}
	snap = h.responder("foot-01", nil).next(2 * time.Second)
	mustJSON(t, snap.Data, &data)
	if len(data.Tasks) != 0 {
		t.Errorf("tasks of an ended plan: %s", snap.Data)
	}
}

// An approval announces each task to its unit once (the retried delivery
// is covered by store's TestAddTasksIdempotent).
func TestPlanTaskDeliveredOnce(t *testing.T) {
	h := newHarness(t)
	phone := h.responder("foot-01", nil)
	phone.next(2 * time.Second)
	h.approvedMassPlan()
	phone.await("task.assigned", 2*time.Second)
	phone.quiet(300 * time.Millisecond)
}
