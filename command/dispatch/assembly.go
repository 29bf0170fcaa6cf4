package dispatch

import (
	"context"
	"fmt"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/timer"
)

// AssemblyKind is the kind of the assembly-deadline timers (集结时限): id is
// the order's id.
const AssemblyKind = "assembly"

// assembling reports whether an order's unit is still on its way: the
// statuses the assembly deadline watches.
func assembling(status string) bool { return status == Offered || status == Acked || status == EnRoute }

// assembly adds to c the assembly timers of the new orders of w and
// cancels those of orders that reached the scene or ended.
func (w *Write) assembly(c *change.Change) {
	for _, ch := range w.Changes {
		d := ch.D
		switch {
		case ch.Prev == nil && d.AssemblyDue != nil:
			c.Timers = append(c.Timers, change.Timer{Member: timer.Member(AssemblyKind, d.ID), Due: *d.AssemblyDue})
		case ch.Prev != nil && assembling(ch.Prev.Status) && !assembling(d.Status):
			c.Cancel(timer.Member(AssemblyKind, d.ID))
		}
	}
}

// assemblyDue is when a new order sent at now must have its unit on scene;
// nil when the deadline is off.
func (s *Service) assemblyDue(now time.Time) *time.Time {
	if s.opts.Dispatch.AssemblyDeadline <= 0 {
		return nil
	}
	due := now.Add(s.opts.Dispatch.AssemblyDeadline)
	return &due
}

// Assembly is the assembly timer's handler: an order whose unit is still
// on its way raises one order.assembly_overdue alarm naming the unit and
// the incident, with its line in the incident's timeline. The alarm's id
// and a guard on the order's status make it once across instances.
func (s *Service) Assembly(ctx context.Context, id string, _ time.Time) (bool, error) {
	d, err := s.store.Load(ctx, id)
	if err != nil {
		if fault.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	if !assembling(d.Status) || d.AssemblyDue == nil {
		return true, nil
	}
	due := *d.AssemblyDue
	now := s.now().UTC()
	a := &alarm.Alarm{ID: alarm.ID(alarm.AssemblyOverdue, d.ID), Kind: alarm.AssemblyOverdue, IncidentID: d.IncidentID, DispatchID: d.ID, UnitID: d.UnitID,
		Drill: d.Drill, Title: d.Callsign, RaisedAt: now,
		Detail: fmt.Sprintf("unit %s (order %s) is not on scene %s after it was sent (due %s)", d.Callsign, d.ID, due.Sub(d.CreatedAt).Round(time.Second), due.UTC().Format(time.RFC3339))}
	c := &change.Change{At: now}
	c.Guards = []change.Guard{
		{Kind: change.KindDispatch, ID: d.ID, Field: "status", Allowed: []string{Offered, Acked, EnRoute}, Why: "order " + d.ID + " reached the scene or ended"},
		{Kind: change.KindAlarm, ID: a.ID, Field: "acked", Allowed: []string{""}, Why: "alarm " + a.ID + " was already raised"},
	}
	entries := []incident.Entry{incident.AlarmEntry(a)}
	c.Appends = []change.Append{{Kind: change.KindIncidentTimeline, ID: d.IncidentID, Entries: anys(entries)}}
	c.Audit = incident.AuditRecords(d.IncidentID, entries)
	c.Raise(a)
	if _, err := s.store.Apply(ctx, c); err != nil {
		if fault.IsConflict(err) {
			return true, nil // arrived, ended or raised elsewhere first
		}
		return false, err
	}
	return true, nil
}
