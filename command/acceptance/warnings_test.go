package acceptance_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// apiWarning is a warning as the API answers it.
type apiWarning struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Colour   string `json:"colour"`
	Status   string `json:"status"`
	Version  int64  `json:"version"`
	EndsAt   string `json:"ends_at"`
	EndedAt  string `json:"ended_at"`
	IssuedBy string `json:"issued_by"`
	Area     struct {
		Kind  string
		Codes []string
		Names []struct{ Code, Name string }
	} `json:"area"`
	StandBy []struct {
		PlanID string `json:"plan_id"`
		Groups []struct {
			ID    string
			Units []string
		}
	} `json:"standby"`
	History []struct {
		Action, By, From, To, Reason string
	} `json:"history"`
}

// warningBody is a valid warning for the 南湖 street, ending in hours.
func warningBody(typ, colour string, hours int, from time.Time) map[string]any {
	return map[string]any{"type": typ, "colour": colour, "title": "暴雨预警", "text": "请注意防范",
		"area":    map[string]any{"kind": "streets", "codes": []string{"440303002"}},
		"ends_at": from.Add(time.Duration(hours) * time.Hour).UTC().Format(time.RFC3339), "source": "深圳市气象台"}
}

// issueWarning issues body as who and returns the warning (201 required).
func (h *harness) issueWarning(who string, body map[string]any) apiWarning {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/warnings", h.token(who), body)
	if res.StatusCode != 201 {
		h.t.Fatalf("issuing a warning: %d %s", res.StatusCode, b)
	}
	var w apiWarning
	mustJSON(h.t, b, &w)
	return w
}

// warningStep posts a step of a warning and returns the status and body.
func (h *harness) warningStep(who, id, step string, body any) (int, apiWarning, string) {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/warnings/"+id+"/"+step, h.token(who), body)
	var w apiWarning
	if res.StatusCode == 200 {
		mustJSON(h.t, b, &w)
	}
	return res.StatusCode, w, string(b)
}

// getWarning reads a warning back.
func (h *harness) getWarning(id string) apiWarning {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/warnings/"+id, h.token("viewer"), nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("reading warning %s: %d %s", id, res.StatusCode, b)
	}
	var w apiWarning
	mustJSON(h.t, b, &w)
	return w
}

// square is a closed ring around (lon, lat) of half-side d degrees.
func square(lon, lat, d float64) [][]float64 {
	return [][]float64{{lon - d, lat - d}, {lon + d, lat - d}, {lon + d, lat + d}, {lon - d, lat + d}, {lon - d, lat - d}}
}

