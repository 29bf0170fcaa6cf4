package memstore

import (
	"context"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// Alarms is the alarm storage (alarm.Store).
type Alarms struct{ kind[alarm.Alarm] }

// Alarms returns the alarm storage.
func (s *Store) Alarms() *Alarms { return &Alarms{kind[alarm.Alarm]{s, change.KindAlarm, "alarms"}} }

// List implements alarm.Store: open alarms (or all), newest first.
func (x *Alarms) List(ctx context.Context, open bool, limit int) ([]*alarm.Alarm, error) {
	as, err := x.all(func(a *alarm.Alarm) bool {
		return !open || x.s.Field(change.KindAlarm, a.ID, "acked") == "0"
	})
	if err != nil {
		return nil, err
	}
	newestFirst(as, func(a *alarm.Alarm) (int64, string) { return a.RaisedAt.UnixMilli(), a.ID })
	return as[:min(len(as), limit)], nil
}

// Ack implements alarm.Store: the change incident.AlarmAcked decides.
func (x *Alarms) Ack(ctx context.Context, a *alarm.Alarm, role vocab.Role) error {
	_, err := x.s.Apply(ctx, incident.AlarmAcked(a, role))
	return err
}
