package plan_test

import (
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

// A task's answer is guarded by its status and its group's version, moves
// the group's counts, goes to the unit, the screens and the leaders, and
// is audited but kept off the incident's timeline.
func TestTaskChange(t *testing.T) {
	prev := &plan.Task{ID: "A-1.g.u1", ActivationID: "A-1", GroupID: "g", UnitID: "u1", Status: plan.TaskAssigned, Incident: &incident.Brief{ID: "INC-1"}}
	task := *prev
	task.Status = plan.TaskAcknowledged
	w := &plan.TaskWrite{Task: &task, Prev: prev, Progress: plan.Progress{Total: 3, Acknowledged: 1}, Event: vocab.TaskAcknowledged, At: at,
		Entry: incident.Entry{At: at, Type: vocab.TaskAcknowledged, Detail: map[string]any{"activation_id": "A-1"}}}
	c := w.Change()
	if len(c.Guards) != 2 || c.Guards[0].Allowed[0] != plan.TaskAssigned || c.Guards[1].Field != "g:v" || c.Guards[1].Allowed[0] != "" ||
		c.Guards[0].Why != "task A-1.g.u1 changed meanwhile" {
		t.Fatalf("guards %+v", c.Guards)
	}
	want := []string{"task.acknowledged@unit:u1", "task.acknowledged@screen", "task.acknowledged@leader"}
	if got := streams(c); !slices.Equal(got, want) || !c.Events[0].Notify {
		t.Fatalf("events %v, want %v", got, want)
	}
	vals := map[string]string{}
	for _, f := range c.Fields {
		vals[f.Field] = f.Value
	}
	if vals["g:ack"] != "1" || vals["g:done"] != "0" || vals["g:v"] != "1" {
		t.Fatalf("progress %v", vals)
	}
	if len(c.Appends) != 0 || len(c.Audit) != 1 || c.Audit[0].IncidentID != "INC-1" {
		t.Fatalf("timeline %+v audit %+v", c.Appends, c.Audit)
	}
}