// TestWarningsBadInput: every bad field of a warning is named, nothing is
// stored; a step on a lifted warning and a stale version are 409.
func TestWarningsBadInput(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	now := time.Now().UTC()
	with := func(change func(b map[string]any)) string {
		b := warningBody("rainstorm", "red", 6, now)
		change(b)
		out, _ := json.Marshal(b)
		return string(out)
	}
	area := func(a map[string]any) func(b map[string]any) { return func(b map[string]any) { b["area"] = a } }
	many := make([][]float64, 0, 1002)
	for i := range 1001 {
		many = append(many, []float64{114.11 + float64(i)*1e-6, 22.53})
	}
	many = append(many, many[0])
	for _, tc := range []struct {
		name string
		body string
		want []string
	}{
		{"area outside the city", with(area(map[string]any{"kind": "polygon", "polygon": [][][]float64{square(113.9, 22.53, 0.01)}})), []string{"area.polygon"}},
		{"end before start", with(func(b map[string]any) {
			b["starts_at"] = now.Add(2 * time.Hour).Format(time.RFC3339)
			b["ends_at"] = now.Add(time.Hour).Format(time.RFC3339)
		}), []string{"ends_at"}},
		{"end missing", with(func(b map[string]any) { delete(b, "ends_at") }), []string{"ends_at"}},
		{"longer than 30 days", with(func(b map[string]any) { b["ends_at"] = now.Add(31 * 24 * time.Hour).Format(time.RFC3339) }), []string{"ends_at"}},
		{"start too far ahead", with(func(b map[string]any) {
			b["starts_at"] = now.Add(8 * 24 * time.Hour).Format(time.RFC3339)
			b["ends_at"] = now.Add(9 * 24 * time.Hour).Format(time.RFC3339)
		}), []string{"starts_at"}},
		{"unknown code", with(area(map[string]any{"kind": "streets", "codes": []string{"440303999"}})), []string{"area.codes"}},
		{"code of the wrong level", with(area(map[string]any{"kind": "streets", "codes": []string{"440303002001"}})), []string{"area.codes"}},
		{"duplicate code", with(area(map[string]any{"kind": "communities", "codes": []string{"440303002001", "440303002001"}})), []string{"area.codes"}},
		{"unclosed ring", with(area(map[string]any{"kind": "polygon", "polygon": [][][]float64{square(114.12, 22.535, 0.002)[:4]}})), []string{"area.polygon"}},
		{"too many points", with(area(map[string]any{"kind": "polygon", "polygon": [][][]float64{many}})), []string{"area.polygon"}},
		{"unknown area kind", with(area(map[string]any{"kind": "province"})), []string{"area.kind"}},
		{"city with codes", with(area(map[string]any{"kind": "city", "codes": []string{"440303002"}})), []string{"area"}},
		{"type, colour and title", with(func(b map[string]any) { b["type"], b["colour"], b["title"] = "meteor", "purple", " " }), []string{"colour", "title", "type"}},
		{"nothing visible in the title", with(func(b map[string]any) { b["title"] = "\u0007\u200b\u202e\u3164" }), []string{"title"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, fields, body := h.problemFields("POST", "/api/v1/warnings", op, tc.body)
			if code != 400 || !slices.Equal(fields, tc.want) {
				t.Errorf("%d %v, want 400 %v: %.400s", code, fields, tc.want, body)
			}
		})
	}
	if _, b := h.do("GET", "/api/v1/warnings?status=all", op, nil); strings.Contains(string(b), `"id"`) {
		t.Fatalf("a refused warning was stored: %s", b)
	}

	w := h.issueWarning("operator", warningBody("rainstorm", "yellow", 6, now))
	for _, tc := range []struct {
		step, body string
		want       []string
	}{
		{"raise", `{"colour":"blue"}`, []string{"colour"}},
		{"raise", `{"colour":"yellow"}`, []string{"colour"}},
		{"lower", `{"colour":"blue"}`, []string{"reason"}},
		{"lower", `{"colour":"red","reason":"x"}`, []string{"colour"}},
		{"extend", `{"ends_at":"` + now.Add(time.Hour).Format(time.RFC3339) + `"}`, []string{"ends_at"}},
		{"extend", `{"ends_at":"` + now.Add(40*24*time.Hour).Format(time.RFC3339) + `"}`, []string{"ends_at"}},
		{"lift", `{}`, []string{"reason"}},
		{"lift", `{"reason":"x","colour":"red"}`, []string{"colour"}},
	} {
		if code, fields, body := h.problemFields("POST", "/api/v1/warnings/"+w.ID+"/"+tc.step, op, tc.body); code != 400 || !slices.Equal(fields, tc.want) {
			t.Errorf("%s %s: %d %v, want 400 %v: %.300s", tc.step, tc.body, code, fields, tc.want, body)
		}
	}
	// Version race: two leaders raise from version 1; the second loses.
	if code, _, body := h.warningStep("leader", w.ID, "raise", map[string]any{"colour": "orange", "version": 1}); code != 200 {
		t.Fatalf("first raise: %d %s", code, body)
	}
	if code, _, body := h.warningStep("leader", w.ID, "raise", map[string]any{"colour": "red", "version": 1}); code != 409 || !strings.Contains(body, "version 2") {
		t.Errorf("stale raise: %d %s", code, body)
	}
	if code, _, body := h.warningStep("operator", w.ID, "lift", map[string]any{"reason": "雨停", "version": 2}); code != 200 {
		t.Fatalf("lift: %d %s", code, body)
	}
	for _, step := range []string{"raise", "lower", "extend", "lift"} {
		code, _, body := h.warningStep("leader", w.ID, step, map[string]any{"reason": "再次"})
		if step == "raise" || step == "lower" {
			code, _, body = h.warningStep("leader", w.ID, step, map[string]any{"colour": map[string]string{"raise": "red", "lower": "blue"}[step], "reason": "再次"})
		}
		if step == "extend" {
			code, _, body = h.warningStep("leader", w.ID, step, map[string]any{"ends_at": now.Add(10 * time.Hour).Format(time.RFC3339)})
		}
		if code != 409 || !strings.Contains(body, "was lifted at") {
			t.Errorf("%s of a lifted warning: %d %s", step, code, body)
		}
	}
	if got := h.getWarning(w.ID); got.Version != 3 || got.Status != "lifted" {
		t.Errorf("after the refused steps: version %d %s", got.Version, got.Status)
	}
	if res, _ := h.do("GET", "/api/v1/warnings/W-20000101-0001", op, nil); res.StatusCode != 404 {
		t.Errorf("unknown warning: %d", res.StatusCode)
	}
	// An account limited to 东门 may not warn 南湖, and sees it.
	if res, b := h.do("POST", "/api/v1/warnings", h.token("dongmen-operator"), warningBody("flood", "blue", 2, now)); res.StatusCode != 403 {
		t.Errorf("area account beyond its area: %d %s", res.StatusCode, b)
	}
	body := warningBody("flood", "blue", 2, now)
	body["area"] = map[string]any{"kind": "communities", "codes": []string{"440303001001"}}
	h.issueWarning("dongmen-operator", body)
	if _, b := h.do("GET", "/api/v1/warnings?status=all", h.token("dongmen-operator"), nil); strings.Count(string(b), `"id":"W-`) != 2 {
		t.Errorf("the area account's list: %s", b)
	}
	// The most points a polygon may have, at full float precision, fit the
	// body limit; they are stored rounded to 7 decimals.
	circle := make([][]float64, 0, 1000)
	for i := range 999 {
		a := 2 * math.Pi * float64(i) / 999
		circle = append(circle, []float64{114.12 + 0.0123456789012345*math.Cos(a), 22.543 + 0.0123456789012345*math.Sin(a)})
	}
	circle = append(circle, circle[0])
	body = warningBody("flood", "blue", 2, now)
	body["area"] = map[string]any{"kind": "polygon", "polygon": [][][]float64{circle}}
	res, b := h.do("POST", "/api/v1/warnings", op, body)
	if res.StatusCode != 201 || !strings.Contains(string(b), `"polygon":[[[114.1323457,22.543]`) {
		t.Errorf("1000 points at full precision: %d %.300s", res.StatusCode, b)
	}
}

