package dispatch

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
)

// Change is one order written: new (Prev nil) or moved on from Prev, the
// order as it was.
type Change struct {
	D    *Dispatch
	Prev *Dispatch
}

// Write is one atomic change of orders and everything that follows them;
// Change turns it into the change a store carries out.
type Write struct {
	Changes []Change
	// Incident is the incident the orders are for (its masked copy travels
	// with dispatch.created to the responder).
	Incident *incident.Incident
	// UnitStatus sets units' statuses; for new orders the unit must be
	// available at that moment or the write fails with a conflict.
	UnitStatus map[string]string
	Entries    []incident.Entry
	AddTimers  map[string]time.Time
	DelTimers  []string
	Alarm      *alarm.Alarm
	// Reoffer schedules the re-offer of the order being expired.
	Reoffer bool
	// Jobs are follow-ups recorded with the orders; Apply gives them ids.
	Jobs []job.Job
	// AutoRule, when set, makes the write the one automatic dispatch of
	// that rule for the incident: a second one fails with a conflict.
	AutoRule string
	// Idem records a person's request's Idempotency-Key with its orders.
	Idem *vocab.Idempotency
	At   time.Time
}

// Change is what w changes: the orders guarded by their status, the units'
// statuses (a new order's unit guarded to be available), the events on the
// screens' and the units' streams, timers, the alarm, the timeline and its
// audit records, and the rule's one slot per incident.
func (w *Write) Change() *change.Change {
	c := &change.Change{At: w.At, Jobs: w.Jobs}
	if w.Idem != nil && len(w.Changes) > 0 {
		ids := make([]string, len(w.Changes))
		for i, ch := range w.Changes {
			ids[i] = ch.D.ID
		}
		c.Idem = change.IdemOf(w.Idem, strings.Join(ids, ","))
	}
	newUnits := map[string]bool{}
	var masked *incident.Incident // one masked copy for every new order
	if w.Incident != nil {
		masked = w.Incident.Masked()
	}
	for _, ch := range w.Changes {
		w.order(c, ch, masked)
		if ch.Prev == nil {
			newUnits[ch.D.UnitID] = true
		}
	}
	w.assembly(c)
	for _, id := range slices.Sorted(maps.Keys(w.UnitStatus)) {
		if newUnits[id] {
			c.Guards = append(c.Guards, change.Guard{Kind: change.KindUnitStatus, Field: id, Allowed: []string{"", unit.Available},
				Why: fmt.Sprintf("unit %s is no longer available", id)})
		}
		status := w.UnitStatus[id]
		c.Fields = append(c.Fields, change.Field{Kind: change.KindUnitStatus, Field: id, Value: status})
		data := &vocab.UnitStatusData{UnitID: id, Status: status, By: "dispatch", At: w.At} // by pointer: encoded once for both streams
		c.Events = append(c.Events,
			vocab.Event{Stream: vocab.ScreenStream, Type: vocab.UnitStatus, Data: data},
			vocab.Event{Stream: vocab.UnitStream(id), Type: vocab.UnitStatus, Data: data, Notify: true})
	}
	if len(w.Changes) == 0 {
		return c
	}
	first := w.Changes[0].D
	entries := w.Entries
	if w.Alarm != nil && w.Alarm.IncidentID != "" {
		entries = append(entries[:len(entries):len(entries)], incident.AlarmEntry(w.Alarm))
	}
	if len(entries) > 0 {
		c.Appends = append(c.Appends, change.Append{Kind: change.KindIncidentTimeline, ID: first.IncidentID, Entries: anys(entries)})
		c.Audit = incident.AuditRecords(first.IncidentID, entries)
	}
	for id, due := range w.AddTimers {
		c.Timers = append(c.Timers, change.Timer{Member: timer.Member(TimerKind, id), Due: due})
	}
	for _, id := range w.DelTimers {
		c.Cancel(timer.Member(TimerKind, id))
	}
	if w.Reoffer {
		c.Timers = append(c.Timers, change.Timer{Member: timer.Member(ReofferKind, first.ID), Due: w.At})
	}
	if w.Alarm != nil {
		c.Raise(w.Alarm)
	}
	if w.AutoRule != "" {
		// One automatic dispatch per rule and incident, across instances.
		c.Guards = append(c.Guards, change.Guard{Kind: change.KindAutoRule, ID: first.IncidentID, Field: w.AutoRule, Allowed: []string{""},
			Why: fmt.Sprintf("rule %s already sent units to incident %s", w.AutoRule, first.IncidentID)})
		c.Fields = append(c.Fields, change.Field{Kind: change.KindAutoRule, ID: first.IncidentID, Field: w.AutoRule, Value: first.ID})
	}
	return c
}

// order adds one order to c: its document guarded by its status, and its
// event to the screens and to its unit (by pointer: encoded once for both;
// a new order carries masked, the incident without personal data).
func (w *Write) order(c *change.Change, ch Change, masked *incident.Incident) {
	d := ch.D
	g := change.Guard{Kind: change.KindDispatch, ID: d.ID, Field: "status", Allowed: []string{""}, Why: "order " + d.ID + " already exists"}
	ev := &Event{DispatchID: d.ID, Dispatch: d}
	typ := vocab.DispatchUpdated
	if ch.Prev == nil {
		typ = vocab.DispatchCreated
		ev.Incident = masked
	} else {
		g.Allowed = []string{ch.Prev.Status}
		g.Why = fmt.Sprintf("order %s changed meanwhile (it is no longer %s)", d.ID, ch.Prev.Status)
	}
	c.Guards = append(c.Guards, g)
	var prev any
	if ch.Prev != nil {
		prev = ch.Prev
	}
	c.Docs = append(c.Docs, change.Doc{Kind: change.KindDispatch, ID: d.ID, Value: d, Prev: prev, Fields: map[string]string{"status": d.Status}})
	c.Events = append(c.Events,
		vocab.Event{Stream: vocab.ScreenStream, Type: typ, Data: ev, Prev: prev},
		vocab.Event{Stream: vocab.UnitStream(d.UnitID), Type: typ, Data: ev, Notify: true, Prev: prev})
}

// anys is entries as the values of a change's Append.
func anys[T any](entries []T) []any {
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e
	}
	return out
}
