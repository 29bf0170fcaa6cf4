package plan_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

var at = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func streams(c *change.Change) []string {
	out := make([]string, len(c.Events))
	for i, ev := range c.Events {
		out[i] = ev.Type + "@" + ev.Stream
	}
	return out
}

// A proposal takes its plan's one slot per incident and level; a decision
// is guarded by the status it was taken from; both go to the screens and
// the leaders, and the superseded one leaves its status's set (Prev).
func TestActivationChange(t *testing.T) {
	old := &plan.Activation{ID: "A-1", PlanID: "p", IncidentID: "INC-1", Level: alerts.LevelIII, Status: plan.Proposed}
	rejected := *old
	rejected.Status = plan.Rejected
	a := &plan.Activation{ID: "A-2", PlanID: "p", IncidentID: "INC-1", Level: alerts.LevelII, Status: plan.Proposed}
	w := &plan.Write{At: at, Changes: []plan.Change{{A: &rejected, Prev: old, Event: vocab.ActivationRejected}, {A: a, Event: vocab.ActivationProposed}},
		Entries: []incident.Entry{{At: at, Type: "plan.proposed", Detail: map[string]any{"activation_id": "A-2"}}}}
	c := w.Change()
	whys := []string{"activation A-1 changed meanwhile", "activation A-2 changed meanwhile", "plan p was already proposed for incident INC-1 at level II"}
	for i, g := range c.Guards {
		if g.Why != whys[i] {
			t.Errorf("guard %d: %q, want %q", i, g.Why, whys[i])
		}
	}
	if c.Guards[0].Allowed[0] != plan.Proposed || c.Guards[2].Kind != change.KindProposed || c.Guards[2].Field != "p@II" {
		t.Fatalf("guards %+v", c.Guards)
	}
	want := []string{"activation.rejected@screen", "activation.rejected@leader", "activation.proposed@screen", "activation.proposed@leader"}
	if got := streams(c); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if c.Docs[0].Prev != old || c.Docs[1].Prev != nil || len(c.Fields) != 1 || c.Fields[0].Value != "A-2" {
		t.Fatalf("docs %+v fields %+v", c.Docs, c.Fields)
	}
	if len(c.Appends) != 1 || c.Appends[0].ID != "INC-1" || len(c.Audit) != 1 || c.Audit[0].Object != "A-2" {
		t.Fatalf("timeline %+v audit %+v", c.Appends, c.Audit)
	}
}

// A task's answer is guarded by its status alone, moves the group's
// counts in the same step, goes to the unit, the screens and the leaders
// with the counts after it, and is audited but kept off the incident's
// timeline.
func TestTaskChange(t *testing.T) {
	for _, tc := range []struct {
		name      string
		from, to  string
		ack, done int64
		event     string
	}{
		{"acknowledged", plan.TaskAssigned, plan.TaskAcknowledged, 1, 0, vocab.TaskAcknowledged},
		{"done after acknowledged", plan.TaskAcknowledged, plan.TaskDone, 0, 1, vocab.TaskDone},
		{"done at once", plan.TaskAssigned, plan.TaskDone, 1, 1, vocab.TaskDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := &plan.Task{ID: "A-1.g.u1", ActivationID: "A-1", GroupID: "g", UnitID: "u1", Status: tc.from, Incident: &incident.Brief{ID: "INC-1"}}
			task := *prev
			task.Status = tc.to
			w := &plan.TaskWrite{Task: &task, Prev: prev, Total: 3, Event: tc.event, At: at,
				Entry: incident.Entry{At: at, Type: tc.event, Detail: map[string]any{"activation_id": "A-1"}}}
			c, err := w.Change()
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Guards) != 2 || c.Guards[0].Allowed[0] != tc.from || c.Guards[0].Why != "task A-1.g.u1 changed meanwhile" ||
				c.Guards[1].Kind != change.KindActivation || c.Guards[1].ID != "A-1" || !slices.Equal(c.Guards[1].Allowed, []string{plan.Active}) {
				t.Fatalf("guards %+v", c.Guards)
			}
			want := []string{tc.event + "@unit:u1", tc.event + "@screen", tc.event + "@leader"}
			if got := streams(c); !slices.Equal(got, want) || !c.Events[0].Notify {
				t.Fatalf("events %v, want %v", got, want)
			}
			if len(c.Fields) != 0 || len(c.Counts) != 3 || c.Counts[0] != (change.Count{Kind: change.KindProgress, ID: "A-1", Field: "g:ack", By: tc.ack}) ||
				c.Counts[1] != (change.Count{Kind: change.KindProgress, ID: "A-1", Field: "g:done", By: tc.done}) ||
				c.Counts[2] != (change.Count{Kind: change.KindProgress, ID: "A-1", Field: "g:v", By: 1}) {
				t.Fatalf("fields %+v counts %+v", c.Fields, c.Counts)
			}
			// The store fills the counts in as they stand after the change.
			d, ok := c.Events[0].Data.(change.Counted)
			if !ok || d.Check(len(c.Counts)) != nil {
				t.Fatalf("event data %T", c.Events[0].Data)
			}
			var ev plan.TaskEvent
			if err := json.Unmarshal(d.Fill([]int64{2, 1, 9}), &ev); err != nil {
				t.Fatalf("%s: %v", d.Fill([]int64{2, 1, 9}), err)
			}
			if ev.Task.ID != task.ID || ev.Task.Status != tc.to || ev.ActivationID != "A-1" || ev.GroupID != "g" ||
				ev.Progress != (plan.Progress{Total: 3, Acknowledged: 2, Done: 1}) {
				t.Fatalf("event %+v", ev)
			}
			if len(c.Appends) != 0 || len(c.Audit) != 1 || c.Audit[0].IncidentID != "INC-1" {
				t.Fatalf("timeline %+v audit %+v", c.Appends, c.Audit)
			}
		})
	}
}