// TestWarningsLifecycle: a warning issued, raised, extended, lowered and
// lifted; each step in its history, on the screens and leaders' streams
// and in the audit trail; lists by status; a repeated Idempotency-Key
// issues once.
func TestWarningsLifecycle(t *testing.T) {
	h := newHarness(t)
	screen := h.screen(h.token("viewer"), nil)
	leader, res, err := h.ws("/ws/leader", h.token("leader"), nil, nil)
	if err != nil {
		t.Fatalf("leader socket: %v %v", err, res)
	}
	leader.next(2 * time.Second) // snapshot
	now := time.Now().UTC()
	body := warningBody("rainstorm", "yellow", 6, now)
	body["area"] = map[string]any{"kind": "polygon", "polygon": [][][]float64{square(114.115, 22.535, 0.003)}}
	res, b := h.do("POST", "/api/v1/warnings", h.token("operator"), body, "Idempotency-Key", "w-1")
	res2, b2 := h.do("POST", "/api/v1/warnings", h.token("operator"), body, "Idempotency-Key", "w-1")
	if res.StatusCode != 201 || res2.StatusCode != 201 || res2.Header.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("issue: %d %s / %d %s", res.StatusCode, b, res2.StatusCode, b2)
	}
	var w apiWarning
	mustJSON(t, b, &w)
	if !strings.HasPrefix(w.ID, "W-") || w.Status != "active" || w.Version != 1 || len(w.Area.Names) == 0 || w.IssuedBy != "operator" {
		t.Fatalf("issued: %s", b)
	}
	if !strings.Contains(string(b2), `"id":"`+w.ID+`"`) {
		t.Fatalf("the repeat is another warning: %s", b2)
	}
	for _, c := range []*wsConn{screen, leader} {
		if m := c.await("warning.issued", 2*time.Second); !strings.Contains(string(m.Data), w.ID) {
			t.Fatalf("issued event: %s", m.Data)
		}
	}
	ends := now.Add(12 * time.Hour).Format(time.RFC3339)
	for _, s := range []struct {
		who, step string
		body      map[string]any
	}{
		{"leader", "raise", map[string]any{"colour": "red", "reason": "雨势加强"}},
		{"operator", "extend", map[string]any{"ends_at": ends, "reason": "持续降雨"}},
		{"leader", "lower", map[string]any{"colour": "orange", "reason": "雨势减弱", "version": 3}},
	} {
		if code, _, body := h.warningStep(s.who, w.ID, s.step, s.body); code != 200 {
			t.Fatalf("%s: %d %s", s.step, code, body)
		}
		if m := screen.await("warning.updated", 2*time.Second); !strings.Contains(string(m.Data), w.ID) {
			t.Fatalf("%s event: %s", s.step, m.Data)
		}
	}
	if _, b := h.do("GET", "/api/v1/warnings", h.token("car-01"), nil); !strings.Contains(string(b), w.ID) {
		t.Errorf("active list for a responder: %s", b)
	}
	code, lifted, body2 := h.warningStep("operator", w.ID, "lift", map[string]any{"reason": "预警解除"})
	if code != 200 || lifted.Status != "lifted" || lifted.EndedAt == "" || lifted.Version != 5 || len(lifted.StandBy) != 0 {
		t.Fatalf("lift: %d %s", code, body2)
	}
	screen.await("warning.ended", 2*time.Second)
	leader.await("warning.ended", 2*time.Second)
	got := h.getWarning(w.ID)
	var steps []string
	for _, s := range got.History {
		steps = append(steps, s.Action+":"+s.From+">"+s.To)
	}
	want := []string{"issued:>yellow", "raised:yellow>red", "extended:" + w.EndsAt + ">" + ends, "lowered:red>orange", "lifted:>"}
	if !slices.Equal(steps, want) || got.EndsAt != ends {
		t.Errorf("history %v, want %v (ends %s)", steps, want, got.EndsAt)
	}
	for q, n := range map[string]int{"": 0, "?status=active": 0, "?status=ended": 1, "?status=all": 1, "?status=all&from=" + now.Add(time.Hour).Format(time.RFC3339): 0} {
		if _, b := h.do("GET", "/api/v1/warnings"+q, h.token("viewer"), nil); strings.Count(string(b), `"id":"W-`) != n {
			t.Errorf("list %q: want %d in %s", q, n, b)
		}
	}
	_, b = h.do("GET", "/api/v1/audit?object="+w.ID, h.token("admin"), nil)
	for _, a := range []string{"warning.issued", "warning.raised", "warning.extended", "warning.lowered", "warning.lifted"} {
		if strings.Count(string(b), `"action":"`+a+`"`) != 1 {
			t.Errorf("audit: want one %s in %s", a, b)
		}
	}
	if code, fields, body := h.problemFields("GET", "/api/v1/warnings?status=old&limit=0&from=yesterday", h.token("viewer"), ""); code != 400 || !slices.Equal(fields, []string{"from", "limit", "status"}) {
		t.Errorf("bad list query: %d %v %s", code, fields, body)
	}
}

