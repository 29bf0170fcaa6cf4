package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"watchfloor/command/server"
	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// A mass incident of 150 people on Dongmen pedestrian street (a sensitive
// zone): level II by the provincial plan.
func dongmen(title string, people int) map[string]any {
	return map[string]any{
		"category": "mass_incident", "title": title, "description": "人员聚集",
		"location":        map[string]float64{"lon": 114.1118, "lat": 22.547},
		"source":          "call",
		"reporter":        map[string]string{"name": "张三丰", "phone": "13812345678"},
		"people_involved": people,
	}
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	problem := func(res *http.Response, body []byte, status int) {
		t.Helper()
		if res.StatusCode != status {
			t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("content type %q", ct)
		}
		var p struct {
			Type, Title, Detail string
			Status              int
		}
		mustJSON(t, body, &p)
		if p.Status != status || p.Type == "" || p.Title == "" {
			t.Errorf("problem %s", body)
		}
	}
	res, body := h.do("GET", "/api/v1/incidents", "", nil)
	problem(res, body, 401)
	res, body = h.do("GET", "/api/v1/incidents", "not-a-token", nil)
	problem(res, body, 401)
	res, body = h.do("POST", "/api/v1/sessions", "", map[string]string{"username": "operator", "password": "wrong"})
	problem(res, body, 401)
	res, body = h.do("POST", "/api/v1/sessions", "", map[string]string{"username": "nobody", "password": testPassword})
	problem(res, body, 401)
	res, body = h.do("POST", "/api/v1/sessions", "", map[string]string{"username": "operator"})
	problem(res, body, 400)

	// A viewer watches but may not create; an operator may not set levels.
	res, body = h.do("POST", "/api/v1/incidents", h.token("viewer"), dongmen("x", 10))
	problem(res, body, 403)
	if !strings.Contains(string(body), "viewer") {
		t.Errorf("403 does not say why: %s", body)
	}
	inc := h.create(dongmen("聚集", 10))
	res, body = h.do("POST", "/api/v1/incidents/"+inc["id"].(string)+"/level", h.token("operator"), map[string]string{"level": "I"})
	problem(res, body, 403)

	// Sessions: who am I, then logout ends the token.
	tok := h.token("deputy")
	res, body = h.do("GET", "/api/v1/sessions/me", tok, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"role":"deputy"`) {
		t.Fatalf("me: %d %s", res.StatusCode, body)
	}
	res, _ = h.do("DELETE", "/api/v1/sessions", tok, nil)
	if res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	res, body = h.do("GET", "/api/v1/sessions/me", tok, nil)
	problem(res, body, 401)

	// The stored session key is a hash, never the token itself.
	keys := redisKeys(t, h, "wf:{luohu}:session:*")
	for _, k := range keys {
		for _, tok := range h.tokens {
			if strings.Contains(k, tok) {
				t.Fatalf("token stored in the clear: %s", k)
			}
		}
	}
	if len(keys) == 0 {
		t.Fatal("no sessions stored")
	}

	// Websockets need a token and a watching role.
	if _, res, err := h.ws("/ws/screen", "", nil, nil); err == nil || res == nil || res.StatusCode != 401 {
		t.Errorf("screen without a token: %v %v", err, res)
	}
	if _, res, err := h.ws("/ws/screen", "", nil, http.Header{"Authorization": {"Bearer " + h.token("viewer")}}); err != nil {
		t.Errorf("screen with a bearer header: %v %v", err, res)
	}
	if _, res, err := h.ws("/ws/screen", h.token("viewer"), nil, http.Header{"Origin": {"http://evil.example"}}); err == nil || res.StatusCode != 403 {
		t.Errorf("screen from a foreign origin: %v %v", err, res)
	}
}

func TestCreateIncident(t *testing.T) {
	h := newHarness(t)
	res, body := h.do("POST", "/api/v1/incidents", h.token("operator"), dongmen("东门步行街聚集", 150))
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var inc struct {
		ID           string
		Level        string
		LevelReasons []struct {
			RuleID string `json:"rule_id"`
			Level  string
			ZH, EN string
		} `json:"level_reasons"`
		Grid struct {
			Code string
			Path []struct{ Code, Name, Level string }
		}
		Zones     []struct{ ID, Kind string }
		Status    string
		CreatedAt time.Time `json:"created_at"`
		Deadlines []struct {
			ID, Kind, Status string
			DueAt            time.Time `json:"due_at"`
		}
		Reporter struct{ Name, Phone string }
	}
	mustJSON(t, body, &inc)
	if inc.ID == "" || inc.Level != "II" || inc.Status != "open" || inc.CreatedAt.IsZero() {
		t.Fatalf("incident %s", body)
	}
	if res.Header.Get("Location") != "/api/v1/incidents/"+inc.ID {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	rules := map[string]string{}
	for _, r := range inc.LevelReasons {
		rules[r.RuleID] = r.Level
		if r.ZH == "" || r.EN == "" {
			t.Errorf("reason without words: %+v", r)
		}
	}
	if rules["mass_incident.sensitive-100"] != "II" || rules["mass_incident.participants-100"] != "III" {
		t.Errorf("reasons %+v", inc.LevelReasons)
	}
	if inc.Grid.Code != "440303001001003" || len(inc.Grid.Path) != 4 || inc.Grid.Path[0].Code != "440303" || inc.Grid.Path[1].Name != "东门街道" {
		t.Errorf("grid %+v", inc.Grid)
	}
	if len(inc.Zones) != 1 || inc.Zones[0].ID != "dongmen-pedestrian-street" || inc.Zones[0].Kind != "sensitive" {
		t.Errorf("zones %+v", inc.Zones)
	}
	if len(inc.Deadlines) != 3 || inc.Deadlines[0].Kind != "report_higher" || !inc.Deadlines[0].DueAt.Equal(inc.CreatedAt.Add(time.Hour)) {
		t.Errorf("deadlines %+v", inc.Deadlines)
	}
	if inc.Reporter.Name != "张三丰" {
		t.Errorf("the operator sees the reporter: %+v", inc.Reporter)
	}

	// GET with its timeline; a viewer sees the reporter masked.
	res, body = h.do("GET", "/api/v1/incidents/"+inc.ID, h.token("operator"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"timeline":[{`) || !strings.Contains(string(body), `"type":"created"`) {
		t.Fatalf("get: %d %s", res.StatusCode, body)
	}
	_, body = h.do("GET", "/api/v1/incidents/"+inc.ID, h.token("viewer"), nil)
	if !strings.Contains(string(body), `"name":"张**"`) || !strings.Contains(string(body), `"phone":"138****5678"`) || strings.Contains(string(body), "13812345678") {
		t.Errorf("viewer sees %s", body)
	}
	res, body = h.do("GET", "/api/v1/incidents/INC-NOPE", h.token("viewer"), nil)
	if res.StatusCode != 404 {
		t.Errorf("missing incident: %d %s", res.StatusCode, body)
	}

	// An incident placed by grid code alone, in Nanhu street.
	byGrid := h.create(map[string]any{"category": "fire", "title": "南湖火情", "address": "人民南路", "grid": "440303002001002", "injuries": 12})
	if byGrid["level"] != "III" || byGrid["location_approximate"] != true || byGrid["grid"].(map[string]any)["code"] != "440303002001002" {
		t.Errorf("by grid: %v", byGrid)
	}

	// List filters.
	list := func(q string) []string {
		t.Helper()
		res, body := h.do("GET", "/api/v1/incidents?"+q, h.token("viewer"), nil)
		if res.StatusCode != 200 {
			t.Fatalf("list %s: %d %s", q, res.StatusCode, body)
		}
		var out struct {
			Incidents []struct{ ID string }
		}
		mustJSON(t, body, &out)
		ids := []string{}
		for _, i := range out.Incidents {
			ids = append(ids, i.ID)
		}
		return ids
	}
	for q, want := range map[string]int{
		"":                           2,
		"status=open":                2,
		"status=closed":              0,
		"level=II":                   1,
		"level=III":                  1,
		"category=fire":              1,
		"grid=440303001":             1, // Dongmen street
		"grid=440303002001":          1, // Luohu community
		"grid=440303":                2,
		"category=fire&level=II":     0,
		"since=2000-01-01T00:00:00Z": 2,
		"since=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339): 0,
	} {
		if got := list(q); len(got) != want {
			t.Errorf("list %q: %v, want %d", q, got, want)
		}
	}
	if ids := list(""); ids[0] != byGrid["id"] {
		t.Errorf("not newest first: %v", ids)
	}
	for _, q := range []string{"status=nope", "level=V", "since=yesterday", "category=nope", "grid=999", "limit=0"} {
		res, body := h.do("GET", "/api/v1/incidents?"+q, h.token("viewer"), nil)
		field := strings.SplitN(q, "=", 2)[0]
		if res.StatusCode != 400 || !strings.Contains(string(body), `"field":"`+field+`"`) {
			t.Errorf("list %q: %d %s", q, res.StatusCode, body)
		}
	}
}

