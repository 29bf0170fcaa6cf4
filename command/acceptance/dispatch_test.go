package acceptance_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"watchfloor/config"
)

// responder connects a unit's responder socket.
func (h *harness) responder(unitID string, since *uint64) *wsConn {
	h.t.Helper()
	q := url.Values{}
	if since != nil {
		q.Set("since", jsonUint(*since))
	}
	c, res, err := h.ws("/ws/responder", h.token(unitID), q, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		h.t.Fatalf("dialing responder %s: %v (%d)", unitID, err, status)
	}
	return c
}

func jsonUint(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// await returns the next message of type typ within d, skipping others.
func (c *wsConn) await(typ string, d time.Duration) msg {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := c.next(time.Until(deadline))
		if m.Type == typ {
			return m
		}
	}
}

// awaitAlarm returns the next alarm.raised of kind within d, skipping
// other alarms: a test clock moved past 18:00 (local) also raises the
// daily reports' alarm, whatever the test is about.
func (c *wsConn) awaitAlarm(kind string, d time.Duration) msg {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := c.await("alarm.raised", time.Until(deadline))
		var a struct{ Kind string }
		mustJSON(c.t, m.Data, &a)
		if a.Kind == kind {
			return m
		}
	}
}

func (c *wsConn) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

// replyTo sends a message and returns the reply or error to it.
func (c *wsConn) replyTo(v map[string]any) (ok bool, data map[string]any) {
	c.t.Helper()
	c.send(v)
	deadline := time.Now().Add(3 * time.Second)
	for {
		m := c.next(time.Until(deadline))
		if m.Type != "reply" && m.Type != "error" {
			continue
		}
		mustJSON(c.t, m.Data, &data)
		if data["reply_to"] == v["id"] {
			return m.Type == "reply" && data["ok"] == true, data
		}
	}
}

// placeNear puts units at small offsets east of the pedestrian street, a
// minute ago by the server's clock.
func (h *harness) placeNear(ids ...string) {
	h.t.Helper()
	now := time.Now
	if h.now != nil {
		now = h.now
	}
	at := now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	ps := []map[string]any{}
	for i, id := range ids {
		ps = append(ps, map[string]any{"unit_id": id, "lon": 114.1120 + float64(i)*0.001, "lat": 22.5470, "at": at})
	}
	if code, out := h.positions(h.token("operator"), ps...); code != 202 || out.Moved != len(ids) {
		h.t.Fatalf("placing: %d %+v", code, out)
	}
}

func publicOrder(title string) map[string]any {
	return map[string]any{"category": "public_order", "title": title, "description": "打架斗殴",
		"location": map[string]float64{"lon": 114.1118, "lat": 22.547}, "people_involved": 4,
		"reporter": map[string]string{"name": "李四", "phone": "13900001111"}}
}

