// Package change is the value a domain operation returns: everything one
// atomic step of state does (the guards to check, the documents and fields
// to write, the timeline entries, the events and the streams they go to,
// timers, audit records and follow-up jobs). The domain decides it; a store
// carries it out whole or not at all and knows nothing of which event goes
// where. The figures' counters are not listed: they come from the events
// (stats.Counts).
package change

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/job"
	"watchfloor/command/vocab"
)

// Change is one atomic change of state.
type Change struct {
	// At is when the change happened (the events' time).
	At time.Time
	// Idem, when set, makes the change happen once per key: a repeat
	// finds the value stored by the first and changes nothing.
	Idem *Idem
	// Guards must all hold or nothing is written (a *fault.Conflict
	// naming the first that failed is returned).
	Guards []Guard
	// Docs are documents written whole, each with its small fields.
	Docs []Doc
	// Fields are single values set in a keyed map (a unit's status, the
	// slot that makes a plan proposed once per incident and level).
	Fields []Field
	// Counts add to counters of a keyed map; an event's data may carry
	// their new values (Counted).
	Counts []Count
	// Appends add entries to a document's list (its timeline).
	Appends []Append
	// Events are appended to their streams after the writes, in order.
	Events []vocab.Event
	// Timers are scheduled or cancelled with the change.
	Timers []Timer
	// Audit records are appended to the audit trail with the change.
	Audit []audit.Record
	// Jobs are follow-ups recorded with the change, so they are carried
	// out even when this instance dies next; Commit gives them their ids.
	Jobs []job.Job
}

// Idem is an idempotency record: Key (scoped by the caller) holds Value
// for TTL.
type Idem struct {
	Key   string
	Value string
	TTL   time.Duration
}

// Guard requires the field Field of the map (Kind, ID) to hold one of
// Allowed ("" stands for absent). A document's fields are such a map (Kind
// "incident", Field "ver"), as is a keyed map of Fields. Why says what
// changed meanwhile when it fails ("order d-1 changed meanwhile").
// Stores only read Allowed: guards of one change may share it.
type Guard struct {
	Kind, ID, Field string
	Allowed         []string
	Why             string
}

// Doc is one document written whole: Value (encoded as JSON) and Fields,
// small values stored beside it that guards check (ver, status, acked).
// Prev is the value it replaces (nil when new): a store keeps the indexes
// of Kind from the two. Stores only read Fields: documents of one change
// may share it (a delivery's tasks do).
type Doc struct {
	Kind, ID string
	Value    any
	Prev     any
	Fields   map[string]string
}

// Field sets Field of the keyed map (Kind, ID) to Value.
type Field struct {
	Kind, ID, Field, Value string
}

// Count adds By to the counter Field of the keyed map (Kind, ID), absent
// counting as 0: writers moving one counter need no guard between them.
type Count struct {
	Kind, ID, Field string
	By              int64
}

// Counted is event data whose JSON holds counts' new values: Parts[0], the
// value of Counts[Holes[0]], Parts[1], … (control characters never in a part).
type Counted struct {
	Parts [][]byte
	Holes []int
}

// Check reports what makes d unusable with n counts: parts and holes that
// do not alternate, a hole naming no count, a control character in a part.
func (d Counted) Check(n int) error {
	if len(d.Parts) != len(d.Holes)+1 {
		return fmt.Errorf("counted data: %d parts around %d holes", len(d.Parts), len(d.Holes))
	}
	for _, h := range d.Holes {
		if h < 0 || h >= n {
			return fmt.Errorf("counted data: hole for count %d of %d", h, n)
		}
	}
	for _, p := range d.Parts {
		if slices.ContainsFunc(p, func(b byte) bool { return b < 0x20 }) {
			return fmt.Errorf("counted data: a control character in %q", p)
		}
	}
	return nil
}

// Fill returns the JSON with each hole filled from values (by count).
func (d Counted) Fill(values []int64) []byte {
	n := 0
	for _, p := range d.Parts {
		n += len(p) + 20
	}
	out := make([]byte, 0, n)
	for i, p := range d.Parts {
		out = append(out, p...)
		if i < len(d.Holes) {
			out = strconv.AppendInt(out, values[d.Holes[i]], 10)
		}
	}
	return out
}

