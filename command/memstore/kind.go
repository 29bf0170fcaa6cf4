package memstore

import (
	"context"

	"watchfloor/command/change"
)

// kind is the storage of one kind of document that each view embeds: its
// numbers per day, its documents by id, and the changes the domain makes.
type kind[T any] struct {
	s      *Store
	kind   string
	series string // the name of its numbers: incidents, dispatches…
}

// NextID returns the next number of the kind for day.
func (k kind[T]) NextID(ctx context.Context, day string) (int64, error) {
	return k.s.nextID(k.series, day), nil
}

// Load returns a stored document of the kind.
func (k kind[T]) Load(ctx context.Context, id string) (*T, error) { return Doc[T](k.s, k.kind, id) }

// Apply carries out a change (Store.Apply).
func (k kind[T]) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return k.s.Apply(ctx, c)
}

// all returns the documents of the kind that keep accepts.
func (k kind[T]) all(keep func(*T) bool) ([]*T, error) { return Docs(k.s, k.kind, keep) }

// Replayed returns what a change stored under the idempotency key ("" when
// none, or it has expired).
func (k kind[T]) Replayed(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now := k.s.clock.Now()
	k.s.mu.Lock()
	defer k.s.mu.Unlock()
	if v, ok := k.s.idem[key]; ok && now.Before(v.until) {
		return v.value, nil
	}
	return "", nil
}
