package plan_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

// TestStartByHandRoles: whoever may approve the plan at the level may
// start it; others are refused saying who may.
func TestStartByHandRoles(t *testing.T) {
	for _, c := range []struct {
		name  string
		who   vocab.Actor
		level string
		ok    bool
	}{
		{"leaderII", leader, "", true},
		{"deputyII", deputy, "", false},
		{"deputyIII", deputy, "III", true},
		{"leaderIV", leader, "IV", true},
		{"adminIV", vocab.Actor{Username: "root", Role: vocab.Admin}, "IV", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			f.incident("crowd", alerts.LevelII)
			a, err := f.svc.StartByHand(bg, c.who, plan.Start{PlanID: "general", IncidentID: "INC-1", Level: c.level, Reason: "r"})
			if !c.ok {
				var fb *fault.Forbidden
				if !errors.As(err, &fb) || !strings.Contains(fb.Detail, "started only by") {
					t.Fatalf("want forbidden, got %v", err)
				}
				if f.plans() != "" {
					t.Fatalf("stored %s", f.plans())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.level
			if want == "" {
				want = "II"
			}
			if a.Status != plan.Active || !a.ByHand || a.DecidedBy != c.who.Username || a.Level.String() != want || a.Reason != "r" {
				t.Fatalf("activation %+v", a)
			}
		})
	}
}

// TestStartByHandLeavesOthersProposals: a start at a level of laxer
// approvers does not decide a proposal its stricter approvers are waiting
// on (a deputy cannot clear the leader's queue by starting the plan at
// level III); one who may decide it supersedes it.
func TestStartByHandLeavesOthersProposals(t *testing.T) {
	f := newPlanFloor(t)
	if _, err := f.svc.Propose(bg, f.incident("crowd", alerts.LevelII)); err != nil || f.plans() != "general@II:proposed" {
		t.Fatal(err, f.plans())
	}
	_, err := f.svc.StartByHand(bg, deputy, plan.Start{PlanID: "general", IncidentID: "INC-1", Level: "III", Reason: "r"})
	var fb *fault.Forbidden
	if !errors.As(err, &fb) || !strings.Contains(fb.Detail, "approve or reject it") {
		t.Fatalf("want forbidden naming the proposal, got %v", err)
	}
	if got := f.plans(); got != "general@II:proposed" {
		t.Fatalf("plans %s", got)
	}
	if _, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", IncidentID: "INC-1", Level: "III", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if got := f.plans(); got != "general@II:rejected,general@III:active" {
		t.Fatalf("plans %s", got)
	}
}

// TestStartByHandAtAMoreSeriousLevelSupersedes: with a deputy alone
// deciding the fire plan at level III (a configuration may say so), a
// leader starting it at level II, whose approvers it is among, supersedes
// the proposal waiting at III although it may not decide that one.
func TestStartByHandAtAMoreSeriousLevelSupersedes(t *testing.T) {
	f := newPlanFloor(t)
	cfg := f.opts
	cfg.Plans = slices.Clone(cfg.Plans)
	for i := range cfg.Plans {
		cfg.Plans[i].Approvers = map[string][]vocab.Role{"I": leaderOnly, "II": leaderOnly, "III": {vocab.Deputy}, "IV": {vocab.Deputy}}
	}
	f.svc = f.service(cfg)
	if _, err := f.svc.Propose(bg, f.incident("fire", alerts.LevelIII)); err != nil || f.plans() != "fire@III:proposed" {
		t.Fatal(err, f.plans())
	}
	if _, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", IncidentID: "INC-1", Level: "II", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	if got := f.plans(); got != "fire@III:rejected,fire@II:active" {
		t.Fatalf("plans %s", got)
	}
}

// TestStartByHandGroups: only the chosen groups' units get tasks.
func TestStartByHandGroups(t *testing.T) {
	for _, c := range []struct {
		name   string
		groups []string
		want   []string // units with a task
	}{
		{"all", nil, []string{"car-01", "car-02", "ems-01"}},
		{"medical", []string{"medical"}, []string{"ems-01"}},
		{"patrol", []string{"patrol"}, []string{"car-01", "car-02"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			f.incident("crowd", alerts.LevelII)
			a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "general", IncidentID: "INC-1", Groups: c.groups})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range []string{"car-01", "car-02", "ems-01"} {
				ts, err := f.svc.UnitTasks(bg, u)
				if err != nil {
					t.Fatal(err)
				}
				if len(ts) == 1 && ts[0].ActivationID == a.ID {
					got = append(got, u)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("tasks for %v, want %v", got, c.want)
			}
		})
	}
}

