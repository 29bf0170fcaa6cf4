package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/memstore"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// leaderOnly and deputies are who decides a plan at a level.
var (
	leaderOnly = []vocab.Role{vocab.Leader}
	deputies   = []vocab.Role{vocab.Deputy, vocab.Leader}
	approvers  = map[string][]vocab.Role{"I": leaderOnly, "II": leaderOnly, "III": deputies, "IV": deputies}
	leader     = vocab.Actor{Username: "lead", Role: vocab.Leader}
	deputy     = vocab.Actor{Username: "dep", Role: vocab.Deputy}
	bg         = context.Background()
)

// planFloor is the plan service over the memory store with three plans: a
// general one from level II, a fire plan from level III, and a flood plan
// that responds by procedure from level IV.
type planFloor struct {
	t    *testing.T
	st   *memstore.Store
	svc  *plan.Service
	opts plan.Options
	now  time.Time
}

func newPlanFloor(t *testing.T) *planFloor {
	t.Helper()
	cfg := plan.Options{Location: time.UTC}
	units := []config.Unit{{ID: "car-01", Team: "patrol"}, {ID: "car-02", Team: "patrol"}, {ID: "ems-01", Team: "ems"}}
	cfg.Members = func(teams []string) []string {
		var ids []string
		for _, u := range units {
			if slices.Contains(teams, u.Team) {
				ids = append(ids, u.ID)
			}
		}
		return ids
	}
	groups := []config.Group{{ID: "patrol", Teams: []string{"patrol"}}, {ID: "medical", Units: []string{"ems-01"}}}
	cfg.Plans = []config.Plan{
		{ID: "general", MinLevel: alerts.LevelII, Approvers: approvers, Groups: groups},
		{ID: "fire", Categories: []string{"fire"}, MinLevel: alerts.LevelIII, Approvers: approvers, Groups: groups},
		{ID: "flood", Categories: []string{"flood"}, MinLevel: alerts.LevelIV, Approvers: approvers, AutoActivate: true, Groups: groups[:1]},
	}
	f := &planFloor{t: t, st: memstore.New(memstore.Options{}), opts: cfg, now: at}
	f.svc = f.service(cfg)
	return f
}

func (f *planFloor) service(cfg plan.Options) *plan.Service {
	return plan.NewService(f.st.Activations(), f.st.Incidents(), nil, cfg, func() time.Time { return f.now }, nil, nil)
}

// incident stores an incident of category at level and returns it.
func (f *planFloor) incident(category string, level alerts.Level) *incident.Incident {
	f.t.Helper()
	inc := &incident.Incident{ID: "INC-1", Category: category, Level: level, Status: incident.StatusOpen, CreatedAt: at, UpdatedAt: f.now}
	if _, err := f.st.Apply(bg, &change.Change{At: f.now, Docs: []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: inc,
		Fields: map[string]string{"ver": strconv.FormatInt(inc.Version, 10)}}}}); err != nil {
		f.t.Fatal(err)
	}
	return inc
}

// approvedFire proposes the fire plan for a level III fire and approves it
// (its tasks delivered at once).
func (f *planFloor) approvedFire() *plan.Activation {
	f.t.Helper()
	as, err := f.svc.Propose(bg, f.incident("fire", alerts.LevelIII))
	if err != nil || len(as) == 0 {
		f.t.Fatalf("proposal %v %v", as, err)
	}
	a, err := f.svc.Approve(bg, deputy, as[0].ID, "go")
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// plans lists the incident's activations as plan:status.
func (f *planFloor) plans() string {
	f.t.Helper()
	as, err := f.st.Activations().ByIncident(bg, "INC-1")
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.PlanID + "@" + a.Level.String() + ":" + a.Status
	}
	return strings.Join(out, ",")
}

// TestProposeRules: which plans an incident's category and level bring
// up, and that a plan responding by procedure is active at once with its
// tasks delivered.
func TestProposeRules(t *testing.T) {
	for _, c := range []struct {
		name     string
		category string
		level    alerts.Level
		want     string
		tasks    int // tasks of car-01
	}{
		{"fireIII", "fire", alerts.LevelIII, "fire@III:proposed", 0},
		{"fireII", "fire", alerts.LevelII, "general@II:proposed,fire@II:proposed", 0},
		{"fireIV", "fire", alerts.LevelIV, "", 0},
		{"floodIV", "flood", alerts.LevelIV, "flood@IV:active", 1},
		{"crowdI", "crowd", alerts.LevelI, "general@I:proposed", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			if _, err := f.svc.Propose(bg, f.incident(c.category, c.level)); err != nil {
				t.Fatal(err)
			}
			if got := f.plans(); got != c.want {
				t.Fatalf("plans %q, want %q", got, c.want)
			}
			if ts, _ := f.svc.UnitTasks(bg, "car-01"); len(ts) != c.tasks {
				t.Fatalf("car-01 has %d tasks, want %d", len(ts), c.tasks)
			}
		})
	}
}

