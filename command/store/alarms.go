package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// Alarms stores alarms: alarm:{id} hash (doc, acked), alarms:open and
// alarms:all zsets scored by when they were raised.
type Alarms struct{ s *Store }

// Alarms returns the alarm storage.
func (s *Store) Alarms() *Alarms { return &Alarms{s: s} }

var _ alarm.Store = (*Alarms)(nil)

// Raise returns the ops and the event that raise a (to add to a Tx). A
// second raise of the same id finds it stored and changes nothing visible
// but the doc; callers raise once per cause.
func (s *Store) Raise(a *alarm.Alarm) ([]Op, Event) {
	doc, _ := json.Marshal(a)
	ms := strconv.FormatInt(a.RaisedAt.UnixMilli(), 10)
	ops := []Op{
		{Cmd: "HSET", Key: s.Key("alarm", a.ID), Args: []string{"doc", string(doc), "acked", "0"}},
		{Cmd: "ZADD", Key: s.Key("alarms", "open"), Args: []string{ms, a.ID}},
		{Cmd: "ZADD", Key: s.Key("alarms", "all"), Args: []string{ms, a.ID}},
	}
	return append(ops, s.alarmCounts(a)...), Event{Stream: vocab.ScreenStream, Type: "alarm.raised", Data: doc, Area: a.Area}
}

// List implements alarm.Store, newest first.
func (x *Alarms) List(ctx context.Context, open bool, limit int) ([]*alarm.Alarm, error) {
	if err := x.s.check("listing alarms"); err != nil {
		return nil, err
	}
	set := "all"
	if open {
		set = "open"
	}
	ids, err := x.s.rdb.ZRevRange(ctx, x.s.Key("alarms", set), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, x.s.wrap("listing alarms", err)
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("alarm", id), "doc")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.wrap("listing alarms", err)
	}
	out := make([]*alarm.Alarm, 0, len(ids))
	for _, c := range cmds {
		var a alarm.Alarm
		if json.Unmarshal([]byte(c.Val()), &a) == nil && a.ID != "" {
			out = append(out, &a)
		}
	}
	return out, nil
}

// Load implements alarm.Store.
func (x *Alarms) Load(ctx context.Context, id string) (*alarm.Alarm, error) {
	var v alarm.Alarm
	if err := x.s.loadDoc(ctx, "alarm", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Ack implements alarm.Store.
func (x *Alarms) Ack(ctx context.Context, a *alarm.Alarm, role vocab.Role) error {
	doc, _ := json.Marshal(a)
	key := x.s.Key("alarm", a.ID)
	ops := append([]Op{
		{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "acked", "1"}},
		{Cmd: "ZREM", Key: x.s.Key("alarms", "open"), Args: []string{a.ID}},
	}, ackCount(x.s, a)...)
	if a.IncidentID != "" {
		// The incident's timeline shows the acknowledgement too.
		e, _ := json.Marshal(incident.Entry{At: *a.AckedAt, Type: "alarm.acked", By: a.AckedBy, Role: role,
			Detail: map[string]any{"alarm_id": a.ID, "kind": a.Kind}})
		ops = append(ops, Op{Cmd: "RPUSH", Key: x.s.Key("incident", a.IncidentID, "timeline"), Args: []string{string(e)}})
	}
	_, err := x.s.Commit(ctx, &Tx{At: *a.AckedAt,
		Guards: []Guard{{Key: key, Field: "acked", Allowed: []string{"0"}}},
		Ops:    ops,
		Events: []Event{{Stream: vocab.ScreenStream, Type: "alarm.acked", Data: doc, Area: a.Area}},
		Audit: [][]byte{auditRecord(audit.Record{At: *a.AckedAt, Who: a.AckedBy, Role: role, Action: "alarm.acked", Object: a.ID,
			IncidentID: a.IncidentID, Detail: map[string]any{"kind": a.Kind}})},
	})
	return err
}

func ackCount(s *Store, a *alarm.Alarm) []Op {
	if a.Drill {
		return nil
	}
	return s.count(*a.AckedAt, "alarm:acked")
}
