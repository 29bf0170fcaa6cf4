package acceptance_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

type infoReport struct {
	DeadlineID string `json:"deadline_id"`
	Kind       string
	Name       struct{ ZH, EN string }
	DueAt      string `json:"due_at"`
	Status     string
	Text       string
	TextEN     string `json:"text_en"`
	Edited     bool
	EditedBy   string `json:"edited_by"`
	EditedAt   string `json:"edited_at"`
	Recipients []struct {
		ID   string
		Name struct{ ZH, EN string }
	}
	Sent *struct {
		By, At, Text string
		To           []string
	}
}

func (h *harness) infoReport(id, deadline, tok string) infoReport {
	h.t.Helper()
	res, b := h.do("GET", "/api/v1/incidents/"+id+"/deadlines/"+deadline+"/report", tok, nil)
	if res.StatusCode != 200 {
		h.t.Fatalf("report: %d %s", res.StatusCode, b)
	}
	var r infoReport
	mustJSON(h.t, b, &r)
	return r
}

// shopFire is a level III fire (12 injured) with the facts a report carries.
func shopFire() map[string]any {
	return map[string]any{"category": "fire", "title": "商铺火灾", "description": "东门步行街一商铺起火，浓烟较大",
		"location": map[string]float64{"lon": 114.1118, "lat": 22.547}, "address": "东门步行街88号",
		"injuries": 12, "people_involved": 30, "measures_taken": "已疏散周边群众", "support_needed": "需要增派消防车",
		"reporter": map[string]string{"name": "张三丰", "phone": "13812345678"}}
}

