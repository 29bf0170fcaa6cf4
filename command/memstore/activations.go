package memstore

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"watchfloor/command/change"
	"watchfloor/command/plan"
)

// Activations reads plan activations and their tasks (the reads of plan.Store).
type Activations struct{ kind[plan.Activation] }

var _ plan.Store = (*Activations)(nil)

// Activations returns the activation storage.
func (s *Store) Activations() *Activations {
	return &Activations{kind[plan.Activation]{s, change.KindActivation, "activations"}}
}

// Load returns a stored activation with its groups' progress.
func (x *Activations) Load(ctx context.Context, id string) (*plan.Activation, error) {
	a, err := x.kind.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	x.merge(a)
	return a, nil
}

// merge sets the groups' progress of a from its counters.
func (x *Activations) merge(a *plan.Activation) {
	m := x.s.Fields(change.KindProgress, a.ID)
	for i := range a.Groups {
		g := &a.Groups[i]
		g.Progress.Acknowledged, _ = strconv.Atoi(m[g.ID+":ack"])
		g.Progress.Done, _ = strconv.Atoi(m[g.ID+":done"])
	}
}

// activations returns the activations keep accepts, in the order they
// were proposed, with their progress.
func (x *Activations) activations(keep func(*plan.Activation) bool) ([]*plan.Activation, error) {
	out, err := x.all(keep)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *plan.Activation) int { return a.ProposedAt.Compare(b.ProposedAt) })
	for _, a := range out {
		x.merge(a)
	}
	return out, nil
}

// ByIncident returns an incident's activations ("": none, as plans started
// on a higher body's request have no incident).
func (x *Activations) ByIncident(ctx context.Context, incidentID string) ([]*plan.Activation, error) {
	return x.activations(func(a *plan.Activation) bool { return incidentID != "" && a.IncidentID == incidentID })
}

// ByWarning returns the activations started for a warning ("": none).
func (x *Activations) ByWarning(ctx context.Context, warningID string) ([]*plan.Activation, error) {
	return x.activations(func(a *plan.Activation) bool { return warningID != "" && a.WarningID == warningID })
}

// List returns the activations of a status, or those proposed or active
// when status is "".
func (x *Activations) List(ctx context.Context, status string) ([]*plan.Activation, error) {
	return x.activations(func(a *plan.Activation) bool {
		return a.Status == status || status == "" && (a.Status == plan.Proposed || a.Status == plan.Active)
	})
}

// Latest returns the limit activations of status changed last, newest
// first, and how many have it.
func (x *Activations) Latest(ctx context.Context, status string, limit int) ([]*plan.Activation, int, error) {
	out, err := x.activations(func(a *plan.Activation) bool { return a.Status == status })
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(out, plan.NewestFirst)
	return out[:min(max(limit, 0), len(out))], len(out), nil
}

// TasksExist reports, for each id, whether that task is stored.
func (x *Activations) TasksExist(ctx context.Context, ids []string) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = x.s.Field(change.KindTask, id, "status") != ""
	}
	return out, nil
}

// LoadTask returns a stored task.
func (x *Activations) LoadTask(ctx context.Context, id string) (*plan.Task, error) {
	return Doc[plan.Task](x.s, change.KindTask, id)
}

// UnitTasks returns a unit's tasks of activations still active, in the
// order they were assigned.
func (x *Activations) UnitTasks(ctx context.Context, unitID string) ([]*plan.Task, error) {
	out, err := Docs(x.s, change.KindTask, func(t *plan.Task) bool {
		return t.UnitID == unitID && x.s.Field(change.KindActivation, t.ActivationID, "status") == plan.Active
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *plan.Task) int {
		return cmp.Or(a.AssignedAt.Compare(b.AssignedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Standing returns the activation's status field and the group's total.
func (x *Activations) Standing(ctx context.Context, id, group string) (string, int, error) {
	n, _ := strconv.Atoi(x.s.Field(change.KindProgress, id, group+":total"))
	return x.s.Field(change.KindActivation, id, "status"), n, nil
}
