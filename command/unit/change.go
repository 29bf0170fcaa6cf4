package unit

import (
	"time"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/vocab"
)

// TimelineLen is how many entries a unit's timeline keeps.
const TimelineLen = 1000

// statusChange puts a unit on or off duty: the status, guarded so that an
// order or a retirement stored meanwhile stands, an entry in its timeline,
// unit.status on the screens and an audit record.
func statusChange(id, status, by string, role vocab.Role, at time.Time) *change.Change {
	c := &change.Change{At: at}
	c.Guards = []change.Guard{{Kind: change.KindUnitStatus, Field: id, Allowed: []string{"", Available, OffDuty},
		Why: "unit " + id + " was sent on an order or retired meanwhile"}}
	c.Fields = []change.Field{{Kind: change.KindUnitStatus, Field: id, Value: status}}
	c.Appends = []change.Append{{Kind: change.KindUnitTimeline, ID: id, Keep: TimelineLen,
		Entries: []any{map[string]any{"at": at, "type": "status", "status": status, "by": by, "role": role}}}}
	c.Emit(vocab.UnitStatus, vocab.UnitStatusData{UnitID: id, Status: status, By: by, At: at}, vocab.ScreenStream)
	c.Audit = []audit.Record{{At: at, Who: by, Role: role, Action: "unit.status", Object: id, Detail: map[string]any{"status": status}}}
	return c
}

// transitionsChange records grid and zone transitions: each is an event on
// the screens and an entry in its unit's timeline.
func transitionsChange(ts []Transition) *change.Change {
	c := &change.Change{}
	for _, t := range ts {
		typ := vocab.UnitLeft
		if t.Entered {
			typ = vocab.UnitEntered
		}
		c.Appends = append(c.Appends, change.Append{Kind: change.KindUnitTimeline, ID: t.UnitID, Keep: TimelineLen,
			Entries: []any{map[string]any{"at": t.At, "type": typ, "detail": t}}})
		c.Emit(typ, t, vocab.ScreenStream)
	}
	return c
}
