package gridcase_test

import (
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

var at = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// A new case is guarded to be new and stored once per idempotency key; its
// event carries the case masked, limited to its area, with no Prev.
func TestNewCaseChange(t *testing.T) {
	c := &gridcase.Case{ID: "C-1", Kind: "k", Status: gridcase.Collected, Area: "g1", Version: 1, CreatedAt: at, UpdatedAt: at,
		Reporter: &incident.Reporter{Name: "张三", Phone: "13800138000"}}
	w := &gridcase.Write{Case: c, Event: vocab.CaseCreated, Idem: &vocab.Idempotency{Key: "u:cases:k1", Fingerprint: "fp", TTL: time.Hour},
		AddTimers: map[string]time.Time{"C-1/collected": at.Add(time.Hour)},
		Entries:   []gridcase.Entry{{At: at, Action: "collect", By: "op", Role: vocab.Operator, Status: gridcase.Collected}}}
	ch := w.Change()
	if len(ch.Guards) != 1 || ch.Guards[0].Field != "ver" || ch.Guards[0].Allowed[0] != "" || ch.Docs[0].Fields["ver"] != "1" {
		t.Fatalf("guards %+v docs %+v", ch.Guards, ch.Docs)
	}
	if ch.Idem == nil || ch.Idem.Key != "u:cases:k1" || ch.Idem.Value != "C-1|fp" {
		t.Fatalf("idem %+v", ch.Idem)
	}
	if len(ch.Events) != 1 || ch.Events[0].Stream != vocab.ScreenStream || ch.Events[0].Area != "g1" || ch.Events[0].Prev != nil {
		t.Fatalf("events %+v", ch.Events)
	}
	m := ch.Events[0].Data.(*gridcase.Case)
	if m.Reporter.Name == "张三" || c.Reporter.Name != "张三" || ch.Docs[0].Value != c {
		t.Fatalf("masked %+v, stored %+v", m.Reporter, c.Reporter)
	}
	if len(ch.Audit) != 1 || ch.Audit[0].Action != "case.collect" || ch.Audit[0].Object != "C-1" || ch.Appends[0].Kind != change.KindCaseTimeline {
		t.Fatalf("audit %+v appends %+v", ch.Audit, ch.Appends)
	}
	if len(ch.Timers) != 1 || ch.Timers[0].Member != "case|C-1/collected" {
		t.Fatalf("timers %+v", ch.Timers)
	}
}

// A case dispatched to a unit also goes to the unit's stream; a change is
// guarded by the version read and carries the case before (Prev) for the
// counters; an overdue alarm is raised with it.
func TestCaseStepChange(t *testing.T) {
	prev := &gridcase.Case{ID: "C-1", Status: gridcase.Accepted, Area: "g1", Version: 3}
	c := *prev
	c.Status, c.Version = gridcase.Dispatched, 4
	a := &alarm.Alarm{ID: "a-1", Kind: "case.overdue", Area: "g1", RaisedAt: at}
	ch := (&gridcase.Write{Case: &c, Prev: prev, Event: vocab.CaseUpdated, AssignedUnit: "grid-01", Alarm: a, DelTimers: []string{"C-1/accepted"}}).Change()
	if ch.Guards[0].Allowed[0] != "3" || ch.Docs[0].Prev != prev {
		t.Fatalf("guards %+v", ch.Guards)
	}
	if len(ch.Events) != 3 || ch.Events[1].Type != vocab.CaseAssigned || ch.Events[1].Stream != "unit:grid-01" || !ch.Events[1].Notify ||
		ch.Events[0].Prev != prev || ch.Events[2].Type != vocab.AlarmRaised {
		t.Fatalf("events %+v", ch.Events)
	}
	if len(ch.Timers) != 1 || !ch.Timers[0].Cancel {
		t.Fatalf("timers %+v", ch.Timers)
	}
}
