package acceptance_test

import (
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
	"watchfloor/command/timer"
	"watchfloor/config"
)

// alarmsOf returns the open alarms of kind as h lists them.
func (h *harness) alarmsOf(kind string) []map[string]any {
	h.t.Helper()
	_, b := h.do("GET", "/api/v1/alarms", h.token("viewer"), nil)
	var out struct{ Alarms []map[string]any }
	mustJSON(h.t, b, &out)
	var of []map[string]any
	for _, a := range out.Alarms {
		if a["kind"] == kind {
			of = append(of, a)
		}
	}
	return of
}

// deadlineFloor is two instances on one Redis with one injected clock,
// their timers polled often.
func deadlineFloor(t *testing.T, tweak func(*config.Config)) (*timer.Manual, *harness, *harness) {
	t.Helper()
	clock := morningClock()
	r := storetest.Start(t)
	all := func(c *config.Config) {
		c.Dispatch.TimerInterval = 20 * time.Millisecond
		if tweak != nil {
			tweak(c)
		}
	}
	return clock, newHarnessWith(t, r, clock.Now, all), newHarnessWith(t, r, clock.Now, all)
}

// restartBoth stops both instances, moves the clock while none runs, and
// starts them again: a deadline that fell due meanwhile fires afterwards.
func restartBoth(clock *timer.Manual, d time.Duration, hs ...*harness) {
	for _, h := range hs {
		h.stop()
	}
	clock.Advance(d)
	for _, h := range hs {
		h.start()
		h.tokens = map[string]string{}
	}
}

// onlyOne waits until h lists an alarm of kind, then checks, after every
// instance has polled its timers several times more, that there is one.
func onlyOne(t *testing.T, clock *timer.Manual, kind string, hs ...*harness) map[string]any {
	t.Helper()
	h := hs[0]
	waitFor(t, 5*time.Second, "the "+kind+" alarm", func() bool { return len(h.alarmsOf(kind)) > 0 })
	for i := 0; i < 5; i++ { // more polls by every instance, and a restart of each
		clock.Advance(time.Minute)
		for _, x := range hs {
			x.restart()
			x.tokens = map[string]string{}
		}
	}
	got := h.alarmsOf(kind)
	if len(got) != 1 {
		t.Fatalf("%d %s alarms, want 1: %v", len(got), kind, got)
	}
	return got[0]
}

// TestSupervisionDateRaisedOnce: a leader lists a case to a 督办 date; the
// date passes while no instance runs; after the restart one of two
// instances raises one supervision.overdue alarm naming the case, and the
// case and its timeline say so once.
func TestSupervisionDateRaisedOnce(t *testing.T) {
	clock, h1, h2 := deadlineFloor(t, nil)
	id := h1.createCase(h1.token("operator"), hubeiHazard("督办到期"))
	due := clock.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)
	if code, body := h2.act(h2.token("leader"), id, map[string]any{"action": "supervise", "due_at": due, "reason": "群众反映强烈"}); code != 200 {
		t.Fatalf("supervise: %d %s", code, body)
	}
	if got := h1.alarmsOf("supervision.overdue"); len(got) != 0 {
		t.Fatalf("raised before its date: %v", got)
	}
	restartBoth(clock, 3*time.Hour+time.Minute, h1, h2)
	a := onlyOne(t, clock, "supervision.overdue", h1, h2)
	if !strings.HasPrefix(a["id"].(string), "supervision.overdue:"+id+":") || !strings.Contains(a["detail"].(string), id) {
		t.Errorf("alarm %v", a)
	}
	_, b := h1.do("GET", "/api/v1/cases/"+id, h1.token("operator"), nil)
	if n := strings.Count(string(b), `"action":"supervision_overdue"`); n != 1 || !strings.Contains(string(b), `"overdue_at"`) {
		t.Errorf("case after its date (%d timeline entries): %s", n, b)
	}
}

