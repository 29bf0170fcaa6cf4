package acceptance_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
)

// dutyDay is today in the sample city's time zone, and the shifts that
// cover the whole of it (the second ends at midnight, on the next day).
func dutyDay(t *testing.T) (string, []map[string]any) {
	return dutyDayAt(t, time.Now())
}

// dutyDayAt is dutyDay of the day now falls on.
func dutyDayAt(t *testing.T, now time.Time) (string, []map[string]any) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return now.In(loc).Format(time.DateOnly), []map[string]any{
		{"id": "am", "start": "00:00", "end": "12:00", "leader": "dongmen-leader", "operators": []string{"operator"}, "standby": []string{"grid-01"}},
		{"id": "pm", "start": "12:00", "end": "00:00", "leader": "dongmen-leader", "operators": []string{"operator"}, "standby": []string{"grid-01"}},
	}
}

// dutyShifts are the shifts of dutyDay.
func dutyShifts(t *testing.T) []map[string]any {
	_, shifts := dutyDay(t)
	return shifts
}

// putToday plans today, on the server's clock, so that a shift covers the
// present.
func putToday(t *testing.T, h *harness) {
	t.Helper()
	now := time.Now()
	if h.now != nil {
		now = h.now()
	}
	today, shifts := dutyDayAt(t, now)
	if res, b := h.do("PUT", "/api/v1/roster/"+today, h.token("leader"), map[string]any{"version": 0, "shifts": shifts}); res.StatusCode != 200 {
		t.Fatalf("put the roster: %d %s", res.StatusCode, b)
	}
}

// fieldList is the fields a problem+json names, comma-separated.
func fieldList(t *testing.T, b []byte) string {
	t.Helper()
	return strings.Join(problemFields(t, b), ",")
}

func TestRosterDayAndOnDutyNow(t *testing.T) {
	h := newHarness(t)
	today, shifts := dutyDay(t)
	bad := []map[string]any{{"id": "x", "start": "25:00", "end": "08:00", "leader": "operator", "operators": []string{"nobody"}, "standby": []string{"no-unit"}}}
	res, b := h.do("PUT", "/api/v1/roster/"+today, h.token("leader"), map[string]any{"version": 0, "shifts": bad})
	if res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
		fieldList(t, b) != "shifts[0].start,shifts[0].leader,shifts[0].operators[0],shifts[0].standby[0]" {
		t.Fatalf("bad shifts: %d %s", res.StatusCode, b)
	}
	putToday(t, h)
	if res, b := h.do("PUT", "/api/v1/roster/"+today, h.token("admin"), map[string]any{"version": 0, "shifts": shifts}); res.StatusCode != 409 {
		t.Fatalf("a stale version: %d %s", res.StatusCode, b)
	}
	for _, c := range []struct{ who, phone string }{{"operator", "13800138000"}, {"viewer", "138****8000"}, {"grid-01", "138****8000"}} {
		res, b := h.do("GET", "/api/v1/duty/now", h.token(c.who), nil)
		var now struct {
			Shift     struct{ ID string }
			Leader    struct{ Name, Phone string }
			Operators []struct{ Username string }
			Standby   []struct{ ID, Callsign string }
		}
		mustJSON(t, b, &now)
		if res.StatusCode != 200 || now.Shift.ID == "" || now.Leader.Name != "东门街道带班领导" || now.Leader.Phone != c.phone ||
			len(now.Operators) != 1 || len(now.Standby) != 1 || now.Standby[0].Callsign != "网格员·湖贝1" {
			t.Fatalf("on duty now for %s: %d %s", c.who, res.StatusCode, b)
		}
	}
	_, b = h.do("GET", "/api/v1/roster?month="+today[:7], h.token("operator"), nil)
	var month struct {
		Days []struct {
			Date    string
			Version int
		}
	}
	mustJSON(t, b, &month)
	if len(month.Days) != 1 || month.Days[0].Date != today || month.Days[0].Version != 1 {
		t.Fatalf("the month: %s", b)
	}
	if _, b := h.do("GET", "/api/v1/audit?action=roster.changed&who=leader", h.token("admin"), nil); !strings.Contains(string(b), `"object":"`+today+`"`) {
		t.Fatalf("the roster change is not audited: %s", b)
	}
	// A serious incident's alarm names the leader on duty, the default approver.
	inc := h.create(map[string]any{"category": "production_safety", "title": "值班领导告警", "grid": "440303002002001", "deaths": 10})
	_, b = h.do("GET", "/api/v1/alarms", h.token("operator"), nil)
	if !strings.Contains(string(b), `"incident_id":"`+inc["id"].(string)+`"`) || !strings.Contains(string(b), `"approver":"dongmen-leader","approver_name":"东门街道带班领导"`) {
		t.Fatalf("the alarm does not name the leader on duty: %s", b)
	}
	// So do the plans proposed for it, awaiting approval.
	waitFor(t, 5*time.Second, "a proposal naming the leader on duty", func() bool {
		_, b = h.do("GET", "/api/v1/activations?status=proposed", h.token("leader"), nil)
		return strings.Contains(string(b), `"approver":"dongmen-leader","approver_name":"东门街道带班领导"`)
	})
}

