package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/gridcase"
	"watchfloor/command/plan"
	"watchfloor/config"
	"watchfloor/geo"
)

// ids joins the ids of values.
func ids[T any](vs []*T, id func(*T) string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return strings.Join(out, ",")
}

// read is one read of a list and the ids it must give, in order.
type read[T any] struct {
	name string
	read func() ([]*T, error)
	want string
}

// reads checks each read against its ids.
func reads[T any](t *testing.T, id func(*T) string, rs ...read[T]) {
	t.Helper()
	for _, r := range rs {
		got, err := r.read()
		if err != nil || ids(got, id) != r.want {
			t.Errorf("%s: %s %v, want %s", r.name, ids(got, id), err, r.want)
		}
	}
}

// orderReads: orders written as documents are read by incident, by unit
// (active ones) and all active, oldest first; one no longer active leaves
// the active reads.
func orderReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	mk := func(id, inc, unit, status string, at time.Duration) *dispatch.Dispatch {
		return &dispatch.Dispatch{ID: id, IncidentID: inc, UnitID: unit, Status: status, CreatedAt: t0.Add(at), UpdatedAt: t0.Add(at)}
	}
	ds := []*dispatch.Dispatch{mk("D-3", "INC-1", "car-1", dispatch.Offered, 0), mk("D-1", "INC-1", "car-2", dispatch.Acked, time.Second),
		mk("D-2", "INC-2", "car-1", dispatch.OnScene, -time.Second), mk("D-4", "INC-2", "car-3", dispatch.Offered, 2*time.Second)}
	c := &change.Change{At: t0}
	for _, d := range ds {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindDispatch, ID: d.ID, Value: d, Fields: map[string]string{"status": d.Status}})
	}
	apply(t, st, c)
	done := *ds[3]
	done.Status = dispatch.Cancelled
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindDispatch, ID: "D-4", Value: &done, Prev: ds[3], Fields: map[string]string{"status": done.Status}}}})
	reads(t, func(d *dispatch.Dispatch) string { return d.ID },
		read[dispatch.Dispatch]{"byIncident", func() ([]*dispatch.Dispatch, error) { return st.Dispatches.ByIncident(ctx, "INC-1") }, "D-3,D-1"},
		read[dispatch.Dispatch]{"byIncidentWithEnded", func() ([]*dispatch.Dispatch, error) { return st.Dispatches.ByIncident(ctx, "INC-2") }, "D-2,D-4"},
		read[dispatch.Dispatch]{"activeByUnit", func() ([]*dispatch.Dispatch, error) { return st.Dispatches.ActiveByUnit(ctx, "car-1") }, "D-2,D-3"},
		read[dispatch.Dispatch]{"endedUnit", func() ([]*dispatch.Dispatch, error) { return st.Dispatches.ActiveByUnit(ctx, "car-3") }, ""},
		read[dispatch.Dispatch]{"active", func() ([]*dispatch.Dispatch, error) { return st.Dispatches.Active(ctx) }, "D-2,D-3,D-1"})
	if d, err := st.Dispatches.Load(ctx, "D-4"); err != nil || d.Status != dispatch.Cancelled {
		t.Fatalf("load: %+v %v", d, err)
	}
}

