package acceptance_test

import (
	"slices"
	"strings"
	"testing"
)

type orderView struct {
	ID, Status, Callsign, Replaces string
	UnitID                         string `json:"unit_id"`
	RedirectedTo                   string `json:"redirected_to"`
	CancelReason                   string `json:"cancel_reason"`
	Redirect                       bool
}

// TestRedirect: several units go out in one request; redirecting an order
// to a unit that is not available (409) or unknown (400) leaves it
// untouched; redirecting to an available unit cancels the order and sends
// the unit in one step, the new order naming the one it replaces.
func TestRedirect(t *testing.T) {
	h := newHarness(t)
	op := h.token("operator")
	h.placeNear("car-01", "car-02", "car-03")
	id := h.create(publicOrder("改派"))["id"].(string)
	res, b := h.do("POST", "/api/v1/incidents/"+id+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01", "car-02"}, "note": "两车前往"})
	if res.StatusCode != 201 {
		t.Fatalf("dispatch two: %d %s", res.StatusCode, b)
	}
	var created struct{ Dispatches []orderView }
	mustJSON(t, b, &created)
	if len(created.Dispatches) != 2 {
		t.Fatalf("two units in one request: %s", b)
	}
	first := created.Dispatches[0]
	if first.UnitID != "car-01" {
		t.Fatalf("%s", b)
	}
	if res, b := h.do("POST", "/api/v1/units/car-03/status", op, map[string]string{"status": "off_duty"}); res.StatusCode != 200 {
		t.Fatalf("off duty: %d %s", res.StatusCode, b)
	}
	path := "/api/v1/dispatches/" + first.ID + "/redirect"
	untouched := func(when string) {
		t.Helper()
		_, b := h.do("GET", "/api/v1/dispatches/"+first.ID, op, nil)
		var d orderView
		mustJSON(t, b, &d)
		if d.Status != "offered" || d.RedirectedTo != "" {
			t.Errorf("%s: the order changed: %s", when, b)
		}
		if u := h.unit("car-01"); u.Status != "dispatched" {
			t.Errorf("%s: car-01 is %s", when, u.Status)
		}
	}
	for _, c := range []struct {
		name   string
		body   string
		status int
		fields []string
		says   string
	}{
		{"off duty", `{"unit_id":"car-03","note":"x"}`, 409, nil, "car-03 is off_duty"},
		{"busy", `{"unit_id":"car-02"}`, 409, nil, "car-02 is dispatched"},
		{"same unit", `{"unit_id":"car-01"}`, 400, []string{"unit_id"}, ""},
		{"unknown", `{"unit_id":"nope"}`, 400, []string{"unit_id"}, ""},
		{"missing", `{}`, 400, []string{"unit_id"}, ""},
		{"wrong types", `{"unit_id":7,"note":false}`, 400, []string{"note", "unit_id"}, ""},
		// A NUL in a note is refused, as in an incident's text.
		{"NUL in note", `{"unit_id":"car-03","note":"故障\u0000"}`, 400, []string{"note"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, fields, body := h.problemFields("POST", path, op, c.body)
			if status != c.status || (c.fields != nil && !slices.Equal(fields, c.fields)) || !strings.Contains(body, c.says) {
				t.Errorf("%d %v, want %d %v %q: %s", status, fields, c.status, c.fields, c.says, body)
			}
			untouched(c.name)
		})
	}
	if res, _ := h.do("POST", path, h.token("leader"), map[string]string{"unit_id": "car-03"}); res.StatusCode != 403 {
		t.Errorf("leader redirects: %d", res.StatusCode)
	}

	h.do("POST", "/api/v1/units/car-03/status", op, map[string]string{"status": "available"})
	// The note is cleaned like an incident's text: bidi overrides and
	// zero-width characters never reach the timeline or the responder.
	res, b = h.do("POST", path, op, map[string]string{"unit_id": "car-03", "note": "\u200b东门巡01\u202e 故障\u200b"})
	if res.StatusCode != 201 {
		t.Fatalf("redirect: %d %s", res.StatusCode, b)
	}
	var out struct {
		Cancelled orderView
		Dispatch  orderView
	}
	mustJSON(t, b, &out)
	if out.Cancelled.Status != "cancelled" || out.Cancelled.RedirectedTo != out.Dispatch.ID || !strings.Contains(out.Cancelled.CancelReason, "东门巡03") ||
		out.Dispatch.Status != "offered" || out.Dispatch.UnitID != "car-03" || out.Dispatch.Replaces != first.ID || !out.Dispatch.Redirect {
		t.Fatalf("redirected: %s", b)
	}
	if strings.ContainsAny(string(b), "\u202e\u200b") || !strings.Contains(out.Cancelled.CancelReason, "东门巡01 故障") {
		t.Errorf("the note was not cleaned: %s", b)
	}
	if u := h.unit("car-01"); u.Status != "available" {
		t.Errorf("car-01 is %s", u.Status)
	}
	if u := h.unit("car-03"); u.Status != "dispatched" {
		t.Errorf("car-03 is %s", u.Status)
	}
	if res, b := h.do("POST", path, op, map[string]string{"unit_id": "car-01"}); res.StatusCode != 409 || !strings.Contains(string(b), "already cancelled") {
		t.Errorf("redirect a cancelled order: %d %s", res.StatusCode, b)
	}
	_, b = h.do("GET", "/api/v1/incidents/"+id, op, nil)
	var inc struct {
		Timeline []struct {
			Type, By, Role, Reason string
			Detail                 map[string]any
		}
	}
	mustJSON(t, b, &inc)
	found := false
	for _, e := range inc.Timeline {
		if e.Type == "dispatch.redirected" {
			found = true
			if e.By != "operator" || e.Detail["callsign"] != "东门巡01" || e.Detail["to_callsign"] != "东门巡03" || e.Detail["to_dispatch_id"] != out.Dispatch.ID || e.Reason != "东门巡01 故障" {
				t.Errorf("redirect entry %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("no dispatch.redirected in the timeline: %s", b)
	}
	// Cancelling says what it did, and a second cancel says why not.
	res, b = h.do("POST", "/api/v1/dispatches/"+out.Dispatch.ID+"/cancel", op, map[string]string{"reason": "警情已缓和"})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"cancelled"`) || !strings.Contains(string(b), "警情已缓和") {
		t.Errorf("cancel: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/dispatches/"+out.Dispatch.ID+"/cancel", op, map[string]string{"reason": "again"}); res.StatusCode != 409 || !strings.Contains(string(b), "already cancelled") {
		t.Errorf("cancel twice: %d %s", res.StatusCode, b)
	}
}
