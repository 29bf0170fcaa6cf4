package acceptance_test

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
	"watchfloor/config"
)

func (h *harness) act(tok, id string, body map[string]any) (int, string) {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/cases/"+id+"/actions", tok, body)
	return res.StatusCode, string(b)
}

func hubeiHazard(title string) map[string]any {
	return map[string]any{"kind": "hazard", "title": title, "description": "井盖缺失",
		"location": map[string]float64{"lon": 114.10877, "lat": 22.55415}, "reporter": map[string]string{"name": "赵六", "phone": "13600006666"}}
}

func TestCaseClosedLoop(t *testing.T) {
	h := newHarness(t)
	op, officer := h.token("operator"), h.token("grid-01")
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	phone := h.responder("grid-01", nil)
	phone.next(2 * time.Second)

	// 信息采集: the grid officer reports; it owns the case (首问负责).
	res, b := h.do("POST", "/api/v1/cases", officer, hubeiHazard("井盖缺失"), "Idempotency-Key", "case-1")
	if res.StatusCode != 201 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	var cs map[string]any
	mustJSON(t, b, &cs)
	id := cs["id"].(string)
	if cs["status"] != "collected" || cs["handling_level"] != "grid" || cs["area"] != "440303001001001" || cs["owner"] != "grid-01" || cs["due_at"] == nil {
		t.Fatalf("case %s", b)
	}
	res, b2 := h.do("POST", "/api/v1/cases", officer, hubeiHazard("井盖缺失"), "Idempotency-Key", "case-1")
	if res.StatusCode != 201 || !strings.Contains(string(b2), id) {
		t.Errorf("a repeated report created another case: %s", b2)
	}
	screen.await("case.created", 2*time.Second)
	steps := []struct {
		tok  string
		body map[string]any
		want string
	}{
		{op, map[string]any{"action": "accept"}, "accepted"},
		{op, map[string]any{"action": "dispatch", "assignee": "grid-01"}, "dispatched"},
		{officer, map[string]any{"action": "handle", "result": "已设置警示并报修"}, "handled"},
		{op, map[string]any{"action": "verify", "passed": false, "note": "未修复"}, "dispatched"},
		{officer, map[string]any{"action": "handle", "result": "井盖已更换"}, "handled"},
		{h.token("hubei-operator"), map[string]any{"action": "verify", "passed": true}, "verified"},
		{op, map[string]any{"action": "close", "note": "结案"}, "closed"},
		{op, map[string]any{"action": "evaluate", "satisfaction": 5}, "evaluated"},
	}
	for i, s := range steps {
		code, body := h.act(s.tok, id, s.body)
		if code != 200 || !strings.Contains(body, `"status":"`+s.want+`"`) {
			t.Fatalf("step %d %v: %d %s", i, s.body, code, body)
		}
		if s.tok == officer && strings.Contains(body, "13600006666") {
			t.Errorf("a responder's answer carries the reporter's phone: %s", body)
		}
		if i == 1 {
			m := phone.await("case.assigned", 2*time.Second)
			if !strings.Contains(string(m.Data), id) {
				t.Fatalf("assignment %s", m.Data)
			}
		}
	}
	_, b = h.do("GET", "/api/v1/cases/"+id, op, nil)
	for _, a := range []string{"collect", "accept", "dispatch", "handle", "verify", "close", "evaluate"} {
		if !strings.Contains(string(b), `"action":"`+a+`"`) {
			t.Errorf("timeline lacks %s", a)
		}
	}
	// A responder sees its cases; a viewer sees the reporter masked in events.
	_, b = h.do("GET", "/api/v1/cases", officer, nil)
	if !strings.Contains(string(b), id) {
		t.Errorf("the grid officer does not see its case: %s", b)
	}
	m := screen.await("case.updated", 2*time.Second)
	if strings.Contains(string(m.Data), "13600006666") {
		t.Errorf("a case event carries the reporter's phone: %s", m.Data)
	}
}