// TestProposedOnce: proposing again, or from two instances at once, keeps
// one proposal per plan and level; a level whose approvers are stricter
// supersedes a proposal still waiting.
func TestProposedOnce(t *testing.T) {
	f := newPlanFloor(t)
	inc := f.incident("fire", alerts.LevelIII)
	other := f.service(plan.Options{Location: time.UTC, Plans: []config.Plan{{ID: "fire", Categories: []string{"fire"}, MinLevel: alerts.LevelIII, Approvers: approvers}}})
	errs := make(chan error, 2)
	for _, svc := range []*plan.Service{f.svc, other} {
		go func() { _, err := svc.Propose(bg, inc); errs <- err }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Propose(bg, inc); err != nil {
		t.Fatal(err)
	}
	if got := f.plans(); got != "fire@III:proposed" {
		t.Fatalf("after three proposals: %s", got)
	}
	f.now = f.now.Add(time.Minute)
	if _, err := f.svc.Propose(bg, f.incident("fire", alerts.LevelII)); err != nil {
		t.Fatal(err)
	}
	if got := f.plans(); got != "fire@III:rejected,general@II:proposed,fire@II:proposed" {
		t.Fatalf("after the level rose: %s", got)
	}
}

// TestDecisions: who may approve, reject, move and end a plan at each
// level, and what each decision needs.
func TestDecisions(t *testing.T) {
	for _, c := range []struct {
		name  string
		level alerts.Level
		who   vocab.Actor
		do    string
		want  string // the status after, or the error's kind
	}{
		{"deputyApprovesIII", alerts.LevelIII, deputy, "approve", plan.Active},
		{"deputyApprovesII", alerts.LevelII, deputy, "approve", "forbidden"},
		{"leaderApprovesII", alerts.LevelII, leader, "approve", plan.Active},
		{"operatorApproves", alerts.LevelIII, vocab.Actor{Username: "op", Role: vocab.Operator}, "approve", "forbidden"},
		{"rejectWithReason", alerts.LevelIII, deputy, "reject", plan.Rejected},
		{"rejectWithoutReason", alerts.LevelIII, deputy, "reject-", "invalid"},
		{"approveTwice", alerts.LevelIII, deputy, "approve approve", "conflict"},
		{"endApproved", alerts.LevelIII, leader, "approve end", plan.Ended},
		{"endProposed", alerts.LevelIII, leader, "end", "conflict"},
		{"recovery", alerts.LevelIII, leader, "approve recovery", plan.Active},
		{"recoveryTwice", alerts.LevelIII, leader, "approve recovery recovery", "conflict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPlanFloor(t)
			as, err := f.svc.Propose(bg, f.incident("fire", c.level))
			if err != nil {
				t.Fatal(err)
			}
			id := as[len(as)-1].ID
			var a *plan.Activation
			for _, step := range strings.Fields(c.do) {
				switch step {
				case "approve":
					a, err = f.svc.Approve(bg, c.who, id, "go")
				case "reject":
					a, err = f.svc.Reject(bg, c.who, id, "not needed")
				case "reject-":
					a, err = f.svc.Reject(bg, c.who, id, " ")
				case "recovery":
					a, err = f.svc.Phase(bg, c.who, id, plan.PhaseRecovery, "")
				case "end":
					a, err = f.svc.End(bg, c.who, id, "over")
				}
			}
			var inv *fault.Invalid
			ok := false
			switch c.want {
			case "forbidden":
				ok = errors.Is(err, fault.ErrForbidden)
			case "conflict":
				ok = fault.IsConflict(err)
			case "invalid":
				ok = errors.As(err, &inv)
			default:
				ok = err == nil && a.Status == c.want
			}
			if !ok {
				t.Fatalf("%s: %+v (%v), want %s", c.do, a, err, c.want)
			}
		})
	}
}