func TestDispatchLifecycle(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.placeNear("car-01", "foot-01")
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	r := h.responder("car-01", nil)
	if snap := r.next(2 * time.Second); snap.Type != "snapshot" || !strings.Contains(string(snap.Data), `"orders":[]`) {
		t.Fatalf("responder snapshot: %s %s", snap.Type, snap.Data)
	}
	inc := h.create(publicOrder("打架"))
	id := inc["id"].(string)
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}, "note": "速到现场"})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	var created struct {
		Dispatches []struct{ ID, Status, UnitID string } `json:"dispatches"`
	}
	mustJSON(t, b, &created)
	did := created.Dispatches[0].ID
	if created.Dispatches[0].Status != "offered" {
		t.Fatalf("%s", b)
	}
	// The order reaches the responder at once, with the incident's facts,
	// location and level, and the reporter masked.
	m := r.await("dispatch.created", 2*time.Second)
	var order struct {
		DispatchID string `json:"dispatch_id"`
		Dispatch   struct{ Note string }
		Incident   struct {
			Title    string
			Level    string
			Location struct{ Lon, Lat float64 }
			Reporter struct{ Name, Phone string }
		}
	}
	mustJSON(t, m.Data, &order)
	if m.Seq == 0 || order.DispatchID != did || order.Incident.Title != "打架" || order.Incident.Level == "" || order.Incident.Location.Lon != 114.1118 || order.Dispatch.Note != "速到现场" {
		t.Fatalf("order %d %s", m.Seq, m.Data)
	}
	if order.Incident.Reporter.Phone != "139****1111" {
		t.Errorf("responder sees the reporter unmasked: %+v", order.Incident.Reporter)
	}
	if u := h.unit("car-01"); u.Status != "dispatched" {
		t.Errorf("unit status %s", u.Status)
	}
	screen.await("dispatch.created", 2*time.Second)
	// A dispatched unit is not a candidate again.
	_, b = h.do("GET", "/api/v1/incidents/"+id+"/candidates", op, nil)
	if strings.Contains(string(b), `"id":"car-01"`) {
		t.Errorf("a dispatched unit offered as a candidate: %s", b)
	}

	// Steps out of order are errors; in order they reach the screen.
	if ok, data := r.replyTo(map[string]any{"type": "status", "id": "m1", "dispatch_id": did, "status": "en_route"}); ok || data["code"] != "conflict" {
		t.Errorf("en_route before ack: %v", data)
	}
	if ok, data := r.replyTo(map[string]any{"type": "ack", "id": "m2", "dispatch_id": did}); !ok {
		t.Fatalf("ack: %v", data)
	}
	if ok, _ := r.replyTo(map[string]any{"type": "ack", "id": "m3", "dispatch_id": did}); !ok {
		t.Errorf("a repeated ack (after a reconnect) must be answered, not refused")
	}
	if ok, data := r.replyTo(map[string]any{"type": "status", "id": "m4", "dispatch_id": did, "status": "on_scene"}); ok || !strings.Contains(data["message"].(string), "en_route") {
		t.Errorf("on_scene before en_route: %v", data)
	}
	for i, st := range []string{"en_route", "on_scene", "cleared"} {
		if ok, data := r.replyTo(map[string]any{"type": "status", "id": "s" + jsonUint(uint64(i)), "dispatch_id": did, "status": st}); !ok {
			t.Fatalf("%s: %v", st, data)
		}
	}
	for _, want := range []string{`"status":"acked"`, `"status":"en_route"`, `"status":"on_scene"`, `"status":"cleared"`} {
		m := screen.await("dispatch.updated", 2*time.Second)
		if !strings.Contains(string(m.Data), want) {
			t.Fatalf("screen got %s, want %s", m.Data, want)
		}
	}
	if u := h.unit("car-01"); u.Status != "available" {
		t.Errorf("after clearing, unit is %s", u.Status)
	}
	if ok, data := r.replyTo(map[string]any{"type": "status", "id": "x", "dispatch_id": did, "status": "flying"}); ok || data["code"] != "invalid" {
		t.Errorf("bad status: %v", data)
	}
	if ok, data := r.replyTo(map[string]any{"type": "dance", "id": "y"}); ok || data["code"] != "invalid" {
		t.Errorf("bad type: %v", data)
	}
	// Every step is in the incident's timeline.
	_, b = h.do("GET", "/api/v1/incidents/"+id, op, nil)
	for _, step := range []string{"dispatch.created", "dispatch.acked", "dispatch.en_route", "dispatch.on_scene", "dispatch.cleared"} {
		if !strings.Contains(string(b), `"type":"`+step+`"`) {
			t.Errorf("timeline lacks %s", step)
		}
	}
	if !strings.Contains(string(b), `"status":"responding"`) {
		t.Errorf("the first order did not start the response: %s", b)
	}
	// The responder's position over its socket moves its unit.
	if ok, data := r.replyTo(map[string]any{"type": "position", "id": "p", "lon": 114.1130, "lat": 22.5480}); !ok {
		t.Fatalf("position: %v", data)
	}
	if u := h.unit("car-01"); u.Position.Lon != 114.1130 {
		t.Errorf("position not applied: %+v", u.Position)
	}
	_, b = h.do("GET", "/metrics", "", nil)
	for _, want := range []string{`watchfloor_dispatch_step_seconds_count{step="ack"} 1`, `watchfloor_dispatch_step_seconds_count{step="on_scene"} 1`, `watchfloor_websocket_clients{stream="responder"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestResponderSeesOnlyItsOwnOrders(t *testing.T) {
	h := newHarness(t)
	h.placeNear("car-01", "car-02")
	other := h.responder("car-02", nil)
	other.next(2 * time.Second)
	id := h.create(publicOrder("甲"))["id"].(string)
	_, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-01"}})
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	did := created.Dispatches[0].ID
	// Another unit's order is not found, like one that does not exist and
	// in the same words, over the socket and over HTTP: forbidden, or a 403,
	// would tell which order ids exist.
	const unknown = "D-19990101-0001"
	for i, msg := range []map[string]any{
		{"type": "ack", "dispatch_id": did},
		{"type": "status", "dispatch_id": did, "status": "en_route"},
	} {
		msg["id"] = fmt.Sprint("other", i)
		ok, data := other.replyTo(msg)
		msg["id"], msg["dispatch_id"] = fmt.Sprint("unknown", i), unknown
		_, none := other.replyTo(msg)
		if ok || data["code"] != "not_found" || none["code"] != "not_found" || data["message"] != strings.ReplaceAll(fmt.Sprint(none["message"]), unknown, did) {
			t.Errorf("%s of another unit's order: %v; of an unknown order: %v; want not_found in the same words", msg["type"], data, none)
		}
	}
	for _, id := range []string{did, unknown} {
		if res, _ := h.do("GET", "/api/v1/dispatches/"+id, h.token("car-02"), nil); res.StatusCode != 404 {
			t.Errorf("another unit read order %s: %d", id, res.StatusCode)
		}
	}
	if res, _ := h.do("GET", "/api/v1/dispatches/"+did, h.token("car-01"), nil); res.StatusCode != 200 {
		t.Errorf("the unit cannot read its order: %d", res.StatusCode)
	}
	other.quiet(500 * time.Millisecond)
	// Accounts that are not responders cannot open a responder socket.
	if _, res, err := h.ws("/ws/responder", h.token("operator"), nil, nil); err == nil || res.StatusCode != 403 {
		t.Errorf("operator on /ws/responder: %v", err)
	}
}

func TestOfflineResponderGetsPendingOrders(t *testing.T) {
	h := newHarness(t)
	h.placeNear("car-03")
	id := h.create(publicOrder("离线"))["id"].(string)
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-03"}}); res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	// A phone that was offline gets a snapshot with its pending order…
	r := h.responder("car-03", nil)
	snap := r.next(2 * time.Second)
	if snap.Type != "snapshot" || !strings.Contains(string(snap.Data), `"status":"offered"`) || !strings.Contains(string(snap.Data), id) {
		t.Fatalf("snapshot %s", snap.Data)
	}
	// …and one that resumes from an old seq gets the messages it missed.
	zero := uint64(0)
	r2 := h.responder("car-03", &zero)
	if m := r2.next(2 * time.Second); m.Seq != 1 || m.Type != "dispatch.created" {
		t.Fatalf("replay: %s %d", m.Type, m.Seq)
	}
}

func TestMissedAckIsReofferedAndRaised(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Dispatch.AckTimeout = time.Second
		c.Dispatch.TimerInterval = 50 * time.Millisecond
	})
	h.placeNear("foot-01", "car-01", "moto-01")
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	id := h.create(publicOrder("无人应答"))["id"].(string)
	_, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"foot-01"}})
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	first := created.Dispatches[0].ID
	next := h.responder("car-01", nil)
	next.next(2 * time.Second)

	m := screen.await("alarm.raised", 4*time.Second)
	if !strings.Contains(string(m.Data), `"kind":"dispatch.expired"`) || !strings.Contains(string(m.Data), first) {
		t.Fatalf("alarm %s", m.Data)
	}
	// The order goes to the next nearest suitable unit not yet tried.
	offer := next.await("dispatch.created", 3*time.Second)
	if !strings.Contains(string(offer.Data), `"replaces":"`+first+`"`) || !strings.Contains(string(offer.Data), `"attempt":2`) {
		t.Fatalf("re-offer %s", offer.Data)
	}
	res, b := h.do("GET", "/api/v1/dispatches/"+first, h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"expired"`) {
		t.Fatalf("first order: %s", b)
	}
	if u := h.unit("foot-01"); u.Status != "available" {
		t.Errorf("the unit that missed the order is %s", u.Status)
	}
	// A late ack is refused.
	late := h.responder("foot-01", nil)
	late.next(2 * time.Second)
	if ok, data := late.replyTo(map[string]any{"type": "ack", "id": "late", "dispatch_id": first}); ok || data["code"] != "conflict" {
		t.Errorf("late ack: %v", data)
	}
	// The alarm is on the list until someone acknowledges it, on every screen.
	_, b = h.do("GET", "/api/v1/alarms", h.token("viewer"), nil)
	var alarms struct {
		Alarms []struct{ ID, Kind string }
	}
	mustJSON(t, b, &alarms)
	var alarmID string
	for _, a := range alarms.Alarms {
		if a.Kind == "dispatch.expired" {
			alarmID = a.ID
		}
	}
	if alarmID == "" {
		t.Fatalf("no open alarm: %s", b)
	}
	if res, _ := h.do("POST", "/api/v1/alarms/"+url.PathEscape(alarmID)+"/ack", h.token("viewer"), nil); res.StatusCode != 403 {
		t.Errorf("a viewer acknowledged an alarm: %d", res.StatusCode)
	}
	if res, b := h.do("POST", "/api/v1/alarms/"+url.PathEscape(alarmID)+"/ack", h.token("operator"), nil); res.StatusCode != 200 {
		t.Fatalf("ack alarm: %d %s", res.StatusCode, b)
	}
	screen.await("alarm.acked", 2*time.Second)
	if res, _ := h.do("POST", "/api/v1/alarms/"+url.PathEscape(alarmID)+"/ack", h.token("operator"), nil); res.StatusCode != 409 {
		t.Errorf("acked twice: %d", res.StatusCode)
	}
}

