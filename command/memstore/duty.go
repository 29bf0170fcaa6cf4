package memstore

import (
	"context"

	"watchfloor/command/change"
	"watchfloor/command/duty"
)

// Duty is the roster and handover storage (duty.Store).
type Duty struct{ s *Store }

var _ duty.Store = (*Duty)(nil)

// Duty returns the roster and handover storage.
func (s *Store) Duty() *Duty { return &Duty{s} }

// Month returns the keyed map (kind, month).
func (x *Duty) Month(ctx context.Context, kind, month string) (map[string]string, error) {
	return x.s.Fields(kind, month), nil
}

// Field returns one field of the keyed map (kind, id).
func (x *Duty) Field(ctx context.Context, kind, id, field string) (string, bool, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	v, ok := x.s.maps[ref{kind, id}][field]
	return v, ok, nil
}

// NextID returns the next handover number of day.
func (x *Duty) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID("handovers", day), nil
}

// Apply carries out a change (Store.Apply).
func (x *Duty) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return x.s.Apply(ctx, c)
}