// TestTasksAndProgress: an approved plan's groups get their tasks; each
// answer counts once in its group's progress; an ended plan's tasks are
// gone from its units and closed to answers.
func TestTasksAndProgress(t *testing.T) {
	f := newPlanFloor(t)
	id := f.approvedFire().ID
	for _, u := range []string{"car-01", "car-02", "ems-01"} {
		if ts, _ := f.svc.UnitTasks(bg, u); len(ts) != 1 || ts[0].Status != plan.TaskAssigned {
			t.Fatalf("%s's tasks: %+v", u, ts)
		}
	}
	task := plan.TaskID(id, "patrol", "car-01")
	for _, c := range []struct {
		unit, action string
		ack, done    int
		status       string
	}{
		{"car-01", plan.ActAcknowledge, 1, 0, plan.TaskAcknowledged},
		{"car-01", plan.ActAcknowledge, 1, 0, plan.TaskAcknowledged},
		{"car-01", plan.ActDone, 1, 1, plan.TaskDone},
		{"car-01", plan.ActDone, 1, 1, plan.TaskDone},
	} {
		got, err := f.svc.TaskAction(bg, vocab.Actor{Username: c.unit, Role: vocab.Responder}, c.unit, task, c.action, "")
		a, _ := f.svc.Load(bg, id)
		if p := a.Groups[0].Progress; err != nil || got.Status != c.status || p.Acknowledged != c.ack || p.Done != c.done {
			t.Fatalf("%s: %+v %v, progress %+v", c.action, got, err, a.Groups[0].Progress)
		}
	}
	other := plan.TaskID(id, "patrol", "car-02")
	if _, err := f.svc.TaskAction(bg, vocab.Actor{Username: "car-01", Role: vocab.Responder}, "car-01", other, plan.ActDone, ""); !fault.IsNotFound(err) {
		t.Fatalf("another unit's task: %v", err)
	}
	a, _ := f.svc.Load(bg, id)
	if g := a.Groups[0]; g.ID != "patrol" || g.Progress != (plan.Progress{Total: 2, Acknowledged: 1, Done: 1}) {
		t.Fatalf("group %+v", g)
	}
	if _, err := f.svc.End(bg, leader, id, "over"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := f.svc.UnitTasks(bg, "car-02"); len(ts) != 0 {
		t.Fatalf("tasks of an ended plan: %+v", ts)
	}
	if _, err := f.svc.TaskAction(bg, vocab.Actor{Username: "car-02", Role: vocab.Responder}, "car-02", other, plan.ActDone, ""); !fault.IsConflict(err) {
		t.Fatalf("an answer after the end: %v", err)
	}
}

// TestEndClosesTheUnitsTasks: ending a plan tells each of its units once,
// on its own stream, that its tasks of that activation are closed (a unit
// in two groups too); a delivery still under way stores nothing more.
func TestEndClosesTheUnitsTasks(t *testing.T) {
	f := newPlanFloor(t)
	// car-01 is in both groups of this plan: two tasks, one notice.
	f.opts.Plans[1].Groups = []config.Group{{ID: "patrol", Teams: []string{"patrol"}}, {ID: "medical", Units: []string{"ems-01", "car-01"}}}
	f.svc = f.service(f.opts)
	a := f.approvedFire()
	id := a.ID
	before := map[string]uint64{}
	for _, u := range []string{"car-01", "car-02", "ems-01"} {
		before[u], _ = f.st.Seq(bg, vocab.UnitStream(u))
	}
	f.now = at.Add(time.Hour)
	if _, err := f.svc.End(bg, leader, id, "处置完毕"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"car-01", "car-02", "ems-01"} {
		msgs, _, err := f.st.Range(bg, vocab.UnitStream(u), before[u]+1, 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("%s was told %d times after the end (%v)", u, len(msgs), err)
		}
		var ev struct {
			Type string
			Data plan.TasksClosed
		}
		if err := json.Unmarshal(msgs[0].JSON, &ev); err != nil {
			t.Fatal(err)
		}
		if d := ev.Data; ev.Type != vocab.TasksClosed || d.ActivationID != id || d.PlanID != "fire" || d.Reason != "处置完毕" || !d.At.Equal(f.now) {
			t.Errorf("%s was told %s %+v", u, ev.Type, d)
		}
	}
	// The chunks of a delivery that read the plan active before the end:
	// those under way are refused, the rest are not tried, and the delivery
	// ends without an error.
	late := make([]plan.Task, (plan.TaskSteps+2)*plan.TaskChunk)
	for i := range late {
		u := fmt.Sprintf("late-%03d", i)
		late[i] = plan.Task{ID: plan.TaskID(id, "patrol", u), ActivationID: id, GroupID: "patrol", UnitID: u, Status: plan.TaskAssigned}
	}
	if err := plan.AddTasks(bg, f.st.Activations(), a, late[:1], f.now); !errors.Is(err, plan.ErrNotActive) {
		t.Fatalf("a chunk after the end: %v", err)
	}
	counting := &applyCounter{TaskStore: f.st.Activations()}
	if err := plan.AddTaskChunks(bg, counting, a, late, func() time.Time { return f.now }); err != nil || counting.applied.Load() < 1 || counting.applied.Load() > plan.TaskSteps {
		t.Fatalf("a delivery after the end: %v, %d steps tried", err, counting.applied.Load())
	}
	if seq, _ := f.st.Seq(bg, vocab.UnitStream("late-000")); seq != 0 {
		t.Error("a task was stored and announced after its plan ended")
	}
	// The job again (another instance took it over): told again, which
	// a phone takes as it took the first.
	if err := f.svc.CloseTasks(bg, job.Job{Kind: plan.JobTasksClosed, Key: id}); err != nil {
		t.Fatal(err)
	}
	if seq, _ := f.st.Seq(bg, vocab.UnitStream("car-02")); seq != before["car-02"]+2 {
		t.Errorf("car-02 at seq %d after the job again, want %d", seq, before["car-02"]+2)
	}
}

// applyCounter counts the steps a delivery tries.
type applyCounter struct {
	plan.TaskStore
	applied atomic.Int64
}

func (c *applyCounter) Apply(ctx context.Context, ch *change.Change) (change.Result, error) {
	c.applied.Add(1)
	return c.TaskStore.Apply(ctx, ch)
}

// staleStanding reads the plan as active once more after it ended: an
// answer that read its plan just before the end.
type staleStanding struct {
	plan.Store
	stale bool
}

func (s *staleStanding) Standing(ctx context.Context, id, group string) (string, int, error) {
	status, total, err := s.Store.Standing(ctx, id, group)
	if s.stale {
		s.stale = false
		status = plan.Active
	}
	return status, total, err
}

// TestTaskAnswerRacingTheEnd: an answer that read its plan active just
// before the end is not stored after its unit was told the tasks are
// closed; it looks again and is refused as a closed task.
func TestTaskAnswerRacingTheEnd(t *testing.T) {
	f := newPlanFloor(t)
	id := f.approvedFire().ID
	if _, err := f.svc.End(bg, leader, id, "over"); err != nil {
		t.Fatal(err)
	}
	told, _ := f.st.Seq(bg, vocab.UnitStream("car-01"))
	racing := plan.NewService(&staleStanding{Store: f.st.Activations(), stale: true}, f.st.Incidents(), nil, f.opts, func() time.Time { return f.now }, nil, nil)
	task := plan.TaskID(id, "patrol", "car-01")
	_, err := racing.TaskAction(bg, vocab.Actor{Username: "car-01", Role: vocab.Responder}, "car-01", task, plan.ActAcknowledge, "")
	var cf *fault.Conflict
	if !errors.As(err, &cf) || !strings.HasSuffix(cf.Detail, "its tasks are closed") {
		t.Fatalf("an answer racing the end: %v", err)
	}
	if seq, _ := f.st.Seq(bg, vocab.UnitStream("car-01")); seq != told {
		t.Errorf("the unit was told of an answer after its tasks were closed (seq %d, was %d)", seq, told)
	}
	if got, _ := f.st.Activations().LoadTask(bg, task); got.Status != plan.TaskAssigned {
		t.Errorf("the task is %s after the end", got.Status)
	}
}

// TestDeliveryIsIdempotent: delivering an active plan's tasks again, or
// from two instances at once, stores and announces each task once.
func TestDeliveryIsIdempotent(t *testing.T) {
	f := newPlanFloor(t)
	as, err := f.svc.Propose(bg, f.incident("flood", alerts.LevelIV))
	if err != nil || len(as) != 1 {
		t.Fatalf("proposal %v %v", as, err)
	}
	j := f.st.Jobs().All()[0]
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- f.svc.Deliver(bg, j) }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"car-01", "car-02"} {
		if seq, _ := f.st.Seq(bg, vocab.UnitStream(u)); seq != 1 {
			t.Errorf("%s was told of %d tasks", u, seq)
		}
	}
	if seq, _ := f.st.Seq(bg, vocab.UnitStream("ems-01")); seq != 0 || !slices.Equal(as[0].Groups[0].Units, []string{"car-01", "car-02"}) {
		t.Errorf("ems-01 (not in the flood plan) was told of %d tasks; groups %+v", seq, as[0].Groups)
	}
	if f.st.Field(change.KindProposed, "INC-1", "flood@IV") != as[0].ID {
		t.Errorf("the proposal slot holds %q", f.st.Field(change.KindProposed, "INC-1", "flood@IV"))
	}
}

