// Package views gives each domain its view of the Redis store: the reads
// its Store interface declares, over the documents and indexes Apply lays
// out, and Apply itself. Views know where their kind lives in Redis; what
// changes is the domain's, carried out by the store's one commit.
package views

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/store"
)

// base gives a view the one write every domain Store declares, Apply, and
// the store its reads go through.
type base struct{ s *store.Store }

// Apply carries out c (see store.Store.Apply).
func (b base) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return b.s.Apply(ctx, c)
}

// Replayed implements the domains' Stores (warning, incident, gridcase):
// the value Apply stored under the idempotency key, "" when none.
func (b base) Replayed(ctx context.Context, key string) (string, error) {
	if err := b.s.Check("reading an idempotency key"); err != nil {
		return "", err
	}
	v, err := b.s.Client().Get(ctx, b.s.Key("idem", key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", b.s.Wrap("reading an idempotency key", err)
	}
	return v, nil
}

// docs reads the documents of kind of ids in one pipeline, in their order,
// "" for one not stored; op names the read in an error.
func (b base) docs(ctx context.Context, kind, op string, ids []string) ([]string, error) {
	out := make([]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := b.s.Client().Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, b.s.Key(kind, id), "doc")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, b.s.Wrap(op, err)
	}
	for i, c := range cmds {
		whole, err := b.s.Whole(ctx, c.Val())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out[i] = string(whole)
	}
	return out, nil
}

// ranked reads the first limit members of the sorted set key (the highest
// scored first when highest), and how many it holds: none read when limit
// is under 1.
func (b base) ranked(ctx context.Context, key, op string, limit int, highest bool) ([]string, int, error) {
	if limit < 1 {
		n, err := b.s.Client().ZCard(ctx, key).Result()
		return nil, int(n), b.s.Wrap(op, err)
	}
	pipe := b.s.Client().Pipeline()
	read := pipe.ZRange
	if highest {
		read = pipe.ZRevRange
	}
	ids := read(ctx, key, 0, int64(limit)-1)
	total := pipe.ZCard(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, 0, b.s.Wrap(op, err)
	}
	return ids.Val(), int(total.Val()), nil
}

// once fills an index from what was stored before it was kept, unless its
// marker says that was done, then sets the marker: the first read after an
// upgrade fills it, every later one costs one EXISTS.
func (b base) once(ctx context.Context, marker, op string, fill func() error) error {
	n, err := b.s.Client().Exists(ctx, marker).Result()
	if err != nil || n > 0 {
		return b.s.Wrap(op, err)
	}
	if err := fill(); err != nil {
		return err
	}
	return b.s.Wrap(op, b.s.Client().Set(ctx, marker, "1", 0).Err())
}
