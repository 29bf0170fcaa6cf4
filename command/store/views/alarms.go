package views

import (
	"context"
	"encoding/json"

	"watchfloor/command/alarm"
	"watchfloor/command/incident"
	"watchfloor/command/store"
	"watchfloor/command/vocab"
)

// Alarms stores alarms: alarm:{id} hash (doc, acked), alarms:open and
// alarms:all zsets scored by when they were raised.
type Alarms struct{ base }

// NewAlarms returns the alarm storage of s.
func NewAlarms(s *store.Store) *Alarms { return &Alarms{base{s}} }

var _ alarm.Store = (*Alarms)(nil)

// List implements alarm.Store, newest first.
func (x *Alarms) List(ctx context.Context, open bool, limit int) ([]*alarm.Alarm, error) {
	if err := x.s.Check("listing alarms"); err != nil {
		return nil, err
	}
	set := "all"
	if open {
		set = "open"
	}
	ids, err := x.s.Client().ZRevRange(ctx, x.s.Key("alarms", set), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, x.s.Wrap("listing alarms", err)
	}
	docs, err := x.docs(ctx, "alarm", "listing alarms", ids)
	if err != nil {
		return nil, err
	}
	out := make([]*alarm.Alarm, 0, len(ids))
	for _, d := range docs {
		var a alarm.Alarm
		if json.Unmarshal([]byte(d), &a) == nil && a.ID != "" {
			out = append(out, &a)
		}
	}
	return out, nil
}

// Load implements alarm.Store.
func (x *Alarms) Load(ctx context.Context, id string) (*alarm.Alarm, error) {
	var v alarm.Alarm
	if err := x.s.LoadDoc(ctx, "alarm", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Ack implements alarm.Store: the change incident.AlarmAcked decides.
func (x *Alarms) Ack(ctx context.Context, a *alarm.Alarm, role vocab.Role) error {
	_, err := x.s.Apply(ctx, incident.AlarmAcked(a, role))
	return err
}
