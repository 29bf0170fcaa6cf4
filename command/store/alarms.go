package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// Alarms stores alarms: alarm:{id} hash (doc, acked), alarms:open and
// alarms:all zsets scored by when they were raised.
type Alarms struct{ s *Store }

// Alarms returns the alarm storage.
func (s *Store) Alarms() *Alarms { return &Alarms{s: s} }

var _ alarm.Store = (*Alarms)(nil)

// alarmIndex keeps the sets of open and of all alarms, scored by when
// they were raised: an acknowledged alarm leaves the open ones.
func (s *Store) alarmIndex(d change.Doc) []Op {
	a, _ := d.Value.(*alarm.Alarm)
	if a == nil {
		return nil
	}
	if d.Fields["acked"] == "1" {
		return []Op{{Cmd: "ZREM", Key: s.Key("alarms", "open"), Args: []string{a.ID}}}
	}
	ms := strconv.FormatInt(a.RaisedAt.UnixMilli(), 10)
	return []Op{
		{Cmd: "ZADD", Key: s.Key("alarms", "open"), Args: []string{ms, a.ID}},
		{Cmd: "ZADD", Key: s.Key("alarms", "all"), Args: []string{ms, a.ID}},
	}
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

// Ack implements alarm.Store: the change incident.AlarmAcked decides.
func (x *Alarms) Ack(ctx context.Context, a *alarm.Alarm, role vocab.Role) error {
	_, err := x.s.Apply(ctx, incident.AlarmAcked(a, role))
	return err
}
