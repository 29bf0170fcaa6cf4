package acceptance_test

import (
	"strings"
	"testing"
	"time"
)

// TestStartPlanByHandIdempotencyKey: a leader who presses 启动并下达任务
// again after a lost answer (same Idempotency-Key, same body) gets the
// first activation back, replayed, and the plan is started once: one
// activation, one task per member. The key with another body is refused
// on Idempotency-Key.
func TestStartPlanByHandIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	tok := h.token("leader")
	med := h.responder("med-02", nil)
	med.next(2 * time.Second)
	body := map[string]any{"plan_id": "general", "level": "II", "groups": []string{"medical"},
		"request": map[string]string{"from": "市应急管理局", "text": "台风来临前做好医疗救护准备"}}
	res, b := h.do("POST", "/api/v1/activations", tok, body, "Idempotency-Key", "start-1")
	if res.StatusCode != 201 || res.Header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("start: %d %s", res.StatusCode, b)
	}
	var a struct{ ID, Status string }
	mustJSON(t, b, &a)
	res2, b2 := h.do("POST", "/api/v1/activations", tok, body, "Idempotency-Key", "start-1")
	if res2.StatusCode != 201 || res2.Header.Get("Idempotency-Replayed") != "true" || !strings.Contains(string(b2), `"id":"`+a.ID+`"`) {
		t.Fatalf("repeat: %d %s (first %s)", res2.StatusCode, b2, a.ID)
	}
	_, lb := h.do("GET", "/api/v1/activations?status=active", tok, nil)
	var list struct {
		Activations []struct {
			ID     string
			PlanID string `json:"plan_id"`
		}
	}
	mustJSON(t, lb, &list)
	n := 0
	for _, x := range list.Activations {
		if x.PlanID == "general" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d active activations of the plan, want 1: %s", n, lb)
	}
	taskOf(t, med, a.ID)
	if got := h.snapshotTasks("med-02"); len(got) != 1 {
		t.Fatalf("med-02 has %d tasks, want 1: %+v", len(got), got)
	}
	other := map[string]any{"plan_id": "general", "level": "I", "groups": []string{"medical"},
		"request": map[string]string{"from": "市应急管理局", "text": "另一个要求"}}
	res3, b3 := h.do("POST", "/api/v1/activations", tok, other, "Idempotency-Key", "start-1")
	if res3.StatusCode != 400 || !strings.HasPrefix(res3.Header.Get("Content-Type"), "application/problem+json") ||
		!strings.Contains(string(b3), `"field":"Idempotency-Key"`) {
		t.Fatalf("the key with another body: %d %s", res3.StatusCode, b3)
	}
	// A careless or hostile key (too long, not printable ASCII) is refused
	// naming it (before the start is looked at).
	for _, key := range []string{strings.Repeat("k", 129), "键", "a\tb"} {
		res, b := h.do("POST", "/api/v1/activations", tok, other, "Idempotency-Key", key)
		if res.StatusCode != 400 || !strings.Contains(string(b), `"field":"Idempotency-Key"`) {
			t.Errorf("the key %.20q: %d %s", key, res.StatusCode, b)
		}
	}
}
