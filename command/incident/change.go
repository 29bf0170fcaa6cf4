package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/vocab"
)

// change is what w does, for a store to carry out at once: the incident
// written over the version it was read at, its timeline entries and their
// audit records, its event for the screens (the summary: no personal data,
// no long texts; a status change for the leaders too), the extra events,
// the alarm, timers and follow-ups.
func (w *Write) change() *change.Change {
	inc := w.Incident
	c := &change.Change{At: inc.UpdatedAt, Jobs: w.Jobs}
	want := ""
	if w.Prev != nil {
		want = strconv.FormatInt(w.Prev.Version, 10)
	}
	c.Guards = []change.Guard{{Kind: change.KindIncident, ID: inc.ID, Field: "ver", Allowed: []string{want},
		Why: fmt.Sprintf("incident %s changed meanwhile", inc.ID)}}
	if w.Idem != nil {
		c.Idem = change.IdemOf(w.Idem, inc.ID)
	}
	c.Docs = []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: inc, Prev: w.Prev,
		Fields: map[string]string{"ver": strconv.FormatInt(inc.Version, 10)}}}
	entries := w.Entries
	if w.Alarm != nil {
		entries = append(entries[:len(entries):len(entries)], AlarmEntry(w.Alarm))
	}
	if len(entries) > 0 {
		list := make([]any, len(entries))
		for i, e := range entries {
			list[i] = e
		}
		c.Appends = []change.Append{{Kind: change.KindIncidentTimeline, ID: inc.ID, Entries: list}}
		c.Audit = AuditRecords(inc.ID, entries)
	}
	c.Events = []vocab.Event{{Stream: vocab.ScreenStream, Type: w.Event, Data: inc.Summarize(), Prev: w.Prev}}
	if w.Prev != nil && w.Prev.Status != inc.Status {
		// Leaders see an incident closed or reopened beside its plans,
		// which they end (a note of its own: counted nowhere).
		c.Emit(vocab.IncidentStatus, &StatusNote{ID: inc.ID, Status: inc.Status, ClosedAt: inc.ClosedAt, ReopenedAt: inc.ReopenedAt,
			UpdatedAt: inc.UpdatedAt, Version: inc.Version}, vocab.LeaderStream)
	}
	for _, e := range w.Extra {
		c.Emit(e.Type, e.Data, vocab.ScreenStream)
		if strings.HasPrefix(e.Type, "deadline.") {
			// Leaders watch reporting deadlines too (the leader page's countdowns).
			c.Emit(e.Type, e.Data, vocab.LeaderStream)
		}
	}
	if w.Alarm != nil {
		c.Raise(w.Alarm)
	}
	c.Schedule(w.AddTimers)
	c.Cancel(w.DelTimers...)
	return c
}

// StatusNote is incident.status on the leader stream: an incident's
// status changed (closed, reopened, moved on).
type StatusNote struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	ReopenedAt *time.Time `json:"reopened_at,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int64      `json:"version"`
}

// AlarmEntry is the timeline entry of an alarm raised with a change.
func AlarmEntry(a *alarm.Alarm) Entry {
	d := map[string]any{"alarm_id": a.ID, "kind": a.Kind}
	if a.DispatchID != "" {
		d["dispatch_id"], d["unit_id"] = a.DispatchID, a.UnitID
	}
	if a.Detail != "" {
		d["detail"] = a.Detail
	}
	return Entry{At: a.RaisedAt, Type: "alarm.raised", By: "system", Role: vocab.System, Detail: d}
}

// AlarmAcked is the change that acknowledges an open alarm (a.AckedBy at
// a.AckedAt, for a person of role): the alarm, its audit record and, for an
// alarm about an incident, an entry in the incident's timeline.
func AlarmAcked(a *alarm.Alarm, role vocab.Role) *change.Change {
	c := &change.Change{At: *a.AckedAt}
	c.Ack(a)
	if a.IncidentID != "" {
		c.Appends = []change.Append{{Kind: change.KindIncidentTimeline, ID: a.IncidentID, Entries: []any{Entry{At: *a.AckedAt,
			Type: "alarm.acked", By: a.AckedBy, Role: role, Detail: map[string]any{"alarm_id": a.ID, "kind": a.Kind}}}}}
	}
	c.Audit = []audit.Record{{At: *a.AckedAt, Who: a.AckedBy, Role: role, Action: "alarm.acked", Object: a.ID,
		IncidentID: a.IncidentID, Detail: map[string]any{"kind": a.Kind}}}
	return c
}
