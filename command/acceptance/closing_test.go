package acceptance_test

import (
	"slices"
	"strings"
	"testing"
)

// closing is the body that closes an incident with a reason and an
// after-action summary.
func closing(reason string) map[string]any {
	return map[string]any{"status": "closed", "reason": reason,
		"summary": map[string]string{"outcome": "人员已疏散，秩序恢复", "losses": "无人员伤亡", "lessons": "加强节假日人流管控"}}
}

type afterAction struct {
	Outcome, Losses, Lessons, By, Role, At string
}

// TestCloseNeedsSummary: closing without the after-action summary names
// each missing part at once and changes nothing; with it, the summary is
// stored with who and when, shown in the incident, its timeline and the
// audit trail, and kept when a leader reopens the incident.
func TestCloseNeedsSummary(t *testing.T) {
	h := newHarness(t)
	op, leader := h.token("operator"), h.token("leader")
	id := h.create(dongmen("结案总结", 5))["id"].(string)
	path := "/api/v1/incidents/" + id + "/status"
	for _, c := range []struct {
		name, body string
		fields     []string
	}{
		{"no summary", `{"status":"closed","reason":"结束"}`, []string{"summary.lessons", "summary.losses", "summary.outcome"}},
		{"no summary, no reason", `{"status":"closed"}`, []string{"reason", "summary.lessons", "summary.losses", "summary.outcome"}},
		{"empty summary", `{"status":"closed","reason":"结束","summary":{}}`, []string{"summary.lessons", "summary.losses", "summary.outcome"}},
		{"blank parts", `{"status":"closed","reason":"结束","summary":{"outcome":" \u200b ","losses":"无","lessons":"\u2060"}}`, []string{"summary.lessons", "summary.outcome"}},
		{"too long", `{"status":"closed","reason":"结束","summary":{"outcome":"` + strings.Repeat("长", 4001) + `","losses":"无","lessons":"无"}}`, []string{"summary.outcome"}},
		{"wrong types", `{"status":"closed","reason":"结束","summary":{"outcome":1,"losses":true,"lessons":"无","extra":"x"}}`, []string{"summary.extra", "summary.losses", "summary.outcome"}},
		{"summary without closing", `{"status":"recovery","summary":{"outcome":"a","losses":"b","lessons":"c"}}`, []string{"summary"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, fields, body := h.problemFields("POST", path, op, c.body)
			if status != 400 || !slices.Equal(fields, c.fields) {
				t.Errorf("%d %v, want 400 %v: %.300s", status, fields, c.fields, body)
			}
		})
	}
	var inc struct {
		Status   string
		Summary  *afterAction
		Timeline []struct {
			Type, By, Role, Status, Reason string
			Detail                         map[string]any
		}
	}
	_, b := h.do("GET", "/api/v1/incidents/"+id, op, nil)
	mustJSON(t, b, &inc)
	if inc.Status != "open" || inc.Summary != nil {
		t.Fatalf("a refused close changed the incident: %s", b)
	}

	if res, b := h.do("POST", path, op, closing("现场已清理")); res.StatusCode != 200 {
		t.Fatalf("close: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/incidents/"+id, op, nil)
	mustJSON(t, b, &inc)
	if s := inc.Summary; inc.Status != "closed" || s == nil || s.Outcome != "人员已疏散，秩序恢复" || s.Losses != "无人员伤亡" || s.Lessons != "加强节假日人流管控" ||
		s.By != "operator" || s.Role != "operator" || s.At == "" {
		t.Fatalf("closed incident: %s", b)
	}
	last := inc.Timeline[len(inc.Timeline)-1]
	if sum, _ := last.Detail["summary"].(map[string]any); last.Type != "status" || last.Status != "closed" || last.Reason != "现场已清理" || sum["lessons"] != "加强节假日人流管控" {
		t.Errorf("timeline entry of the close: %+v", last)
	}
	_, b = h.do("GET", "/api/v1/audit?incident_id="+id+"&action=incident.status", leader, nil)
	if !strings.Contains(string(b), "加强节假日人流管控") {
		t.Errorf("the audit trail lacks the summary: %s", b)
	}

	// A leader reopens: the summary stays.
	if res, b := h.do("POST", path, leader, map[string]string{"status": "open", "reason": "再次聚集"}); res.StatusCode != 200 {
		t.Fatalf("reopen: %d %s", res.StatusCode, b)
	}
	inc.Summary = nil
	_, b = h.do("GET", "/api/v1/incidents/"+id, op, nil)
	mustJSON(t, b, &inc)
	if inc.Status != "open" || inc.Summary == nil || inc.Summary.Outcome != "人员已疏散，秩序恢复" {
		t.Errorf("reopened: %s", b)
	}
	// The lifecycle's refusals say why.
	if res, b := h.do("POST", path, op, map[string]string{"status": "recovery"}); res.StatusCode != 200 {
		t.Fatalf("recovery: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", path, op, map[string]string{"status": "responding"}); res.StatusCode != 409 || !strings.Contains(string(b), "only a closed incident is reopened") {
		t.Errorf("going back: %d %s", res.StatusCode, b)
	}
}