func TestAckTimersSurviveRestart(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Dispatch.AckTimeout = time.Second
		c.Dispatch.TimerInterval = 50 * time.Millisecond
	})
	h.placeNear("car-04")
	id := h.create(publicOrder("重启"))["id"].(string)
	_, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), map[string]any{"unit_ids": []string{"car-04"}})
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	h.stop()
	time.Sleep(1200 * time.Millisecond) // the timer falls due while no server runs
	h.start()
	waitFor(t, 3*time.Second, "the offer timer firing after the restart", func() bool {
		_, b := h.do("GET", "/api/v1/dispatches/"+created.Dispatches[0].ID, h.token("operator"), nil)
		return strings.Contains(string(b), `"status":"expired"`)
	})
}

func TestAutomaticDispatch(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01", "moto-01", "fire-01", "car-02", "foot-02")
	list := func(id string) []string {
		_, b := h.do("GET", "/api/v1/incidents/"+id+"/dispatches", h.token("operator"), nil)
		var out struct {
			Dispatches []struct {
				UnitID string `json:"unit_id"`
				Rule   string
			}
		}
		mustJSON(t, b, &out)
		ids := []string{}
		for _, d := range out.Dispatches {
			if d.Rule != "serious-mass-fire-crowd" {
				t.Errorf("order without its rule: %+v", d)
			}
			ids = append(ids, d.UnitID)
		}
		return ids
	}
	// Level II mass incident: the nearest two suitable units at once.
	serious := h.create(dongmen("聚集", 150))
	if got := list(serious["id"].(string)); len(got) != 2 || got[0] != "foot-01" && got[1] != "foot-01" {
		t.Fatalf("automatic dispatch: %v", got)
	}
	// Level IV: nobody by rule; a rise to II sends two then, once.
	small := h.create(dongmen("小聚集", 5))
	sid := small["id"].(string)
	if got := list(sid); len(got) != 0 {
		t.Fatalf("level IV dispatched: %v", got)
	}
	h.do("POST", "/api/v1/incidents/"+sid+"/reports", h.token("operator"), map[string]int{"people_involved": 150})
	if got := list(sid); len(got) != 2 {
		t.Fatalf("after rising to II: %v", got)
	}
	h.do("POST", "/api/v1/incidents/"+sid+"/reports", h.token("operator"), map[string]int{"people_involved": 250})
	if got := list(sid); len(got) != 2 {
		t.Errorf("the rule ran twice: %v", got)
	}
}

