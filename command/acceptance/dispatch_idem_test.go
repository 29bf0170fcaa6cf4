package acceptance_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// TestSendUnitsIdempotencyKey: 派警 sent again with its Idempotency-Key
// (the answer lost) answers the first orders, replayed, and sends no one
// twice, even when both arrive at once; the key with another body, or a
// careless key, is refused naming it; a key is the incident's own.
func TestSendUnitsIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	h.placeNear("foot-01", "car-01")
	op := h.token("operator")
	id := h.create(publicOrder("派警幂等"))["id"].(string)
	path := "/api/v1/incidents/" + id + "/dispatches"
	body := map[string]any{"unit_ids": []string{"foot-01"}, "note": "先到现场"}
	ids := func(b []byte) string {
		t.Helper()
		var out struct{ Dispatches []struct{ ID string } }
		mustJSON(t, b, &out)
		var s []string
		for _, d := range out.Dispatches {
			s = append(s, d.ID)
		}
		return strings.Join(s, ",")
	}

	// Two at once, then a third: one order, every answer names it.
	var wg sync.WaitGroup
	answers := make([]string, 2)
	for i := range answers {
		wg.Go(func() {
			res, b := h.do("POST", path, op, body, "Idempotency-Key", "send-1")
			if res.StatusCode != 201 {
				t.Errorf("request %d: %d %s", i, res.StatusCode, b)
				return
			}
			answers[i] = ids(b)
		})
	}
	wg.Wait()
	res, b := h.do("POST", path, op, body, "Idempotency-Key", "send-1")
	if res.StatusCode != 201 || res.Header.Get("Idempotency-Replayed") != "true" || ids(b) != answers[0] || answers[0] != answers[1] || answers[0] == "" {
		t.Fatalf("repeat: %d %s; at once: %v", res.StatusCode, b, answers)
	}
	_, list := h.do("GET", path, op, nil)
	var all struct{ Dispatches []json.RawMessage }
	mustJSON(t, list, &all)
	if len(all.Dispatches) != 1 {
		t.Fatalf("%d orders, want 1: %s", len(all.Dispatches), list)
	}

	for _, c := range []struct {
		name, key string
		body      map[string]any
	}{
		{"the key with another body", "send-1", map[string]any{"unit_ids": []string{"car-01"}}},
		{"a key of 129 characters", strings.Repeat("k", 129), body},
		{"a key not ASCII", "派警-1", body},
		{"a key with a tab", "send\t1", body},
	} {
		res, b := h.do("POST", path, op, c.body, "Idempotency-Key", c.key)
		if res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(string(b), `"field":"Idempotency-Key"`) {
			t.Errorf("%s: %d %s", c.name, res.StatusCode, b)
		}
	}

	// The same key for another incident is that incident's own.
	other := h.create(publicOrder("另一起"))["id"].(string)
	res, b = h.do("POST", "/api/v1/incidents/"+other+"/dispatches", op, map[string]any{"unit_ids": []string{"car-01"}}, "Idempotency-Key", "send-1")
	if res.StatusCode != 201 || res.Header.Get("Idempotency-Replayed") != "" || strings.Contains(string(b), answers[0]) {
		t.Fatalf("the key on another incident: %d %s", res.StatusCode, b)
	}
}

// sendFoot01WithKey files an incident titled title and sends foot-01 to it
// with Idempotency-Key key (car-01 placed near, free): the harness, the
// route and body sent, and the order made.
func sendFoot01WithKey(t *testing.T, title, key string) (h *harness, path string, body map[string]any, first string) {
	t.Helper()
	h = newHarness(t)
	h.placeNear("foot-01", "car-01")
	id := h.create(publicOrder(title))["id"].(string)
	path = "/api/v1/incidents/" + id + "/dispatches"
	body = map[string]any{"unit_ids": []string{"foot-01"}}
	res, b := h.do("POST", path, h.token("operator"), body, "Idempotency-Key", key)
	if res.StatusCode != 201 {
		t.Fatalf("send: %d %s", res.StatusCode, b)
	}
	var sent struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &sent)
	return h, path, body, sent.Dispatches[0].ID
}

// TestSendUnitsRepeatAfterTheOrdersEnded: a repeat of 派警 whose orders
// have all ended is refused (409 saying so), never answered "sent": the
// units are free, and nothing would go out.
func TestSendUnitsRepeatAfterTheOrdersEnded(t *testing.T) {
	h, path, body, first := sendFoot01WithKey(t, "派警后取消", "send-2")
	op := h.token("operator")
	if res, b := h.do("POST", "/api/v1/dispatches/"+first+"/cancel", op, map[string]string{"reason": "派错"}); res.StatusCode != 200 {
		t.Fatalf("cancel: %d %s", res.StatusCode, b)
	}
	res, b := h.do("POST", path, op, body, "Idempotency-Key", "send-2")
	if res.StatusCode != 409 || !strings.Contains(string(b), "the orders of this request have ended") {
		t.Fatalf("a repeat after the order ended: %d %s", res.StatusCode, b)
	}
}

// TestSendUnitsRepeatAfterARedirect: a repeat of 派警 whose order was
// redirected (改派) to another unit meanwhile answers the first orders, as
// any repeat: a unit is on its way, and nothing more is sent.
func TestSendUnitsRepeatAfterARedirect(t *testing.T) {
	h, path, body, first := sendFoot01WithKey(t, "派警后改派", "send-3")
	op := h.token("operator")
	if res, b := h.do("POST", "/api/v1/dispatches/"+first+"/redirect", op, map[string]string{"unit_id": "car-01"}); res.StatusCode != 201 {
		t.Fatalf("redirect: %d %s", res.StatusCode, b)
	}
	res, b := h.do("POST", path, op, body, "Idempotency-Key", "send-3")
	if res.StatusCode != 201 || res.Header.Get("Idempotency-Replayed") != "true" {
		t.Fatalf("a repeat after the redirect: %d %s", res.StatusCode, b)
	}
	_, list := h.do("GET", path, op, nil)
	var all struct {
		Dispatches []struct{ UnitID, Status string }
	}
	mustJSON(t, list, &all)
	if len(all.Dispatches) != 2 {
		t.Fatalf("orders: %s", list)
	}
}