func TestIdempotency(t *testing.T) {
	h := newHarness(t)
	tok := h.token("operator")
	body := dongmen("重复提交", 40)
	res1, b1 := h.do("POST", "/api/v1/incidents", tok, body, "Idempotency-Key", "call-0042")
	res2, b2 := h.do("POST", "/api/v1/incidents", tok, body, "Idempotency-Key", "call-0042")
	if res1.StatusCode != 201 || res2.StatusCode != 201 {
		t.Fatalf("%d %d", res1.StatusCode, res2.StatusCode)
	}
	var i1, i2 map[string]any
	mustJSON(t, b1, &i1)
	mustJSON(t, b2, &i2)
	if i1["id"] != i2["id"] || res2.Header.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("repeat created %v and %v", i1["id"], i2["id"])
	}
	// The same key with another request is refused; another key creates.
	res, b := h.do("POST", "/api/v1/incidents", tok, dongmen("别的", 41), "Idempotency-Key", "call-0042")
	if res.StatusCode != 400 || !strings.Contains(string(b), `"field":"Idempotency-Key"`) {
		t.Errorf("reused key: %d %s", res.StatusCode, b)
	}
	h.do("POST", "/api/v1/incidents", tok, body, "Idempotency-Key", "call-0043")
	_, b = h.do("GET", "/api/v1/incidents", tok, nil)
	var list struct{ Count int }
	mustJSON(t, b, &list)
	if list.Count != 2 {
		t.Errorf("%d incidents, want 2", list.Count)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t)
	tok := h.token("operator")
	screen := h.screen(h.token("viewer"), nil)
	if m := screen.next(2 * time.Second); m.Type != "snapshot" {
		t.Fatalf("first message %s", m.Type)
	}
	big := `{"category":"fire","title":"x","description":"` + strings.Repeat("长", 40000) + `","location":{"lon":114.12,"lat":22.54}}`
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown category", `{"category":"alien","title":"x","location":{"lon":114.12,"lat":22.54}}`, 400, "category"},
		{"longitude out of range", `{"category":"fire","title":"x","location":{"lon":190,"lat":22.54}}`, 400, "location.lon"},
		{"latitude out of range", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":-91}}`, 400, "location.lat"},
		{"negative count", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"deaths":-1}`, 400, "deaths"},
		{"negative loss", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"direct_loss_yuan":-5}`, 400, "direct_loss_yuan"},
		{"wrong type", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"people_involved":"many"}`, 400, "people_involved"},
		{"fractional count", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"injuries":1.5}`, 400, "injuries"},
		{"coordinate as text", `{"category":"fire","title":"x","location":{"lon":"114","lat":22.54}}`, 400, "location.lon"},
		{"malformed JSON", `{"category":"fire",`, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"empty body", ``, 400, ""},
		{"trailing data", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54}} {}`, 400, ""},
		{"unknown field", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"severity":9}`, 400, "severity"},
		{"missing title", `{"category":"fire","location":{"lon":114.12,"lat":22.54}}`, 400, "title"},
		{"missing place", `{"category":"fire","title":"x"}`, 400, "location"},
		{"unknown grid", `{"category":"fire","title":"x","grid":"123"}`, 400, "grid"},
		{"bad source", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"source":"rumour"}`, 400, "source"},
		{"bad time", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"occurred_at":"yesterday"}`, 400, "occurred_at"},
		{"future time", `{"category":"fire","title":"x","location":{"lon":114.12,"lat":22.54},"occurred_at":"2999-01-01T00:00:00Z"}`, 400, "occurred_at"},
		{"body over the limit", big, 413, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := h.do("POST", "/api/v1/incidents", tok, tc.body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("content type %q", res.Header.Get("Content-Type"))
			}
			var p struct {
				Status int
				Detail string
				Errors []struct{ Field, Message string }
			}
			mustJSON(t, body, &p)
			if tc.field != "" {
				found := false
				for _, e := range p.Errors {
					found = found || (e.Field == tc.field && e.Message != "")
				}
				if !found {
					t.Errorf("no error names %q: %s", tc.field, body)
				}
			}
		})
	}
	// A body over the server-wide limit is refused before it is read.
	if status := rawStatus(t, h, "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\n\r\n{"); status != "413" {
		t.Errorf("9 MiB body: %s", status)
	}
	// Nothing was stored, and the next event the screen sees is the next good incident.
	_, b := h.do("GET", "/api/v1/incidents", tok, nil)
	if !strings.Contains(string(b), `"count":0`) {
		t.Fatalf("bad input stored something: %s", b)
	}
	good := h.create(dongmen("good", 5))
	m := screen.next(2 * time.Second)
	if m.Type != "incident.created" || m.Seq != 1 || !strings.Contains(string(m.Data), good["id"].(string)) {
		t.Fatalf("after bad input the screen got %s %d %s", m.Type, m.Seq, m.Data)
	}
}