// TestTaskChunksStoredOnceEach: a plan's tasks for more units than one
// step takes, stored by two deliveries at once and then again: every task is stored, and each unit told once.
func TestTaskChunksStoredOnceEach(t *testing.T) {
	st := memstore.New(memstore.Options{})
	x := st.Activations()
	a := &plan.Activation{ID: "A-1", Status: plan.Active}
	if _, err := x.Apply(bg, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": plan.Active}}}}); err != nil {
		t.Fatal(err)
	}
	n := 3*plan.TaskChunk + plan.TaskChunk/2
	tasks := make([]plan.Task, n)
	for i := range tasks {
		u := fmt.Sprintf("u%04d", i)
		tasks[i] = plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, GroupID: "g", UnitID: u, Status: plan.TaskAssigned}
	}
	now := func() time.Time { return at }
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- plan.AddTaskChunks(bg, x, a, tasks, now) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := plan.AddTaskChunks(bg, x, a, tasks, now); err != nil {
		t.Fatal(err)
	}
	for i, tk := range tasks {
		if seq, _ := st.Seq(bg, vocab.UnitStream(tk.UnitID)); seq != 1 {
			t.Fatalf("task %d: %s was told %d times", i, tk.UnitID, seq)
		}
		if got, err := x.LoadTask(bg, tk.ID); err != nil || got.UnitID != tk.UnitID {
			t.Fatalf("task %d: %+v %v", i, got, err)
		}
	}
}

// stepping holds the first step of a delivery until the second begins (up
// to 5 s): overlapped says whether it did. With failFirst the first step
// fails at once instead, and each other step takes 200 ms.
type stepping struct {
	plan.TaskStore
	failFirst  bool
	mu         sync.Mutex
	applied    int
	second     chan struct{}
	overlapped bool
}

func (s *stepping) Apply(ctx context.Context, ch *change.Change) (change.Result, error) {
	s.mu.Lock()
	s.applied++
	n := s.applied
	s.mu.Unlock()
	switch {
	case n == 1 && s.failFirst:
		return change.Result{}, errors.New("redis: connection refused")
	case n == 1:
		select {
		case <-s.second:
			s.overlapped = true
		case <-time.After(5 * time.Second):
		}
	case n == 2:
		close(s.second)
	}
	if n > 1 && s.failFirst {
		time.Sleep(200 * time.Millisecond)
	}
	return s.TaskStore.Apply(ctx, ch)
}

// TestDeliveryStepsOverlap: a delivery has TaskSteps steps under way at
// once (the next is sent while Redis runs one), stores every task, and
// after a failed step sends no further one and returns its error.
func TestDeliveryStepsOverlap(t *testing.T) {
	st := memstore.New(memstore.Options{})
	x := st.Activations()
	a := &plan.Activation{ID: "A-1", Status: plan.Active}
	if _, err := x.Apply(bg, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": plan.Active}}}}); err != nil {
		t.Fatal(err)
	}
	tasks := make([]plan.Task, 4*plan.TaskSteps*plan.TaskChunk)
	for i := range tasks {
		u := fmt.Sprintf("u%04d", i)
		tasks[i] = plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, GroupID: "g", UnitID: u, Status: plan.TaskAssigned}
	}
	now := func() time.Time { return at }
	s := &stepping{TaskStore: x, second: make(chan struct{})}
	if err := plan.AddTaskChunks(bg, s, a, tasks[:len(tasks)/2], now); err != nil {
		t.Fatal(err)
	}
	if !s.overlapped || s.applied != 2*plan.TaskSteps {
		t.Errorf("overlapped %v: the second step must be sent while the first is under way (%d steps)", s.overlapped, s.applied)
	}
	for _, tk := range tasks[:len(tasks)/2] {
		if _, err := x.LoadTask(bg, tk.ID); err != nil {
			t.Fatalf("%s: %v", tk.ID, err)
		}
	}
	failing := &stepping{TaskStore: x, failFirst: true, second: make(chan struct{})}
	err := plan.AddTaskChunks(bg, failing, a, tasks[len(tasks)/2:], now)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a delivery with a failed step returned %v", err)
	}
	if failing.applied > plan.TaskSteps {
		t.Errorf("%d steps sent; after the first failed, only those already under way", failing.applied)
	}
}

