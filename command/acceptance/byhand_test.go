package acceptance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// taskOf waits on a responder socket for the task.assigned of activation.
func taskOf(t *testing.T, c *wsConn, activationID string) taskView {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m := c.next(time.Until(deadline))
		if m.Type != "task.assigned" {
			continue
		}
		var tv taskView
		mustJSON(t, m.Data, &tv)
		if tv.ActivationID == activationID {
			return tv
		}
	}
	t.Fatalf("no task of %s", activationID)
	return taskView{}
}

// snapshotTasks returns the tasks a responder's snapshot lists.
func (h *harness) snapshotTasks(unitID string) []taskView {
	h.t.Helper()
	snap := h.responder(unitID, nil).next(2 * time.Second)
	var data struct{ Tasks []taskView }
	mustJSON(h.t, snap.Data, &data)
	return data.Tasks
}

// A leader starts the mass-incident plan by hand for a level II incident
// with two of its four groups: only those groups' units get tasks, the
// waiting proposal is superseded, the leaders' socket hears of it, the
// start is audited, and a second start is a conflict naming the first.
func TestStartPlanByHandChosenGroups(t *testing.T) {
	h := newHarness(t)
	leaderWS, res, err := h.ws("/ws/leader", h.token("leader"), nil, nil)
	if err != nil {
		t.Fatalf("leader socket: %v %v", err, res)
	}
	leaderWS.next(2 * time.Second)
	grid := h.responder("grid-01", nil)
	grid.next(2 * time.Second)
	inc := h.create(dongmen("商户聚集", 150))
	id := inc["id"].(string)

	body := map[string]any{"plan_id": "mass-incident", "incident_id": id, "groups": []string{"dialogue", "medical"}, "reason": "现场人员持续增多"}
	res, b := h.do("POST", "/api/v1/activations", h.token("deputy"), body)
	if res.StatusCode != 403 || !strings.Contains(string(b), "leader") {
		t.Fatalf("deputy at level II: %d %s", res.StatusCode, b)
	}
	res, b = h.do("POST", "/api/v1/activations", h.token("leader"), body)
	if res.StatusCode != 201 {
		t.Fatalf("start: %d %s", res.StatusCode, b)
	}
	var a struct {
		ID, Status, Level, Reason string
		ByHand                    bool   `json:"by_hand"`
		DecidedBy                 string `json:"decided_by"`
		Groups                    []groupView
	}
	mustJSON(t, b, &a)
	if a.Status != "active" || !a.ByHand || a.Level != "II" || a.DecidedBy != "leader" || len(a.Groups) != 2 || a.Reason != "现场人员持续增多" {
		t.Fatalf("activation %s", b)
	}
	if tv := taskOf(t, grid, a.ID); tv.GroupID != "dialogue" {
		t.Fatalf("grid-01's task %+v", tv)
	}
	for unit, want := range map[string]int{"med-01": 1, "foot-01": 0, "car-12": 0} {
		if got := h.snapshotTasks(unit); len(got) != want {
			t.Errorf("%s has %d tasks, want %d: %+v", unit, len(got), want, got)
		}
	}
	// The proposal still waiting is superseded by the start.
	states := map[string]string{}
	for _, x := range h.activations(id) {
		if x.PlanID == "mass-incident" {
			states[x.ID] = x.Status
		}
	}
	if len(states) != 1 || states[a.ID] != "active" {
		t.Fatalf("open activations of the plan %v", states)
	}
	seen := false
	for deadline := time.Now().Add(3 * time.Second); !seen && time.Now().Before(deadline); {
		m := leaderWS.next(time.Until(deadline))
		seen = m.Type == "activation.approved" && strings.Contains(string(m.Data), a.ID)
	}
	if !seen {
		t.Fatal("the leader socket did not hear of the start")
	}
	res, b = h.do("POST", "/api/v1/activations", h.token("leader"), body)
	if res.StatusCode != 409 || !strings.Contains(string(b), a.ID) {
		t.Fatalf("second start: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/audit?object="+a.ID, h.token("admin"), nil)
	if !strings.Contains(string(b), "现场人员持续增多") {
		t.Fatalf("audit of the start: %s", b)
	}
}

// Bad input names each bad field; a plan may be started on a higher body's
// request with no incident; an operator may not start a plan.
func TestStartPlanByHandInputAndRequest(t *testing.T) {
	h := newHarness(t)
	tok := h.token("leader")
	for _, c := range []struct {
		name   string
		body   string
		fields []string
	}{
		{"empty", `{}`, []string{"plan_id", "incident_id", "level"}},
		{"unknown", `{"plan_id":"nope","incident_id":"INC-NONE","level":"V"}`, []string{"plan_id", "incident_id", "level"}},
		{"groups", `{"plan_id":"general","level":"I","groups":["medical","cooks"],"request":{"from":" ","text":"","at":"yesterday"}}`, []string{"request.at"}},
		{"request", `{"plan_id":"general","level":"I","groups":["medical","cooks"],"request":{"from":" ","text":""}}`, []string{"request.from", "request.text", "groups[1]"}},
		{"shape", `{"plan_id":1,"groupz":[]}`, []string{"plan_id", "groupz"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, b := h.do("POST", "/api/v1/activations", tok, c.body)
			if res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s", res.StatusCode, b)
			}
			for _, f := range c.fields {
				if !strings.Contains(string(b), `"field":"`+f+`"`) {
					t.Errorf("no error for %s: %s", f, b)
				}
			}
		})
	}
	if res, _ := h.do("POST", "/api/v1/activations", h.token("operator"), `{}`); res.StatusCode != 403 {
		t.Fatalf("operator: %d", res.StatusCode)
	}
	med := h.responder("med-02", nil)
	med.next(2 * time.Second)
	res, b := h.do("POST", "/api/v1/activations", tok, map[string]any{"plan_id": "general", "level": "II", "groups": []string{"medical"},
		"request": map[string]string{"from": "市应急管理局", "at": "2026-07-01T08:00:00+08:00", "text": "台风来临前做好医疗救护准备"}})
	if res.StatusCode != 201 {
		t.Fatalf("start on a request: %d %s", res.StatusCode, b)
	}
	var a struct {
		ID         string
		IncidentID string `json:"incident_id"`
		Request    struct{ From, At, Text string }
	}
	mustJSON(t, b, &a)
	if a.IncidentID != "" || a.Request.From != "市应急管理局" || a.Request.At != "2026-07-01T00:00:00Z" {
		t.Fatalf("activation %s", b)
	}
	// A leader page opened now lists it, with no incident.
	leaderWS, res, err := h.ws("/ws/leader", tok, nil, nil)
	if err != nil {
		t.Fatalf("leader socket: %v %v", err, res)
	}
	if snap := leaderWS.next(2 * time.Second); snap.Type != "snapshot" || !strings.Contains(string(snap.Data), a.ID) {
		t.Fatalf("leader snapshot lacks %s: %s", a.ID, snap.Data)
	}
	tv := taskOf(t, med, a.ID)
	raw, _ := json.Marshal(tv)
	if tv.GroupID != "medical" {
		t.Fatalf("task %s", raw)
	}
}

// Two leaders starting the same plan for one incident at once: one start
// wins, the other is a conflict, and one activation is active.
func TestStartPlanByHandRacing(t *testing.T) {
	h := newHarness(t)
	id := h.create(dongmen("商户聚集", 150))["id"].(string)
	body := map[string]any{"plan_id": "general", "incident_id": id, "reason": "同时启动"}
	codes, tok := make(chan int, 2), h.token("leader")
	for range 2 {
		go func() {
			res, _ := h.doQuiet("POST", "/api/v1/activations", tok, body)
			codes <- res.StatusCode
		}()
	}
	got := map[int]int{}
	for range 2 {
		got[<-codes]++
	}
	if got[201] != 1 || got[409] != 1 {
		t.Fatalf("answers %v, want one 201 and one 409", got)
	}
	active := 0
	for _, a := range h.activations(id) {
		if a.PlanID == "general" && a.Status == "active" {
			active++
		}
	}
	if active != 1 {
		t.Fatalf("%d active general plans", active)
	}
}