func TestFollowUpsAndLevels(t *testing.T) {
	h := newHarness(t)
	op, leader := h.token("operator"), h.token("leader")
	inc := h.create(dongmen("聚集", 20)) // sensitive zone, 20 people: IV
	id := inc["id"].(string)
	if inc["level"] != "IV" {
		t.Fatalf("level %v", inc["level"])
	}
	report := func(tok string, body any) map[string]any {
		t.Helper()
		res, b := h.do("POST", "/api/v1/incidents/"+id+"/reports", tok, body)
		if res.StatusCode != 200 {
			t.Fatalf("report: %d %s", res.StatusCode, b)
		}
		var out map[string]any
		mustJSON(t, b, &out)
		return out
	}
	level := func(tok string, body any) (int, map[string]any) {
		t.Helper()
		res, b := h.do("POST", "/api/v1/incidents/"+id+"/level", tok, body)
		var out map[string]any
		mustJSON(t, b, &out)
		return res.StatusCode, out
	}
	steps := []struct {
		name     string
		do       func() map[string]any
		level    string
		computed string
	}{
		{"30 people: rises to III", func() map[string]any { return report(op, map[string]any{"people_involved": 30}) }, "III", "III"},
		{"facts are totals: 10 people does not lower", func() map[string]any { return report(op, map[string]any{"people_involved": 10}) }, "III", "IV"},
		{"150 people: rises to II", func() map[string]any { return report(op, map[string]any{"people_involved": 150, "verified": true}) }, "II", "II"},
		{"leader lowers to III with a reason", func() map[string]any {
			st, out := level(leader, map[string]string{"level": "III", "reason": "现场核实人数较少"})
			if st != 200 {
				t.Fatalf("set level: %d %v", st, out)
			}
			return out
		}, "III", "II"},
		{"same computed level after the decision: no rise", func() map[string]any { return report(op, map[string]any{"people_involved": 180}) }, "III", "II"},
		{"computed level beyond the decision: rises", func() map[string]any { return report(op, map[string]any{"people_involved": 250}) }, "I", "I"},
	}
	for _, s := range steps {
		out := s.do()
		if out["level"] != s.level || out["computed_level"] != s.computed {
			t.Fatalf("%s: level %v computed %v, want %s %s", s.name, out["level"], out["computed_level"], s.level, s.computed)
		}
	}
	if st, out := level(leader, map[string]string{"level": "IV"}); st != 400 || !strings.Contains(fmt.Sprint(out), "reason") {
		t.Errorf("lowering without a reason: %d %v", st, out)
	}
	if st, _ := level(leader, map[string]string{"level": "0"}); st != 400 {
		t.Errorf("bad level: %d", st)
	}
	// A rise starts the new level's deadlines and keeps running ones.
	_, b := h.do("GET", "/api/v1/incidents/"+id, op, nil)
	var got struct {
		Deadlines []struct {
			Kind      string
			Level     string
			StartedAt time.Time `json:"started_at"`
		}
		Timeline []struct {
			Type, By, Reason string
		}
		Reports int
	}
	mustJSON(t, b, &got)
	kinds := map[string]string{}
	for _, d := range got.Deadlines {
		kinds[d.Kind] = d.Level
	}
	if kinds["report_higher"] != "IV" || kinds["report_district"] != "II" || kinds["detailed_report"] != "III" {
		t.Errorf("deadlines %+v", got.Deadlines)
	}
	types := []string{}
	for _, e := range got.Timeline {
		if !strings.HasPrefix(e.Type, "plan.") && !strings.HasPrefix(e.Type, "dispatch.") && !strings.HasPrefix(e.Type, "alarm.") && !strings.HasPrefix(e.Type, "deadline.") {
			types = append(types, e.Type)
		}
	}
	want := "created report level.raised report report level.raised level.set report report level.raised"
	if strings.Join(types, " ") != want || got.Reports != 5 {
		t.Errorf("timeline %v (%d reports), want %s", types, got.Reports, want)
	}
	// Follow-ups are validated like first reports, and drill is fixed.
	res, body := h.do("POST", "/api/v1/incidents/"+id+"/reports", op, `{"deaths":-3}`)
	if res.StatusCode != 400 || !strings.Contains(string(body), `"field":"deaths"`) {
		t.Errorf("bad follow-up: %d %s", res.StatusCode, body)
	}
	res, _ = h.do("POST", "/api/v1/incidents/"+id+"/reports", op, `{"drill":true}`)
	if res.StatusCode != 400 {
		t.Errorf("drill changed by a follow-up: %d", res.StatusCode)
	}
	res, _ = h.do("POST", "/api/v1/incidents/INC-NONE/reports", op, `{"deaths":1}`)
	if res.StatusCode != 404 {
		t.Errorf("report on a missing incident: %d", res.StatusCode)
	}
}

