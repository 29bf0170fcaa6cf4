package acceptance_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestCaseDeskRaise raises a case into an incident: the incident is made
// from the case's facts and place, the two are linked both ways, a second
// raise answers the same incident, and a case outside the caller's area is
// 404 as if it did not exist.
func TestCaseDeskRaise(t *testing.T) {
	h := newHarness(t)
	hubei, dongmen := h.token("hubei-operator"), h.token("dongmen-operator")
	gather := hubeiHazard("楼下聚集")
	gather["kind"], gather["people_involved"] = "dispute", 40
	id := h.createCase(hubei, gather)

	res, b := h.do("POST", "/api/v1/cases/"+id+"/raise", hubei, map[string]any{"category": "mass_incident", "title": "湖贝群众聚集"})
	if res.StatusCode != 201 {
		t.Fatalf("raise: %d %s", res.StatusCode, b)
	}
	var inc struct {
		ID, Category, Level string
		CaseID              string `json:"case_id"`
		People              int64  `json:"people_involved"`
		Location            struct{ Lon, Lat float64 }
	}
	mustJSON(t, b, &inc)
	if inc.CaseID != id || inc.Category != "mass_incident" || inc.People != 40 || inc.Location.Lon != 114.10877 || inc.Level == "" {
		t.Fatalf("incident made from the case: %s", b)
	}
	if !strings.Contains(string(b), `"case_id":"`+id+`"`) {
		t.Errorf("incident answer lacks case_id: %s", b)
	}
	_, ib := h.do("GET", "/api/v1/incidents/"+inc.ID, h.token("operator"), nil)
	if !strings.Contains(string(ib), `"case_id":"`+id+`"`) {
		t.Errorf("stored incident lacks case_id: %s", ib)
	}
	_, cb := h.do("GET", "/api/v1/cases/"+id, hubei, nil)
	if !strings.Contains(string(cb), `"incident_id":"`+inc.ID+`"`) || !strings.Contains(string(cb), `"action":"raise"`) {
		t.Errorf("case not linked to %s: %s", inc.ID, cb)
	}
	for i, body := range []map[string]any{
		{"category": "mass_incident", "title": "湖贝群众聚集"},
		{"category": "public_order", "title": "另一个标题"},
	} {
		res, b := h.do("POST", "/api/v1/cases/"+id+"/raise", dongmen, body)
		if res.StatusCode != 200 || !strings.Contains(string(b), `"id":"`+inc.ID+`"`) {
			t.Errorf("raise again %d: %d %s", i, res.StatusCode, b)
		}
	}
	_, list := h.do("GET", "/api/v1/incidents", h.token("operator"), nil)
	if n := strings.Count(string(list), `"case_id":"`+id+`"`); n != 1 {
		t.Errorf("%d incidents carry case %s, want 1", n, id)
	}

	// Outside the area: 404, and nothing is created.
	chengdong := h.createCase(dongmen, map[string]any{"kind": "hazard", "title": "城东", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}})
	if res, b := h.do("POST", "/api/v1/cases/"+chengdong+"/raise", hubei, map[string]any{"category": "mass_incident", "title": "越界"}); res.StatusCode != 404 {
		t.Errorf("raise outside the area: %d %s", res.StatusCode, b)
	}
	if res, _ := h.do("POST", "/api/v1/cases/C-20000101-0001/raise", hubei, map[string]any{"category": "mass_incident", "title": "无"}); res.StatusCode != 404 {
		t.Errorf("raise of a missing case: %d", res.StatusCode)
	}

	// A leader may give the level; an operator may not.
	res, b = h.do("POST", "/api/v1/cases/"+chengdong+"/raise", h.token("leader"), map[string]any{"category": "public_order", "title": "升级", "level": "II"})
	if res.StatusCode != 201 || !strings.Contains(string(b), `"level":"II"`) {
		t.Errorf("leader's raise with a level: %d %s", res.StatusCode, b)
	}
}