func TestRosterCSVImportExport(t *testing.T) {
	h := newHarness(t)
	today, _ := dutyDay(t)
	month, leader := today[:7], h.token("leader")
	csvIn := func(body string) (int, []byte) {
		res, b := h.do("POST", "/api/v1/roster/import.csv?month="+month, leader, body, "Content-Type", "text/csv; charset=utf-8")
		return res.StatusCode, b
	}
	good := "\ufeffdate,shift,start,end,leader,operators,standby\n" +
		month + "-10,d,08:00,20:00,dongmen-leader,operator,grid-01;grid-02\n" + month + "-10,n,20:00,08:00,leader,operator,\n"
	badRow := good + month + "-11,d,07:30,19:00,leader,operator,no-such-unit\n"
	if status, b := csvIn(badRow); status != 400 || fieldList(t, b) != "row[4].start,row[4].standby" && fieldList(t, b) != "row[4].standby,row[4].start" {
		t.Fatalf("a bad row: %d %s", status, b)
	}
	if _, b := h.do("GET", "/api/v1/roster?month="+month, leader, nil); !strings.Contains(string(b), `"days":[]`) {
		t.Fatalf("a refused import wrote: %s", b)
	}
	if res, b := h.do("POST", "/api/v1/roster/import.csv?month="+month, leader, good); res.StatusCode != 415 {
		t.Fatalf("JSON media type: %d %s", res.StatusCode, b)
	}
	if status, b := csvIn(good); status != 200 {
		t.Fatalf("import: %d %s", status, b)
	}
	res, b := h.do("GET", "/api/v1/roster/export.csv?month="+month, h.token("operator"), nil)
	if res.StatusCode != 200 || !bytes.HasPrefix(b, []byte("\ufeff")) || string(b) != good || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %q", res.StatusCode, b)
	}
	if status, b := csvIn("date,shift\n"); status != 400 || fieldList(t, b) != "row[1].header" {
		t.Fatalf("a bad header: %d %s", status, b)
	}
}

// handover is what the tests read of one.
type handover struct {
	ID, Status, Outgoing, Incoming, Notes     string
	Incidents, Orders, Cases, Reports, Alarms []struct{ ID, Summary string }
}

func TestHandoverAPI(t *testing.T) {
	// At 09:00 on a clock of its own: the handover lists what the shift
	// saw, and on the real clock noon would end the shift between the
	// incident and the handover.
	h := newHarnessWith(t, storetest.Start(t), morningClock().Now)
	putToday(t, h)
	inc := h.create(map[string]any{"category": "production_safety", "title": "交接班测试事故", "grid": "440303002002001", "deaths": 10})
	op, lead := h.token("operator"), h.token("leader")
	res, b := h.do("POST", "/api/v1/handovers", op, nil)
	var ho handover
	mustJSON(t, b, &ho)
	if res.StatusCode != 201 || ho.Status != "draft" || len(ho.Incidents) != 1 || ho.Incidents[0].ID != inc["id"] || len(ho.Reports) == 0 || len(ho.Alarms) == 0 {
		t.Fatalf("opened: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/handovers/"+ho.ID+"/accept", lead, map[string]any{}); res.StatusCode != 409 {
		t.Fatalf("accepting a draft: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/handovers/"+ho.ID+"/submit", op, map[string]any{"notes": "事故仍在处置，注意续报"}); res.StatusCode != 200 {
		t.Fatalf("submit: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/handovers/"+ho.ID+"/accept", op, map[string]any{}); res.StatusCode != 403 {
		t.Fatalf("accepting one's own: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/handovers/"+ho.ID+"/accept", lead, map[string]any{"note": "收到"}); res.StatusCode != 200 || !strings.Contains(string(b), `"status":"accepted"`) {
		t.Fatalf("accept: %d %s", res.StatusCode, b)
	}
	res, b = h.do("GET", "/api/v1/handovers?person=leader&q="+url.QueryEscape("续报"), op, nil)
	var list struct {
		Handovers []handover
		Count     int
	}
	mustJSON(t, b, &list)
	if res.StatusCode != 200 || list.Count != 1 || list.Handovers[0].Incoming != "leader" {
		t.Fatalf("search: %d %s", res.StatusCode, b)
	}
	if _, b := h.do("GET", "/api/v1/handovers?q=nothing-like-it", op, nil); !strings.Contains(string(b), `"count":0`) {
		t.Fatalf("a search that finds nothing: %s", b)
	}
	res, b = h.do("GET", "/api/v1/handovers/export.csv", op, nil)
	if res.StatusCode != 200 || !bytes.HasPrefix(b, []byte("\ufeffid,status")) || !strings.Contains(string(b), ho.ID+",accepted") {
		t.Fatalf("export: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("GET", "/api/v1/handovers?from=2026-13-01&status=lost", op, nil); res.StatusCode != 400 || fieldList(t, b) != "from,status" {
		t.Fatalf("a bad search: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/audit?action=handover", h.token("admin"), nil)
	var trail struct {
		Records []struct{ Action, Who string }
	}
	_ = json.Unmarshal(b, &trail)
	if !strings.Contains(string(b), `"handover.opened"`) || !strings.Contains(string(b), `"handover.submitted"`) || !strings.Contains(string(b), `"handover.accepted"`) {
		t.Fatalf("the handover is not audited: %s", b)
	}
}
