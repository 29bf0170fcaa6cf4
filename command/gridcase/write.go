package gridcase

import (
	"context"
	"strconv"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
)

// Write is one atomic change of a case; Change turns it into the change a
// store carries out.
type Write struct {
	Case      *Case
	Prev      *Case
	Entries   []Entry
	Event     string
	AddTimers map[string]time.Time
	DelTimers []string
	Alarm     *alarm.Alarm
	// SuperviseDue sets (or moves) the case's 督办 timer; EndSupervision
	// cancels it.
	SuperviseDue   *time.Time
	EndSupervision bool
	// AssignedUnit gets case.assigned on its stream.
	AssignedUnit string
	Idem         *vocab.Idempotency
}

// Masked returns a copy with the reporter's name and phone masked: the
// case as events carry it.
func (c *Case) Masked() *Case {
	m := *c
	if c.Reporter != nil {
		r := *c.Reporter
		r.Name, r.Phone = incident.MaskName(r.Name), incident.MaskPhone(r.Phone)
		m.Reporter = &r
	}
	return &m
}

// Change is what w changes: the case guarded by its version (and, when
// created, by its request's idempotency key), its timeline and their audit
// records, its time-limit timers, its event to the screens (and to the
// unit it was dispatched to), and its alarm.
func (w *Write) Change() *change.Change {
	c := w.Case
	ch := &change.Change{At: c.UpdatedAt}
	want := ""
	var prev any
	if w.Prev != nil {
		want, prev = strconv.FormatInt(w.Prev.Version, 10), w.Prev
	}
	ch.Guards = []change.Guard{{Kind: change.KindCase, ID: c.ID, Field: "ver", Allowed: []string{want}}}
	if w.Idem != nil {
		ch.Idem = change.IdemOf(w.Idem, c.ID)
	}
	ch.Docs = []change.Doc{{Kind: change.KindCase, ID: c.ID, Value: c, Prev: prev, Fields: map[string]string{"ver": strconv.FormatInt(c.Version, 10)}}}
	if len(w.Entries) > 0 {
		entries := make([]any, len(w.Entries))
		for i, e := range w.Entries {
			entries[i] = e
			ch.Audit = append(ch.Audit, audit.Record{At: e.At, Who: e.By, Role: e.Role, Action: "case." + e.Action,
				Object: c.ID, Reason: e.Reason, Detail: map[string]any{"status": e.Status}})
		}
		ch.Appends = []change.Append{{Kind: change.KindCaseTimeline, ID: c.ID, Entries: entries}}
	}
	for id, due := range w.AddTimers {
		ch.Timers = append(ch.Timers, change.Timer{Member: timer.Member(TimerKind, id), Due: due})
	}
	for _, id := range w.DelTimers {
		ch.Cancel(timer.Member(TimerKind, id))
	}
	if w.SuperviseDue != nil {
		ch.Timers = append(ch.Timers, change.Timer{Member: timer.Member(SupervisionKind, c.ID), Due: *w.SuperviseDue})
	}
	if w.EndSupervision {
		ch.Cancel(timer.Member(SupervisionKind, c.ID))
	}
	masked := c.Masked()
	ch.Events = []vocab.Event{{Stream: vocab.ScreenStream, Type: w.Event, Data: masked, Area: c.Area, Prev: prev}}
	if w.AssignedUnit != "" {
		ch.Events = append(ch.Events, vocab.Event{Stream: vocab.UnitStream(w.AssignedUnit), Type: vocab.CaseAssigned, Data: masked, Notify: true, Area: c.Area, Prev: prev})
	}
	if w.Alarm != nil {
		ch.Raise(w.Alarm)
	}
	return ch
}

// save carries out w; dup is what the first request stored under w's
// idempotency key when this one is a repeat.
func (s *Service) save(ctx context.Context, w *Write) (dup string, err error) {
	res, err := s.store.Apply(ctx, w.Change())
	return res.Duplicate, err
}