// TestCaseDeskRaiseBadInput names every bad field of a raise and writes
// nothing.
func TestCaseDeskRaiseBadInput(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	id := h.createCase(op, hubeiHazard("坏输入"))
	for _, tc := range []struct {
		body   any
		fields []string
	}{
		{map[string]any{"category": "nope", "title": " ", "level": "V"}, []string{"category", "title", "level"}},
		{map[string]any{"category": "mass_incident", "title": "x", "level": "II"}, []string{"level"}},
		{map[string]any{"category": "mass_incident", "title": "x", "description": strings.Repeat("长", 4001)}, []string{"description"}},
		{map[string]any{"category": 3, "title": "x", "extra": 1}, []string{"category", "extra"}},
	} {
		res, b := h.do("POST", "/api/v1/cases/"+id+"/raise", op, tc.body)
		if res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%v: %d %s", tc.body, res.StatusCode, b)
		}
		for _, f := range tc.fields {
			if !strings.Contains(string(b), `"field":"`+f+`"`) {
				t.Errorf("%v: %s not named: %s", tc.body, f, b)
			}
		}
	}
	_, cb := h.do("GET", "/api/v1/cases/"+id, op, nil)
	_, list := h.do("GET", "/api/v1/incidents", op, nil)
	if strings.Contains(string(cb), "incident_id") || strings.Contains(string(list), `"case_id"`) {
		t.Errorf("a refused raise wrote something: %s / %s", cb, list)
	}
}

// TestCaseDeskDailyRollup files a zero report and reads the day's roll-up,
// limited to the account's area.
func TestCaseDeskDailyRollup(t *testing.T) {
	h := newHarness(t)
	hubei := h.token("hubei-operator")
	today := time.Now().In(h.cfg.Location).Format(time.DateOnly)
	// A note is cleaned as an incident's text is: a NUL is refused, and one
	// of only invisible characters is no note at all.
	for _, note := range []string{`"\u202e\u200b"`, `"巡查\u0000"`, `" \u200b\u0000"`} {
		status, fields, b := h.problemFields("POST", "/api/v1/daily-reports", hubei, `{"area":"440303001001","note":`+note+`}`)
		if status != 400 || !slices.Equal(fields, []string{"note"}) {
			t.Errorf("note %s: %d %v %s", note, status, fields, b)
		}
	}
	if res, b := h.do("POST", "/api/v1/daily-reports", hubei, map[string]any{"area": "440303001001", "nothing_to_report": true}); res.StatusCode != 201 {
		t.Fatalf("zero report: %d %s", res.StatusCode, b)
	}
	type rollup struct {
		Date  string
		DueAt time.Time `json:"due_at"`
		Areas []struct {
			Code, Name, By  string
			Reported        bool
			NothingToReport bool `json:"nothing_to_report"`
			At              *time.Time
		}
	}
	var r rollup
	res, b := h.do("GET", "/api/v1/daily-reports", hubei, nil)
	mustJSON(t, b, &r)
	if res.StatusCode != 200 || r.Date != today || r.DueAt.IsZero() || len(r.Areas) != 1 {
		t.Fatalf("community roll-up: %d %s", res.StatusCode, b)
	}
	if a := r.Areas[0]; a.Code != "440303001001" || !a.Reported || !a.NothingToReport || a.By != "hubei-operator" || a.At == nil || a.Name == "" {
		t.Errorf("community roll-up: %s", b)
	}
	r = rollup{}
	_, b = h.do("GET", "/api/v1/daily-reports?date="+today, h.token("operator"), nil)
	mustJSON(t, b, &r)
	reported := 0
	for _, a := range r.Areas {
		if a.Reported {
			reported++
		}
	}
	if len(r.Areas) != len(h.cfg.DailyReports.Areas) || reported != 1 {
		t.Errorf("whole roll-up: %s", b)
	}
	_, b = h.do("GET", "/api/v1/daily-reports?date=2020-01-01", h.token("operator"), nil)
	if strings.Contains(string(b), `"reported":true`) {
		t.Errorf("another day shows today's report: %s", b)
	}
	if res, b := h.do("GET", "/api/v1/daily-reports?date=2026-13-01", hubei, nil); res.StatusCode != 400 || !strings.Contains(string(b), `"field":"date"`) {
		t.Errorf("bad date: %d %s", res.StatusCode, b)
	}
	res, b = h.do("POST", "/api/v1/daily-reports", hubei, map[string]any{"area": "440303001001", "note": "\u200b巡查\u202e无异常\u200b"})
	if res.StatusCode != 201 || !strings.Contains(string(b), `"note":"巡查无异常"`) {
		t.Errorf("a note with invisible characters: %d %s", res.StatusCode, b)
	}
}

