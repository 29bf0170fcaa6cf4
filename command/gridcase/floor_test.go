package gridcase_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

// The map of the case floor: district d1 ⊃ street s1 ⊃ communities c1 (west)
// and c2 (east), each with one grid, g1 and g2.
const floorGrids = `{"type":"FeatureCollection","features":[%s]}`

func square(code, level, parent string, west float64, width float64) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q,"level":%q,"parent":%q},
		"geometry":{"type":"Polygon","coordinates":[[[%[5]g,22.5],[%[6]g,22.5],[%[6]g,22.7],[%[5]g,22.7],[%[5]g,22.5]]]}}`,
		code, code, level, parent, west, west+width)
}

// west and east are points in g1 (c1) and g2 (c2).
var (
	west = vocab.Location{Lon: 114.05, Lat: 22.6}
	east = vocab.Location{Lon: 114.15, Lat: 22.6}
	bg   = context.Background()
)

// caseFloor is the case service over the memory store, on a clock the
// test moves, with its time-limit timers run by a scheduler.
type caseFloor struct {
	t     *testing.T
	st    *memstore.Store
	clock *timer.Manual
	svc   *gridcase.Service
	timer *timer.Scheduler
	accts map[string]gridcase.Account
}

func newCaseFloor(t *testing.T) *caseFloor {
	t.Helper()
	grids := strings.Join([]string{square("d1", "district", "", 114, 0.2), square("s1", "street", "d1", 114, 0.2),
		square("c1", "community", "s1", 114, 0.1), square("c2", "community", "s1", 114.1, 0.1),
		square("g1", "grid", "c1", 114, 0.1), square("g2", "grid", "c2", 114.1, 0.1)}, ",")
	m, err := geo.NewMap(fmt.Appendf(nil, floorGrids, grids), []byte(`{"type":"FeatureCollection","features":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	limits := map[string]time.Duration{"accept": time.Hour, "dispatch": time.Hour, "handle": 4 * time.Hour, "verify": time.Hour, "close": time.Hour}
	cfg := gridcase.Options{Location: time.UTC, CaseKinds: []config.CaseKind{
		{ID: "litter", FirstLevel: "grid", Limits: limits},
		{ID: "dispute", FirstLevel: "community", Limits: limits, EscalateOnOverdue: true, Mediation: true},
	}}
	units := []config.Unit{{ID: "go-g1", Type: "grid_officer", HomeGrid: "g1"}, {ID: "car-01", Type: "car"}}
	cfg.Unit = func(id string) (config.Unit, bool) {
		i := slices.IndexFunc(units, func(u config.Unit) bool { return u.ID == id })
		if i < 0 {
			return config.Unit{}, false
		}
		return units[i], true
	}
	f := &caseFloor{t: t, st: memstore.New(memstore.Options{}), clock: timer.NewManual(at), accts: map[string]gridcase.Account{
		"op": {Role: vocab.Operator}, "op-c2": {Role: vocab.Operator, Area: "c2"}, "viewer": {Role: vocab.Viewer},
		"lead": {Role: vocab.Leader}, "lead-c2": {Role: vocab.Leader, Area: "c2"}, "dep-c1": {Role: vocab.Deputy, Area: "c1"}}}
	known := func(id string) bool { return id == "go-g1" || id == "car-01" }
	f.svc = gridcase.NewService(f.st.Cases(), cfg, m, known, f.clock.Now)
	f.timer = &timer.Scheduler{Store: f.st.Timers(), Clock: f.clock, Interval: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.timer.Handle(gridcase.TimerKind, f.svc.Overdue)
	return f
}

var (
	operator = gridcase.Actor{Username: "op", Role: vocab.Operator}
	checker  = gridcase.Actor{Username: "chk", Role: vocab.Operator}
	leaderC  = gridcase.Actor{Username: "lead", Role: vocab.Leader}
)

// report records a case of kind at loc.
func (f *caseFloor) report(kind string, loc vocab.Location) *gridcase.Case {
	f.t.Helper()
	c, _, err := f.svc.Create(bg, operator, &gridcase.Input{Kind: kind, Title: "found " + kind, Location: &loc}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *caseFloor) act(who gridcase.Actor, id string, a gridcase.Action) (*gridcase.Case, error) {
	return f.svc.Act(bg, who, id, &a, func(name string) (gridcase.Account, bool) { acct, ok := f.accts[name]; return acct, ok })
}

// TestSevenSteps: a case goes through the seven steps; each step's time
// limit replaces the last one's, every step is on its timeline, and every
// change goes to the screens limited to the case's area.
func TestSevenSteps(t *testing.T) {
	f := newCaseFloor(t)
	c := f.report("litter", west)
	if c.Area != "g1" || c.Status != gridcase.Collected || c.DueAt == nil || !c.DueAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("reported %+v", c)
	}
	passed := true
	steps := []struct {
		who    gridcase.Actor
		action gridcase.Action
		status string
		limit  time.Duration
	}{
		{operator, gridcase.Action{Action: "accept"}, gridcase.Accepted, time.Hour},
		{operator, gridcase.Action{Action: "dispatch", Assignee: "go-g1"}, gridcase.Dispatched, 4 * time.Hour},
		{operator, gridcase.Action{Action: "handle", Result: "cleared away"}, gridcase.Handled, time.Hour},
		{checker, gridcase.Action{Action: "verify", Passed: &passed}, gridcase.Verified, time.Hour},
		{operator, gridcase.Action{Action: "close"}, gridcase.Closed, 0},
		{operator, gridcase.Action{Action: "evaluate", Satisfaction: 4}, gridcase.Evaluated, 0},
	}
	prev := gridcase.Collected
	for _, s := range steps {
		f.clock.Advance(10 * time.Minute)
		got, err := f.act(s.who, c.ID, s.action)
		if err != nil || got.Status != s.status {
			t.Fatalf("%s: %+v %v", s.action.Action, got, err)
		}
		if _, ok := f.st.Timers().When(timer.Member(gridcase.TimerKind, c.ID+"/"+prev)); ok {
			t.Fatalf("after %s the limit of %s is still running", s.action.Action, prev)
		}
		due, ok := f.st.Timers().When(timer.Member(gridcase.TimerKind, c.ID+"/"+s.status))
		if s.limit > 0 && (!ok || !due.Equal(f.clock.Now().Add(s.limit))) || s.limit == 0 && ok {
			t.Fatalf("after %s: limit %v %v, want %s", s.action.Action, due, ok, s.limit)
		}
		prev = s.status
	}
	tl, _ := f.st.Cases().Timeline(bg, c.ID)
	var actions []string
	for _, e := range tl {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "collect,accept,dispatch,handle,verify,close,evaluate" {
		t.Fatalf("timeline %v", actions)
	}
	msgs, _, _ := f.st.Range(bg, vocab.ScreenStream, 1, 100)
	if len(msgs) != 7 || !strings.Contains(string(msgs[0].JSON), `"type":"case.created","area":"g1"`) {
		t.Fatalf("screen events: %d", len(msgs))
	}
	if seq, _ := f.st.Seq(bg, vocab.UnitStream("go-g1")); seq != 1 {
		t.Fatalf("the grid officer was told %d times", seq)
	}
}

// TestActionRules: what each action needs and when it is refused.
func TestActionRules(t *testing.T) {
	failed := false
	for _, c := range []struct {
		name   string
		before []gridcase.Action
		who    gridcase.Actor
		action gridcase.Action
		want   string // the status after, or the kind of error
	}{
		{"rejectNeedsReason", nil, operator, gridcase.Action{Action: "reject", Reason: " "}, "invalid"},
		{"reject", nil, operator, gridcase.Action{Action: "reject", Reason: "not ours"}, gridcase.Rejected},
		{"closeTooEarly", nil, operator, gridcase.Action{Action: "close"}, "conflict"},
		{"unknown", nil, operator, gridcase.Action{Action: "shred"}, "invalid"},
		{"dispatchToACar", []gridcase.Action{{Action: "accept"}}, operator, gridcase.Action{Action: "dispatch", Assignee: "car-01"}, "invalid"},
		{"dispatchToAViewer", []gridcase.Action{{Action: "accept"}}, operator, gridcase.Action{Action: "dispatch", Assignee: "viewer"}, "invalid"},
		{"dispatchOutsideArea", []gridcase.Action{{Action: "accept"}}, operator, gridcase.Action{Action: "dispatch", Assignee: "op-c2"}, "invalid"},
		{"dispatchToAnAccount", []gridcase.Action{{Action: "accept"}}, operator, gridcase.Action{Action: "dispatch", Assignee: "op"}, gridcase.Dispatched},
		{"handleNeedsResult", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "op"}}, operator, gridcase.Action{Action: "handle"}, "invalid"},
		{"verifyOwnWork", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "op"}, {Action: "handle", Result: "done"}}, operator, gridcase.Action{Action: "verify", Passed: &failed}, "forbidden"},
		{"verifyFailed", []gridcase.Action{{Action: "accept"}, {Action: "dispatch", Assignee: "op"}, {Action: "handle", Result: "done"}}, checker, gridcase.Action{Action: "verify", Passed: &failed}, gridcase.Dispatched},
		{"superviseByOperator", nil, operator, gridcase.Action{Action: "supervise", Reason: "watch", DueAt: at.Add(time.Hour).Format(time.RFC3339)}, "forbidden"},
		{"superviseByLeader", nil, leaderC, gridcase.Action{Action: "supervise", Reason: "watch", DueAt: at.Add(time.Hour).Format(time.RFC3339)}, gridcase.Collected},
		{"ownerAViewer", nil, leaderC, gridcase.Action{Action: "assign_owner", Account: "viewer"}, "invalid"},
		{"ownerAnOperator", nil, leaderC, gridcase.Action{Action: "assign_owner", Account: "op"}, "invalid"},
		{"ownerOfAnotherArea", nil, leaderC, gridcase.Action{Action: "assign_owner", Account: "lead-c2"}, "invalid"},
		{"ownerADeputyOfTheArea", nil, leaderC, gridcase.Action{Action: "assign_owner", Account: "dep-c1"}, gridcase.Collected},
		{"ownerALeader", nil, leaderC, gridcase.Action{Action: "assign_owner", Account: "lead"}, gridcase.Collected},
		{"escalateNeedsReason", nil, operator, gridcase.Action{Action: "escalate"}, "invalid"},
		{"delegateAtTheBottom", nil, operator, gridcase.Action{Action: "delegate", Reason: "down"}, "conflict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newCaseFloor(t)
			k := f.report("litter", west)
			for _, a := range c.before {
				if _, err := f.act(operator, k.ID, a); err != nil {
					t.Fatalf("%s: %v", a.Action, err)
				}
			}
			got, err := f.act(c.who, k.ID, c.action)
			if o := outcome(got, err); o != c.want {
				t.Fatalf("%s: %s (%v), want %s", c.action.Action, o, err, c.want)
			}
		})
	}
}