// activationReads: activations are read by incident, by warning and by
// status (both proposed and active for ""), with their groups' progress; a
// unit's tasks are those of activations still active; task existence
// reads back.
func activationReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	mk := func(id, inc, status string, at time.Duration) *plan.Activation {
		return &plan.Activation{ID: id, PlanID: "p", IncidentID: inc, Status: status, ProposedAt: t0.Add(at), UpdatedAt: t0,
			Groups: []plan.Group{{ID: "g", Units: []string{"car-1"}, Progress: plan.Progress{Total: 1}}}}
	}
	as := []*plan.Activation{mk("A-2", "INC-1", plan.Active, time.Second), mk("A-1", "INC-1", plan.Proposed, 0),
		mk("A-3", "INC-2", plan.Active, 2*time.Second), mk("A-4", "INC-2", plan.Rejected, 3*time.Second),
		mk("A-5", "", plan.Active, 4*time.Second), // started by hand on a higher body's request: no incident
		mk("A-6", "", plan.Active, 5*time.Second)} // started by hand for a warning
	as[5].WarningID = "W-1"
	c := &change.Change{At: t0}
	for _, a := range as {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}})
	}
	for _, a := range []string{"A-2", "A-3"} {
		task := &plan.Task{ID: plan.TaskID(a, "g", "car-1"), ActivationID: a, GroupID: "g", UnitID: "car-1", Status: plan.TaskAssigned, AssignedAt: t0}
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindTask, ID: task.ID, Value: task, Fields: map[string]string{"status": task.Status}})
	}
	c.Counts = []change.Count{{Kind: change.KindProgress, ID: "A-2", Field: "g:ack", By: 1}, {Kind: change.KindProgress, ID: "A-2", Field: "g:done", By: 1}}
	apply(t, st, c)
	ended := *as[2]
	ended.Status = plan.Ended
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindActivation, ID: "A-3", Value: &ended, Prev: as[2], Fields: map[string]string{"status": plan.Ended}}}})
	reads(t, func(a *plan.Activation) string { return a.ID },
		read[plan.Activation]{"byIncident", func() ([]*plan.Activation, error) { return st.Activations.ByIncident(ctx, "INC-1") }, "A-1,A-2"},
		read[plan.Activation]{"noIncident", func() ([]*plan.Activation, error) { return st.Activations.ByIncident(ctx, "") }, ""},
		read[plan.Activation]{"byWarning", func() ([]*plan.Activation, error) { return st.Activations.ByWarning(ctx, "W-1") }, "A-6"},
		read[plan.Activation]{"noWarning", func() ([]*plan.Activation, error) { return st.Activations.ByWarning(ctx, "") }, ""},
		read[plan.Activation]{"open", func() ([]*plan.Activation, error) { return st.Activations.List(ctx, "") }, "A-1,A-2,A-5,A-6"},
		read[plan.Activation]{"ended", func() ([]*plan.Activation, error) { return st.Activations.List(ctx, plan.Ended) }, "A-3"},
		read[plan.Activation]{"rejected", func() ([]*plan.Activation, error) { return st.Activations.List(ctx, plan.Rejected) }, "A-4"})
	a, err := st.Activations.Load(ctx, "A-2")
	if err != nil || a.Groups[0].Progress != (plan.Progress{Total: 1, Acknowledged: 1, Done: 1}) {
		t.Fatalf("load with progress: %+v %v", a, err)
	}
	if a, err := st.Activations.Load(ctx, "A-1"); err != nil || a.Groups[0].Progress != (plan.Progress{Total: 1}) {
		t.Fatalf("load without progress: %+v %v", a, err)
	}
	// An activation's standing: its status, and a group's total once kept.
	apply(t, st, &change.Change{At: t0, Fields: []change.Field{{Kind: change.KindProgress, ID: "A-2", Field: "g:total", Value: "5"}}})
	for _, c := range []struct {
		id, group, status string
		total             int
	}{{"A-2", "g", plan.Active, 5}, {"A-1", "g", plan.Proposed, 0}, {"A-2", "other", plan.Active, 0}, {"A-9", "g", "", 0}} {
		if status, total, err := st.Activations.Standing(ctx, c.id, c.group); err != nil || status != c.status || total != c.total {
			t.Errorf("standing of %s %s: %q %d %v, want %q %d", c.id, c.group, status, total, err, c.status, c.total)
		}
	}
	tasks, err := st.Activations.UnitTasks(ctx, "car-1")
	if err != nil || len(tasks) != 1 || tasks[0].ActivationID != "A-2" {
		t.Fatalf("tasks of active plans: %+v %v", tasks, err)
	}
	// The latest of a final status: changed last first (to the millisecond,
	// then the greater id), as many as asked, with how many there are.
	if _, _, err := st.Activations.Latest(ctx, plan.Ended, 1); err != nil { // ranked from here on as they change
		t.Fatal(err)
	}
	c = &change.Change{At: t0}
	for i, at := range []time.Duration{3 * time.Minute, time.Minute, 2*time.Minute + 400*time.Microsecond, 2 * time.Minute} {
		a := mk(fmt.Sprintf("A-1%d", i), "INC-3", plan.Ended, 0)
		a.UpdatedAt = t0.Add(at)
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}})
	}
	apply(t, st, c)
	for _, c := range []struct {
		status string
		limit  int
		want   string
		total  int
	}{
		{plan.Ended, 3, "A-10,A-13,A-12", 5},
		{plan.Ended, 10, "A-10,A-13,A-12,A-11,A-3", 5},
		{plan.Ended, 1, "A-10", 5},
		{plan.Ended, 0, "", 5},
		{plan.Rejected, 5, "A-4", 1},
	} {
		list, total, err := st.Activations.Latest(ctx, c.status, c.limit)
		var ids []string
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		if got := strings.Join(ids, ","); err != nil || got != c.want || total != c.total {
			t.Errorf("latest %d %s: %s of %d (%v), want %s of %d", c.limit, c.status, got, total, err, c.want, c.total)
		}
	}
	if list, _, err := st.Activations.Latest(ctx, plan.Ended, 10); err != nil || len(list) == 0 || list[len(list)-1].ID != "A-3" ||
		list[len(list)-1].Groups[0].Progress.Total != 1 {
		t.Errorf("latest ended, with their groups: %+v %v", list, err)
	}
	exist, err := st.Activations.TasksExist(ctx, []string{plan.TaskID("A-3", "g", "car-1"), "nope"})
	if err != nil || !slices.Equal(exist, []bool{true, false}) {
		t.Fatalf("tasks exist: %v %v", exist, err)
	}
}

