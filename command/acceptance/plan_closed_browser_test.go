package acceptance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/redis/go-redis/v9"
)

// A plan proposed for an incident that is then closed: the proposal leaves
// the leader's list as it happens (withdrawn by the system, nothing for the
// leader to reject) and is in the history, said as withdrawn in the
// catalogue's words, in either language.
func TestLeaderProposalOfAClosedIncident(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	var id, aid string
	b.run(5*time.Second, chromedp.WaitVisible(card+` button[data-action="approve"]`, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).dataset.incidentId`, card), &id),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).dataset.activationId`, card), &aid))
	if res, body := h.do("POST", "/api/v1/incidents/"+id+"/status", h.token("operator"), map[string]any{"status": "closed", "reason": "误报",
		"summary": map[string]string{"outcome": "现场无聚集", "losses": "无", "lessons": "核实后再报"}}); res.StatusCode != 200 {
		t.Fatalf("close: %d %s", res.StatusCode, body)
	}
	item := fmt.Sprintf(`#history-list li.history-item[data-activation-id=%q]`, aid)
	b.poll(5*time.Second, fmt.Sprintf(`!document.querySelector(%q) && document.querySelector(%q)?.dataset.status === "rejected"
		&& document.querySelector(%q + " .history-withdrawn")?.textContent === "事件结案，未决申请自动撤回" && !document.querySelector(%q + " .history-by")`, card, item, item, item))
	b.run(5*time.Second, click("#lang-toggle"))
	b.poll(5*time.Second, fmt.Sprintf(`document.querySelector(%q + " .history-withdrawn")?.textContent === "withdrawn undecided when its incident was closed"`, item))
	b.clean()
}

// The close is not on the leader's page yet when the leader approves (it
// was stored without an event reaching the page): the refusal says why in
// the catalogue's words, and the plan stays proposed.
func TestLeaderApprovalRefusedForAClosedIncidentHeardLate(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	var id string
	b.run(5*time.Second, chromedp.WaitVisible(card+` button[data-action="approve"]`, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).dataset.incidentId`, card), &id))
	// Closed in storage only: the page hears nothing of it.
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	key := "wf:{luohu}:incident:" + id
	doc, err := c.HGet(ctx, key, "doc").Result()
	if err != nil {
		t.Fatal(err)
	}
	var inc map[string]any
	if err := json.Unmarshal([]byte(doc), &inc); err != nil {
		t.Fatal(err)
	}
	inc["status"] = "closed"
	closed, _ := json.Marshal(inc)
	if err := c.HSet(ctx, key, "doc", closed).Err(); err != nil {
		t.Fatal(err)
	}
	b.run(5*time.Second, click(card+` button[data-action="approve"]`), chromedp.WaitVisible("#confirm-send", chromedp.ByQuery), click("#confirm-send"))
	b.poll(5*time.Second, fmt.Sprintf(`(document.querySelector(%q)?.querySelector('.card-error')?.textContent ?? '').includes('事件已结案')`, card))
	if as := h.activations(id); len(as) != 2 || as[0].Status != "proposed" || as[1].Status != "proposed" {
		t.Fatalf("after the refused approval: %+v", as)
	}
	b.clean()
}

// A leader cancels the confirmation and approves again at once (before the
// dialog's close event has come): the confirmation opened again still
// sends the approval (the late close event emptied it, so its send did
// nothing).
func TestLeaderApprovesRightAfterCancelling(t *testing.T) {
	h, b, card := leaderWithProposal(t)
	var id string
	b.run(5*time.Second, chromedp.WaitVisible(card+` button[data-action="approve"]`, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).dataset.incidentId`, card), &id),
		click(card+` button[data-action="approve"]`), chromedp.WaitVisible("#confirm-send", chromedp.ByQuery))
	b.run(5*time.Second, chromedp.Evaluate(fmt.Sprintf(`(() => { document.querySelector("#confirm-cancel").click();
		document.querySelector(%q).click(); return true; })()`, card+` button[data-action="approve"]`), nil))
	b.run(5*time.Second, chromedp.WaitVisible("#confirm-send", chromedp.ByQuery), click("#confirm-send"))
	b.poll(5*time.Second, fmt.Sprintf(`!!document.querySelector('#active-list article[data-incident-id=%q][data-plan-id="mass-incident"]')`, id))
	for _, a := range h.activations(id) {
		if a.PlanID == "mass-incident" && a.Status != "active" {
			t.Fatalf("the plan is %s after the approval", a.Status)
		}
	}
	b.clean()
}
