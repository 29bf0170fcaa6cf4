package incident

import (
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/vocab"
)

// TestWriteChange holds what an incident change carries: the version
// guard, the document with what it replaces, timeline entries (with a
// raised alarm's) and their audit records, the events and their streams
// (deadline events to the leaders too), the alarm and the timers.
func TestWriteChange(t *testing.T) {
	now := time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC)
	prev := &Incident{ID: "INC-1", Status: StatusOpen, Level: alerts.LevelIII, Version: 3}
	next := &Incident{ID: "INC-1", Status: StatusOpen, Level: alerts.LevelIII, Version: 4, UpdatedAt: now}
	a := &alarm.Alarm{ID: "deadline.overdue:INC-1:first", Kind: alarm.DeadlineOverdue, IncidentID: "INC-1", RaisedAt: now}
	w := &Write{Incident: next, Prev: prev, Event: vocab.IncidentUpdated, Alarm: a,
		Entries:   []Entry{{At: now, Type: "deadline.overdue", By: "system", Role: vocab.System}},
		Extra:     []Extra{{Type: "deadline.overdue", Data: DeadlineEvent{IncidentID: "INC-1"}}},
		DelTimers: []string{"deadline.due:INC-1/first"},
		Idem:      &vocab.Idempotency{Key: "k", Fingerprint: "fp", TTL: time.Hour}}
	c := w.change()

	if len(c.Guards) != 1 || c.Guards[0].Kind != change.KindIncident || c.Guards[0].Allowed[0] != "3" || c.Guards[0].Why != "incident INC-1 changed meanwhile" {
		t.Errorf("guards = %+v, want version 3 of INC-1", c.Guards)
	}
	if c.Idem == nil || c.Idem.Value != "INC-1|fp" {
		t.Errorf("idem = %+v, want the incident id and fingerprint", c.Idem)
	}
	if d := c.Docs[0]; d.Kind != change.KindIncident || d.Value != next || d.Prev != prev || d.Fields["ver"] != "4" {
		t.Errorf("doc = %+v, want INC-1 at version 4 over its previous", d)
	}
	if len(c.Docs) != 2 || c.Docs[1].Kind != change.KindAlarm {
		t.Errorf("docs = %+v, want the incident and the alarm", c.Docs)
	}
	if len(c.Appends) != 1 || len(c.Appends[0].Entries) != 2 || c.Appends[0].Entries[1].(Entry).Type != "alarm.raised" {
		t.Errorf("appends = %+v, want the entry and the alarm's", c.Appends)
	}
	if len(c.Audit) != 2 || c.Audit[0].Action != "deadline.overdue" || c.Audit[1].Action != "alarm.raised" {
		t.Errorf("audit = %+v, want one record per entry", c.Audit)
	}
	var got []string
	for _, ev := range c.Events {
		got = append(got, ev.Type+"@"+ev.Stream)
	}
	want := []string{"incident.updated@screen", "deadline.overdue@screen", "deadline.overdue@leader", "alarm.raised@screen"}
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %s, want %s", i, got[i], want[i])
		}
	}
	if s, ok := c.Events[0].Data.(*Summary); !ok || !s.Summary || c.Events[0].Prev != prev {
		t.Errorf("incident event = %+v, want the summary with the previous incident", c.Events[0])
	}
	if len(c.Timers) != 1 || !c.Timers[0].Cancel {
		t.Errorf("timers = %+v, want the due timer cancelled", c.Timers)
	}
}

// TestStatusChangeReachesTheLeaders: a change of status (closed, reopened)
// goes to the leader stream too, as incident.status (a note the day's
// counts take no step of); any other change does not.
func TestStatusChangeReachesTheLeaders(t *testing.T) {
	now := time.Date(2026, 12, 4, 1, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name       string
		from, to   string
		wantLeader bool
	}{
		{"closed", StatusRecovery, StatusClosed, true},
		{"reopened", StatusClosed, StatusOpen, true},
		{"responding", StatusOpen, StatusResponding, true},
		{"same status", StatusOpen, StatusOpen, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev := &Incident{ID: "INC-1", Status: c.from, Version: 3}
			next := &Incident{ID: "INC-1", Status: c.to, Version: 4, UpdatedAt: now}
			ch := (&Write{Incident: next, Prev: prev, Event: vocab.IncidentUpdated}).change()
			var leader []vocab.Event
			for _, ev := range ch.Events {
				if ev.Stream == vocab.LeaderStream {
					leader = append(leader, ev)
				}
			}
			if got := len(leader) == 1; got != c.wantLeader {
				t.Fatalf("leader events %+v, want one: %v", leader, c.wantLeader)
			}
			if c.wantLeader {
				if s, ok := leader[0].Data.(*StatusNote); !ok || s.Status != c.to || s.ID != "INC-1" || s.Version != 4 || leader[0].Type != vocab.IncidentStatus || leader[0].Prev != nil {
					t.Errorf("the leaders' event %+v", leader[0])
				}
			}
		})
	}
	// A new incident (no previous) is the screens' only.
	ch := (&Write{Incident: &Incident{ID: "INC-2", Status: StatusOpen}, Event: vocab.IncidentCreated}).change()
	if len(ch.Events) != 1 || ch.Events[0].Stream != vocab.ScreenStream {
		t.Errorf("a new incident's events %+v", ch.Events)
	}
}

// TestFollowUpOfAClose: a close records incident.closed, keyed by the
// incident and its version (a second close after a reopening has its own);
// a rise records incident.changed; nothing else records either.
func TestFollowUpOfAClose(t *testing.T) {
	for _, c := range []struct {
		name     string
		from, to string
		level    alerts.Level
		want     []string
	}{
		{"closed", StatusRecovery, StatusClosed, alerts.LevelIII, []string{"incident.closed INC-1@closed@4"}},
		{"closed and raised", StatusOpen, StatusClosed, alerts.LevelII, []string{"incident.changed INC-1@II", "incident.closed INC-1@closed@4"}},
		{"reopened", StatusClosed, StatusOpen, alerts.LevelIII, nil},
		{"still closed", StatusClosed, StatusClosed, alerts.LevelIII, nil},
		{"moved on", StatusOpen, StatusResponding, alerts.LevelIII, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			prev := &Incident{ID: "INC-1", Status: c.from, Level: alerts.LevelIII, Version: 3}
			w := &Write{Incident: &Incident{ID: "INC-1", Status: c.to, Level: c.level, Version: 4}, Prev: prev}
			w.follow(prev)
			var got []string
			for _, j := range w.Jobs {
				got = append(got, j.Kind+" "+j.Key)
				if h, ok := j.Local.(*Held); !ok || h.Incident != w.Incident {
					t.Errorf("job %s does not hold the incident saved", j.Kind)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("jobs %v, want %v", got, c.want)
			}
		})
	}
}
