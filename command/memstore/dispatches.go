package memstore

import (
	"cmp"
	"context"
	"slices"

	"watchfloor/command/change"
	"watchfloor/command/dispatch"
)

// Dispatches reads orders (the reads of dispatch.Store).
type Dispatches struct{ kind[dispatch.Dispatch] }

var _ dispatch.Store = (*Dispatches)(nil)

// Dispatches returns the order storage.
func (s *Store) Dispatches() *Dispatches {
	return &Dispatches{kind[dispatch.Dispatch]{s, change.KindDispatch, "dispatches"}}
}

// orders returns the orders keep accepts, oldest first.
func (x *Dispatches) orders(keep func(*dispatch.Dispatch) bool) ([]*dispatch.Dispatch, error) {
	out, err := x.all(keep)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *dispatch.Dispatch) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ByIncident returns an incident's orders, oldest first.
func (x *Dispatches) ByIncident(ctx context.Context, incidentID string) ([]*dispatch.Dispatch, error) {
	return x.orders(func(d *dispatch.Dispatch) bool { return d.IncidentID == incidentID })
}

// ActiveByUnit returns a unit's active orders, oldest first.
func (x *Dispatches) ActiveByUnit(ctx context.Context, unitID string) ([]*dispatch.Dispatch, error) {
	return x.orders(func(d *dispatch.Dispatch) bool { return d.UnitID == unitID && dispatch.Active(d.Status) })
}

// Active returns every active order, oldest first.
func (x *Dispatches) Active(ctx context.Context) ([]*dispatch.Dispatch, error) {
	return x.orders(func(d *dispatch.Dispatch) bool { return dispatch.Active(d.Status) })
}
