package acceptance_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestProposalsWithdrawnWhenTheIncidentCloses: the plans still proposed
// for an incident are withdrawn as it is closed (rejected by the system,
// said on the timeline), before the close is answered; approving one then
// is refused, and reopening the incident does not bring them back.
func TestProposalsWithdrawnWhenTheIncidentCloses(t *testing.T) {
	h := newHarness(t)
	id := h.create(dongmen("商户聚集", 150))["id"].(string)
	as := h.activations(id)
	if len(as) != 2 {
		t.Fatalf("proposals %s", planIDs(as))
	}
	op, leader := h.token("operator"), h.token("leader")
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/status", op, map[string]any{"status": "closed", "reason": "误报",
		"summary": map[string]string{"outcome": "现场无聚集", "losses": "无", "lessons": "核实后再报"}}); res.StatusCode != 200 {
		t.Fatalf("close: %d %s", res.StatusCode, b)
	}
	withdrawn := func(when string) {
		t.Helper()
		for _, a := range as {
			res, b := h.do("GET", "/api/v1/activations/"+a.ID, leader, nil)
			var got struct {
				Status, Reason string
				Withdrawn      bool
				DecidedBy      string `json:"decided_by"`
				DecidedRole    string `json:"decided_role"`
			}
			if res.StatusCode != 200 || json.Unmarshal(b, &got) != nil || got.Status != "rejected" || !got.Withdrawn ||
				got.DecidedBy != "system" || got.DecidedRole != "system" || got.Reason != "incident closed" {
				t.Fatalf("%s, activation %s: %d %s", when, a.ID, res.StatusCode, b)
			}
		}
	}
	withdrawn("after the close")
	n := 0
	for _, e := range h.incidentJSON(id)["timeline"].([]any) {
		if e := e.(map[string]any); e["type"] == "plan.rejected" && e["by"] == "system" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d withdrawals on the timeline, want 2", n)
	}
	res, b := h.do("POST", "/api/v1/activations/"+as[0].ID+"/approve", leader, map[string]string{"reason": "同意"})
	if res.StatusCode != 409 || !strings.Contains(string(b), "is rejected, not proposed") {
		t.Fatalf("approving a withdrawn plan: %d %s", res.StatusCode, b)
	}
	if res, b := h.do("POST", "/api/v1/incidents/"+id+"/status", leader, map[string]any{"status": "responding", "reason": "现场再次聚集"}); res.StatusCode != 200 {
		t.Fatalf("reopen: %d %s", res.StatusCode, b)
	}
	withdrawn("after reopening")
}