// TestWarningsStandBy: a warning whose colour meets a plan's trigger puts
// the plan on stand-by and tells its groups' units on their streams; a
// raise that meets another plan's trigger adds it; a lower below it and a
// lift end the stand-by, each told to the unit.
func TestWarningsStandBy(t *testing.T) {
	h := newHarness(t)
	grid := h.responder("grid-09", nil) // flood-typhoon: transfer group
	grid.next(2 * time.Second)
	foot := h.responder("foot-01", nil) // crowd: diversion group
	foot.next(2 * time.Second)
	now := time.Now().UTC()

	flood := h.issueWarning("operator", warningBody("rainstorm", "blue", 6, now))
	if plans := standByPlans(flood); !slices.Equal(plans, []string{"flood-typhoon:drainage,rescue,transfer"}) {
		t.Fatalf("rainstorm blue stand-by: %v", plans)
	}
	m := grid.await("warning.standby", 2*time.Second)
	if !strings.Contains(string(m.Data), `"on_call":true`) || !strings.Contains(string(m.Data), `"plan_id":"flood-typhoon"`) || !strings.Contains(string(m.Data), `"group_id":"transfer"`) {
		t.Fatalf("grid-09 stand-by: %s", m.Data)
	}

	event := warningBody("large_event", "blue", 6, now)
	event["title"] = "马拉松"
	ev := h.issueWarning("operator", event)
	if len(ev.StandBy) != 0 {
		t.Fatalf("large event blue put plans on stand-by: %v", standByPlans(ev))
	}
	_, raised, body := h.warningStep("leader", ev.ID, "raise", map[string]any{"colour": "yellow"})
	if plans := standByPlans(raised); !slices.Equal(plans, []string{"crowd:diversion,medical"}) {
		t.Fatalf("raised to yellow: %v %s", plans, body)
	}
	onCall(t, foot, ev.ID, true)
	if _, lowered, body := h.warningStep("leader", ev.ID, "lower", map[string]any{"colour": "blue", "reason": "人流减少"}); len(lowered.StandBy) != 0 {
		t.Fatalf("lowered to blue: %v %s", standByPlans(lowered), body)
	}
	onCall(t, foot, ev.ID, false)

	if code, _, body := h.warningStep("operator", flood.ID, "lift", map[string]any{"reason": "雨停"}); code != 200 {
		t.Fatalf("lift: %d %s", code, body)
	}
	onCall(t, grid, flood.ID, false)
}