// TestInformationReport: the draft for a deadline carries the incident's
// facts and measures; an edit is saved; marking it sent names configured
// recipients (each bad one by its index), records who, when and the text,
// stops the deadline's timers, and the text is exported; an overdue
// deadline's alarm is acknowledged when its report is sent.
func TestInformationReport(t *testing.T) {
	clock := morningClock()
	h := newHarnessWith(t, storetest.Start(t), clock.Now, func(c *config.Config) { c.Dispatch.TimerInterval = 20 * time.Millisecond })
	op, viewer := h.token("operator"), h.token("viewer")
	h.placeNear("car-01")
	inc := h.create(shopFire())
	id := inc["id"].(string)
	if inc["level"] != "III" {
		t.Fatalf("level %v", inc["level"])
	}
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	var ds struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &ds)
	r := h.responder("car-01", nil)
	if ok, data := r.replyTo(map[string]any{"type": "ack", "id": "a", "dispatch_id": ds.Dispatches[0].ID}); !ok {
		t.Fatalf("ack: %v", data)
	}
	for _, st := range []string{"en_route", "on_scene"} {
		if ok, data := r.replyTo(map[string]any{"type": "status", "id": st, "dispatch_id": ds.Dispatches[0].ID, "status": st}); !ok {
			t.Fatalf("%s: %v", st, data)
		}
	}

	// The draft, readable by a viewer, with the facts the procedure asks for.
	rep := h.infoReport(id, "report_higher", viewer)
	if rep.DeadlineID != "report_higher" || rep.Kind != "report_higher" || rep.Name.ZH != "向上级报告" || rep.Status != "pending" || rep.DueAt == "" || rep.Edited || rep.Sent != nil {
		t.Fatalf("report %+v", rep)
	}
	for _, want := range []string{"信息报告（向上级报告）", id, "东门步行街88号", "火灾", "III级（较大）", "受伤 12 人", "涉及人数约 30 人",
		"东门步行街一商铺起火", "已疏散周边群众", "需要增派消防车", "已派出力量：东门巡01", "已到场力量：东门巡01", "尚未经现场核实", "值班员：operator"} {
		if !strings.Contains(rep.Text, want) {
			t.Errorf("the draft lacks %q:\n%s", want, rep.Text)
		}
	}
	if strings.Contains(rep.Text, "13812345678") || strings.Contains(rep.Text, "张三丰") {
		t.Errorf("the draft carries the caller's personal data:\n%s", rep.Text)
	}
	if !strings.Contains(rep.TextEN, "Information report (Report to the higher level)") || !strings.Contains(rep.TextEN, "12 injured") {
		t.Errorf("English draft:\n%s", rep.TextEN)
	}
	ids := []string{}
	for _, rc := range rep.Recipients {
		ids = append(ids, rc.ID)
	}
	if !slices.Equal(ids, []string{"district_ecc", "district_gov_office", "street_office"}) || rep.Recipients[0].Name.ZH != "区应急指挥中心" {
		t.Errorf("level III recipients %+v", rep.Recipients)
	}

	// An edit is saved; a blank one is refused; a viewer may not edit.
	path := "/api/v1/incidents/" + id + "/deadlines/report_higher"
	edited := rep.Text + "\n补充：现场已拉起警戒线。"
	if status, fields, body := h.problemFields("PUT", path+"/report", op, `{"text":" \u200b "}`); status != 400 || !slices.Equal(fields, []string{"text"}) {
		t.Errorf("blank edit: %d %v %s", status, fields, body)
	}
	if status, fields, body := h.problemFields("PUT", path+"/report", op, `{}`); status != 400 || !slices.Equal(fields, []string{"text"}) {
		t.Errorf("no text: %d %v %s", status, fields, body)
	}
	if res, _ := h.do("PUT", path+"/report", viewer, map[string]string{"text": "x"}); res.StatusCode != 403 {
		t.Errorf("viewer edits: %d", res.StatusCode)
	}
	if res, b := h.do("PUT", path+"/report", op, map[string]string{"text": edited}); res.StatusCode != 200 {
		t.Fatalf("edit: %d %s", res.StatusCode, b)
	}
	if rep = h.infoReport(id, "report_higher", op); !rep.Edited || rep.EditedBy != "operator" || rep.EditedAt == "" || rep.Text != edited {
		t.Fatalf("after the edit: %+v", rep)
	}

	// Marking it sent: every bad recipient by its index, at once.
	for _, c := range []struct {
		name, body string
		fields     []string
	}{
		{"no recipients", `{"note":"电话"}`, []string{"to"}},
		{"empty", `{"to":[]}`, []string{"to"}},
		{"unknown first", `{"to":["nope","district_ecc"]}`, []string{"to[0]"}},
		{"not for this level, twice", `{"to":["district_ecc","city_ecc","district_ecc"]}`, []string{"to[1]", "to[2]"}},
		{"blank text", `{"to":["district_ecc"],"text":"  "}`, []string{"text"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, fields, body := h.problemFields("POST", path, op, c.body)
			if status != 400 || !slices.Equal(fields, c.fields) {
				t.Errorf("%d %v, want 400 %v: %s", status, fields, c.fields, body)
			}
		})
	}
	if res, b := h.do("POST", path, op, map[string]any{"to": []string{"district_ecc", "street_office"}, "note": "电话并传真"}); res.StatusCode != 200 {
		t.Fatalf("sent: %d %s", res.StatusCode, b)
	}
	rep = h.infoReport(id, "report_higher", op)
	if s := rep.Sent; rep.Status != "sent" || s == nil || s.By != "operator" || s.At == "" || !slices.Equal(s.To, []string{"district_ecc", "street_office"}) || s.Text != edited {
		t.Fatalf("sent report %+v", rep)
	}
	if res, _ := h.do("PUT", path+"/report", op, map[string]string{"text": "改"}); res.StatusCode != 409 {
		t.Errorf("editing a sent report: %d", res.StatusCode)
	}
	if res, _ := h.do("POST", path, op, map[string]any{"to": []string{"district_ecc"}}); res.StatusCode != 409 {
		t.Errorf("sent twice: %d", res.StatusCode)
	}
	// The export is the text as sent.
	res, b = h.do("GET", path+"/report.txt", viewer, nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") || !strings.Contains(res.Header.Get("Content-Disposition"), "report_higher") || string(b) != edited {
		t.Errorf("export: %d %v %q", res.StatusCode, res.Header, b)
	}
	if res, _ := h.do("GET", "/api/v1/incidents/"+id+"/deadlines/nope/report", op, nil); res.StatusCode != 404 {
		t.Errorf("unknown deadline: %d", res.StatusCode)
	}

	// Its timers are gone: past the hour it never goes overdue, while the
	// detailed report (12 h), not sent, does and raises its alarm.
	clock.Advance(12*time.Hour + time.Minute)
	alarmID := "deadline.overdue:" + id + ":detailed_report"
	waitFor(t, 3*time.Second, "the detailed report's alarm", func() bool {
		_, b := h.do("GET", "/api/v1/alarms?state=open", op, nil)
		return strings.Contains(string(b), alarmID)
	})
	_, b = h.do("GET", "/api/v1/incidents/"+id, op, nil)
	var got struct {
		Deadlines []struct{ Kind, Status string }
		Timeline  []struct {
			Type, By, Role string
			Detail         map[string]any
		}
	}
	mustJSON(t, b, &got)
	for _, d := range got.Deadlines {
		if d.Kind == "report_higher" && d.Status != "sent" {
			t.Errorf("report_higher is %s", d.Status)
		}
	}
	for _, e := range got.Timeline {
		if e.Type == "deadline.overdue" && e.Detail["deadline"] == "report_higher" {
			t.Errorf("a sent deadline went overdue: %+v", e)
		}
		if e.Type == "deadline.sent" {
			if to, _ := e.Detail["to"].([]any); e.By != "operator" || len(to) != 2 || to[0] != "district_ecc" {
				t.Errorf("timeline entry of the sending: %+v", e)
			}
		}
	}
	if !slices.ContainsFunc(got.Timeline, func(e struct {
		Type, By, Role string
		Detail         map[string]any
	}) bool {
		return e.Type == "deadline.report_saved" && e.By == "operator"
	}) {
		t.Errorf("no deadline.report_saved in the timeline: %s", b)
	}
	// Sending the overdue report stops its alarm, for the person who sent it.
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/deadlines/detailed_report", op, map[string]any{"to": []string{"district_ecc"}}); res.StatusCode != 200 {
		t.Fatalf("late report: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/alarms?state=open", op, nil)
	if strings.Contains(string(b), alarmID) {
		t.Errorf("the overdue alarm stays open after the report was sent: %s", b)
	}
	_, b = h.do("GET", "/api/v1/audit?object="+url.QueryEscape(alarmID), h.token("leader"), nil)
	if !strings.Contains(string(b), `"action":"alarm.acked"`) || !strings.Contains(string(b), `"who":"operator"`) {
		t.Errorf("the alarm's acknowledgement is not audited: %s", b)
	}
	rep = h.infoReport(id, "detailed_report", op)
	if rep.Sent == nil || !strings.Contains(rep.Sent.Text, "信息报告（详细书面报告）") || !strings.Contains(rep.Sent.Text, "（已超时）") {
		t.Errorf("the fresh draft is the text as sent: %+v", rep.Sent)
	}
}