// TestAssemblyDeadlineRaisedOnce: a unit sent with the 30-minute assembly
// deadline of the sample city and not on scene by then raises one
// order.assembly_overdue alarm naming the unit and the incident, across a
// restart and two instances.
func TestAssemblyDeadlineRaisedOnce(t *testing.T) {
	clock, h1, h2 := deadlineFloor(t, func(c *config.Config) { c.Dispatch.AckTimeout = 2 * time.Hour })
	if h1.cfg.Dispatch.AssemblyDeadline != 30*time.Minute {
		t.Fatalf("the sample city's assembly deadline is %s", h1.cfg.Dispatch.AssemblyDeadline)
	}
	h1.placeNear("car-01")
	inc := h1.create(publicOrder("集结"))["id"].(string)
	res, b := h1.do("POST", "/api/v1/incidents/"+inc+"/dispatches", h1.token("operator"), map[string]any{"unit_ids": []string{"car-01"}})
	if res.StatusCode != 201 || !strings.Contains(string(b), `"assembly_due"`) {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	var created struct{ Dispatches []struct{ ID string } }
	mustJSON(t, b, &created)
	clock.Advance(29 * time.Minute)
	h2.restart()
	if got := h1.alarmsOf("order.assembly_overdue"); len(got) != 0 {
		t.Fatalf("raised before its deadline: %v", got)
	}
	restartBoth(clock, 2*time.Minute, h1, h2)
	a := onlyOne(t, clock, "order.assembly_overdue", h1, h2)
	if a["unit_id"] != "car-01" || a["incident_id"] != inc || a["dispatch_id"] != created.Dispatches[0].ID {
		t.Errorf("alarm %v", a)
	}
	// Raised once, not stored over: one line in the incident's timeline.
	_, b = h1.do("GET", "/api/v1/incidents/"+inc, h1.token("operator"), nil)
	if n := strings.Count(string(b), `"kind":"order.assembly_overdue"`); n != 1 {
		t.Errorf("%d assembly alarms in the incident's timeline: %s", n, b)
	}
}

// TestDeadlineAlarmsNotified: with two instances and real local receivers
// (the robots, the signed webhook, SMTP), a passed 督办 date and a missed
// assembly deadline each reach every channel once, their text masked.
func TestDeadlineAlarmsNotified(t *testing.T) {
	rc := newReceivers(t)
	all := []string{"wecom", "dingtalk", "feishu", "webhook", "mail"}
	clock, h1, h2 := deadlineFloor(t, func(c *config.Config) {
		rc.channels(c)
		c.Dispatch.AckTimeout = 2 * time.Hour
		c.Notifications.Rules = []config.NotifyRule{{Event: config.NotifySupervisionOverdue, Channels: all}, {Event: config.NotifyAssemblyOverdue, Channels: all}}
	})
	cs := h1.createCase(h1.token("operator"), hubeiHazard("督办 13812345678"))
	due := clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if code, body := h1.act(h1.token("leader"), cs, map[string]any{"action": "supervise", "due_at": due, "reason": "重点"}); code != 200 {
		t.Fatalf("supervise: %d %s", code, body)
	}
	h2.placeNear("car-02")
	inc := h2.create(publicOrder("集结通知"))["id"].(string)
	if res, b := h2.do("POST", "/api/v1/incidents/"+inc+"/dispatches", h2.token("operator"), map[string]any{"unit_ids": []string{"car-02"}}); res.StatusCode != 201 {
		t.Fatalf("dispatch: %d %s", res.StatusCode, b)
	}
	clock.Advance(time.Hour + time.Minute)
	rc.await(2, 15*time.Second)
	onlyOne(t, clock, "order.assembly_overdue", h1, h2) // more polls and restarts: nothing is sent again
	got := rc.await(2, 15*time.Second)
	for _, r := range all {
		var kinds []string
		for id, n := range got[r] {
			kinds = append(kinds, id[:strings.Index(id, ":")])
			if n != 1 {
				t.Errorf("%s got %s %d times", r, id, n)
			}
		}
		if len(got[r]) != 2 || !strings.Contains(strings.Join(kinds, " "), "supervision.overdue") || !strings.Contains(strings.Join(kinds, " "), "order.assembly_overdue") {
			t.Errorf("%s got %v", r, got[r])
		}
	}
}