// standByPlans names the plans and groups a warning has on stand-by.
func standByPlans(w apiWarning) []string {
	var out []string
	for _, sb := range w.StandBy {
		var gs []string
		for _, g := range sb.Groups {
			gs = append(gs, g.ID)
		}
		slices.Sort(gs)
		out = append(out, sb.PlanID+":"+strings.Join(gs, ","))
	}
	slices.Sort(out)
	return out
}

// onCall awaits the unit's warning.standby for warning id with on_call on.
func onCall(t *testing.T, c *wsConn, id string, on bool) {
	t.Helper()
	m := c.await("warning.standby", 2*time.Second)
	if want := fmt.Sprintf(`"on_call":%v`, on); !strings.Contains(string(m.Data), want) || !strings.Contains(string(m.Data), id) {
		t.Fatalf("want %s for %s: %s", want, id, m.Data)
	}
}

// TestWarningExpiresOnce: a warning's end passes while no instance runs;
// after the restart one of two instances expires it, once (one step, one
// audit record, one warning.ended), whatever restarts follow.
func TestWarningExpiresOnce(t *testing.T) {
	clock, h1, h2 := deadlineFloor(t, nil)
	w := h1.issueWarning("operator", warningBody("typhoon", "orange", 2, clock.Now()))
	// Extended on the other instance: the first end passes unexpired.
	ends := clock.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	if code, _, body := h2.warningStep("leader", w.ID, "extend", map[string]any{"ends_at": ends}); code != 200 {
		t.Fatalf("extend: %d %s", code, body)
	}
	restartBoth(clock, 2*time.Hour+time.Minute, h1, h2)
	screen := h1.screen(h1.token("viewer"), nil)
	screen.next(2 * time.Second)
	clock.Advance(time.Minute)
	noneOf(t, screen, "warning.ended", 300*time.Millisecond) // a dozen polls of each instance
	if got := h1.getWarning(w.ID); got.Status != "active" {
		t.Fatalf("expired before its extended end: %s", got.Status)
	}
	restartBoth(clock, time.Hour, h1, h2)
	waitFor(t, 5*time.Second, "the warning expired", func() bool { return h1.getWarning(w.ID).Status == "expired" })
	for range 5 { // more polls by every instance, and a restart of each
		clock.Advance(time.Minute)
		for _, x := range []*harness{h1, h2} {
			x.restart()
			x.tokens = map[string]string{}
		}
	}
	got := h2.getWarning(w.ID)
	if n := len(got.History); n != 3 || got.History[2].Action != "expired" || got.History[2].By != "system" || got.Version != 3 || len(got.StandBy) != 0 {
		t.Errorf("expired warning: version %d, history %+v", got.Version, got.History)
	}
	_, b := h1.do("GET", "/api/v1/audit?object="+w.ID+"&action=warning.expired", h1.token("admin"), nil)
	if n := strings.Count(string(b), `"action":"warning.expired"`); n != 1 {
		t.Errorf("%d expiry audit records: %s", n, b)
	}
}

// noneOf asserts that no message of type typ arrives on c for d.
func noneOf(t *testing.T, c *wsConn, typ string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		_ = c.conn.SetReadDeadline(deadline)
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return // the deadline passed
		}
		var m msg
		mustJSON(t, b, &m)
		if m.Type == typ {
			t.Fatalf("unexpected %s", b)
		}
	}
}
