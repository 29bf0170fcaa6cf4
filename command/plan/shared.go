package plan

import (
	"reflect"
	"slices"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/config"
)

// taskPart is what every task of one group repeats in a delivery: its
// plan's and group's names, orders and incident (about 1.2 KB of the 1.6 a
// task weighs). A store keeps it once per group (change.Shared), so a
// plan's 2,000 tasks cost Redis their own few hundred bytes each.
type taskPart struct {
	PlanName  config.Text     `json:"plan_name"`
	GroupName config.Text     `json:"group_name"`
	Tasks     []config.Text   `json:"tasks"`
	Incident  *incident.Brief `json:"incident"`
	WarningID string          `json:"warning_id,omitempty"`
	Drill     bool            `json:"drill,omitempty"`
}

// taskOwn is the rest of a task: with taskPart, every field of Task (a
// test checks that each field is one of the two).
type taskOwn struct {
	ID           string     `json:"id"`
	ActivationID string     `json:"activation_id"`
	PlanID       string     `json:"plan_id"`
	GroupID      string     `json:"group_id"`
	UnitID       string     `json:"unit_id"`
	AssignedAt   time.Time  `json:"assigned_at"`
	Status       string     `json:"status"`
	AckedAt      *time.Time `json:"acknowledged_at,omitempty"`
	DoneAt       *time.Time `json:"done_at,omitempty"`
	Note         string     `json:"note,omitempty"`
}

func partOf(t *Task) taskPart {
	return taskPart{PlanName: t.PlanName, GroupName: t.GroupName, Tasks: t.Tasks, Incident: t.Incident, WarningID: t.WarningID, Drill: t.Drill}
}

func ownOf(t *Task) taskOwn {
	return taskOwn{ID: t.ID, ActivationID: t.ActivationID, PlanID: t.PlanID, GroupID: t.GroupID, UnitID: t.UnitID,
		AssignedAt: t.AssignedAt, Status: t.Status, AckedAt: t.AckedAt, DoneAt: t.DoneAt, Note: t.Note}
}

// sharedTasks encodes tasks as values whose common part is shared: one
// part per distinct content (a delivery's group), encoded once.
type sharedTasks struct {
	parts []*taskPart
	enc   []change.Part
}

// of returns t as a value with a shared part.
func (s *sharedTasks) of(t *Task) (*change.Shared, error) {
	i := slices.IndexFunc(s.parts, func(p *taskPart) bool { return p.same(t) })
	if i < 0 {
		part := partOf(t)
		p, err := change.NewPart(part)
		if err != nil {
			return nil, err
		}
		s.parts, s.enc = append(s.parts, &part), append(s.enc, p)
		i = len(s.enc) - 1
	}
	return s.enc[i].With(ownOf(t), t)
}

// same reports whether t repeats p, member by member: no copy of either
// (a test fails when a member is left out).
func (p *taskPart) same(t *Task) bool {
	// nil and empty orders encode differently (null, []): not the same.
	return p.PlanName == t.PlanName && p.GroupName == t.GroupName && (p.Tasks == nil) == (t.Tasks == nil) && slices.Equal(p.Tasks, t.Tasks) &&
		(p.Incident == t.Incident || reflect.DeepEqual(p.Incident, t.Incident)) && p.WarningID == t.WarningID && p.Drill == t.Drill
}
