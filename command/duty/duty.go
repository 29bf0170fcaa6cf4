// Package duty is the duty roster (值班表: each day's shifts with the leader
// on duty 带班领导, the operators and the stand-by units 备勤) and the shift
// handover (交接班) between an outgoing and an incoming operator.
package duty

import (
	"context"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/vocab"
)

// The kinds of keyed maps duty keeps, one per month (ID "2026-12"): the
// roster maps date → day (JSON) and "v:"+date → its version; handovers
// map id → handover (JSON) and "s:"+id → its status; the handovers map
// "drafts" maps a username → the id of the last handover they opened.
const (
	KindRoster    = "roster"
	KindHandovers = "handovers"
	DraftsID      = "drafts"
)

// Audit actions.
const (
	RosterChanged    = "roster.changed"
	RosterImported   = "roster.imported"
	HandoverOpened   = "handover.opened"
	HandoverRefresh  = "handover.refreshed"
	HandoverSubmit   = "handover.submitted"
	HandoverAccepted = "handover.accepted"
)

// Person is an account as the roster shows it.
type Person struct {
	Username string     `json:"username"`
	Name     string     `json:"name"`
	Role     vocab.Role `json:"role"`
	Phone    string     `json:"phone,omitempty"`
	// Disabled accounts may not be rostered, nor shown on duty.
	Disabled bool `json:"-"`
}

// People looks accounts up (the accounts live in the configuration or in
// Redis; the wiring says which).
type People interface {
	Person(ctx context.Context, username string) (Person, bool, error)
}

// Units looks units up: the callsign of a unit id, ok when it exists.
type Units interface {
	Callsign(id string) (string, bool)
}

// Store keeps the roster and the handovers: the month maps, numbers for
// handover ids, and Apply.
type Store interface {
	// Month returns the keyed map (kind, month) whole.
	Month(ctx context.Context, kind, month string) (map[string]string, error)
	// Field returns one field of the keyed map (kind, id), ok when set.
	Field(ctx context.Context, kind, id, field string) (string, bool, error)
	NextID(ctx context.Context, day string) (int64, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// Items lists what is open for a handover's pre-fill: with the incidents
// created from from up to and including to (the handover's now).
type Items interface {
	Open(ctx context.Context, from, to time.Time) (Lists, error)
}

// Service reads and changes the roster and the handovers.
type Service struct {
	store  Store
	people People
	units  Units
	items  Items
	loc    *time.Location
	now    func() time.Time
}

// NewService builds the duty service; loc is the configured time zone.
func NewService(st Store, people People, units Units, items Items, loc *time.Location, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Service{store: st, people: people, units: units, items: items, loc: loc, now: now}
}

// Location is the time zone shifts are given in.
func (s *Service) Location() *time.Location { return s.loc }

// Today is now (the injected clock) in the configured time zone.
func (s *Service) Today() time.Time { return s.now().In(s.loc) }