func TestCaseRefusals(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	cs := h.createCase(op, hubeiHazard("拒绝"))
	for _, tc := range []struct {
		body map[string]any
		code int
		says string
	}{
		{map[string]any{"action": "close"}, 409, "allows accept, reject"},
		{map[string]any{"action": "fly"}, 400, "unknown action"},
		{map[string]any{"action": "reject"}, 400, "reason"},
		{map[string]any{"action": "supervise", "due_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "reason": "重点"}, 403, "leader"},
		{map[string]any{"action": "assign_owner", "account": "leader"}, 403, "leader"},
		{map[string]any{"action": "accept"}, 200, `"accepted"`},
		{map[string]any{"action": "accept"}, 409, "is accepted"},
		{map[string]any{"action": "dispatch", "assignee": "nobody"}, 400, "assignee"},
		{map[string]any{"action": "dispatch", "assignee": "operator"}, 200, `"dispatched"`},
		{map[string]any{"action": "handle"}, 400, "result"},
		{map[string]any{"action": "handle", "result": "处理完毕"}, 200, `"handled"`},
		{map[string]any{"action": "verify", "passed": true}, 403, "someone else verifies"},
		{map[string]any{"action": "evaluate", "satisfaction": 9}, 409, "is handled"},
	} {
		code, body := h.act(op, cs, tc.body)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%v: %d %s", tc.body, code, body)
		}
	}
	if code, body := h.act(h.token("leader"), cs, map[string]any{"action": "supervise", "due_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "reason": "挂牌督办"}); code != 200 || !strings.Contains(body, "supervision") {
		t.Errorf("supervise: %d %s", code, body)
	}
	if code, body := h.act(h.token("leader"), cs, map[string]any{"action": "assign_owner", "account": "leader"}); code != 200 || !strings.Contains(body, `"leader_owner":"leader"`) {
		t.Errorf("assign owner: %d %s", code, body)
	}
	// A dispute records its mediation outcome.
	d := h.createCase(op, map[string]any{"kind": "dispute", "title": "邻里纠纷", "location": map[string]float64{"lon": 114.10877, "lat": 22.55415}})
	h.act(op, d, map[string]any{"action": "accept"})
	h.act(op, d, map[string]any{"action": "dispatch", "assignee": "grid-01"})
	if code, body := h.act(op, d, map[string]any{"action": "handle", "result": "调解"}); code != 400 || !strings.Contains(body, "mediation") {
		t.Errorf("dispute without an outcome: %d %s", code, body)
	}
	if code, _ := h.act(op, d, map[string]any{"action": "handle", "result": "调解成功", "mediation": "success"}); code != 200 {
		t.Errorf("dispute handled: %d", code)
	}
	// Bad input on create.
	for body, field := range map[string]string{
		`{"kind":"ufo","title":"x","location":{"lon":114.1,"lat":22.5}}`: "kind",
		`{"kind":"hazard","title":"x"}`:                                  "location",
		`{"kind":"hazard","title":"x","location":{"lon":100,"lat":10}}`:  "location",
		`{"kind":"hazard","location":{"lon":114.1088,"lat":22.5541}}`:    "title",
	} {
		res, b := h.do("POST", "/api/v1/cases", op, body)
		if res.StatusCode != 400 || !strings.Contains(string(b), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", body, res.StatusCode, b)
		}
	}
	// A responder that is not a grid officer does not report cases.
	if res, _ := h.do("POST", "/api/v1/cases", h.token("car-01"), hubeiHazard("x")); res.StatusCode != 403 {
		t.Errorf("a patrol car reported a case: %d", res.StatusCode)
	}
	_, b := h.do("GET", "/api/v1/cases/stats?month="+time.Now().In(h.cfg.Location).Format("2006-01"), op, nil)
	if !strings.Contains(string(b), `"mediation_success":1`) || !strings.Contains(string(b), `"mediation_success_rate":1`) {
		t.Errorf("stats %s", b)
	}
}

func (h *harness) createCase(tok string, body map[string]any) string {
	h.t.Helper()
	res, b := h.do("POST", "/api/v1/cases", tok, body)
	if res.StatusCode != 201 {
		h.t.Fatalf("create case: %d %s", res.StatusCode, b)
	}
	var cs struct{ ID string }
	mustJSON(h.t, b, &cs)
	return cs.ID
}

func TestCaseAreaScoping(t *testing.T) {
	h := newHarness(t)
	hubei, dongmen, op := h.token("hubei-operator"), h.token("dongmen-operator"), h.token("operator")
	inHubei := h.createCase(hubei, hubeiHazard("湖贝"))
	chengdong := map[string]any{"kind": "hazard", "title": "城东", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}}
	if res, b := h.do("POST", "/api/v1/cases", hubei, chengdong); res.StatusCode != 403 {
		t.Errorf("a community operator reported outside its area: %d %s", res.StatusCode, b)
	}
	inChengdong := h.createCase(dongmen, chengdong)
	nanhu := h.createCase(op, map[string]any{"kind": "hazard", "title": "南湖", "location": map[string]float64{"lon": 114.12388, "lat": 22.53931}})
	sees := func(tok string) string {
		_, b := h.do("GET", "/api/v1/cases", tok, nil)
		return string(b)
	}
	for _, tc := range []struct {
		tok  string
		want map[string]bool
	}{
		{hubei, map[string]bool{inHubei: true, inChengdong: false, nanhu: false}},
		{dongmen, map[string]bool{inHubei: true, inChengdong: true, nanhu: false}},
		{op, map[string]bool{inHubei: true, inChengdong: true, nanhu: true}},
	} {
		list := sees(tc.tok)
		for id, want := range tc.want {
			if strings.Contains(list, id) != want {
				t.Errorf("list: sees %s = %v, want %v", id, !want, want)
			}
			res, _ := h.do("GET", "/api/v1/cases/"+id, tc.tok, nil)
			if (res.StatusCode == 200) != want {
				t.Errorf("get %s: %d", id, res.StatusCode)
			}
			if !want {
				if code, _ := h.act(tc.tok, id, map[string]any{"action": "accept"}); code != 404 {
					t.Errorf("acted outside the area on %s: %d", id, code)
				}
			}
		}
	}
	// Photos and figures follow the same areas.
	if res, _ := h.do("GET", "/api/v1/cases/"+inChengdong+"/photos/1", hubei, nil); res.StatusCode != 404 {
		t.Errorf("a community operator read a photo outside its area: %d", res.StatusCode)
	}
	_, st := h.do("GET", "/api/v1/cases/stats?month="+time.Now().In(h.cfg.Location).Format("2006-01"), hubei, nil)
	if strings.Contains(string(st), "440303001002") || !strings.Contains(string(st), "440303001001") {
		t.Errorf("a community operator's figures reach outside its area: %s", st)
	}
	// Escalated to the street, the Hubei case leaves the community's view
	// and stays in the street's.
	if code, body := h.act(hubei, inHubei, map[string]any{"action": "escalate", "reason": "社区无法解决"}); code != 200 || !strings.Contains(body, `"handling_level":"community"`) {
		t.Fatalf("escalate: %d %s", code, body)
	}
	if code, body := h.act(hubei, inHubei, map[string]any{"action": "escalate", "reason": "需街道协调"}); code != 200 || !strings.Contains(body, `"handling_level":"street"`) {
		t.Fatalf("escalate again: %d %s", code, body)
	}
	if strings.Contains(sees(hubei), inHubei) || !strings.Contains(sees(dongmen), inHubei) {
		t.Errorf("after escalation to the street: community sees it %v, street %v", strings.Contains(sees(hubei), inHubei), strings.Contains(sees(dongmen), inHubei))
	}
}

func TestCaseTimeLimitEscalatesAcrossRestart(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	op := h.token("operator")
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	id := h.createCase(op, hubeiHazard("超时"))
	clock.Advance(2*time.Hour + time.Minute) // a hazard is accepted within 2 h
	m := screen.awaitAlarm("case.overdue", 2*time.Second)
	if !strings.Contains(string(m.Data), `"kind":"case.overdue"`) {
		t.Fatalf("alarm %s", m.Data)
	}
	get := func() string {
		_, b := h.do("GET", "/api/v1/cases/"+id, op, nil)
		return string(b)
	}
	waitFor(t, 2*time.Second, "escalation to the community", func() bool { return strings.Contains(get(), `"handling_level":"community"`) })
	// The next limit falls due while no server runs: it fires after the restart.
	h.stop()
	clock.Advance(2*time.Hour + time.Minute)
	h.start()
	h.tokens = map[string]string{}
	op = h.token("operator")
	waitFor(t, 3*time.Second, "escalation to the street after the restart", func() bool {
		return strings.Contains(get(), `"handling_level":"street"`)
	})
	if !strings.Contains(get(), `"overdue":true`) {
		t.Errorf("not marked overdue: %s", get())
	}
}

func TestCasePhotos(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.DataDir = t.TempDir() })
	op := h.token("operator")
	id := h.createCase(op, hubeiHazard("照片"))
	upload := func(name string, data []byte) (int, string) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, _ := w.CreateFormFile("photo", name)
		fw.Write(data)
		w.Close()
		req, _ := http.NewRequest("POST", h.base+"/api/v1/cases/"+id+"/photos", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+op)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	if code, body := upload("a.png", img.Bytes()); code != 201 || !strings.Contains(body, `"content_type":"image/png"`) {
		t.Fatalf("png: %d %s", code, body)
	}
	if code, body := upload("a.jpg", []byte("this is not an image at all")); code != 400 || !strings.Contains(body, "JPEG or PNG") {
		t.Errorf("text named .jpg: %d %s", code, body)
	}
	big := append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 6<<20)...)
	if code, body := upload("big.jpg", big); code != 400 || !strings.Contains(body, "5 MB") {
		t.Errorf("6 MB photo: %d %.200s", code, body)
	}
	res, b := h.do("GET", "/api/v1/cases/"+id+"/photos/1", h.token("viewer"), nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, img.Bytes()) {
		t.Errorf("photo back: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := h.do("GET", "/api/v1/cases/"+id+"/photos/2", h.token("viewer"), nil); res.StatusCode != 404 {
		t.Errorf("a missing photo: %d", res.StatusCode)
	}
}