// Append adds Entries (each encoded as JSON) to the list (Kind, ID);
// Keep, when positive, keeps only the newest Keep entries.
type Append struct {
	Kind, ID string
	Entries  []any
	Keep     int
}

// Timer schedules Member (as timer.Member makes it) at Due, or cancels it.
type Timer struct {
	Member string
	Due    time.Time
	Cancel bool
}

// Result is what carrying out a change did.
type Result struct {
	// Duplicate holds the first Value stored under Idem.Key when the
	// change was a repeat and nothing was written.
	Duplicate string
	// Seqs are the seqs given to Events, in order.
	Seqs []uint64
}

// Schedule adds timers at due for each member.
func (c *Change) Schedule(due map[string]time.Time) {
	for m, at := range due {
		c.Timers = append(c.Timers, Timer{Member: m, Due: at})
	}
}

// Cancel adds the cancelling of each member's timer.
func (c *Change) Cancel(members ...string) {
	for _, m := range members {
		c.Timers = append(c.Timers, Timer{Member: m, Cancel: true})
	}
}

// Emit adds an event of type typ with data to each stream.
func (c *Change) Emit(typ string, data any, streams ...string) {
	for _, s := range streams {
		c.Events = append(c.Events, vocab.Event{Stream: s, Type: typ, Data: data})
	}
}

// Raise adds a raised alarm: its document and its alarm.raised event on
// the screen stream (limited to its area).
func (c *Change) Raise(a *alarm.Alarm) {
	c.Docs = append(c.Docs, Doc{Kind: KindAlarm, ID: a.ID, Value: a, Fields: map[string]string{"acked": "0"}})
	c.Events = append(c.Events, vocab.Event{Stream: vocab.ScreenStream, Type: vocab.AlarmRaised, Data: a, Area: a.Area})
}

// Ack adds the acknowledgement of an open alarm (a.AckedBy at a.AckedAt):
// its document, guarded against a second acknowledgement, and its
// alarm.acked event on the screen stream (limited to its area).
func (c *Change) Ack(a *alarm.Alarm) {
	c.Guards = append(c.Guards, Guard{Kind: KindAlarm, ID: a.ID, Field: "acked", Allowed: []string{"0"},
		Why: "alarm " + a.ID + " was already acknowledged"})
	c.Docs = append(c.Docs, Doc{Kind: KindAlarm, ID: a.ID, Value: a, Fields: map[string]string{"acked": "1"}})
	c.Events = append(c.Events, vocab.Event{Stream: vocab.ScreenStream, Type: vocab.AlarmAcked, Data: a, Area: a.Area})
}

// The kinds of documents and keyed maps. A store lays each out its own
// way; in Redis the key of (Kind, ID) is the kind's first word, the id and
// the kind's other words (incident.proposed, i-1 → incident:i-1:proposed),
// or the kind's words alone when ID is "" (units.status → units:status).
const (
	KindIncident   = "incident"
	KindDispatch   = "dispatch"
	KindActivation = "activation"
	KindTask       = "task"
	KindCase       = "case"
	KindAlarm      = "alarm"
	// KindUnit is a unit's registry document (unit.Unit).
	KindUnit = "unit"
	// KindUnitDevices maps device id → unit id (ID ""); "" is no unit.
	KindUnitDevices = "units.devices"
	// KindUnitStatus maps unit id → status (ID "").
	KindUnitStatus = "units.status"
	// KindProposed maps plan@level → activation id, per incident.
	KindProposed = "incident.proposed"
	// KindAutoRule maps rule → first dispatch id, per incident.
	KindAutoRule = "incident.auto"
	// KindProgress maps group:ack, group:done, group:v → counts, per activation.
	KindProgress = "activation.progress"
	// KindDaily maps area → daily report JSON, per date.
	KindDaily = "daily"
	// KindTimeline is the list of an incident's, a case's or a unit's
	// timeline: (Kind "incident.timeline", ID) and so on.
	KindIncidentTimeline = "incident.timeline"
	KindCaseTimeline     = "case.timeline"
	KindUnitTimeline     = "unit.timeline"
)