// TestCaseDeskLedgerCSV exports the ledger: a BOM, one row per case of the
// account's area with its steps, cells quoted and defused against formula
// injection, reporters masked for viewers, bad periods named.
func TestCaseDeskLedgerCSV(t *testing.T) {
	h := newHarness(t)
	op, hubei, dongmen := h.token("operator"), h.token("hubei-operator"), h.token("dongmen-operator")
	evil := hubeiHazard(`=HYPERLINK("http://x","点我"), "引号"`)
	evil["reporter"] = map[string]string{"name": "@张三", "phone": "13600006666"}
	id := h.createCase(hubei, evil)
	for _, a := range []map[string]any{{"action": "accept"}, {"action": "dispatch", "assignee": "grid-01"}} {
		if code, b := h.act(hubei, id, a); code != 200 {
			t.Fatalf("%v: %d %s", a, code, b)
		}
	}
	if code, b := h.act(h.token("grid-01"), id, map[string]any{"action": "handle", "result": "-已处理"}); code != 200 {
		t.Fatalf("handle: %d %s", code, b)
	}
	other := h.createCase(dongmen, map[string]any{"kind": "hazard", "title": "城东", "location": map[string]float64{"lon": 114.12369, "lat": 22.55413}})
	today := time.Now().In(h.cfg.Location).Format(time.DateOnly)
	get := func(tok, q string) ([][]string, string, int) {
		res, b := h.do("GET", "/api/v1/cases/export.csv?"+q, tok, nil)
		if res.StatusCode != 200 {
			return nil, string(b), res.StatusCode
		}
		if !bytes.HasPrefix(b, []byte("\ufeff")) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("no BOM or not CSV: %q %s", b[:min(8, len(b))], res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("CSV: %v\n%s", err, b)
		}
		return rows, string(b), 200
	}
	rows, raw, _ := get(hubei, "from="+today+"&to="+today)
	if len(rows) != 2 || rows[0][0] != "编号" || strings.Contains(raw, other) {
		t.Fatalf("community ledger: %s", raw)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["编号"] != id || row["标题"] != `'=HYPERLINK("http://x","点我"), "引号"` || row["处置结果"] != "'-已处理" ||
		row["上报人"] != "'@张三 13600006666" || row["派遣人"] != "hubei-operator" || row["承办"] != "grid-01" ||
		row["处置人"] != "grid-01" || row["状态"] != "handled" || row["类别"] != "安全隐患" || row["社区"] == "" || row["立案时间"] == "" {
		t.Errorf("row: %v", row)
	}
	rows, raw, _ = get(op, "from="+today+"&to="+today+"&lang=en")
	if len(rows) != 3 || rows[0][0] != "id" || !strings.Contains(raw, other) {
		t.Errorf("whole ledger: %s", raw)
	}
	_, raw, _ = get(h.token("viewer"), "from="+today+"&to="+today)
	if strings.Contains(raw, "13600006666") || strings.Contains(raw, "张三") {
		t.Errorf("viewer sees the reporter: %s", raw)
	}
	if rows, raw, _ := get(op, "from=2020-01-01&to=2020-01-31"); len(rows) != 1 {
		t.Errorf("another period: %s", raw)
	}
	if _, b := h.do("GET", "/api/v1/audit?action=cases.export&who=hubei-operator", h.token("admin"), nil); !strings.Contains(string(b), `"object":"`+today+"/"+today+`"`) {
		t.Errorf("the export is not audited: %s", b)
	}
	for _, tc := range []struct {
		q      string
		fields []string
	}{
		{"", []string{"from", "to"}},
		{"from=2026-02-30&to=x", []string{"from", "to"}},
		{"from=2026-03-02&to=2026-03-01", []string{"to"}},
		{"from=2025-01-01&to=2026-01-02", []string{"to"}},
		{"from=2025-01-01&to=2025-01-02&lang=fr", []string{"lang"}},
	} {
		_, body, code := get(op, tc.q)
		if code != 400 {
			t.Errorf("%q: %d", tc.q, code)
		}
		for _, f := range tc.fields {
			if !strings.Contains(body, `"field":"`+f+`"`) {
				t.Errorf("%q: %s not named: %s", tc.q, f, body)
			}
		}
	}
}

// TestCaseDeskKindsDispatchDelegate lists the configured kinds, refuses a
// dispatch to a unit that cannot handle the case, and hands an escalated
// case back down.
func TestCaseDeskKindsDispatchDelegate(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	_, b := h.do("GET", "/api/v1/case-kinds", h.token("grid-01"), nil)
	for _, k := range h.cfg.CaseKinds {
		if !strings.Contains(string(b), `"id":"`+k.ID+`"`) || !strings.Contains(string(b), k.Name.ZH) {
			t.Errorf("kind %s missing: %s", k.ID, b)
		}
	}
	id := h.createCase(op, hubeiHazard("派遣"))
	h.act(op, id, map[string]any{"action": "accept"})
	for _, who := range []string{"car-01", "grid-05"} {
		if code, body := h.act(op, id, map[string]any{"action": "dispatch", "assignee": who}); code != 400 || !strings.Contains(body, `"field":"assignee"`) {
			t.Errorf("dispatch to %s: %d %s", who, code, body)
		}
	}
	if code, body := h.act(op, id, map[string]any{"action": "delegate", "reason": "x"}); code != 409 {
		t.Errorf("delegate below the grid: %d %s", code, body)
	}
	if code, body := h.act(op, id, map[string]any{"action": "escalate", "reason": "网格无法解决"}); code != 200 || !strings.Contains(body, `"handling_level":"community"`) {
		t.Fatalf("escalate: %d %s", code, body)
	}
	if code, body := h.act(op, id, map[string]any{"action": "delegate"}); code != 400 || !strings.Contains(body, `"field":"reason"`) {
		t.Errorf("delegate without a reason: %d %s", code, body)
	}
	if code, body := h.act(op, id, map[string]any{"action": "delegate", "reason": "网格可处置"}); code != 200 || !strings.Contains(body, `"handling_level":"grid"`) || !strings.Contains(body, `"area":"440303001001001"`) {
		t.Errorf("delegate: %d %s", code, body)
	}
	if code, body := h.act(op, id, map[string]any{"action": "dispatch", "assignee": "grid-01"}); code != 200 {
		t.Errorf("dispatch to the grid's officer: %d %s", code, body)
	}
}

// TestCaseDeskAreaLeader: the street's leader (an account with an area)
// lists the cases of its street for supervision (挂牌督办) and names their
// owner (领导包案), and sees nothing outside its street.
func TestCaseDeskAreaLeader(t *testing.T) {
	h := newHarness(t)
	leader := h.token("dongmen-leader")
	inStreet := h.createCase(h.token("hubei-operator"), hubeiHazard("街道督办"))
	outside := h.createCase(h.token("operator"), map[string]any{"kind": "hazard", "title": "南湖", "location": map[string]float64{"lon": 114.12388, "lat": 22.53931}})
	due := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	if code, body := h.act(leader, inStreet, map[string]any{"action": "supervise", "due_at": due, "reason": "群众反映强烈"}); code != 200 || !strings.Contains(body, `"by":"dongmen-leader"`) {
		t.Errorf("supervise: %d %s", code, body)
	}
	if code, body := h.act(leader, inStreet, map[string]any{"action": "assign_owner", "account": "dongmen-leader"}); code != 200 || !strings.Contains(body, `"leader_owner":"dongmen-leader"`) {
		t.Errorf("assign owner: %d %s", code, body)
	}
	// An owner is a leader or deputy whose area covers the case's, and who
	// can still sign in.
	if res, body := h.do("POST", "/api/v1/accounts/deputy/disable", h.token("admin"), nil); res.StatusCode != 200 {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	for _, owner := range []string{"viewer", "hubei-operator", "deputy"} {
		if code, body := h.act(leader, inStreet, map[string]any{"action": "assign_owner", "account": owner}); code != 400 || !strings.Contains(body, `"field":"account"`) {
			t.Errorf("%s as the owner: %d %s", owner, code, body)
		}
	}
	if code, _ := h.act(leader, outside, map[string]any{"action": "supervise", "due_at": due, "reason": "越界"}); code != 404 {
		t.Errorf("supervise outside the street: %d", code)
	}
	if code, body := h.act(leader, inStreet, map[string]any{"action": "supervise", "due_at": "yesterday"}); code != 400 ||
		!strings.Contains(body, `"field":"due_at"`) || !strings.Contains(body, `"field":"reason"`) {
		t.Errorf("supervise without a date or a reason names both: %d %s", code, body)
	}
	if code, _ := h.act(h.token("hubei-operator"), inStreet, map[string]any{"action": "supervise", "due_at": due, "reason": "x"}); code != 403 {
		t.Errorf("an operator supervised: %d", code)
	}
}