// TestStartByHandRequest: a plan started on a higher body's request has no
// incident, records the request, and its tasks carry no incident.
func TestStartByHandRequest(t *testing.T) {
	f := newPlanFloor(t)
	a, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", Level: "II", Groups: []string{"medical"},
		Request: &plan.Request{From: "市应急管理局", Text: "做好防汛准备"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.IncidentID != "" || a.Request == nil || a.Request.From != "市应急管理局" || !a.Request.At.Equal(at) {
		t.Fatalf("activation %+v", a)
	}
	ts, err := f.svc.UnitTasks(bg, "ems-01")
	if err != nil || len(ts) != 1 || ts[0].Incident != nil {
		t.Fatalf("tasks %+v %v", ts, err)
	}
	if got, _ := f.svc.List(bg, plan.Active); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("active %+v", got)
	}
	// A second request is its own start.
	if _, err := f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", Level: "II", Request: &plan.Request{From: "省厅", Text: "again"}}); err != nil {
		t.Fatal(err)
	}
}

// TestStartByHandDuplicates: a plan active for the incident is a conflict
// naming it; a proposal still waiting is superseded; after the end it may
// be started again.
func TestStartByHandDuplicates(t *testing.T) {
	f := newPlanFloor(t)
	inc := f.incident("fire", alerts.LevelIII)
	if _, err := f.svc.Propose(bg, inc); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.StartByHand(bg, deputy, plan.Start{PlanID: "fire", IncidentID: "INC-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.plans(); got != "fire@III:rejected,fire@III:active" {
		t.Fatalf("plans %s", got)
	}
	_, err = f.svc.StartByHand(bg, leader, plan.Start{PlanID: "fire", IncidentID: "INC-1", Level: "II"})
	var cf *fault.Conflict
	if !errors.As(err, &cf) || !strings.Contains(cf.Detail, a.ID) {
		t.Fatalf("want a conflict naming %s, got %v", a.ID, err)
	}
	if _, err := f.svc.End(bg, deputy, a.ID, "over"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartByHand(bg, deputy, plan.Start{PlanID: "fire", IncidentID: "INC-1"}); err != nil {
		t.Fatalf("after the end: %v", err)
	}
}

// TestStartByHandInvalid names each bad field at once.
func TestStartByHandInvalid(t *testing.T) {
	f := newPlanFloor(t)
	closed := f.incident("fire", alerts.LevelII)
	closed.Status = incident.StatusClosed
	if _, err := f.st.Apply(bg, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindIncident, ID: closed.ID, Value: closed}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		st   plan.Start
		want []string
	}{
		{"nothing", plan.Start{}, []string{"plan_id", "incident_id", "level"}},
		{"unknown", plan.Start{PlanID: "nope", IncidentID: "INC-9", Level: "V"}, []string{"plan_id", "incident_id", "level"}},
		{"groups", plan.Start{PlanID: "general", Level: "I", Groups: []string{"patrol", "cooks", "patrol"}, Request: &plan.Request{}},
			[]string{"request.from", "request.text", "groups[1]", "groups[2]"}},
		{"closed", plan.Start{PlanID: "general", IncidentID: "INC-1"}, []string{"incident_id"}},
		{"both", plan.Start{PlanID: "general", IncidentID: "INC-1", Request: &plan.Request{From: "a", Text: "b"}, Reason: strings.Repeat("长", 2001)},
			[]string{"request", "reason"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.StartByHand(bg, leader, c.st)
			if got := invalidFields(t, err); !slices.Equal(got, c.want) {
				t.Fatalf("fields %v, want %v (%v)", got, c.want, err)
			}
		})
	}
}

// invalidFields are the fields a *fault.Invalid err names, in order; any
// other error fails the test.
func invalidFields(t *testing.T, err error) []string {
	t.Helper()
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("want invalid, got %v", err)
	}
	var got []string
	for _, e := range inv.Errors {
		got = append(got, e.Field)
	}
	return got
}
