package store

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/gridcase"
)

// Cases stores grid cases. Keys, under the deployment's prefix:
//
//	case:{id}             hash: doc (JSON), ver
//	case:{id}:timeline    list of JSON entries
//	cases:n:{day}         counter for ids
//	cases:updated         zset id → last change (ms)
//	cases:idx:{f}:{v}     sets for the list filters (status, kind, grid codes)
type Cases struct{ applier }

// Cases returns the case storage.
func (s *Store) Cases() *Cases { return &Cases{applier{s}} }

var _ gridcase.Store = (*Cases)(nil)

// NextID implements gridcase.Store.
func (x *Cases) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID(ctx, "cases", day)
}

func caseIndexes(c *gridcase.Case) []string {
	if c == nil {
		return nil
	}
	out := []string{"status:" + c.Status, "kind:" + c.Kind}
	for _, code := range c.Grid.Codes() {
		out = append(out, "grid:"+code)
	}
	return out
}

// caseIndex keeps a case in the list's order of last change and in the
// sets of the list filters, out of those it no longer matches.
func (s *Store) caseIndex(d change.Doc) []Op {
	c, ok := d.Value.(*gridcase.Case)
	if !ok {
		return nil
	}
	prev, _ := d.Prev.(*gridcase.Case)
	ops := []Op{{Cmd: "ZADD", Key: s.Key("cases", "updated"), Args: []string{strconv.FormatInt(c.UpdatedAt.UnixMilli(), 10), c.ID}}}
	return append(ops, s.indexOps("cases", c.ID, caseIndexes(prev), caseIndexes(c))...)
}

// Load implements gridcase.Store.
func (x *Cases) Load(ctx context.Context, id string) (*gridcase.Case, error) {
	var v gridcase.Case
	if err := x.s.loadDoc(ctx, "case", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Timelines implements gridcase.Store: one pipeline for every case.
func (x *Cases) Timelines(ctx context.Context, ids []string) (map[string][]gridcase.Entry, error) {
	if err := x.s.check("loading case timelines"); err != nil {
		return nil, err
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.LRange(ctx, x.s.Key("case", id, "timeline"), 0, -1)
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, x.s.wrap("loading case timelines", err)
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
	raw, err := x.s.rdb.LRange(ctx, x.s.Key("case", id, "timeline"), 0, -1).Result()
	if err != nil {
		return nil, x.s.wrap("loading case timeline", err)
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
	raw, err := x.s.listDocs(ctx, "case", "cases", q.Since, q.Limit, "status:"+q.Status, "kind:"+q.Kind, "grid:"+q.Grid)
	if err != nil {
		return nil, err
	}
	out := make([]*gridcase.Case, 0, len(raw))
	for _, r := range raw {
		var c gridcase.Case
		if r != "" && json.Unmarshal([]byte(r), &c) == nil {
			out = append(out, &c)
		}
	}
	return out, nil
}