// outcome names the result of an action: the status, or the error's kind.
func outcome(c *gridcase.Case, err error) string {
	var inv *fault.Invalid
	switch {
	case err == nil:
		return c.Status
	case fault.IsConflict(err):
		return "conflict"
	case errors.As(err, &inv):
		return "invalid"
	case errors.Is(err, fault.ErrForbidden):
		return "forbidden"
	}
	return err.Error()
}

// TestOverdue: a step past its time limit raises an alarm in the case's
// area; a kind that escalates on overdue moves the case up a level with a
// new limit there, so an account of the old area no longer sees it.
func TestOverdue(t *testing.T) {
	f := newCaseFloor(t)
	litter := f.report("litter", west)
	dispute := f.report("dispute", east)
	if dispute.Area != "c2" {
		t.Fatalf("a dispute starts in the community: %s", dispute.Area)
	}
	f.clock.Advance(59 * time.Minute)
	f.timer.Poll(bg)
	if a, _ := f.st.Alarms().List(bg, true, 10); len(a) != 0 {
		t.Fatalf("alarms before the limit: %+v", a)
	}
	f.clock.Advance(time.Minute)
	f.timer.Poll(bg)
	l, _ := f.st.Cases().Load(bg, litter.ID)
	d, _ := f.st.Cases().Load(bg, dispute.ID)
	if !l.Overdue || l.Area != "g1" || !d.Overdue || d.HandlingLevel != "street" || d.Area != "s1" {
		t.Fatalf("after the limit: litter %+v, dispute %+v", l, d)
	}
	alarms, _ := f.st.Alarms().List(bg, true, 10)
	if len(alarms) != 2 || alarms[0].Kind != "case.overdue" {
		t.Fatalf("alarms %+v", alarms)
	}
	if due, ok := f.st.Timers().When(timer.Member(gridcase.TimerKind, dispute.ID+"/"+gridcase.Collected)); !ok || !due.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("the escalated case's new limit: %v %v", due, ok)
	}
	if _, _, err := f.svc.Get(bg, gridcase.Actor{Username: "op-c2", Role: vocab.Operator, Area: "c2"}, dispute.ID); !fault.IsNotFound(err) {
		t.Fatalf("the community after escalation: %v", err)
	}
	if _, _, err := f.svc.Get(bg, gridcase.Actor{Username: "op-s1", Role: vocab.Operator, Area: "s1"}, dispute.ID); err != nil {
		t.Fatalf("the street after escalation: %v", err)
	}
}

