package plan_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/plan"
	"watchfloor/command/warning"
)

// warnings is a warning index holding a few warnings by id.
type warnings map[string]*warning.Warning

func (w warnings) Covering(orb.Point, time.Time) []warning.Ref { return nil }
func (w warnings) Load(_ context.Context, id string) (*warning.Warning, error) {
	if x, ok := w[id]; ok {
		c := *x
		return &c, nil
	}
	return nil, fmt.Errorf("warning %s: %w", id, fault.ErrNotFound)
}

// warnedFloor is the plan floor with an active orange warning W-1, a
// lifted W-2, an expired W-3 and an active drill W-4.
func warnedFloor(t *testing.T) *planFloor {
	f := newPlanFloor(t)
	ended := at.Add(-time.Hour)
	cfg := plan.Options{Location: time.UTC, Plans: f.svc.Plans(), Members: func([]string) []string { return []string{"car-01", "car-02"} },
		Warnings: warnings{
			"W-1": {ID: "W-1", Type: warning.Rainstorm, Colour: warning.Orange, Status: warning.Active},
			"W-2": {ID: "W-2", Type: warning.Rainstorm, Colour: warning.Red, Status: warning.Lifted, EndedAt: &ended},
			"W-3": {ID: "W-3", Type: warning.Flood, Colour: warning.Blue, Status: warning.Expired, EndedAt: &ended},
			"W-4": {ID: "W-4", Type: warning.Flood, Colour: warning.Yellow, Status: warning.Active, Drill: true},
		}}
	f.svc = f.service(cfg)
	for _, w := range cfg.Warnings.(warnings) {
		f.storeWarning(w)
	}
	return f
}

// storeWarning stores w as the warnings' service does: its document with
// its status beside it.
func (f *planFloor) storeWarning(w *warning.Warning) {
	f.t.Helper()
	doc := change.Doc{Kind: warning.Kind, ID: w.ID, Value: w, Fields: map[string]string{"status": w.Status}}
	if _, err := f.st.Apply(bg, &change.Change{At: f.now, Docs: []change.Doc{doc}}); err != nil {
		f.t.Fatal(err)
	}
}

// liftedOnRead reads warnings, and lifts each one read in the store right
// after: a lift committing between a start's check and its change.
type liftedOnRead struct {
	warnings
	f *planFloor
}

func (l liftedOnRead) Load(ctx context.Context, id string) (*warning.Warning, error) {
	w, err := l.warnings.Load(ctx, id)
	if err == nil {
		lifted := *w
		lifted.Status = warning.Lifted
		l.f.storeWarning(&lifted)
	}
	return w, err
}

// A warning lifted between a start's check and its change refuses the
// start (409) and stores nothing.
func TestStartForWarningLiftedMeanwhile(t *testing.T) {
	f := warnedFloor(t)
	cfg := plan.Options{Location: time.UTC, Plans: f.svc.Plans(), Members: func([]string) []string { return []string{"car-01"} },
		Warnings: liftedOnRead{warnings: warnings{"W-1": {ID: "W-1", Type: warning.Rainstorm, Colour: warning.Orange, Status: warning.Active}}, f: f}}
	f.svc = f.service(cfg)
	_, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1"})
	var cf *fault.Conflict
	if !errors.As(err, &cf) || cf.Detail != "warning W-1 was lifted meanwhile" {
		t.Fatalf("want a conflict saying W-1 was lifted meanwhile, got %v", err)
	}
	if as, _ := f.st.Activations().ByWarning(bg, "W-1"); len(as) != 0 {
		t.Fatalf("stored %+v", as)
	}
	if ts, _ := f.svc.UnitTasks(bg, "car-01"); len(ts) != 0 {
		t.Fatalf("tasks %+v", ts)
	}
}

// A plan started for a warning: level from its colour (orange II), the
// two groups chosen get their tasks, the activation carries warning_id
// and no incident.
func TestStartForWarning(t *testing.T) {
	f := warnedFloor(t)
	a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1", Groups: []string{"patrol", "medical"}, Reason: "暴雨橙色预警"})
	if err != nil {
		t.Fatal(err)
	}
	if a.WarningID != "W-1" || a.IncidentID != "" || a.Request != nil || a.Level.String() != "II" || a.Status != plan.Active || !a.ByHand {
		t.Fatalf("activation %+v", a)
	}
	var groups []string
	for _, g := range a.Groups {
		groups = append(groups, g.ID)
	}
	if !slices.Equal(groups, []string{"patrol", "medical"}) {
		t.Fatalf("groups %v", groups)
	}
	for _, u := range []string{"car-01", "car-02", "ems-01"} {
		ts, err := f.svc.UnitTasks(bg, u)
		if err != nil || len(ts) != 1 || ts[0].ActivationID != a.ID || ts[0].Incident != nil || ts[0].WarningID != "W-1" || ts[0].Drill {
			t.Fatalf("%s tasks %+v %v", u, ts, err)
		}
	}
	if got, err := f.st.Activations().ByWarning(bg, "W-1"); err != nil || len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("by warning %+v %v", got, err)
	}
	// A deputy may start it at III (its approvers there), not at the colour's II.
	if _, err := f.svc.StartByHand(bg, deputy, plan.Start{PlanID: "fire", WarningID: "W-1"}); err == nil || !strings.Contains(err.Error(), "started only by leader") {
		t.Fatalf("deputy at II: %v", err)
	}
	if a, err := f.svc.StartByHand(bg, deputy, plan.Start{PlanID: "fire", WarningID: "W-1", Level: "III"}); err != nil || a.Level.String() != "III" {
		t.Fatalf("deputy at III: %+v %v", a, err)
	}
}

