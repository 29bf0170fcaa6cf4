package acceptance_test

import (
	"net/url"
	"strings"
	"testing"
)

// An id from the path that names a sub-key of an incident (its timeline
// list) is an incident not found, for any viewer: not Redis's WRONGTYPE
// answered as a 500.
func TestIncidentIDNamingASubKeyIsNotFound(t *testing.T) {
	h := newHarness(t)
	inc := h.create(map[string]any{"category": "fire", "title": "子键测试", "grid": "440303002002001"})
	id := inc["id"].(string)
	for _, path := range []string{"/api/v1/incidents/" + id + ":timeline", "/api/v1/incidents/" + url.PathEscape(id+":timeline")} {
		if res, body := h.do("GET", path, h.token("viewer"), nil); res.StatusCode != 404 {
			t.Errorf("GET %s: %d %s, want 404", path, res.StatusCode, body)
		}
	}
}

// A login whose username no account can have (blank, invisible or
// bidirectional characters, capitals) is 400 on username and leaves
// nothing in the audit trail; an unknown name an account could have is
// still refused as a wrong password is (401), and recorded.
func TestLoginRefusesNamesNoAccountCanHave(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{" ", "\u202eadmin", "\u200b", "admin\u200b", "Admin", "op erator", "admin\n", "-admin"} {
		res, body := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": name, "password": "wrong-password"})
		if res.StatusCode != 400 || strings.Join(problemFields(t, body), ",") != "username" {
			t.Errorf("login as %q: %d %s, want 400 on username", name, res.StatusCode, body)
		}
	}
	if res, body := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": "nobody", "password": "wrong-password"}); res.StatusCode != 401 {
		t.Errorf("login as an unknown name: %d %s", res.StatusCode, body)
	}
	_, body := h.do("GET", "/api/v1/audit?action=session.refused", h.token("admin"), nil)
	var trail struct {
		Records []struct{ Who, Object string } `json:"records"`
	}
	mustJSON(t, body, &trail)
	if len(trail.Records) != 1 || trail.Records[0].Who != "nobody" {
		t.Errorf("refused logins in the trail: %+v, want only nobody's", trail.Records)
	}
}

// The reason of a level or status change is counted in characters once
// cleaned: 700 Chinese characters (2100 bytes) are taken, 2001 refused.
func TestChangeReasonCountsCharacters(t *testing.T) {
	h := newHarness(t)
	id := h.create(map[string]any{"category": "fire", "title": "理由长度", "grid": "440303002002001"})["id"].(string)
	leader := h.token("leader")
	for _, c := range []struct {
		path string
		body map[string]any
		code int
	}{
		{"/level", map[string]any{"level": "II", "reason": strings.Repeat("中", 2001)}, 400},
		{"/level", map[string]any{"level": "II", "reason": strings.Repeat("中", 700)}, 200},
		{"/level", map[string]any{"level": "I", "reason": strings.Repeat("中", 2000) + "\u200b\u200b "}, 200},
		{"/status", map[string]any{"status": "responding", "reason": strings.Repeat("中", 2001)}, 400},
		{"/status", map[string]any{"status": "responding", "reason": strings.Repeat("中", 700)}, 200},
	} {
		res, body := h.do("POST", "/api/v1/incidents/"+id+c.path, leader, c.body)
		if res.StatusCode != c.code || c.code == 400 && strings.Join(problemFields(t, body), ",") != "reason" {
			t.Errorf("%s with %d characters: %d %.300s, want %d", c.path, len([]rune(c.body["reason"].(string))), res.StatusCode, body, c.code)
		}
	}
}

// A date or period of a year that cannot be written in four digits (or
// wraps) is 400 naming the field sent: date for a roster day, at for an
// analysis; never a field the request did not send.
func TestBoundaryYearsNameTheFieldSent(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	for _, date := range []string{"0000-01-01", "9999-12-31", "1969-12-31"} {
		res, body := h.do("PUT", "/api/v1/roster/"+date, admin, map[string]any{"version": 0, "shifts": []any{}})
		if res.StatusCode != 400 || strings.Join(problemFields(t, body), ",") != "date" {
			t.Errorf("PUT roster %s: %d %s, want 400 on date", date, res.StatusCode, body)
		}
	}
	for _, q := range []string{"period=quarter&at=9223372036854775807-Q1", "period=quarter&at=0-Q1", "period=month&at=0000-01", "period=month&at=9999-12"} {
		res, body := h.do("GET", "/api/v1/analysis?"+q, h.token("viewer"), nil)
		if res.StatusCode != 400 || strings.Join(problemFields(t, body), ",") != "at" {
			t.Errorf("analysis %s: %d %s, want 400 on at", q, res.StatusCode, body)
		}
	}
	if res, body := h.do("GET", "/api/v1/analysis?period=year", h.token("viewer"), nil); res.StatusCode != 400 || strings.Join(problemFields(t, body), ",") != "period" {
		t.Errorf("analysis of a year: %d %s, want 400 on period", res.StatusCode, body)
	}
}
