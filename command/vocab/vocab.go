// Package vocab is what every part of Watchfloor speaks: the streams events
// go to, the event types and the payloads several parts share, the envelope
// a socket receives, who acts (Actor, Role), where (Location) and the
// idempotency of a request. It imports nothing of Watchfloor, so any
// package may use it.
package vocab

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The streams. Screens share one, leaders another, and each unit's phones
// follow a stream of the unit's own.
const (
	ScreenStream = "screen"
	LeaderStream = "leader"
)

// UnitStream is the stream of a unit's responders.
func UnitStream(unitID string) string { return "unit:" + unitID }

// Event types carried by the streams (docs/API.md, "Events").
const (
	IncidentCreated      = "incident.created"
	IncidentUpdated      = "incident.updated"
	IncidentStatus       = "incident.status"
	UnitStatus           = "unit.status"
	UnitEntered          = "unit.entered"
	UnitLeft             = "unit.left"
	UnitPositions        = "unit.positions"
	UnitChanged          = "unit.changed"
	DispatchCreated      = "dispatch.created"
	DispatchUpdated      = "dispatch.updated"
	AlarmRaised          = "alarm.raised"
	AlarmAcked           = "alarm.acked"
	ActivationProposed   = "activation.proposed"
	ActivationApproved   = "activation.approved"
	ActivationRejected   = "activation.rejected"
	ActivationPhase      = "activation.phase"
	ActivationEnded      = "activation.ended"
	TaskAssigned         = "task.assigned"
	TaskAcknowledged     = "task.acknowledged"
	TaskDone             = "task.done"
	TasksClosed          = "tasks.closed"
	DeadlineDue          = "deadline.due"
	DeadlineOverdue      = "deadline.overdue"
	CaseCreated          = "case.created"
	CaseUpdated          = "case.updated"
	CaseAssigned         = "case.assigned"
	DailyReportSubmitted = "daily_report.submitted"
	// RosterChanged: a day of the duty roster was edited or imported.
	RosterChanged = "roster.changed"
	// Warnings (预警, issue 20): issued; raised, lowered or extended; lifted
	// or expired; and a unit's stand-by (待命) for one beginning or ending.
	WarningIssued  = "warning.issued"
	WarningUpdated = "warning.updated"
	WarningEnded   = "warning.ended"
	WarningStandBy = "warning.standby"
)

// Event is one event a change appends to a stream. Data is its payload
// (encoded as JSON when stored). Area, when set, is the grid code that
// limits who may see it; it travels in the envelope so sockets route it
// without decoding data. Notify also publishes it for the instances that do
// not tail Stream (a unit's stream). Prev is the object as it was before
// the change (nil when the change created it): it is not sent, and lets
// the counters see transitions.
type Event struct {
	Stream string
	Type   string
	Data   any
	Area   string
	Notify bool
	Prev   any
}

// Envelope is one stream message as a socket receives it.
type Envelope struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	Area string          `json:"area,omitempty"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

// UnitStatusData is the payload of unit.status.
type UnitStatusData struct {
	UnitID string    `json:"unit_id"`
	Status string    `json:"status"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Role is an account's role (docs/API.md, "Roles").
type Role string

// The roles.
const (
	Admin     Role = "admin"
	Leader    Role = "leader"
	Deputy    Role = "deputy"
	Operator  Role = "operator"
	Responder Role = "responder"
	Viewer    Role = "viewer"
	// System is the role of the changes the product makes by itself
	// (rules, timers); no account has it.
	System Role = "system"
)

// Roles returns every role an account may have, in the documented order.
func Roles() []Role { return []Role{Admin, Leader, Deputy, Operator, Responder, Viewer} }

// ValidRole reports whether r is a role an account may have.
func ValidRole(r Role) bool { return slices.Contains(Roles(), r) }

// Actor is who asks for a change.
type Actor struct {
	Username string
	Role     Role
}

// Location is a WGS-84 point. In a request both members are required
// (wf:"required"): a missing one is an error, never 0.
type Location struct {
	Lon float64 `json:"lon" wf:"required"`
	Lat float64 `json:"lat" wf:"required"`
}

// Idempotency binds an Idempotency-Key to the request it came with.
type Idempotency struct {
	Key         string // scoped by the caller: account and route
	Fingerprint string // hash of the request body
	TTL         time.Duration
}

// JoinRoles joins roles with sep, for messages.
func JoinRoles(roles []Role, sep string) string {
	var b strings.Builder
	for i, r := range roles {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(string(r))
	}
	return b.String()
}

// EnvelopeType reads the type of a stored envelope without decoding it: the
// store writes every envelope as {"seq":N,"type":"T",…} and event types are
// plain names. An envelope of another shape is decoded to find it.
func EnvelopeType(b []byte) string {
	rest, ok := bytes.CutPrefix(b, []byte(`{"seq":`))
	if ok {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if typ, ok := bytes.CutPrefix(rest[i:], []byte(`,"type":"`)); ok && i > 0 {
			if end := bytes.IndexByte(typ, '"'); end > 0 && bytes.IndexByte(typ[:end], '\\') < 0 {
				return string(typ[:end])
			}
		}
	}
	var head struct{ Type string }
	if json.Unmarshal(b, &head) != nil {
		return "" // an envelope that does not decode has no type
	}
	return head.Type
}