func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	op, leader := h.token("operator"), h.token("leader")
	id := h.create(dongmen("生命周期", 5))["id"].(string)
	status := func(tok, s, reason string) (int, string) {
		body := map[string]any{"status": s, "reason": reason}
		if s == "closed" && reason != "" {
			body = closing(reason)
		}
		res, b := h.do("POST", "/api/v1/incidents/"+id+"/status", tok, body)
		return res.StatusCode, string(b)
	}
	for _, step := range []struct {
		tok, status, reason string
		want                int
	}{
		{op, "responding", "", 200},
		{op, "responding", "", 409},
		{op, "open", "", 409},
		{op, "nope", "", 400},
		{op, "recovery", "", 200},
		{op, "closed", "", 400},
		{op, "closed", "现场已清理", 200},
		{op, "open", "再次聚集", 403},
		{leader, "open", "", 400},
		{leader, "open", "再次聚集", 200},
	} {
		if got, body := status(step.tok, step.status, step.reason); got != step.want {
			t.Fatalf("%s → %s: %d, want %d: %s", step.tok[:4], step.status, got, step.want, body)
		}
	}
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/status", op, closing("结束"))
	if res.StatusCode != 200 {
		t.Fatal(string(b))
	}
	res, b = h.do("POST", "/api/v1/incidents/"+id+"/reports", op, map[string]int{"deaths": 1})
	if res.StatusCode != 409 {
		t.Errorf("report on a closed incident: %d %s", res.StatusCode, b)
	}
}