// panicking panics in every step.
type panicking struct{ plan.TaskStore }

func (panicking) Apply(context.Context, *change.Change) (change.Result, error) { panic("a bug") }

// TestDeliveryStepPanicIsAnError: a step that panics fails the delivery
// (the job is tried again) instead of the server, as a handler's panic does.
func TestDeliveryStepPanicIsAnError(t *testing.T) {
	a := &plan.Activation{ID: "A-1", Status: plan.Active}
	tasks := make([]plan.Task, 3*plan.TaskChunk)
	for i := range tasks {
		u := fmt.Sprintf("u%04d", i)
		tasks[i] = plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, GroupID: "g", UnitID: u, Status: plan.TaskAssigned}
	}
	err := plan.AddTaskChunks(bg, panicking{memstore.New(memstore.Options{}).Activations()}, a, tasks, func() time.Time { return at })
	if err == nil || !strings.Contains(err.Error(), "panicked: a bug") {
		t.Errorf("a delivery whose step panicked returned %v", err)
	}
}

// brokenRoster fails every lookup of the leader on duty.
type brokenRoster struct{}

func (brokenRoster) Approver(context.Context, time.Time) (string, string, error) {
	return "", "", errors.New("redis: connection refused")
}

// TestProposeWhenTheRosterFails: a failing roster lookup still proposes
// the plans, naming no approver.
func TestProposeWhenTheRosterFails(t *testing.T) {
	f := newPlanFloor(t)
	cfg := plan.Options{Location: time.UTC, Plans: []config.Plan{{ID: "fire", Categories: []string{"fire"}, MinLevel: alerts.LevelIII, Approvers: approvers}}}
	svc := plan.NewService(f.st.Activations(), f.st.Incidents(), nil, cfg, func() time.Time { return f.now }, nil, brokenRoster{})
	as, err := svc.Propose(bg, f.incident("fire", alerts.LevelIII))
	if err != nil || len(as) != 1 || as[0].Approver != "" || f.plans() != "fire@III:proposed" {
		t.Fatalf("proposed %+v: %v", as, err)
	}
}

// loadCounter counts the activations read, one by one and by incident.
type loadCounter struct {
	plan.Store
	loads, byIncident int
}

func (c *loadCounter) Load(ctx context.Context, id string) (*plan.Activation, error) {
	c.loads++
	return c.Store.Load(ctx, id)
}

func (c *loadCounter) ByIncident(ctx context.Context, id string) ([]*plan.Activation, error) {
	c.byIncident++
	return c.Store.ByIncident(ctx, id)
}

// TestProposalOfNoPlanReadsNothing: an incident no plan matches (most of
// them, each change of each) is looked at without a read of storage; one
// a plan matches reads its activations.
func TestProposalOfNoPlanReadsNothing(t *testing.T) {
	f := newPlanFloor(t)
	st := &loadCounter{Store: f.st.Activations()}
	cfg := plan.Options{Location: time.UTC, Plans: []config.Plan{{ID: "fire", Categories: []string{"fire"}, MinLevel: alerts.LevelIII, Approvers: approvers}}}
	svc := plan.NewService(st, f.st.Incidents(), nil, cfg, func() time.Time { return f.now }, nil, nil)
	for _, inc := range []*incident.Incident{f.incident("flood", alerts.LevelI), f.incident("fire", alerts.LevelIV)} {
		if as, err := svc.Propose(bg, inc); err != nil || len(as) != 0 || st.byIncident != 0 {
			t.Fatalf("%s at %s: %v %v, %d reads", inc.Category, inc.Level, as, err, st.byIncident)
		}
	}
	if as, err := svc.Propose(bg, f.incident("fire", alerts.LevelIII)); err != nil || len(as) != 1 || st.byIncident != 1 {
		t.Fatalf("a match: %v %v, %d reads", as, err, st.byIncident)
	}
}