// caseReads: cases are listed by status, kind, grid and time, newest
// first; their timelines are read one or many at once.
func caseReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	grid := &geo.GridRef{Code: "g1", Path: []geo.Ref{{Code: "c1"}, {Code: "g1"}}}
	mk := func(id, kind, status string, g *geo.GridRef, at time.Duration) *gridcase.Case {
		return &gridcase.Case{ID: id, Kind: kind, Status: status, Grid: g, CreatedAt: t0, UpdatedAt: t0.Add(at), Version: 1}
	}
	cs := []*gridcase.Case{mk("C-1", "litter", gridcase.Collected, grid, 0), mk("C-2", "dispute", gridcase.Collected, nil, time.Minute),
		mk("C-3", "litter", gridcase.Closed, grid, 2*time.Minute)}
	c := &change.Change{At: t0}
	for _, k := range cs {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindCase, ID: k.ID, Value: k, Fields: map[string]string{"ver": "1"}})
		c.Appends = append(c.Appends, change.Append{Kind: change.KindCaseTimeline, ID: k.ID, Entries: []any{gridcase.Entry{At: t0, Action: "collect", Status: gridcase.Collected}}})
	}
	apply(t, st, c)
	list := func(name string, q gridcase.Query, want string) read[gridcase.Case] {
		return read[gridcase.Case]{name, func() ([]*gridcase.Case, error) { return st.Cases.List(ctx, q) }, want}
	}
	reads(t, func(k *gridcase.Case) string { return k.ID },
		list("all", gridcase.Query{Limit: 10}, "C-3,C-2,C-1"),
		list("collected", gridcase.Query{Status: gridcase.Collected, Limit: 10}, "C-2,C-1"),
		list("litter", gridcase.Query{Kind: "litter", Limit: 10}, "C-3,C-1"),
		list("community", gridcase.Query{Grid: "c1", Status: gridcase.Collected, Limit: 10}, "C-1"),
		list("since", gridcase.Query{Since: t0.Add(time.Minute), Limit: 1}, "C-3"))
	tls, err := st.Cases.Timelines(ctx, []string{"C-1", "C-9"})
	if err != nil || len(tls) != 2 || len(tls["C-1"]) != 1 || tls["C-1"][0].Action != "collect" || len(tls["C-9"]) != 0 {
		t.Fatalf("timelines %+v %v", tls, err)
	}
}

// dailyReads: daily reports set per area of a date read back by area; a
// daily check scheduled once is not moved by a second schedule.
func dailyReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	r := gridcase.DailyReport{Area: "c1", Date: "2026-12-04", NothingToReport: true, By: "alice", At: t0}
	b, _ := json.Marshal(r)
	apply(t, st, &change.Change{At: t0, Fields: []change.Field{{Kind: change.KindDaily, ID: r.Date, Field: r.Area, Value: string(b)}}})
	got, err := st.Daily.Daily(ctx, "2026-12-04")
	if err != nil || len(got) != 1 || got["c1"].By != "alice" || !got["c1"].NothingToReport {
		t.Fatalf("daily %+v %v", got, err)
	}
	if none, err := st.Daily.Daily(ctx, "2026-12-05"); err != nil || len(none) != 0 {
		t.Fatalf("a day without reports: %+v %v", none, err)
	}
	for _, due := range []time.Time{t0, t0.Add(time.Hour)} {
		if err := st.Daily.ScheduleOnce(ctx, "daily|2026-12-04", due); err != nil {
			t.Fatal(err)
		}
	}
	if due, _ := st.Timers.Due(ctx, t0, 10); !slices.Equal(due, []string{"daily|2026-12-04"}) {
		t.Fatalf("scheduled once at the first time: %v", due)
	}
}