// A plan started for a drill warning is a drill, and so is each of its
// tasks, so that the notifications and the phones say so.
func TestStartForDrillWarning(t *testing.T) {
	f := warnedFloor(t)
	a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-4", Groups: []string{"medical"}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Drill || a.WarningID != "W-4" {
		t.Fatalf("activation %+v", a)
	}
	if got, err := f.st.Activations().Load(bg, a.ID); err != nil || !got.Drill {
		t.Fatalf("stored %+v %v", got, err)
	}
	ts, err := f.svc.UnitTasks(bg, "ems-01")
	if err != nil || len(ts) != 1 || !ts[0].Drill || ts[0].WarningID != "W-4" {
		t.Fatalf("tasks %+v %v", ts, err)
	}
}

// Bad bodies name each bad field at once.
func TestStartForWarningInvalid(t *testing.T) {
	f := warnedFloor(t)
	bare := newPlanFloor(t) // no warning index
	for _, c := range []struct {
		name string
		f    *planFloor
		st   plan.Start
		want []string
		text string
	}{
		{"unknown", f, plan.Start{PlanID: "general", WarningID: "W-9"}, []string{"warning_id"}, "warning W-9 is unknown"},
		{"lifted", f, plan.Start{PlanID: "general", WarningID: "W-2"}, []string{"warning_id"}, "warning W-2 was lifted at "},
		{"expired", f, plan.Start{PlanID: "general", WarningID: "W-3", Level: "V"}, []string{"warning_id", "level"}, "warning W-3 expired at "},
		{"and incident", f, plan.Start{PlanID: "general", IncidentID: "INC-1", WarningID: "W-1"}, []string{"warning_id"}, "exactly one of"},
		{"and request", f, plan.Start{PlanID: "general", WarningID: "W-1", Request: &plan.Request{From: "a", Text: "b"}}, []string{"warning_id"}, "exactly one of"},
		{"all three", f, plan.Start{PlanID: "nope", IncidentID: "INC-1", WarningID: "W-1", Request: &plan.Request{}}, []string{"plan_id", "request", "warning_id"}, "exactly one of"},
		{"groups", f, plan.Start{PlanID: "general", WarningID: "W-1", Groups: []string{"cooks"}}, []string{"groups[0]"}, "not a working group"},
		{"no index", bare, plan.Start{PlanID: "general", WarningID: "W-1"}, []string{"warning_id"}, "warning W-1 is unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.f.svc.StartByHand(bg, leader, c.st)
			got := invalidFields(t, err)
			if !slices.Equal(got, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("fields %v, want %v; %v, want %q", got, c.want, err, c.text)
			}
			if as, _ := c.f.st.Activations().List(bg, ""); len(as) != 0 {
				t.Fatalf("stored %d activations", len(as))
			}
		})
	}
}

// A plan active for a warning is a conflict naming it; after it ends it
// may be started again; another warning or another plan is free; of
// starters racing, one wins.
func TestStartForWarningConflict(t *testing.T) {
	f := warnedFloor(t)
	a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1", Level: "I"})
	var cf *fault.Conflict
	if !errors.As(err, &cf) || cf.Detail != "plan general is already active for warning W-1 as "+a.ID {
		t.Fatalf("want a conflict naming %s, got %v", a.ID, err)
	}
	if _, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", WarningID: "W-1"}); err != nil {
		t.Fatalf("another plan: %v", err)
	}
	if _, err := f.svc.End(bg, leader, a.ID, "雨停"); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1"})
	if err != nil {
		t.Fatalf("after the end: %v", err)
	}
	if _, err := f.svc.End(bg, leader, again.ID, "雨停"); err != nil {
		t.Fatal(err)
	}

	const racers = 8
	var wg sync.WaitGroup
	var won, lost atomic.Int32
	for range racers {
		wg.Go(func() {
			_, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", WarningID: "W-1"})
			if err == nil {
				won.Add(1)
			} else if fault.IsConflict(err) {
				lost.Add(1)
			} else {
				t.Errorf("a racer failed otherwise: %v", err)
			}
		})
	}
	wg.Wait()
	active := 0
	as, _ := f.st.Activations().ByWarning(bg, "W-1")
	for _, x := range as {
		if x.PlanID == "general" && x.Status == plan.Active {
			active++
		}
	}
	if won.Load() != 1 || lost.Load() != racers-1 || active != 1 {
		t.Fatalf("%d racers won, %d lost, %d active, want 1 won and 1 active", won.Load(), lost.Load(), active)
	}
}
