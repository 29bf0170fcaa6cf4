package memstore

import (
	"context"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
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

// Ack implements alarm.Store as the Redis store does: the alarm is marked
// acknowledged unless it already was, with its alarm.acked event, its
// audit record and, for an incident's alarm, an entry of its timeline.
func (x *Alarms) Ack(ctx context.Context, a *alarm.Alarm, role vocab.Role) error {
	c := &change.Change{At: *a.AckedAt,
		Guards: []change.Guard{{Kind: change.KindAlarm, ID: a.ID, Field: "acked", Allowed: []string{"0"},
			Why: "alarm " + a.ID + " was already acknowledged"}},
		Docs:   []change.Doc{{Kind: change.KindAlarm, ID: a.ID, Value: a, Fields: map[string]string{"acked": "1"}}},
		Events: []vocab.Event{{Stream: vocab.ScreenStream, Type: vocab.AlarmAcked, Data: a, Area: a.Area}},
		Audit: []audit.Record{{At: *a.AckedAt, Who: a.AckedBy, Role: role, Action: vocab.AlarmAcked, Object: a.ID,
			IncidentID: a.IncidentID, Detail: map[string]any{"kind": a.Kind}}},
	}
	if a.IncidentID != "" {
		c.Appends = []change.Append{{Kind: change.KindIncidentTimeline, ID: a.IncidentID, Entries: []any{map[string]any{
			"at": *a.AckedAt, "type": vocab.AlarmAcked, "by": a.AckedBy, "role": role,
			"detail": map[string]any{"alarm_id": a.ID, "kind": a.Kind}}}}}
	}
	_, err := x.s.Apply(ctx, c)
	return err
}