// TestDeliveryAtOnceReadsNoActivation: the instance that activates a plan
// delivers its tasks with the activation it just saved; a delivery taken up
// elsewhere (the job read back, nothing local) reads it, and stores nothing
// twice.
func TestDeliveryAtOnceReadsNoActivation(t *testing.T) {
	f := newPlanFloor(t)
	st := &loadCounter{Store: f.st.Activations()}
	var atOnce []job.Job
	cfg := plan.Options{Location: time.UTC, Members: func([]string) []string { return []string{"car-01", "car-02"} },
		Plans: []config.Plan{{ID: "flood", Categories: []string{"flood"}, MinLevel: alerts.LevelIV, Approvers: approvers, AutoActivate: true,
			Groups: []config.Group{{ID: "patrol", Teams: []string{"patrol"}}}}}}
	var svc *plan.Service
	svc = plan.NewService(st, f.st.Incidents(), nil, cfg, func() time.Time { return f.now }, func(ctx context.Context, jobs []job.Job) {
		atOnce = append(atOnce, jobs...)
		for _, j := range jobs {
			if err := svc.Deliver(ctx, j); err != nil {
				t.Error(err)
			}
		}
	}, nil)
	if _, err := svc.Propose(bg, f.incident("flood", alerts.LevelIV)); err != nil {
		t.Fatal(err)
	}
	if len(atOnce) != 1 || st.loads != 0 {
		t.Fatalf("%d jobs run at once, %d activations read", len(atOnce), st.loads)
	}
	for _, u := range []string{"car-01", "car-02"} {
		if seq, _ := f.st.Seq(bg, vocab.UnitStream(u)); seq != 1 {
			t.Errorf("%s was told of %d tasks", u, seq)
		}
	}
	recorded := f.st.Jobs().All()
	if len(recorded) != 1 || recorded[0].Local != nil {
		t.Fatalf("recorded %+v", recorded)
	}
	if err := svc.Deliver(bg, recorded[0]); err != nil || st.loads != 1 {
		t.Fatalf("the job taken up again: %v, %d activations read", err, st.loads)
	}
	// Another activation's value is never taken for the one the job names.
	other := recorded[0]
	other.Local = &plan.Activation{ID: "A-other", Status: plan.Active}
	if err := svc.Deliver(bg, other); err != nil || st.loads != 2 {
		t.Fatalf("a job holding another activation: %v, %d activations read", err, st.loads)
	}
	for _, u := range []string{"car-01", "car-02"} {
		if seq, _ := f.st.Seq(bg, vocab.UnitStream(u)); seq != 1 {
			t.Errorf("after the repeats %s was told of %d tasks", u, seq)
		}
	}
}

// TestTaskAnswerReadsNoActivation: answering a task reads the activation's
// status and the group's total kept beside it, not its document; an
// activation from before they were kept is read whole, and counts right.
func TestTaskAnswerReadsNoActivation(t *testing.T) {
	f := newPlanFloor(t)
	st := &loadCounter{Store: f.st.Activations()}
	svc := plan.NewService(st, f.st.Incidents(), nil, f.opts, func() time.Time { return f.now }, nil, nil)
	as, err := svc.Propose(bg, f.incident("flood", alerts.LevelIV))
	if err != nil || len(as) != 1 || as[0].Status != plan.Active {
		t.Fatalf("proposal %v %v", as, err)
	}
	st.loads = 0
	answer := func(unit string) {
		t.Helper()
		if got, err := svc.TaskAction(bg, vocab.Actor{Username: unit, Role: vocab.Responder}, unit, plan.TaskID(as[0].ID, "patrol", unit), plan.ActDone, ""); err != nil || got.Status != plan.TaskDone {
			t.Fatalf("%s: %+v %v", unit, got, err)
		}
	}
	answer("car-01")
	if st.loads != 0 {
		t.Fatalf("%d activations read for an answer", st.loads)
	}
	// Activated before the totals were kept beside it.
	if _, err := f.st.Apply(bg, &change.Change{At: f.now, Fields: []change.Field{{Kind: change.KindProgress, ID: as[0].ID, Field: "patrol:total", Value: ""}}}); err != nil {
		t.Fatal(err)
	}
	answer("car-02")
	if a, _ := svc.Load(bg, as[0].ID); st.loads != 2 || a.Groups[0].Progress != (plan.Progress{Total: 2, Acknowledged: 2, Done: 2}) {
		t.Fatalf("%d activations read; progress %+v", st.loads, a.Groups[0].Progress)
	}
}

// changingIncidents changes the incident, once, right after the approval
// read it: to status (closed, or a note's change that keeps it open).
type changingIncidents struct {
	plan.Incidents
	st     *memstore.Store
	status string
	done   bool
}

func (c *changingIncidents) Load(ctx context.Context, id string) (*incident.Incident, error) {
	inc, err := c.Incidents.Load(ctx, id)
	if err != nil || c.done {
		return inc, err
	}
	c.done = true
	next := *inc
	next.Status, next.Version = c.status, inc.Version+1
	_, err = c.st.Apply(ctx, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindIncident, ID: id, Value: &next, Prev: inc,
		Fields: map[string]string{"ver": strconv.FormatInt(next.Version, 10)}}}})
	return inc, err
}

// TestApprovalRacingTheIncident: an incident closed between the approval's
// read and its write is seen (the write is guarded by the incident's
// version): the approval is refused and no one is sent; an incident that
// changed otherwise meanwhile is read again and the approval goes ahead.
func TestApprovalRacingTheIncident(t *testing.T) {
	for _, c := range []struct {
		status, want string
	}{{incident.StatusClosed, "is closed: plan"}, {incident.StatusResponding, ""}} {
		t.Run(c.status, func(t *testing.T) {
			f := newPlanFloor(t)
			as, err := f.svc.Propose(bg, f.incident("fire", alerts.LevelIII))
			if err != nil || len(as) == 0 {
				t.Fatalf("proposal %v %v", as, err)
			}
			svc := plan.NewService(f.st.Activations(), &changingIncidents{Incidents: f.st.Incidents(), st: f.st, status: c.status}, nil, f.opts,
				func() time.Time { return f.now }, nil, nil)
			a, err := svc.Approve(bg, deputy, as[0].ID, "go")
			var cf *fault.Conflict
			switch {
			case c.want != "" && (!errors.As(err, &cf) || !strings.Contains(cf.Detail, c.want)):
				t.Fatalf("approving as the incident closed: %+v %v", a, err)
			case c.want == "" && (err != nil || a.Status != plan.Active):
				t.Fatalf("approving as the incident changed: %+v %v", a, err)
			}
			got, _ := f.st.Activations().Load(bg, as[0].ID)
			if want := map[bool]string{true: plan.Proposed, false: plan.Active}[c.want != ""]; got.Status != want {
				t.Fatalf("the proposal is %s, want %s", got.Status, want)
			}
		})
	}
}

