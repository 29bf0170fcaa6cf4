package acceptance_test

import (
	"strings"
	"testing"
)

// TestProposalOfAClosedIncidentIsNotApproved: a plan proposed for an
// incident stays proposed when the incident is closed; approving it then is
// refused, saying why, and sends no one; rejecting it still clears it.
func TestProposalOfAClosedIncidentIsNotApproved(t *testing.T) {
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
	res, b := h.do("POST", "/api/v1/activations/"+as[0].ID+"/approve", leader, map[string]string{"reason": "同意"})
	if res.StatusCode != 409 || !strings.Contains(string(b), "incident "+id+" is closed") {
		t.Fatalf("approving a closed incident's plan: %d %s", res.StatusCode, b)
	}
	if got := h.activations(id); got[0].Status != "proposed" || got[1].Status != "proposed" {
		t.Fatalf("after the refusal: %+v", got)
	}
	res, b = h.do("POST", "/api/v1/activations/"+as[0].ID+"/reject", leader, map[string]string{"reason": "事件已结案"})
	if res.StatusCode != 200 || !strings.Contains(string(b), `"status":"rejected"`) {
		t.Fatalf("rejecting it: %d %s", res.StatusCode, b)
	}
}
