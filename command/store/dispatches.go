package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/dispatch"
)

// Dispatches stores orders. Keys, under the deployment's prefix:
//
//	dispatch:{id}              hash: doc (JSON), status
//	dispatches:n:{day}         counter for ids
//	incident:{id}:dispatches   set of the incident's orders
//	unit:{id}:orders           set of the unit's active orders
//	dispatches:active          set of every active order
type Dispatches struct{ applier }

// Dispatches returns the order storage.
func (s *Store) Dispatches() *Dispatches { return &Dispatches{applier{s}} }

var _ dispatch.Store = (*Dispatches)(nil)

// NextID implements dispatch.Store.
func (x *Dispatches) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID(ctx, "dispatches", day)
}

// Load implements dispatch.Store.
func (x *Dispatches) Load(ctx context.Context, id string) (*dispatch.Dispatch, error) {
	var v dispatch.Dispatch
	if err := x.s.loadDoc(ctx, "dispatch", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (x *Dispatches) loadSet(ctx context.Context, key string) ([]*dispatch.Dispatch, error) {
	if err := x.s.check("listing orders"); err != nil {
		return nil, err
	}
	ids, err := x.s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, x.s.wrap("listing orders", err)
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("dispatch", id), "doc")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, x.s.wrap("listing orders", err)
		}
	}
	out := make([]*dispatch.Dispatch, 0, len(ids))
	for _, c := range cmds {
		var d dispatch.Dispatch
		if json.Unmarshal([]byte(c.Val()), &d) == nil && d.ID != "" {
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

// dispatchIndex keeps an order in its incident's set, and in its unit's and
// the active set while it binds its unit.
func (s *Store) dispatchIndex(doc change.Doc) []Op {
	d, ok := doc.Value.(*dispatch.Dispatch)
	if !ok {
		return nil
	}
	ops := []Op{{Cmd: "SADD", Key: s.Key("incident", d.IncidentID, "dispatches"), Args: []string{d.ID}}}
	cmd := "SREM"
	if dispatch.Active(d.Status) {
		cmd = "SADD"
	}
	return append(ops,
		Op{Cmd: cmd, Key: s.Key("unit", d.UnitID, "orders"), Args: []string{d.ID}},
		Op{Cmd: cmd, Key: s.Key("dispatches", "active"), Args: []string{d.ID}})
}