// TestStartByHandRacingTheIncident: a plan started by hand for an incident
// closed between the start's read and its write is refused as for a closed
// incident, and nothing is started; another change meanwhile is read again
// and the plan starts.
func TestStartByHandRacingTheIncident(t *testing.T) {
	for _, c := range []struct {
		status string
		closed bool
	}{{incident.StatusClosed, true}, {incident.StatusResponding, false}} {
		t.Run(c.status, func(t *testing.T) {
			f := newPlanFloor(t)
			inc := f.incident("traffic", alerts.LevelIII)
			svc := plan.NewService(f.st.Activations(), &changingIncidents{Incidents: f.st.Incidents(), st: f.st, status: c.status}, nil, f.opts,
				func() time.Time { return f.now }, nil, nil)
			a, err := svc.StartByHand(bg, leader, plan.Start{PlanID: "general", IncidentID: inc.ID, Level: "II", Reason: "现场扩大"})
			if c.closed {
				var bad *fault.Invalid
				if !errors.As(err, &bad) || !strings.Contains(bad.Error(), "is closed") {
					t.Fatalf("starting as the incident closed: %+v %v", a, err)
				}
				if as, _ := f.st.Activations().ByIncident(bg, inc.ID); len(as) != 0 {
					t.Fatalf("started anyway: %+v", as)
				}
				return
			}
			if err != nil || a.Status != plan.Active {
				t.Fatalf("starting as the incident changed: %+v %v", a, err)
			}
		})
	}
}

// once runs then the first time fire is called.
type once struct {
	then func()
	done bool
}

func (o *once) fire() {
	if !o.done {
		o.done = true
		o.then()
	}
}

// afterRead runs then once, right after the first incident read.
type afterRead struct {
	plan.Incidents
	once
}

func (r *afterRead) Load(ctx context.Context, id string) (*incident.Incident, error) {
	inc, err := r.Incidents.Load(ctx, id)
	if err == nil {
		r.fire()
	}
	return inc, err
}

// TestStartByHandRetryFindsItsKey: the same request (its Idempotency-Key)
// sent twice, the second starting the plan after the first looked its key
// up (and changing the incident): the first answers that start instead of
// refusing the plan as already active.
func TestStartByHandRetryFindsItsKey(t *testing.T) {
	f := newPlanFloor(t)
	inc := f.incident("traffic", alerts.LevelIII)
	st := plan.Start{PlanID: "general", IncidentID: inc.ID, Level: "II", Reason: "现场扩大"}
	idem := &vocab.Idempotency{Key: "lead:activations:k1", Fingerprint: "fp", TTL: time.Hour}
	var first *plan.Activation
	race := &afterRead{Incidents: f.st.Incidents(), once: once{then: func() {
		next := *inc
		next.Version = inc.Version + 1
		if _, err := f.st.Apply(bg, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: &next, Prev: inc,
			Fields: map[string]string{"ver": strconv.FormatInt(next.Version, 10)}}}}); err != nil {
			t.Fatal(err)
		}
		var err error
		if first, _, err = f.svc.StartByHandOnce(bg, leader, st, idem); err != nil {
			t.Fatal(err)
		}
	}}}
	svc := plan.NewService(f.st.Activations(), race, nil, f.opts, func() time.Time { return f.now }, nil, nil)
	a, replayed, err := svc.StartByHandOnce(bg, leader, st, idem)
	if err != nil || !replayed || first == nil || a.ID != first.ID {
		t.Fatalf("the retry: %+v replayed %v, %v; the other start %+v", a, replayed, err, first)
	}
}

// closeIncident stores inc closed, one version on, and returns it.
func (f *planFloor) closeIncident(inc *incident.Incident) *incident.Incident {
	return f.moveIncident(inc, incident.StatusClosed)
}

// moveIncident stores inc with status, one version on, and returns it.
func (f *planFloor) moveIncident(inc *incident.Incident, status string) *incident.Incident {
	f.t.Helper()
	next := *inc
	next.Status, next.Version = status, inc.Version+1
	if _, err := f.st.Apply(bg, &change.Change{At: f.now, Docs: []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: &next, Prev: inc,
		Fields: map[string]string{"ver": strconv.FormatInt(next.Version, 10)}}}}); err != nil {
		f.t.Fatal(err)
	}
	return &next
}

