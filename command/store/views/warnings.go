package views

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store"
	"watchfloor/command/warning"
)

// Warnings stores warnings (预警). Keys, under the deployment's prefix:
//
//	warning:{id}          hash: doc (JSON), ver, status
//	warnings:n:{day}      counter for ids
//	warnings:issued       zset id → issued at (ms)
//	warnings:active       set of the ids of active warnings
type Warnings struct{ base }

// NewWarnings returns the warning storage of s.
func NewWarnings(s *store.Store) *Warnings { return &Warnings{base{s}} }

var _ warning.Store = (*Warnings)(nil)

// NextID implements warning.Store.
func (x *Warnings) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "warnings", day)
}

// Load implements warning.Store.
func (x *Warnings) Load(ctx context.Context, id string) (*warning.Warning, error) {
	var w warning.Warning
	if err := x.s.LoadDoc(ctx, warning.Kind, id, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// List implements warning.Store: the active ones from their set, the
// others from the issued zset (skipping as many active ones as there are
// when only ended ones are asked for).
func (x *Warnings) List(ctx context.Context, q warning.Query) ([]*warning.Warning, error) {
	if err := x.s.Check("listing warnings"); err != nil {
		return nil, err
	}
	rdb := x.s.Client()
	var ids []string
	var err error
	if q.Status == warning.Active {
		if ids, err = rdb.SMembers(ctx, x.s.Key("warnings", "active")).Result(); err != nil {
			return nil, x.s.Wrap("listing warnings", err)
		}
	} else {
		rng := &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: int64(q.Limit)}
		if !q.From.IsZero() {
			rng.Min = strconv.FormatInt(q.From.UnixMilli(), 10)
		}
		if !q.To.IsZero() {
			rng.Max = strconv.FormatInt(q.To.UnixMilli(), 10)
		}
		if q.Status == warning.Ended {
			n, err := rdb.SCard(ctx, x.s.Key("warnings", "active")).Result()
			if err != nil {
				return nil, x.s.Wrap("listing warnings", err)
			}
			rng.Count += n
		}
		if ids, err = rdb.ZRevRangeByScore(ctx, x.s.Key("warnings", "issued"), rng).Result(); err != nil {
			return nil, x.s.Wrap("listing warnings", err)
		}
	}
	return x.docs(ctx, ids, q)
}

// docs reads the warnings ids in one pipeline and keeps those q asks for,
// newest issued first, at most q.Limit.
func (x *Warnings) docs(ctx context.Context, ids []string, q warning.Query) ([]*warning.Warning, error) {
	docs, err := x.base.docs(ctx, warning.Kind, "loading warnings", ids)
	if err != nil {
		return nil, err
	}
	out := make([]*warning.Warning, 0, len(ids))
	for i, d := range docs {
		var w warning.Warning
		if d == "" {
			continue // gone meanwhile
		}
		if err := json.Unmarshal([]byte(d), &w); err != nil {
			return nil, fmt.Errorf("decoding warning %s: %w", ids[i], err)
		}
		if warning.Matches(&w, q) {
			out = append(out, &w)
		}
	}
	warning.Newest(out)
	return out[:min(len(out), q.Limit)], nil
}
