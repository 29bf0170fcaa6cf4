package acceptance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

type activation struct {
	ID         string
	PlanID     string `json:"plan_id"`
	IncidentID string `json:"incident_id"`
	Level      string
	Status     string
	Phase      string
	Approvers  []string
	Why        []string
}

func (h *harness) activations(incidentID string) []activation {
	h.t.Helper()
	_, b := h.do("GET", "/api/v1/activations", h.token("viewer"), nil)
	var out struct{ Activations []activation }
	mustJSON(h.t, b, &out)
	var mine []activation
	for _, a := range out.Activations {
		if a.IncidentID == incidentID {
			mine = append(mine, a)
		}
	}
	return mine
}

func planIDs(as []activation) string {
	ids := []string{}
	for _, a := range as {
		ids = append(ids, a.PlanID+"@"+a.Level)
	}
	slices.Sort(ids)
	return strings.Join(ids, " ")
}

func TestPlanProposalApprovalTasksAndEnd(t *testing.T) {
	h := newHarness(t)
	leaderWS, res, err := h.ws("/ws/leader", h.token("leader"), nil, nil)
	if err != nil {
		t.Fatalf("leader socket: %v %v", err, res)
	}
	leaderWS.next(2 * time.Second)
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	member := h.responder("foot-01", nil) // foot-patrol-dongmen: on-site control
	member.next(2 * time.Second)
	outsider := h.responder("fire-01", nil) // in no group of the mass-incident plan
	outsider.next(2 * time.Second)

	// 150 people in a sensitive zone: level II. The general plan (II and up)
	// and the mass-incident plan (III and up) are proposed, to the leader only.
	inc := h.create(dongmen("商户聚集", 150))
	id := inc["id"].(string)
	as := h.activations(id)
	if planIDs(as) != "general@II mass-incident@II" {
		t.Fatalf("proposals %s", planIDs(as))
	}
	var mass activation
	for _, a := range as {
		if a.Status != "proposed" || strings.Join(a.Approvers, ",") != "leader" || len(a.Why) == 0 {
			t.Errorf("proposal %+v", a)
		}
		if a.PlanID == "mass-incident" {
			mass = a
		}
	}
	for range 2 {
		leaderWS.await("activation.proposed", 2*time.Second)
	}
	// The deputy may not approve a level II plan, and is told why.
	res2, b := h.do("POST", "/api/v1/activations/"+mass.ID+"/approve", h.token("deputy"), map[string]string{"reason": "同意"})
	if res2.StatusCode != 403 || !strings.Contains(string(b), "only by leader") {
		t.Fatalf("deputy approved: %d %s", res2.StatusCode, b)
	}
	res2, b = h.do("POST", "/api/v1/activations/"+mass.ID+"/approve", h.token("leader"), map[string]string{"reason": "立即启动"})
	if res2.StatusCode != 200 || !strings.Contains(string(b), `"status":"active"`) || !strings.Contains(string(b), `"phase":"action"`) {
		t.Fatalf("approve: %d %s", res2.StatusCode, b)
	}
	screen.await("activation.approved", 2*time.Second)
	// The working group's tasks reach its members, and only them.
	task := member.await("task.assigned", 2*time.Second)
	if !strings.Contains(string(task.Data), `"group_id":"onsite-control"`) || !strings.Contains(string(task.Data), "控制现场秩序") || !strings.Contains(string(task.Data), id) {
		t.Fatalf("task %s", task.Data)
	}
	// The task carries the incident's brief: what, how grave and where,
	// nothing of its reporter, reasons or deadlines.
	var brief struct {
		Incident map[string]json.RawMessage `json:"incident"`
	}
	if err := json.Unmarshal(task.Data, &brief); err != nil {
		t.Fatalf("task %s: %v", task.Data, err)
	}
	if got := slices.Sorted(maps.Keys(brief.Incident)); strings.Join(got, " ") != "category drill id level location occurred_at title" ||
		string(brief.Incident["id"]) != `"`+id+`"` || string(brief.Incident["level"]) != `"II"` {
		t.Fatalf("the task's incident %s", task.Data)
	}
	outsider.quiet(300 * time.Millisecond)
	if res2, _ := h.do("POST", "/api/v1/activations/"+mass.ID+"/approve", h.token("leader"), map[string]string{}); res2.StatusCode != 409 {
		t.Errorf("approved twice: %d", res2.StatusCode)
	}
	// The other proposal is rejected with a reason.
	for _, a := range as {
		if a.PlanID == "general" {
			if res2, _ := h.do("POST", "/api/v1/activations/"+a.ID+"/reject", h.token("leader"), map[string]string{}); res2.StatusCode != 400 {
				t.Errorf("reject without a reason: %d", res2.StatusCode)
			}
			if res2, b := h.do("POST", "/api/v1/activations/"+a.ID+"/reject", h.token("leader"), map[string]string{"reason": "专项预案已启动"}); res2.StatusCode != 200 {
				t.Errorf("reject: %d %s", res2.StatusCode, b)
			}
		}
	}
	// Phases: action → recovery → ended, each by the same authority.
	if res2, _ := h.do("POST", "/api/v1/activations/"+mass.ID+"/phase", h.token("leader"), map[string]string{"phase": "action"}); res2.StatusCode != 400 {
		t.Errorf("bad phase: %d", res2.StatusCode)
	}
	if res2, b := h.do("POST", "/api/v1/activations/"+mass.ID+"/phase", h.token("leader"), map[string]string{"phase": "recovery", "reason": "人群已疏散"}); res2.StatusCode != 200 || !strings.Contains(string(b), `"phase":"recovery"`) {
		t.Errorf("recovery: %d %s", res2.StatusCode, b)
	}
	if res2, _ := h.do("POST", "/api/v1/activations/"+mass.ID+"/end", h.token("deputy"), map[string]string{"reason": "结束"}); res2.StatusCode != 403 {
		t.Errorf("deputy ended a level II plan: %d", res2.StatusCode)
	}
	if res2, _ := h.do("POST", "/api/v1/activations/"+mass.ID+"/end", h.token("leader"), map[string]string{}); res2.StatusCode != 400 {
		t.Errorf("end without a reason: %d", res2.StatusCode)
	}
	if res2, b := h.do("POST", "/api/v1/activations/"+mass.ID+"/end", h.token("leader"), map[string]string{"reason": "处置完毕"}); res2.StatusCode != 200 || !strings.Contains(string(b), `"status":"ended"`) {
		t.Errorf("end: %d %s", res2.StatusCode, b)
	}
	screen.await("activation.ended", 2*time.Second)
	// A leader page's history: the latest ended, with how many there are;
	// a bad status or limit is named.
	_, b = h.do("GET", "/api/v1/activations?status=ended&limit=1", h.token("viewer"), nil)
	var latest struct {
		Activations  []activation
		Count, Total int
	}
	mustJSON(t, b, &latest)
	if len(latest.Activations) != 1 || latest.Activations[0].ID != mass.ID || latest.Count != 1 || latest.Total != 1 {
		t.Errorf("the latest ended: %s", b)
	}
	for q, want := range map[string][]string{"status=old&limit=0": {"limit", "status"}, "limit=501": {"limit"}, "status=ended&limit=x": {"limit"},
		"status=ended&limit=-3": {"limit"}, "status=ended&limit=1.5": {"limit"}, "status=ended&limit=99999999999999999999": {"limit"}, "status=ENDED": {"status"}} {
		if code, fields, body := h.problemFields("GET", "/api/v1/activations?"+q, h.token("viewer"), ""); code != 400 || !slices.Equal(fields, want) {
			t.Errorf("%s: %d %v %s", q, code, fields, body)
		}
	}
	// The phases are in the incident's timeline.
	_, b = h.do("GET", "/api/v1/incidents/"+id, h.token("operator"), nil)
	for _, want := range []string{`"type":"plan.proposed"`, `"type":"plan.activated"`, `"phase":"action"`, `"phase":"recovery"`, `"type":"plan.ended"`, `"type":"plan.rejected"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("timeline lacks %s", want)
		}
	}
}

func TestPlanProposedOnceAndAgainForStricterApprovers(t *testing.T) {
	h := newHarness(t)
	inc := h.create(dongmen("聚集", 40)) // 30–99 in a sensitive zone: III
	id := inc["id"].(string)
	if got := planIDs(h.activations(id)); got != "mass-incident@III" {
		t.Fatalf("at III: %s", got)
	}
	report := func(people int) {
		h.do("POST", "/api/v1/incidents/"+id+"/reports", h.token("operator"), map[string]int{"people_involved": people})
	}
	report(60) // still III: nothing new
	if got := planIDs(h.activations(id)); got != "mass-incident@III" {
		t.Fatalf("a follow-up at the same level proposed again: %s", got)
	}
	report(150) // II: the leader alone decides now, so mass-incident is proposed again (the III proposal is superseded); general starts at II
	if got := planIDs(h.activations(id)); got != "general@II mass-incident@II" {
		t.Fatalf("at II: %s", got)
	}
	_, b := h.do("GET", "/api/v1/activations?status=rejected", h.token("viewer"), nil)
	if !strings.Contains(string(b), "superseded") || !strings.Contains(string(b), `"level":"III"`) {
		t.Errorf("the level III proposal was not superseded: %s", b)
	}
	report(250) // I: same approvers as II: nothing new
	if got := planIDs(h.activations(id)); got != "general@II mass-incident@II" {
		t.Fatalf("at I: %s", got)
	}
}

// TestApprovalMatrix: every role against every level, by the sample
// approvers (I and II only the leader; III and IV the deputy or the leader).
func TestApprovalMatrix(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Plans = append(c.Plans, config.Plan{
			ID: "matrix", Name: config.Text{ZH: "测试预案", EN: "Matrix plan"}, Categories: []string{"production_safety"}, MinLevel: alerts.LevelIV,
			Approvers: map[string][]vocab.Role{"I": {"leader"}, "II": {"leader"}, "III": {"deputy", "leader"}, "IV": {"deputy", "leader"}},
			Groups:    []config.Group{{ID: "g", Name: config.Text{ZH: "组", EN: "Group"}, Units: []string{"fire-01"}, Tasks: []config.Text{{ZH: "任务", EN: "Task"}}}},
		})
	})
	deaths := map[string]int{"I": 30, "II": 10, "III": 3, "IV": 0}
	allowed := map[string][]string{"I": {"leader"}, "II": {"leader"}, "III": {"deputy", "leader"}, "IV": {"deputy", "leader"}}
	roles := []string{"admin", "leader", "deputy", "operator", "viewer", "car-01"} // car-01 is a responder
	for _, level := range []string{"I", "II", "III", "IV"} {
		for _, approver := range allowed[level] {
			inc := h.create(map[string]any{"category": "production_safety", "title": "事故 " + level, "grid": "440303002002001", "deaths": deaths[level]})
			if inc["level"] != level {
				t.Fatalf("incident at %v, want %s", inc["level"], level)
			}
			var act activation
			for _, a := range h.activations(inc["id"].(string)) {
				if a.PlanID == "matrix" {
					act = a
				}
			}
			if act.ID == "" {
				t.Fatalf("no matrix proposal at %s", level)
			}
			for _, role := range roles {
				if role == approver {
					continue
				}
				if slices.Contains(allowed[level], role) {
					continue // the other allowed role: checked in its own round
				}
				res, b := h.do("POST", "/api/v1/activations/"+act.ID+"/approve", h.token(role), map[string]string{"reason": "x"})
				if res.StatusCode != 403 {
					t.Errorf("level %s: %s approved: %d %s", level, role, res.StatusCode, b)
				}
			}
			res, b := h.do("POST", "/api/v1/activations/"+act.ID+"/approve", h.token(approver), map[string]string{"reason": "同意"})
			if res.StatusCode != 200 {
				t.Errorf("level %s: %s may approve but got %d %s", level, approver, res.StatusCode, b)
			}
		}
	}
}

func TestPlanByProcedure(t *testing.T) {
	h := newHarness(t)
	member := h.responder("grid-09", nil) // team grid-440303002001: transfer group
	member.next(2 * time.Second)
	inc := h.create(map[string]any{"category": "flood_typhoon", "title": "台风橙色预警", "grid": "440303002001001", "people_involved": 200})
	as := h.activations(inc["id"].(string))
	if len(as) != 1 || as[0].PlanID != "flood-typhoon" || as[0].Status != "active" {
		t.Fatalf("flood plan: %+v", as)
	}
	member.await("task.assigned", 2*time.Second)
}

func TestDeadlinesDueOverdueAndAcrossRestart(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	// Level III: report to the higher level within 1 h, the detailed report within 12 h.
	inc := h.create(map[string]any{"category": "fire", "title": "商铺火灾", "grid": "440303001001002", "injuries": 12})
	id := inc["id"].(string)
	if inc["level"] != "III" {
		t.Fatalf("level %v", inc["level"])
	}
	screen.await("incident.created", 2*time.Second)
	screen.await("activation.proposed", 2*time.Second) // the fire plan
	clock.Advance(49 * time.Minute)
	time.Sleep(100 * time.Millisecond) // a few polls: nothing may be due yet
	clock.Advance(2 * time.Minute)     // ten minutes before the hour
	// The first thing after the 49 quiet minutes is the warning: the
	// incident with its deadline marked warned, then deadline.due.
	if m := screen.next(2 * time.Second); m.Type != "incident.updated" || !strings.Contains(string(m.Data), `"warned_at"`) {
		t.Fatalf("before the warning time the screen got %s %s", m.Type, m.Data)
	}
	if m := screen.next(2 * time.Second); m.Type != "deadline.due" || !strings.Contains(string(m.Data), `"kind":"report_higher"`) {
		t.Fatalf("warning: %s %s", m.Type, m.Data)
	}
	clock.Advance(10 * time.Minute) // past the hour
	m := screen.await("deadline.overdue", 2*time.Second)
	if !strings.Contains(string(m.Data), `"status":"overdue"`) {
		t.Fatalf("overdue %s", m.Data)
	}
	screen.await("alarm.raised", 2*time.Second)
	// The note and recipients are cleaned as an incident's text is: a NUL
	// is refused, a recipient of only invisible characters is none.
	for _, c := range []struct{ body, field string }{
		{`{"sent_to":["区应急管理局"],"note":"电话\u0000报告"}`, "note"},
		{`{"sent_to":["\u202e\u200b"]}`, "sent_to[0]"},
		{`{"sent_to":["派出所\u0000"]}`, "sent_to[0]"},
	} {
		status, fields, b := h.problemFields("POST", "/api/v1/incidents/"+id+"/deadlines/report_higher", h.token("operator"), c.body)
		if status != 400 || !slices.Equal(fields, []string{c.field}) {
			t.Errorf("%s: %d %v %s", c.body, status, fields, b)
		}
	}
	// A late report is still recorded, and marked late.
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/deadlines/report_higher", h.token("operator"), map[string]any{"sent_to": []string{"区应急\u202e管理局\u200b", "派出所"}, "note": "\u200b电话\u202e报告"})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"sent"`) {
		t.Fatalf("record: %d %s", res.StatusCode, b)
	}
	if !strings.Contains(string(b), `"sent_to":["区应急管理局","派出所"]`) || !strings.Contains(string(b), `"note":"电话报告"`) || strings.ContainsAny(string(b), "\u202e\u200b") {
		t.Errorf("the note and recipients were not cleaned: %s", b)
	}
	if res, _ := h.do("POST", "/api/v1/incidents/"+id+"/deadlines/report_higher", h.token("operator"), map[string]any{"sent_to": []string{"x"}}); res.StatusCode != 409 {
		t.Errorf("recorded twice: %d", res.StatusCode)
	}
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/deadlines/report_higher", h.token("operator"), map[string]any{"sent_to": []string{}}); res.StatusCode != 400 {
		t.Errorf("no recipients: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do("POST", "/api/v1/incidents/"+id+"/deadlines/nope", h.token("operator"), map[string]any{"sent_to": []string{"x"}}); res.StatusCode != 404 {
		t.Errorf("unknown deadline: %d", res.StatusCode)
	}

	// The detailed report (12 h) falls due while the server is down: it
	// fires after the restart.
	h.stop()
	clock.Advance(12 * time.Hour)
	h.start()
	h.tokens = map[string]string{}
	waitFor(t, 3*time.Second, "the detailed report's deadline firing after the restart", func() bool {
		_, b := h.do("GET", "/api/v1/incidents/"+id, h.token("operator"), nil)
		return bytes.Contains(b, []byte(`"kind":"detailed_report","level":"III"`)) && bytes.Contains(b, []byte(`"type":"deadline.overdue"`)) && strings.Count(string(b), `"status":"overdue"`) == 1
	})
}