// TestWithdrawAtTheClose: the plans still proposed for a closed incident
// are rejected by the system in one step, each with a plan.rejected entry
// saying it was withdrawn; an active plan is left to its leader; a second
// run withdraws nothing more, and an incident not closed keeps its
// proposals.
func TestWithdrawAtTheClose(t *testing.T) {
	f := newPlanFloor(t)
	inc := f.incident("fire", alerts.LevelII)
	as, err := f.svc.Propose(bg, inc)
	if err != nil || len(as) != 2 {
		t.Fatalf("proposals %v %v", as, err)
	}
	if _, err := f.svc.Approve(bg, leader, as[0].ID, "go"); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Withdraw(bg, inc); err != nil || len(got) != 0 {
		t.Fatalf("withdrawn from an open incident: %v %v", got, err)
	}
	closed := f.closeIncident(inc)
	got, err := f.svc.Withdraw(bg, closed)
	if err != nil || len(got) != 1 || got[0].ID != as[1].ID {
		t.Fatalf("withdrawn %v %v, want %s", got, err, as[1].ID)
	}
	a, _ := f.st.Activations().Load(bg, as[1].ID)
	if a.Status != plan.Rejected || !a.Withdrawn || a.DecidedBy != "system" || a.DecidedAs != vocab.System || a.Reason != plan.WithdrawnReason || a.DecidedAt == nil {
		t.Fatalf("the withdrawn proposal: %+v", a)
	}
	if f.plans() != "general@II:active,fire@II:rejected" {
		t.Fatalf("plans %s", f.plans())
	}
	timeline, _ := f.st.Incidents().Timeline(bg, "INC-1")
	n := 0
	for _, e := range timeline {
		if e.Type == "plan.rejected" && e.By == "system" && e.Detail["withdrawn"] == true && e.Detail["activation_id"] == as[1].ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d withdrawal entries in %+v", n, timeline)
	}
	if again, err := f.svc.Withdraw(bg, closed); err != nil || len(again) != 0 {
		t.Fatalf("withdrawn again: %v %v", again, err)
	}
}

// proposedThenClosed proposes the fire plan for a level III fire, closes
// the fire, and returns the proposal's id and the incident closed.
func (f *planFloor) proposedThenClosed() (string, *incident.Incident) {
	f.t.Helper()
	inc := f.incident("fire", alerts.LevelIII)
	as, err := f.svc.Propose(bg, inc)
	if err != nil || len(as) != 1 {
		f.t.Fatalf("proposals %v %v", as, err)
	}
	return as[0].ID, f.closeIncident(inc)
}

// TestWithdrawRacing: a leader's decision on the proposal between the
// withdrawal's read and its write stands (the withdrawal looks again and
// finds nothing proposed); an incident reopened meanwhile keeps its
// proposals (the write is guarded by the closed incident's version).
func TestWithdrawRacing(t *testing.T) {
	t.Run("decided", func(t *testing.T) {
		f := newPlanFloor(t)
		proposal, closed := f.proposedThenClosed()
		racing := &racingActivations{Store: f.st.Activations(), once: once{then: func() {
			if _, err := f.svc.Reject(bg, deputy, proposal, "不需要"); err != nil {
				t.Fatal(err)
			}
		}}}
		svc := plan.NewService(racing, f.st.Incidents(), nil, f.opts, func() time.Time { return f.now }, nil, nil)
		if got, err := svc.Withdraw(bg, closed); err != nil || len(got) != 0 {
			t.Fatalf("withdrawn %v %v", got, err)
		}
		if a, _ := f.st.Activations().Load(bg, proposal); a.Withdrawn || a.DecidedBy != "dep" || a.Reason != "不需要" {
			t.Fatalf("the leader's rejection was overwritten: %+v", a)
		}
	})
	t.Run("reopened", func(t *testing.T) {
		f := newPlanFloor(t)
		proposal, closed := f.proposedThenClosed()
		f.moveIncident(closed, incident.StatusResponding) // reopened
		if got, err := f.svc.Withdraw(bg, closed); err != nil || len(got) != 0 {
			t.Fatalf("withdrawn from a reopened incident: %v %v", got, err)
		}
		if a, _ := f.st.Activations().Load(bg, proposal); a.Status != plan.Proposed {
			t.Fatalf("the proposal of a reopened incident is %s", a.Status)
		}
	})
}

// racingActivations runs then once, right after the first read of an
// incident's activations.
type racingActivations struct {
	plan.Store
	once
}

func (r *racingActivations) ByIncident(ctx context.Context, id string) ([]*plan.Activation, error) {
	as, err := r.Store.ByIncident(ctx, id)
	if err == nil {
		r.fire()
	}
	return as, err
}

// TestProposeRacingTheClose: an incident closed between the proposal's
// read and its write gets no proposal (the write is guarded by the
// incident's version, and the incident read again is closed), so none
// escapes the close's withdrawal; an incident that changed otherwise is
// read again and gets its proposals.
func TestProposeRacingTheClose(t *testing.T) {
	for _, c := range []struct {
		status string
		want   int
	}{{incident.StatusClosed, 0}, {incident.StatusResponding, 1}} {
		t.Run(c.status, func(t *testing.T) {
			f := newPlanFloor(t)
			inc := f.incident("fire", alerts.LevelIII)
			racing := &racingActivations{Store: f.st.Activations(), once: once{then: func() { f.moveIncident(inc, c.status) }}}
			svc := plan.NewService(racing, f.st.Incidents(), nil, f.opts, func() time.Time { return f.now }, nil, nil)
			got, err := svc.Propose(bg, inc)
			if err != nil || len(got) != c.want {
				t.Fatalf("proposed %v %v, want %d", got, err, c.want)
			}
			if as, _ := f.st.Activations().ByIncident(bg, inc.ID); len(as) != c.want {
				t.Fatalf("stored %d activations, want %d", len(as), c.want)
			}
		})
	}
}
