package gridcase_test

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/gridcase"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// cases keeps cases in a map and records the changes applied; conflicts
// is how many Apply calls fail, each after another writer moved the case
// to the next version.
type cases struct {
	docs      map[string]*gridcase.Case
	conflicts int
	applied   []*change.Change
}

func (s *cases) NextID(context.Context, string) (int64, error) { return 1, nil }
func (s *cases) Load(_ context.Context, id string) (*gridcase.Case, error) {
	c, ok := s.docs[id]
	if !ok {
		return nil, fault.ErrNotFound
	}
	v := *c
	return &v, nil
}
func (s *cases) Timeline(context.Context, string) ([]gridcase.Entry, error) { return nil, nil }
func (s *cases) Timelines(context.Context, []string) (map[string][]gridcase.Entry, error) {
	return nil, nil
}
func (s *cases) List(context.Context, gridcase.Query) ([]*gridcase.Case, error) { return nil, nil }
func (s *cases) Created(context.Context, time.Time, time.Time, int) ([]*gridcase.Case, error) {
	return nil, nil
}
func (s *cases) Replayed(context.Context, string) (string, error) { return "", nil }
func (s *cases) Apply(_ context.Context, c *change.Change) (change.Result, error) {
	v := c.Docs[0].Value.(*gridcase.Case)
	if s.conflicts > 0 {
		s.conflicts--
		s.docs[v.ID].Version++
		return change.Result{}, fault.ErrConflict
	}
	s.applied = append(s.applied, c)
	s.docs[v.ID] = v
	return change.Result{}, nil
}

func newCases(t *testing.T) (*gridcase.Service, *cases) {
	t.Helper()
	cfg := gridcase.Options{Location: time.UTC, CaseKinds: []config.CaseKind{{ID: "litter", FirstLevel: "grid",
		Limits: map[string]time.Duration{"accept": time.Hour, "dispatch": 2 * time.Hour}}}}
	st := &cases{docs: map[string]*gridcase.Case{"C-1": {ID: "C-1", Kind: "litter", Status: gridcase.Collected, Version: 1}}}
	return gridcase.NewService(st, cfg, nil, func(string) bool { return false }, func() time.Time { return at }), st
}

// An action that loses the race to another writer reads the case again
// and applies on top of the new version; the step's time limit moves on.
func TestActRetriesOnTheNewVersion(t *testing.T) {
	svc, st := newCases(t)
	st.conflicts = 1
	c, err := svc.Act(context.Background(), gridcase.Actor{Username: "op", Role: vocab.Operator}, "C-1", &gridcase.Action{Action: "accept"}, nil)
	if err != nil || c.Status != gridcase.Accepted || c.Version != 3 {
		t.Fatalf("act: %+v %v", c, err)
	}
	ch := st.applied[0]
	if len(st.applied) != 1 || ch.Guards[0].Allowed[0] != "2" || ch.Events[0].Type != vocab.CaseUpdated {
		t.Fatalf("applied %+v", st.applied)
	}
	var added, cancelled string
	for _, tm := range ch.Timers {
		if tm.Cancel {
			cancelled = tm.Member
		} else {
			added = tm.Member
		}
	}
	if added != "case|C-1/accepted" || cancelled != "case|C-1/collected" {
		t.Fatalf("timers %+v", ch.Timers)
	}
}

// A case past its step's limit is marked overdue with its alarm, once.
func TestOverdueRaisesItsAlarm(t *testing.T) {
	svc, st := newCases(t)
	past := at.Add(-time.Minute)
	st.docs["C-1"].DueAt = &past
	if done, err := svc.Overdue(context.Background(), "C-1/collected", at); !done || err != nil {
		t.Fatalf("overdue: %v %v", done, err)
	}
	if len(st.applied) != 1 || !st.docs["C-1"].Overdue || st.applied[0].Events[len(st.applied[0].Events)-1].Type != vocab.AlarmRaised {
		t.Fatalf("applied %+v", st.applied)
	}
	if done, err := svc.Overdue(context.Background(), "C-1/accepted", at); !done || err != nil || len(st.applied) != 1 {
		t.Fatalf("a moved-on case: %v %v, %d applied", done, err, len(st.applied))
	}
}