func TestAuditTrail(t *testing.T) {
	h := newHarness(t)
	h.placeNear("car-01")
	inc := h.create(dongmen("审计", 150))
	id := inc["id"].(string)
	h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-02"}})
	for _, a := range h.activations(id) {
		h.do("POST", "/api/v1/activations/"+a.ID+"/approve", h.token("leader"), map[string]string{"reason": "同意"})
	}
	h.do("POST", "/api/v1/units/car-03/status", h.token("operator"), map[string]string{"status": "off_duty"})
	h.do("POST", "/api/v1/incidents/"+id+"/status", h.token("operator"), closing("=HYPERLINK(\"x\")"))
	_, b := h.do("GET", "/api/v1/alarms", h.token("operator"), nil)
	var alarms struct{ Alarms []struct{ ID string } }
	mustJSON(t, b, &alarms)
	h.do("POST", "/api/v1/alarms/"+url.PathEscape(alarms.Alarms[0].ID)+"/ack", h.token("operator"), nil)

	get := func(q string) []map[string]any {
		t.Helper()
		res, b := h.do("GET", "/api/v1/audit?"+q, h.token("leader"), nil)
		if res.StatusCode != 200 {
			t.Fatalf("audit %s: %d %s", q, res.StatusCode, b)
		}
		var out struct{ Records []map[string]any }
		mustJSON(t, b, &out)
		return out.Records
	}
	actions := map[string]map[string]any{}
	for _, r := range get("") {
		actions[r["action"].(string)] = r
	}
	for _, want := range []string{"incident.created", "plan.proposed", "plan.activated", "dispatch.created", "unit.status", "incident.status", "alarm.acked"} {
		r, ok := actions[want]
		if !ok {
			t.Errorf("the trail lacks %s: %v", want, actions)
			continue
		}
		if r["who"] == "" || r["role"] == "" || r["at"] == "" {
			t.Errorf("%s without who, role or when: %v", want, r)
		}
	}
	if r := actions["plan.activated"]; r["who"] != "leader" || r["reason"] != "同意" {
		t.Errorf("approval record %v", r)
	}
	// One order by the automatic rule (car-01 was near), one by the operator.
	if got := get("action=dispatch"); len(got) != 2 || !strings.HasPrefix(got[0]["object"].(string), "D-") || got[1]["who"] != "operator" {
		t.Errorf("filter by action: %v", got)
	}
	if got := get("incident_id=" + id + "&who=leader"); len(got) == 0 {
		t.Errorf("filter by incident and who: none")
	}
	if got := get("from=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); len(got) != 0 {
		t.Errorf("filter by time: %d records from the future", len(got))
	}
	res, csv := h.do("GET", "/api/v1/audit?format=csv", h.token("admin"), nil)
	if res.StatusCode != 200 || !bytes.HasPrefix(csv, []byte("\ufeff")) || !strings.Contains(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %q", res.StatusCode, csv[:min(40, len(csv))])
	}
	if !strings.Contains(string(csv), `'=HYPERLINK`) || strings.Contains(string(csv), `,=HYPERLINK`) {
		t.Errorf("a formula in the CSV is not escaped")
	}
	if res, _ := h.do("GET", "/api/v1/audit", h.token("operator"), nil); res.StatusCode != 403 {
		t.Errorf("operator read the audit trail: %d", res.StatusCode)
	}
	if res, _ := h.do("GET", "/api/v1/audit?format=xml", h.token("leader"), nil); res.StatusCode != 400 {
		t.Errorf("bad format: %d", res.StatusCode)
	}
	_ = fmt.Sprint
}
