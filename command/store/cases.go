package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/audit"
	"watchfloor/command/gridcase"
	"watchfloor/command/incident"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
)

// Cases stores grid cases. Keys, under the deployment's prefix:
//
//	case:{id}             hash: doc (JSON), ver
//	case:{id}:timeline    list of JSON entries
//	cases:n:{day}         counter for ids
//	cases:updated         zset id → last change (ms)
//	cases:idx:{f}:{v}     sets for the list filters (status, kind, grid codes)
type Cases struct{ s *Store }

// Cases returns the case storage.
func (s *Store) Cases() *Cases { return &Cases{s: s} }

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

// Save implements gridcase.Store.
func (x *Cases) Save(ctx context.Context, w *gridcase.Write) (string, error) {
	c := w.Case
	doc, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding case: %w", err)
	}
	masked := *c
	if c.Reporter != nil {
		r := *c.Reporter
		r.Name, r.Phone = incident.MaskName(r.Name), incident.MaskPhone(r.Phone)
		masked.Reporter = &r
	}
	event, _ := json.Marshal(&masked)
	key := x.s.Key("case", c.ID)
	want := ""
	if w.Prev != nil {
		want = strconv.FormatInt(w.Prev.Version, 10)
	}
	tx := &Tx{At: c.UpdatedAt, Guards: []Guard{{Key: key, Field: "ver", Allowed: []string{want}}}}
	if w.Idem != nil {
		tx.Idem = &Idem{Key: x.s.Key("idem", w.Idem.Key), Value: c.ID + "|" + w.Idem.Fingerprint, TTL: w.Idem.TTL}
	}
	tx.Ops = append(tx.Ops,
		Op{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "ver", strconv.FormatInt(c.Version, 10)}},
		Op{Cmd: "ZADD", Key: x.s.Key("cases", "updated"), Args: []string{strconv.FormatInt(c.UpdatedAt.UnixMilli(), 10), c.ID}})
	tx.Ops = append(tx.Ops, x.s.indexOps("cases", c.ID, caseIndexes(w.Prev), caseIndexes(c))...)
	if len(w.Entries) > 0 {
		args := make([]string, len(w.Entries))
		for i, e := range w.Entries {
			b, _ := json.Marshal(e)
			args[i] = string(b)
			tx.Audit = append(tx.Audit, auditRecord(audit.Record{At: e.At, Who: e.By, Role: e.Role, Action: "case." + e.Action,
				Object: c.ID, Reason: e.Reason, Detail: map[string]any{"status": e.Status}}))
		}
		tx.Ops = append(tx.Ops, Op{Cmd: "RPUSH", Key: x.s.Key("case", c.ID, "timeline"), Args: args})
	}
	for id, due := range w.AddTimers {
		tx.Ops = append(tx.Ops, x.s.AddTimer(timer.Member(gridcase.TimerKind, id), due))
	}
	for _, id := range w.DelTimers {
		tx.Ops = append(tx.Ops, x.s.RemoveTimer(timer.Member(gridcase.TimerKind, id)))
	}
	if !c.Drill {
		switch {
		case w.Prev == nil:
			tx.Ops = append(tx.Ops, x.s.count(c.CreatedAt, "case", "case:kind:"+c.Kind)...)
		case c.Status == gridcase.Closed && w.Prev.Status != gridcase.Closed:
			tx.Ops = append(tx.Ops, x.s.count(c.UpdatedAt, "case:closed")...)
		case c.Overdue && !w.Prev.Overdue:
			tx.Ops = append(tx.Ops, x.s.count(c.UpdatedAt, "case:overdue")...)
		}
		if c.Mediation != "" && w.Prev != nil && w.Prev.Mediation == "" {
			tx.Ops = append(tx.Ops, x.s.count(c.UpdatedAt, "med:"+c.Mediation, "med:"+c.Mediation+":"+areaCode(c, "community"))...)
		}
	}
	tx.Events = []Event{{Stream: vocab.ScreenStream, Type: w.Event, Data: event, Area: c.Area}}
	if w.AssignedUnit != "" {
		tx.Events = append(tx.Events, Event{Stream: vocab.UnitStream(w.AssignedUnit), Type: "case.assigned", Data: event, Notify: true, Area: c.Area})
	}
	if w.Alarm != nil {
		ops, ev := x.s.Raise(w.Alarm)
		tx.Ops = append(tx.Ops, ops...)
		tx.Events = append(tx.Events, ev)
	}
	res, err := x.s.Commit(ctx, tx)
	if err != nil {
		return "", err
	}
	return res.Duplicate, nil
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

func areaCode(c *gridcase.Case, level string) string {
	for _, r := range c.Grid.Path {
		if string(r.Level) == level {
			return r.Code
		}
	}
	return ""
}