func TestClassifyStoresNothing(t *testing.T) {
	h := newHarness(t)
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	res, b := h.do("POST", "/api/v1/classify", h.token("operator"), map[string]any{
		"category": "production_safety", "title": "工地坍塌", "location": map[string]float64{"lon": 114.125, "lat": 22.535}, "deaths": 10,
	})
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var out struct {
		Level        string
		LevelReasons []struct {
			RuleID string `json:"rule_id"`
		} `json:"level_reasons"`
		Grid struct{ Code string }
	}
	mustJSON(t, b, &out)
	if out.Level != "II" || len(out.LevelReasons) != 1 || out.LevelReasons[0].RuleID != "production_safety.deaths-10" || out.Grid.Code == "" {
		t.Errorf("classify: %s", b)
	}
	res, b = h.do("POST", "/api/v1/classify", h.token("operator"), `{"category":"fire"}`)
	if res.StatusCode != 400 {
		t.Errorf("classify without title and place: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if !strings.Contains(string(b), `"count":0`) {
		t.Errorf("classify stored: %s", b)
	}
	screen.quiet(300 * time.Millisecond)
}

func TestPersistenceAcrossRestart(t *testing.T) {
	h := newHarness(t)
	a := h.create(dongmen("重启前一", 150))
	b := h.create(dongmen("重启前二", 5))
	h.restart()
	h.tokens = map[string]string{} // sessions live in Redis: they would survive, but log in afresh anyway
	res, body := h.do("GET", "/api/v1/incidents/"+a["id"].(string), h.token("viewer"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"level":"II"`) {
		t.Fatalf("after restart: %d %s", res.StatusCode, body)
	}
	screen := h.screen(h.token("viewer"), nil)
	snap := screen.next(2 * time.Second)
	// Both incidents, the alarm of the level II one (and its plans' proposals).
	if snap.Type != "snapshot" || snap.Seq < 3 || !strings.Contains(string(snap.Data), b["id"].(string)) || !strings.Contains(string(snap.Data), `"kind":"incident.serious"`) {
		t.Fatalf("snapshot after restart: %d %.300s", snap.Seq, snap.Data)
	}
	c := h.create(dongmen("重启后", 5))
	m := screen.next(2 * time.Second)
	if m.Seq != snap.Seq+1 || !strings.Contains(string(m.Data), c["id"].(string)) {
		t.Errorf("seq does not continue: %d %s", m.Seq, m.Data)
	}
	if a["id"] == c["id"] || b["id"] == c["id"] {
		t.Error("an id was given twice")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if res, b := h.do("GET", p, "", nil); res.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, res.StatusCode, b)
		}
	}
	h.create(dongmen("指标", 150))
	h.create(map[string]any{"category": "fire", "title": "演练", "grid": "440303001001001", "drill": true})
	s := h.screen(h.token("viewer"), nil)
	s.next(2 * time.Second)
	_, b := h.do("GET", "/metrics", "", nil)
	for _, want := range []string{
		`watchfloor_incidents_created_total{category="mass_incident",level="II"} 1`,
		`watchfloor_websocket_clients{stream="screen"} 1`,
		`watchfloor_http_request_duration_seconds_count{code="201",method="POST",route="/api/v1/incidents"} 2`,
		`watchfloor_redis_up 1`,
		`watchfloor_socket_catchups_total{reason="heartbeat"} `,
		`watchfloor_socket_catchups_total{reason="resubscribed"} 0`,
		`watchfloor_notify_resubscriptions_total 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(b), `category="fire"`) {
		t.Error("a drill was counted")
	}
	// Security headers on pages and API.
	res, _ := h.do("GET", "/", "", nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page: %d %v", res.StatusCode, res.Header)
	}
	_, b = h.do("GET", "/api/v1/nothing", h.token("viewer"), nil)
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil || p["status"] != float64(404) {
		t.Errorf("unknown API route: %s", b)
	}
}

func TestDemoAccountsRefusedBeyondLoopback(t *testing.T) {
	r := storetest.Start(t)
	env := map[string]string{"WATCHFLOOR_LISTEN": "0.0.0.0:0", "WATCHFLOOR_REDIS_URL": r.URL()}
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.New(context.Background(), cfg, server.Options{Notice: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "demo accounts") {
		t.Fatalf("started with demo accounts on 0.0.0.0: %v", err)
	}
}

func TestFollowUpDetails(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	id := h.create(dongmen("细节", 5))["id"].(string)
	// A grid alone does not replace an exact location.
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/reports", op, map[string]any{"grid": "440303002002001", "reporter": map[string]string{"name": "王五", "phone": "13700007777"}})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"lon":114.1118`) || !strings.Contains(string(b), "dongmen-pedestrian-street") {
		t.Errorf("grid-only follow-up moved the incident: %s", b)
	}
	// The follow-up's reporter is masked in the timeline a viewer reads.
	_, b = h.do("GET", "/api/v1/incidents/"+id, h.token("viewer"), nil)
	if strings.Contains(string(b), "13700007777") || strings.Contains(string(b), "王五") {
		t.Errorf("a viewer reads personal data in the timeline: %s", b)
	}
	// A closed incident's level is not changed.
	h.do("POST", "/api/v1/incidents/"+id+"/status", op, closing("结束"))
	if res, _ := h.do("POST", "/api/v1/incidents/"+id+"/level", h.token("leader"), map[string]string{"level": "I"}); res.StatusCode != 409 {
		t.Errorf("level set on a closed incident: %d", res.StatusCode)
	}
}
