package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A plan proposed for an incident that is then closed: the leader's card
// says so as it happens and offers no approval, only a rejection, which
// clears it.
func TestLeaderProposalOfAClosedIncident(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	var id string
	b.run(5*time.Second, chromedp.WaitVisible(card+` button[data-action="approve"]`, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).dataset.incidentId`, card), &id))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/status", h.token("operator"), map[string]any{"status": "closed", "reason": "误报",
		"summary": map[string]string{"outcome": "现场无聚集", "losses": "无", "lessons": "核实后再报"}}); res.StatusCode != 200 {
		t.Fatalf("close: %d %s", res.StatusCode, body)
	}
	b.poll(5*time.Second, fmt.Sprintf(`(() => { const c = document.querySelector(%q);
		return !!c && (c.querySelector('.incident-closed')?.textContent ?? '').includes('不能再批准') && !c.querySelector('button[data-action="approve"]'); })()`, card))
	b.run(5*time.Second, typeInto(card+` textarea.reason-input`, "事件已结案"), click(card+` button[data-action="reject"]`))
	b.poll(5*time.Second, fmt.Sprintf(`!document.querySelector(%q)`, card))
	for _, a := range h.activations(id) {
		if a.PlanID == "mass-incident" && a.Status != "rejected" {
			t.Fatalf("the proposal is %s after the page rejected it", a.Status)
		}
	}
	b.clean()
}
