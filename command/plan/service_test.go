package plan_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

// tasks keeps one active activation and its tasks in maps. conflicts is
// how many Apply calls fail with a conflict before one succeeds; with
// stolen, each failed one stores the first task it carries (another
// delivery, or another of the unit's phones, stored it first).
type tasks struct {
	act       *plan.Activation
	docs      map[string]*plan.Task
	conflicts int
	stolen    bool
	applied   []*change.Change
}

func (s *tasks) NextID(context.Context, string) (int64, error)    { return 1, nil }
func (s *tasks) Replayed(context.Context, string) (string, error) { return "", nil }
func (s *tasks) Load(context.Context, string) (*plan.Activation, error) {
	a := *s.act
	return &a, nil
}
func (s *tasks) ByIncident(context.Context, string) ([]*plan.Activation, error) { return nil, nil }
func (s *tasks) ByWarning(context.Context, string) ([]*plan.Activation, error)  { return nil, nil }
func (s *tasks) List(context.Context, string) ([]*plan.Activation, error)       { return nil, nil }
func (s *tasks) UnitTasks(context.Context, string) ([]*plan.Task, error)        { return nil, nil }
func (s *tasks) Latest(context.Context, string, int) ([]*plan.Activation, int, error) {
	return nil, 0, nil
}
func (s *tasks) Standing(context.Context, string, string) (string, int, error) {
	return s.act.Status, s.act.Groups[0].Progress.Total, nil
}
func (s *tasks) LoadTask(_ context.Context, id string) (*plan.Task, error) {
	t, ok := s.docs[id]
	if !ok {
		return nil, fault.ErrNotFound
	}
	c := *t
	return &c, nil
}
func (s *tasks) TasksExist(_ context.Context, ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		_, out[i] = s.docs[id]
	}
	return out, nil
}
func (s *tasks) Apply(_ context.Context, c *change.Change) (change.Result, error) {
	if s.conflicts > 0 {
		s.conflicts--
		if t, ok := taskOf(c.Docs[0]); ok && s.stolen {
			s.docs[t.ID] = t
		}
		return change.Result{}, &fault.Conflict{Detail: c.Guards[0].Why}
	}
	for _, g := range c.Guards { // a new task's guard: not stored yet
		if _, ok := s.docs[g.ID]; ok && g.Kind == change.KindTask && slices.Equal(g.Allowed, []string{""}) {
			return change.Result{}, &fault.Conflict{Detail: g.Why}
		}
	}
	s.applied = append(s.applied, c)
	for _, d := range c.Docs {
		if t, ok := taskOf(d); ok {
			s.docs[t.ID] = t
		}
	}
	return change.Result{}, nil
}

// taskOf is the task a document stores, as a store reads it back from its
// JSON (a delivery's tasks come with their group's part shared).
func taskOf(d change.Doc) (*plan.Task, bool) {
	if d.Kind != change.KindTask {
		return nil, false
	}
	b, err := json.Marshal(d.Value)
	var t plan.Task
	if err != nil || json.Unmarshal(b, &t) != nil {
		return nil, false
	}
	return &t, true
}

func newTasks() *tasks {
	return &tasks{act: &plan.Activation{ID: "A-1", Status: plan.Active, Groups: []plan.Group{{ID: "g", Progress: plan.Progress{Total: 3}}}},
		docs: map[string]*plan.Task{}}
}

// A delivery racing another stores, on its next try, only the tasks the
// other did not: each task is announced once.
func TestAddTasksSkipsWhatAnotherStored(t *testing.T) {
	st := newTasks()
	st.conflicts, st.stolen = 1, true
	var ts []plan.Task
	for _, u := range []string{"u1", "u2", "u3"} {
		ts = append(ts, plan.Task{ID: plan.TaskID("A-1", "g", u), ActivationID: "A-1", GroupID: "g", UnitID: u, Status: plan.TaskAssigned})
	}
	if err := plan.AddTasks(context.Background(), st, st.act, ts, at); err != nil {
		t.Fatal(err)
	}
	if len(st.applied) != 1 || len(st.applied[0].Docs) != 2 || len(st.applied[0].Events) != 2 {
		t.Fatalf("applied %d changes", len(st.applied))
	}
	if err := plan.AddTasks(context.Background(), st, st.act, ts, at); err != nil || len(st.applied) != 1 {
		t.Fatalf("a repeat: %v, %d changes", err, len(st.applied))
	}
}

// An answer that loses the race for its task (another of the unit's
// phones answered first) looks again: it finds the task answered and
// records nothing more.
func TestTaskActionLooksAgainAfterAConflict(t *testing.T) {
	st := newTasks()
	id := plan.TaskID("A-1", "g", "u1")
	st.docs[id] = &plan.Task{ID: id, ActivationID: "A-1", GroupID: "g", UnitID: "u1", Status: plan.TaskAssigned, Incident: &incident.Brief{ID: "INC-1"}}
	svc := plan.NewService(st, nil, nil, plan.Options{}, func() time.Time { return at }, nil, nil)
	st.conflicts, st.stolen = 1, true
	got, err := svc.TaskAction(context.Background(), vocab.Actor{Username: "u1", Role: vocab.Responder}, "u1", id, plan.ActAcknowledge, "")
	if err != nil || got.Status != plan.TaskAcknowledged {
		t.Fatalf("ack: %+v %v", got, err)
	}
	if len(st.applied) != 0 {
		t.Fatalf("applied %d changes: %+v", len(st.applied), st.applied)
	}
	// Not answered meanwhile: the next try records it.
	st.docs[id].Status = plan.TaskAssigned
	st.conflicts, st.stolen = 1, false
	if got, err := svc.TaskAction(context.Background(), vocab.Actor{Username: "u1", Role: vocab.Responder}, "u1", id, plan.ActDone, "ok"); err != nil ||
		got.Status != plan.TaskDone || len(st.applied) != 1 || st.applied[0].Guards[0].Allowed[0] != plan.TaskAssigned {
		t.Fatalf("done: %+v %v, applied %d", got, err, len(st.applied))
	}
}
