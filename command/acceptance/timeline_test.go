package acceptance_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

type timelineEntry struct {
	At, Type, By, Role, Reason, Status, Level string
	Detail                                    map[string]any
}

func (h *harness) timeline(id string) []timelineEntry {
	h.t.Helper()
	_, b := h.do("GET", "/api/v1/incidents/"+id, h.token("operator"), nil)
	var inc struct{ Timeline []timelineEntry }
	mustJSON(h.t, b, &inc)
	return inc.Timeline
}

func hasEntry(tl []timelineEntry, typ string, ok func(timelineEntry) bool) bool {
	for _, e := range tl {
		if e.Type == typ && (ok == nil || ok(e)) {
			return true
		}
	}
	return false
}

// TestTimelineCarriesEverything runs an incident through reports, level
// changes, a plan, orders and every step (acknowledged, en route, on scene,
// cleared, cancelled, redirected, expired and re-offered), deadlines,
// alarms and the close, and finds each in its timeline with who, their
// role, when, and the details the console shows.
func TestTimelineCarriesEverything(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) {
		c.Dispatch.TimerInterval = 20 * time.Millisecond
		c.Dispatch.Rules = nil // no automatic dispatch: every order here is a person's
	})
	op, leader := h.token("operator"), h.token("leader")
	id := h.create(shopFire())["id"].(string)
	h.placeNear("car-01", "car-02", "car-03", "car-04")
	must := func(res int, b []byte, want int, what string) {
		t.Helper()
		if res != want {
			t.Fatalf("%s: %d %s", what, res, b)
		}
	}
	post := func(path, tok string, body any, want int, what string) []byte {
		t.Helper()
		res, b := h.do("POST", path, tok, body)
		must(res.StatusCode, b, want, what)
		return b
	}
	inc := "/api/v1/incidents/" + id
	// A follow-up raises the level by the rules (and raises the serious
	// alarm); the alarm is acknowledged; a leader sets the level.
	b := post(inc+"/reports", op, map[string]any{"injuries": 60, "description": "伤员增加"}, 200, "report")
	if !strings.Contains(string(b), `"level":"II"`) {
		t.Fatalf("no rise: %s", b)
	}
	post("/api/v1/alarms/"+url.PathEscape("incident.serious:"+id)+"/ack", op, nil, 200, "ack alarm")
	post(inc+"/level", leader, map[string]string{"level": "I", "reason": "火势蔓延"}, 200, "level")
	// The fire plan, proposed at III, is approved.
	acts := h.activations(id)
	if len(acts) == 0 {
		t.Fatal("no plan proposed")
	}
	post("/api/v1/activations/"+acts[0].ID+"/approve", leader, map[string]string{"reason": "同意启动"}, 200, "approve")

	// Orders: one through every step, one cancelled, one redirected, whose
	// replacement expires and is re-offered.
	order := func(unitID string) string {
		t.Helper()
		b := post(inc+"/dispatches", op, map[string]any{"unit_ids": []string{unitID}}, 201, "dispatch "+unitID)
		var ds struct{ Dispatches []struct{ ID string } }
		mustJSON(t, b, &ds)
		return ds.Dispatches[0].ID
	}
	d1 := order("car-01")
	r := h.responder("car-01", nil)
	if ok, data := r.replyTo(map[string]any{"type": "ack", "id": "a", "dispatch_id": d1}); !ok {
		t.Fatalf("ack: %v", data)
	}
	for _, st := range []string{"en_route", "on_scene", "cleared"} {
		if ok, data := r.replyTo(map[string]any{"type": "status", "id": st, "dispatch_id": d1, "status": st}); !ok {
			t.Fatalf("%s: %v", st, data)
		}
	}
	d2 := order("car-02")
	post("/api/v1/dispatches/"+d2+"/cancel", op, map[string]string{"reason": "改由其他车辆"}, 200, "cancel")
	d3 := order("car-03")
	post("/api/v1/dispatches/"+d3+"/redirect", op, map[string]string{"unit_id": "car-02", "note": "距离更近"}, 201, "redirect")
	clock.Advance(61 * time.Second)
	waitFor(t, 3*time.Second, "the redirected order expiring and being re-offered", func() bool {
		return hasEntry(h.timeline(id), "dispatch.created", func(e timelineEntry) bool { return e.Detail["reoffer"] == true })
	})

	// Deadlines: warned, overdue, then the report saved and sent.
	clock.Advance(50 * time.Minute)
	waitFor(t, 3*time.Second, "the 1-hour deadline's warning", func() bool { return hasEntry(h.timeline(id), "deadline.due", nil) })
	clock.Advance(10 * time.Minute)
	waitFor(t, 3*time.Second, "the 1-hour deadline overdue", func() bool { return hasEntry(h.timeline(id), "deadline.overdue", nil) })
	res, b2 := h.do("PUT", inc+"/deadlines/report_higher/report", op, map[string]string{"text": "信息报告：商铺火灾，伤60人。"})
	must(res.StatusCode, b2, 200, "save report")
	post(inc+"/deadlines/report_higher", op, map[string]any{"to": []string{"district_ecc", "city_ecc"}}, 200, "sent")
	post(inc+"/status", op, map[string]string{"status": "recovery"}, 200, "recovery")
	post(inc+"/status", op, closing("火已扑灭"), 200, "close")

	tl := h.timeline(id)
	for _, e := range tl {
		if e.At == "" || e.Type == "" || e.By == "" || e.Role == "" {
			t.Errorf("an entry without when, what, who or role: %+v", e)
		}
		if strings.HasPrefix(e.Type, "dispatch.") {
			if e.Detail["dispatch_id"] == nil || e.Detail["unit_id"] == nil || e.Detail["callsign"] == nil || e.Detail["callsign"] == "" {
				t.Errorf("an order's entry without its order, unit or callsign: %+v", e)
			}
		}
	}
	by := func(who string) func(timelineEntry) bool { return func(e timelineEntry) bool { return e.By == who } }
	for _, c := range []struct {
		typ  string
		want func(timelineEntry) bool
	}{
		{"created", by("operator")},
		{"report", func(e timelineEntry) bool { return e.Detail["injuries"] == float64(60) }},
		{"level.raised", func(e timelineEntry) bool { return e.Level == "II" && e.Detail["level_reasons"] != nil }},
		{"level.set", func(e timelineEntry) bool {
			return e.By == "leader" && e.Reason == "火势蔓延" && e.Detail["from"] == "II"
		}},
		{"plan.proposed", func(e timelineEntry) bool { return e.Detail["plan_id"] == "fire" }},
		{"plan.activated", by("leader")},
		{"plan.phase", nil},
		{"dispatch.created", func(e timelineEntry) bool { return e.Detail["callsign"] == "东门巡01" }},
		{"dispatch.acked", by("car-01")},
		{"dispatch.en_route", nil},
		{"dispatch.on_scene", nil},
		{"dispatch.cleared", nil},
		{"dispatch.cancelled", func(e timelineEntry) bool { return e.Reason == "改由其他车辆" && e.Detail["unit_id"] == "car-02" }},
		{"dispatch.redirected", func(e timelineEntry) bool {
			return e.Detail["unit_id"] == "car-03" && e.Detail["to_unit_id"] == "car-02"
		}},
		{"dispatch.created", func(e timelineEntry) bool { return e.Detail["redirect"] == true && e.Detail["replaces"] == d3 }},
		{"dispatch.expired", func(e timelineEntry) bool { return e.By == "system" && e.Detail["unit_id"] == "car-02" }},
		{"dispatch.created", func(e timelineEntry) bool { return e.Detail["reoffer"] == true && e.Detail["unit_id"] == "car-04" }},
		{"alarm.raised", func(e timelineEntry) bool { return e.Detail["kind"] == "incident.serious" }},
		{"alarm.raised", func(e timelineEntry) bool {
			return e.Detail["kind"] == "dispatch.expired" && e.Detail["unit_id"] == "car-02"
		}},
		{"alarm.raised", func(e timelineEntry) bool { return e.Detail["kind"] == "deadline.overdue" }},
		{"alarm.acked", func(e timelineEntry) bool { return e.By == "operator" && e.Detail["kind"] == "incident.serious" }},
		{"deadline.started", func(e timelineEntry) bool { return e.Detail["deadline"] == "report_higher" && e.Level == "III" }},
		{"deadline.started", func(e timelineEntry) bool { return e.Detail["deadline"] == "report_district" && e.Level == "II" }},
		{"deadline.due", func(e timelineEntry) bool { return e.Detail["deadline"] == "report_higher" }},
		{"deadline.overdue", func(e timelineEntry) bool { return e.Detail["deadline"] == "report_higher" }},
		{"deadline.report_saved", by("operator")},
		{"deadline.sent", func(e timelineEntry) bool {
			to, _ := e.Detail["to"].([]any)
			return len(to) == 2 && to[1] == "city_ecc" && e.Detail["late"] == true
		}},
		{"status", func(e timelineEntry) bool { return e.Status == "responding" }},
		{"status", func(e timelineEntry) bool { return e.Status == "closed" && e.Detail["summary"] != nil }},
	} {
		if !hasEntry(tl, c.typ, c.want) {
			t.Errorf("the timeline lacks a fitting %s entry", c.typ)
		}
	}
	if t.Failed() {
		for _, e := range tl {
			t.Logf("%s %s/%s %s %v", e.Type, e.By, e.Role, e.Reason, e.Detail)
		}
	}
	// What a person did is in the audit trail too.
	_, b = h.do("GET", "/api/v1/audit?incident_id="+id, leader, nil)
	for _, action := range []string{"dispatch.redirected", "deadline.report_saved", "deadline.sent", "alarm.acked", "incident.status"} {
		if !strings.Contains(string(b), `"action":"`+action+`"`) {
			t.Errorf("the audit trail lacks %s", action)
		}
	}
}
