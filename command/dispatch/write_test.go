package dispatch_test

import (
	"slices"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/incident"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
)

var at = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func order(id, unitID, status string) *dispatch.Dispatch {
	return &dispatch.Dispatch{ID: id, IncidentID: "INC-1", UnitID: unitID, Status: status, CreatedAt: at, UpdatedAt: at}
}

// route is an event's type and stream, and whether it is also published.
type route struct {
	Type, Stream string
	Notify       bool
}

func routes(c *change.Change) []route {
	out := make([]route, len(c.Events))
	for i, ev := range c.Events {
		out[i] = route{ev.Type, ev.Stream, ev.Notify}
	}
	return out
}

func whys(c *change.Change) []string {
	out := make([]string, len(c.Guards))
	for i, g := range c.Guards {
		out[i] = g.Why
	}
	return out
}

// A new order by a rule: the order must not exist, its unit must still be
// available and the rule must not have sent units yet, each with the
// message a conflict shows; the order goes to the screens and its unit
// with the masked incident, the unit's status to both.
func TestNewOrderChange(t *testing.T) {
	d := order("D-1", "car-01", dispatch.Offered)
	inc := &incident.Incident{ID: "INC-1", Reporter: &incident.Reporter{Name: "张三", Phone: "13800138000"}}
	w := &dispatch.Write{Changes: []dispatch.Change{{D: d}}, Incident: inc, UnitStatus: map[string]string{"car-01": unit.Dispatched},
		AddTimers: map[string]time.Time{"D-1": at.Add(time.Minute)}, AutoRule: "r1", At: at,
		Entries: []incident.Entry{{At: at, Type: vocab.DispatchCreated, By: "rule:r1", Role: vocab.System, Detail: map[string]any{"dispatch_id": "D-1"}}}}
	c := w.Change()
	want := []string{"order D-1 already exists", "unit car-01 is no longer available", "rule r1 already sent units to incident INC-1"}
	if got := whys(c); !slices.Equal(got, want) {
		t.Fatalf("guards %q, want %q", got, want)
	}
	wantRoutes := []route{{vocab.DispatchCreated, vocab.ScreenStream, false}, {vocab.DispatchCreated, "unit:car-01", true},
		{vocab.UnitStatus, vocab.ScreenStream, false}, {vocab.UnitStatus, "unit:car-01", true}}
	if got := routes(c); !slices.Equal(got, wantRoutes) {
		t.Fatalf("events %v, want %v", got, wantRoutes)
	}
	ev := c.Events[0].Data.(*dispatch.Event)
	if c.Events[1].Data != c.Events[0].Data {
		t.Error("the unit's event carries a copy of the screens': it is encoded twice")
	}
	if ev.Incident == nil || ev.Incident.Reporter.Name == "张三" || c.Events[0].Prev != nil {
		t.Fatalf("created event: %+v prev %v", ev.Incident, c.Events[0].Prev)
	}
	if len(c.Docs) != 1 || c.Docs[0].Fields["status"] != dispatch.Offered || c.Docs[0].Prev != nil {
		t.Fatalf("docs %+v", c.Docs)
	}
	if len(c.Appends) != 1 || c.Appends[0].Kind != change.KindIncidentTimeline || len(c.Audit) != 1 || c.Audit[0].Object != "D-1" {
		t.Fatalf("timeline %+v audit %+v", c.Appends, c.Audit)
	}
	if len(c.Timers) != 1 || c.Timers[0].Member != "ack|D-1" || c.Timers[0].Cancel {
		t.Fatalf("timers %+v", c.Timers)
	}
	if i := slices.IndexFunc(c.Fields, func(f change.Field) bool { return f.Kind == change.KindAutoRule }); i < 0 || c.Fields[i].Value != "D-1" {
		t.Fatalf("rule slot: %+v", c.Fields)
	}
}

// An order moved on is guarded by the status it had, and its events carry
// the order as it was (the counters see the step taken).
func TestOrderStepChange(t *testing.T) {
	prev := order("D-1", "car-01", dispatch.Offered)
	d := *prev
	d.Status = dispatch.Acked
	c := (&dispatch.Write{Changes: []dispatch.Change{{D: &d, Prev: prev}}, DelTimers: []string{"D-1"}, At: at}).Change()
	if got := whys(c); !slices.Equal(got, []string{"order D-1 changed meanwhile (it is no longer offered)"}) || c.Guards[0].Allowed[0] != dispatch.Offered {
		t.Fatalf("guards %+v", c.Guards)
	}
	if c.Events[0].Type != vocab.DispatchUpdated || c.Events[0].Prev != prev || c.Events[1].Prev != prev || c.Docs[0].Prev != prev {
		t.Fatalf("events %+v", c.Events)
	}
	if len(c.Timers) != 1 || !c.Timers[0].Cancel {
		t.Fatalf("timers %+v", c.Timers)
	}
}

// An expiry raises its alarm, notes it on the incident's timeline and
// schedules the re-offer, with no guard on the unit (it is set free).
func TestExpiryChange(t *testing.T) {
	prev := order("D-1", "car-01", dispatch.Offered)
	d := *prev
	d.Status = dispatch.Expired
	a := &alarm.Alarm{ID: "a-1", Kind: alarm.OrderExpired, IncidentID: "INC-1", DispatchID: "D-1", UnitID: "car-01", RaisedAt: at}
	c := (&dispatch.Write{Changes: []dispatch.Change{{D: &d, Prev: prev}}, UnitStatus: map[string]string{"car-01": unit.Available},
		Alarm: a, Reoffer: true, At: at}).Change()
	if len(c.Guards) != 1 {
		t.Fatalf("guards %+v", c.Guards)
	}
	last := c.Events[len(c.Events)-1]
	if last.Type != vocab.AlarmRaised || last.Data != a {
		t.Fatalf("last event %+v", last)
	}
	if len(c.Appends) != 1 || len(c.Appends[0].Entries) != 1 || c.Appends[0].Entries[0].(incident.Entry).Type != vocab.AlarmRaised {
		t.Fatalf("timeline %+v", c.Appends)
	}
	if !slices.ContainsFunc(c.Timers, func(tm change.Timer) bool { return tm.Member == "reoffer|D-1" && tm.Due.Equal(at) }) {
		t.Fatalf("timers %+v", c.Timers)
	}
}
