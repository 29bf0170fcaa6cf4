package views

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/gridcase"
	"watchfloor/command/store"
)

// Cases stores grid cases. Keys, under the deployment's prefix:
//
//	case:{id}             hash: doc (JSON), ver
//	case:{id}:timeline    list of JSON entries
//	cases:n:{day}         counter for ids
//	cases:updated         zset id → last change (ms)
//	cases:idx:{f}:{v}     sets for the list filters (status, kind, grid codes)
//	cases:created         zset id → creation (ms), for the ledger and month figures
//	cases:createdx        set once cases:created holds every case stored before it
type Cases struct {
	base
	list walk
}

// NewCases returns the case storage of s.
func NewCases(s *store.Store) *Cases { return &Cases{base{s}, defaultWalk} }

var _ gridcase.Store = (*Cases)(nil)

// NextID implements gridcase.Store.
func (x *Cases) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "cases", day)
}

// Load implements gridcase.Store.
func (x *Cases) Load(ctx context.Context, id string) (*gridcase.Case, error) {
	var v gridcase.Case
	if err := x.s.LoadDoc(ctx, "case", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Timelines implements gridcase.Store: one pipeline for every case.
func (x *Cases) Timelines(ctx context.Context, ids []string) (map[string][]gridcase.Entry, error) {
	if err := x.s.Check("loading case timelines"); err != nil {
		return nil, err
	}
	pipe := x.s.Client().Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.LRange(ctx, x.s.Key("case", id, "timeline"), 0, -1)
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, x.s.Wrap("loading case timelines", err)
		}
	}
	out := make(map[string][]gridcase.Entry, len(ids))
	for i, id := range ids {
		tl := make([]gridcase.Entry, 0, len(cmds[i].Val()))
		for _, r := range cmds[i].Val() {
			var e gridcase.Entry
			if json.Unmarshal([]byte(r), &e) == nil {
				tl = append(tl, e)
			}
		}
		out[id] = tl
	}
	return out, nil
}

// Timeline implements gridcase.Store.
func (x *Cases) Timeline(ctx context.Context, id string) ([]gridcase.Entry, error) {
	raw, err := x.s.Client().LRange(ctx, x.s.Key("case", id, "timeline"), 0, -1).Result()
	if err != nil {
		return nil, x.s.Wrap("loading case timeline", err)
	}
	out := make([]gridcase.Entry, 0, len(raw))
	for _, r := range raw {
		var e gridcase.Entry
		if json.Unmarshal([]byte(r), &e) == nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// List implements gridcase.Store (the same filtering script as incidents).
func (x *Cases) List(ctx context.Context, q gridcase.Query) ([]*gridcase.Case, error) {
	raw, err := x.list.docs(ctx, x.s, "case", "cases", q.Since, q.Limit, "status:"+q.Status, "kind:"+q.Kind, "grid:"+q.Grid)
	if err != nil {
		return nil, err
	}
	return decodeCases(raw), nil
}

// Created implements gridcase.Store: from the ranking by creation
// (cases:created), filled once from every case changed (cases:updated)
// for those stored before it was kept. Cases created at the same
// millisecond come in id order.
func (x *Cases) Created(ctx context.Context, from, to time.Time, limit int) ([]*gridcase.Case, error) {
	if err := x.s.Check("listing cases"); err != nil {
		return nil, err
	}
	if err := x.rankOnce(ctx); err != nil {
		return nil, err
	}
	ids, err := x.s.Client().ZRangeArgs(ctx, redis.ZRangeArgs{Key: x.s.Key("cases", "created"), ByScore: true,
		Start: strconv.FormatInt(from.UnixMilli(), 10), Stop: "(" + strconv.FormatInt(to.UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, x.s.Wrap("listing cases", err)
	}
	raw, err := x.docs(ctx, "case", "listing cases", ids)
	if err != nil {
		return nil, err
	}
	return decodeCases(raw), nil
}

// rankOnce ranks by creation the cases stored before the ranking was
// kept: once per deployment, 500 at a time. New cases rank themselves
// with the same score, so a fill racing them changes nothing.
func (x *Cases) rankOnce(ctx context.Context) error {
	return x.once(ctx, x.s.Key("cases", "createdx"), "ranking cases", func() error {
		ids, err := x.s.Client().ZRange(ctx, x.s.Key("cases", "updated"), 0, -1).Result()
		if err != nil {
			return x.s.Wrap("ranking cases", err)
		}
		for chunk := range slices.Chunk(ids, 500) {
			raw, err := x.docs(ctx, "case", "ranking cases", chunk)
			if err != nil {
				return err
			}
			pipe := x.s.Client().Pipeline()
			for _, r := range raw {
				var c gridcase.Case
				if r == "" || json.Unmarshal([]byte(r), &c) != nil || c.ID == "" {
					continue
				}
				pipe.ZAdd(ctx, x.s.Key("cases", "created"), redis.Z{Score: float64(c.CreatedAt.UnixMilli()), Member: c.ID})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return x.s.Wrap("ranking cases", err)
			}
		}
		return nil
	})
}

// decodeCases decodes the docs raw, skipping one gone ("") or unreadable.
func decodeCases(raw []string) []*gridcase.Case {
	out := make([]*gridcase.Case, 0, len(raw))
	for _, r := range raw {
		var c gridcase.Case
		if r != "" && json.Unmarshal([]byte(r), &c) == nil {
			out = append(out, &c)
		}
	}
	return out
}