// sharedTasks: a plan's tasks, delivered with their group's part shared
// (change.Shared), read back whole: the task, the unit's tasks, and the
// task.assigned event in the unit's stream.
func sharedTasks(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	a := &plan.Activation{ID: "A-1", PlanID: "p", Status: plan.Active, UpdatedAt: t0,
		Groups: []plan.Group{{ID: "g", Units: []string{"car-1", "car-2"}, Progress: plan.Progress{Total: 2}}}}
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}}}})
	var tasks []plan.Task
	for _, u := range []string{"car-1", "car-2"} {
		tasks = append(tasks, plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, PlanID: "p", GroupID: "g", UnitID: u,
			PlanName: config.Text{ZH: "内涝预案", EN: "Flooding"}, GroupName: config.Text{ZH: "现场组", EN: "On site"},
			Tasks: []config.Text{{ZH: "疏散群众", EN: "Move people away"}}, Status: plan.TaskAssigned, AssignedAt: t0})
	}
	if err := plan.AddTasks(ctx, st.Activations, a, tasks, t0); err != nil {
		t.Fatal(err)
	}
	same := func(what string, got *plan.Task, want plan.Task) {
		t.Helper()
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("%s: %+v, want %+v", what, got, want)
		}
	}
	got, err := st.Activations.LoadTask(ctx, tasks[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	same("the task", got, tasks[1])
	mine, err := st.Activations.UnitTasks(ctx, "car-2")
	if err != nil || len(mine) != 1 {
		t.Fatalf("the unit's tasks: %v %v", mine, err)
	}
	same("the unit's task", mine[0], tasks[1])
	msgs, _, err := st.Source.Range(ctx, "unit:car-2", 1, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the unit's stream: %v %v", msgs, err)
	}
	var env struct {
		Type string     `json:"type"`
		Data *plan.Task `json:"data"`
	}
	if err := json.Unmarshal(msgs[0].JSON, &env); err != nil || env.Type != "task.assigned" {
		t.Fatalf("the unit's stream holds %s: %v", msgs[0].JSON, err)
	}
	same("the stream's task", env.Data, tasks[1])
}

// casesCreated: the cases created in a period, oldest first (then by id),
// however long ago they last changed or how many changed since, at most
// as many as asked; the period's end is not in it.
func casesCreated(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	c := &change.Change{At: t0}
	for i, at := range []time.Duration{0, time.Hour, time.Hour, 48 * time.Hour, 72 * time.Hour} {
		k := &gridcase.Case{ID: fmt.Sprintf("C-%d", 5-i), Kind: "litter", Status: gridcase.Collected, CreatedAt: t0.Add(at),
			UpdatedAt: t0.Add(100*time.Hour - at), Version: 1}
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindCase, ID: k.ID, Value: k, Fields: map[string]string{"ver": "1"}})
	}
	apply(t, st, c)
	// C-3 changes later: its creation stays where it was.
	moved := &gridcase.Case{ID: "C-3", Kind: "litter", Status: gridcase.Closed, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(200 * time.Hour), Version: 2}
	prev := &gridcase.Case{ID: "C-3", Kind: "litter", Status: gridcase.Collected, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(99 * time.Hour), Version: 1}
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindCase, ID: "C-3", Value: moved, Prev: prev, Fields: map[string]string{"ver": "2"}}}})
	created := func(name string, from, to time.Duration, limit int, want string) read[gridcase.Case] {
		return read[gridcase.Case]{name, func() ([]*gridcase.Case, error) { return st.Cases.Created(ctx, t0.Add(from), t0.Add(to), limit) }, want}
	}
	reads(t, func(k *gridcase.Case) string { return k.ID },
		created("all", -time.Hour, 100*time.Hour, 10, "C-5,C-3,C-4,C-2,C-1"),
		created("end left out", 0, 48*time.Hour, 10, "C-5,C-3,C-4"),
		created("start kept", time.Hour, 49*time.Hour, 10, "C-3,C-4,C-2"),
		created("limit", 0, 100*time.Hour, 2, "C-5,C-3"),
		created("none", 73*time.Hour, 80*time.Hour, 10, ""))
}