// TestVisibility: accounts limited to an area see, list and report cases
// in it only.
func TestVisibility(t *testing.T) {
	f := newCaseFloor(t)
	w, e := f.report("litter", west), f.report("litter", east)
	c2 := gridcase.Actor{Username: "op-c2", Role: vocab.Operator, Area: "c2"}
	list, err := f.svc.List(bg, c2, gridcase.Query{})
	if err != nil || len(list) != 1 || list[0].ID != e.ID {
		t.Fatalf("c2 lists %+v %v", list, err)
	}
	if _, _, err := f.svc.Get(bg, c2, w.ID); !fault.IsNotFound(err) {
		t.Fatalf("c2 reads a c1 case: %v", err)
	}
	loc := west
	if _, _, err := f.svc.Create(bg, c2, &gridcase.Input{Kind: "litter", Title: "x", Location: &loc}, nil); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("c2 reports in c1: %v", err)
	}
	if all, _ := f.svc.List(bg, operator, gridcase.Query{}); len(all) != 2 {
		t.Fatalf("an unlimited account lists %d", len(all))
	}
}

// TestCreateIdempotent: a repeated request makes one case; the same key
// with another body is refused.
func TestCreateIdempotent(t *testing.T) {
	f := newCaseFloor(t)
	loc := west
	in := func() *gridcase.Input { return &gridcase.Input{Kind: "litter", Title: "bins", Location: &loc} }
	idem := &vocab.Idempotency{Key: "op:cases:k1", Fingerprint: "fp1", TTL: time.Hour}
	first, dup, err := f.svc.Create(bg, operator, in(), idem)
	if err != nil || dup {
		t.Fatalf("first: %v %v", dup, err)
	}
	again, dup, err := f.svc.Create(bg, operator, in(), idem)
	if err != nil || !dup || again.ID != first.ID {
		t.Fatalf("repeat: %+v %v %v", again, dup, err)
	}
	other := *idem
	other.Fingerprint = "fp2"
	if _, _, err := f.svc.Create(bg, operator, in(), &other); err == nil {
		t.Fatal("the key was taken for another body")
	}
	if list, _ := f.st.Cases().List(bg, gridcase.Query{Limit: 10}); len(list) != 1 {
		t.Fatalf("cases stored: %d", len(list))
	}
	if f.st.Field(change.KindCase, first.ID, "ver") != "1" {
		t.Fatal("the case's version is not what guards see")
	}
}