func TestDispatchBadInput(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.placeNear("car-05", "car-06")
	id := h.create(publicOrder("坏输入"))["id"].(string)
	path := "/api/v1/incidents/" + id + "/dispatches"
	for _, tc := range []struct {
		body  any
		want  int
		field string
	}{
		{map[string]any{"unit_ids": []string{}}, 400, "unit_ids"},
		{map[string]any{"unit_ids": []string{"tank-1"}}, 400, "unit_ids[0]"},
		{map[string]any{"unit_ids": []string{"car-05", "car-05"}}, 400, "unit_ids[1]"},
		{map[string]any{"unit_ids": "car-05"}, 400, "unit_ids"},
		{map[string]any{"units": []string{"car-05"}}, 400, "units"},
	} {
		res, b := h.do("POST", path, op, tc.body)
		if res.StatusCode != tc.want || !strings.Contains(string(b), `"field":"`+tc.field+`"`) {
			t.Errorf("%v: %d %s", tc.body, res.StatusCode, b)
		}
	}
	if res, _ := h.do("POST", "/api/v1/incidents/INC-X/dispatches", op, map[string]any{"unit_ids": []string{"car-05"}}); res.StatusCode != 404 {
		t.Errorf("missing incident: %d", res.StatusCode)
	}
	if res, _ := h.do("POST", path, h.token("viewer"), map[string]any{"unit_ids": []string{"car-05"}}); res.StatusCode != 403 {
		t.Errorf("viewer dispatched: %d", res.StatusCode)
	}
	res, b := h.do("POST", path, op, map[string]any{"unit_ids": []string{"car-05"}})
	if res.StatusCode != 201 {
		t.Fatal(string(b))
	}
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	// All or nothing: one unavailable unit refuses the whole request.
	res, b = h.do("POST", path, op, map[string]any{"unit_ids": []string{"car-06", "car-05"}})
	if res.StatusCode != 409 || !strings.Contains(string(b), "car-05") {
		t.Errorf("unavailable unit: %d %s", res.StatusCode, b)
	}
	if u := h.unit("car-06"); u.Status != "available" {
		t.Errorf("half-written: car-06 is %s", u.Status)
	}
	did := created.Dispatches[0].ID
	if res, _ := h.do("POST", "/api/v1/dispatches/"+did+"/cancel", op, map[string]string{}); res.StatusCode != 400 {
		t.Errorf("cancel without a reason: %d", res.StatusCode)
	}
	if res, b := h.do("POST", "/api/v1/dispatches/"+did+"/cancel", op, map[string]string{"reason": "派错"}); res.StatusCode != 200 || !strings.Contains(string(b), `"status":"cancelled"`) {
		t.Errorf("cancel: %d %s", res.StatusCode, b)
	}
	if u := h.unit("car-05"); u.Status != "available" {
		t.Errorf("after cancel car-05 is %s", u.Status)
	}
	if res, _ := h.do("POST", "/api/v1/dispatches/"+did+"/cancel", op, map[string]string{"reason": "again"}); res.StatusCode != 409 {
		t.Errorf("cancel twice: %d", res.StatusCode)
	}
	h.do("POST", "/api/v1/incidents/"+id+"/status", op, closing("结束"))
	if res, _ := h.do("POST", path, op, map[string]any{"unit_ids": []string{"car-06"}}); res.StatusCode != 409 {
		t.Errorf("dispatch to a closed incident: %d", res.StatusCode)
	}
}