func TestZeroReportAlarm(t *testing.T) {
	// 17:00 in Shanghai: the daily reports are due at 18:00.
	clock := timer.NewManual(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	for _, area := range []string{"440303001001", "440303001002", "440303002001"} {
		res, b := h.do("POST", "/api/v1/daily-reports", h.token("operator"), map[string]any{"area": area, "nothing_to_report": true})
		if res.StatusCode != 201 {
			t.Fatalf("%s: %d %s", area, res.StatusCode, b)
		}
	}
	if res, _ := h.do("POST", "/api/v1/daily-reports", h.token("hubei-operator"), map[string]any{"area": "440303002002", "nothing_to_report": true}); res.StatusCode != 403 {
		t.Errorf("a community reported for another: %d", res.StatusCode)
	}
	// Among units only a grid officer reports, for the community its grid
	// lies in: a patrol car or another community's officer would replace
	// that community's real report (or hide that it is missing).
	for _, c := range []struct {
		unit, area string
		want       int
	}{{"car-01", "440303001001", 403}, {"grid-05", "440303001001", 403}, {"grid-01", "440303001001", 201}} {
		if res, b := h.do("POST", "/api/v1/daily-reports", h.token(c.unit), map[string]any{"area": c.area, "nothing_to_report": true}); res.StatusCode != c.want {
			t.Errorf("%s reporting for %s: %d %s, want %d", c.unit, c.area, res.StatusCode, b, c.want)
		}
	}
	if res, _ := h.do("POST", "/api/v1/daily-reports", h.token("operator"), map[string]any{"area": "440303002002"}); res.StatusCode != 400 {
		t.Errorf("a report with nothing in it: %d", res.StatusCode)
	}
	clock.Advance(61 * time.Minute)
	m := screen.await("alarm.raised", 2*time.Second)
	if !strings.Contains(string(m.Data), `"kind":"daily_report.missing"`) || !strings.Contains(string(m.Data), "440303002002") {
		t.Fatalf("alarm %s", m.Data)
	}
	screen.quiet(300 * time.Millisecond) // one community missing: one alarm
}

func TestPatrolMinutes(t *testing.T) {
	// 14:00 in Shanghai.
	clock := timer.NewManual(time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC))
	h := newHarnessWith(t, storetest.Start(t), clock.Now)
	start := clock.Now().Add(-2 * time.Hour) // 12:00 local
	var ps []map[string]any
	// grid-01 walks inside its grid for 70 minutes, a fix a minute…
	for i := 0; i <= 70; i++ {
		ps = append(ps, map[string]any{"unit_id": "grid-01", "lon": 114.1085 + float64(i%5)*0.0002, "lat": 22.5540, "at": ts(start.Add(time.Duration(i) * time.Minute))})
	}
	// …then leaves it for half an hour: none of that counts.
	for i := 71; i <= 100; i++ {
		ps = append(ps, map[string]any{"unit_id": "grid-01", "lon": 114.1240, "lat": 22.5470, "at": ts(start.Add(time.Duration(i) * time.Minute))})
	}
	// grid-02 is inside for 25 minutes, with a 30-minute gap that does not count.
	for _, m := range []int{0, 5, 10, 40, 45, 50, 55} {
		ps = append(ps, map[string]any{"unit_id": "grid-02", "lon": 114.1162, "lat": 22.5541, "at": ts(start.Add(time.Duration(m) * time.Minute))})
	}
	if code, out := h.positions(h.token("operator"), ps...); code != 202 || out.Accepted != len(ps) {
		t.Fatalf("%d %+v", code, out)
	}
	_, b := h.do("GET", "/api/v1/patrol?date=2026-11-23", h.token("viewer"), nil)
	var out struct {
		Grids []struct {
			Code    string
			Minutes int
			Met     bool
		}
	}
	mustJSON(t, b, &out)
	got := map[string][2]any{}
	for _, g := range out.Grids {
		got[g.Code] = [2]any{g.Minutes, g.Met}
	}
	if got["440303001001001"] != [2]any{70, true} || got["440303001001002"] != [2]any{25, false} || got["440303001002001"] != [2]any{0, false} {
		t.Errorf("patrol %v", got)
	}
	// Shortly after local midnight the day's minutes are recorded among its
	// figures, and the month's analysis reports them per grid.
	clock.Advance(10*time.Hour + 15*time.Minute)
	waitFor(t, 3*time.Second, "the day's patrol recorded", func() bool {
		_, b := h.do("GET", "/api/v1/analysis?period=month&at=2026-11", h.token("viewer"), nil)
		return strings.Contains(string(b), `{"key":"440303001001001","count":70}`) && strings.Contains(string(b), `{"key":"440303001001002","count":25}`)
	})
}
