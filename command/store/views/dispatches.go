package views

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"watchfloor/command/dispatch"
	"watchfloor/command/store"
)

// Dispatches stores orders. Keys, under the deployment's prefix:
//
//	dispatch:{id}              hash: doc (JSON), status
//	dispatches:n:{day}         counter for ids
//	incident:{id}:dispatches   set of the incident's orders
//	unit:{id}:orders           set of the unit's active orders
//	dispatches:active          set of every active order
type Dispatches struct{ base }

// NewDispatches returns the order storage of s.
func NewDispatches(s *store.Store) *Dispatches { return &Dispatches{base{s}} }

var _ dispatch.Store = (*Dispatches)(nil)

// NextID implements dispatch.Store.
func (x *Dispatches) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "dispatches", day)
}

// Load implements dispatch.Store.
func (x *Dispatches) Load(ctx context.Context, id string) (*dispatch.Dispatch, error) {
	var v dispatch.Dispatch
	if err := x.s.LoadDoc(ctx, "dispatch", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (x *Dispatches) loadSet(ctx context.Context, key string) ([]*dispatch.Dispatch, error) {
	if err := x.s.Check("listing orders"); err != nil {
		return nil, err
	}
	ids, err := x.s.Client().SMembers(ctx, key).Result()
	if err != nil {
		return nil, x.s.Wrap("listing orders", err)
	}
	docs, err := x.docs(ctx, "dispatch", "listing orders", ids)
	if err != nil {
		return nil, err
	}
	out := make([]*dispatch.Dispatch, 0, len(ids))
	for _, doc := range docs {
		var d dispatch.Dispatch
		if json.Unmarshal([]byte(doc), &d) == nil && d.ID != "" {
			out = append(out, &d)
		}
	}
	slices.SortFunc(out, func(a, b *dispatch.Dispatch) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ByIncident implements dispatch.Store.
func (x *Dispatches) ByIncident(ctx context.Context, incidentID string) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("incident", incidentID, "dispatches"))
}

// ActiveByUnit implements dispatch.Store.
func (x *Dispatches) ActiveByUnit(ctx context.Context, unitID string) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("unit", unitID, "orders"))
}

// Active implements dispatch.Store: every active order.
func (x *Dispatches) Active(ctx context.Context) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("dispatches", "active"))
}
