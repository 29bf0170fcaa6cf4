// Package warning is the warnings (预警) a command centre issues before
// anything has happened: a forecast, a large event, a higher body's request.
// A warning covers an area (the city, streets, communities or a drawn
// polygon) for a validity period at a colour level; it puts the plans
// configured for its type and colour on stand-by (待命) and their working
// groups on call, and incidents reported inside it while it is in force
// carry it.
package warning

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/vocab"
	"watchfloor/config"
)

// Types of warning.
const (
	Typhoon       = "typhoon"
	Rainstorm     = "rainstorm"
	Flood         = "flood"
	LargeEvent    = "large_event"
	MassGathering = "mass_gathering"
	Other         = "other"
)

// Types lists the warning types in the order the pages offer them.
// (config keeps the list, since it cannot import this package).
func Types() []string { return config.WarningTypes() }

// Colour is a warning's colour level, as Chinese warnings are issued:
// blue, yellow, orange, red, from least to most severe.
type Colour string

// The colour levels.
const (
	Blue   Colour = "blue"
	Yellow Colour = "yellow"
	Orange Colour = "orange"
	Red    Colour = "red"
)

// Rank orders colours: blue 1 … red 4; 0 for anything else.
func (c Colour) Rank() int {
	switch c {
	case Blue:
		return 1
	case Yellow:
		return 2
	case Orange:
		return 3
	case Red:
		return 4
	}
	return 0
}

// Valid reports whether c is one of the four colours.
func (c Colour) Valid() bool { return c.Rank() > 0 }

// Level is the response level a plan started for a warning of colour c
// takes by default: red I, orange II, yellow III, blue IV ("" if invalid).
func (c Colour) Level() string {
	return [...]string{"", "IV", "III", "II", "I"}[c.Rank()]
}

// Statuses of a warning. Active covers a warning issued for a period that
// has not begun yet: InForce tells whether it is in force at a time.
const (
	Active  = "active"
	Lifted  = "lifted"
	Expired = "expired"
)

// Kinds of area.
const (
	AreaCity        = "city"
	AreaStreets     = "streets"
	AreaCommunities = "communities"
	AreaPolygon     = "polygon"
)

// Area is where a warning applies: the whole city, street or community grid
// codes, or one drawn polygon (GeoJSON Polygon coordinates: rings of
// [lon, lat] in WGS-84, the outer ring first, each ring closed).
type Area struct {
	Kind    string         `json:"kind"`
	Codes   []string       `json:"codes,omitempty"`
	Polygon [][][2]float64 `json:"polygon,omitempty"`
	// Names are the named areas it covers, filled by the server: the codes'
	// grids, or for the city the districts.
	Names []Name `json:"names,omitempty"`
}

// Name names one grid area a warning covers.
type Name struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en,omitempty"`
}

// Steps of a warning's history.
const (
	StepIssued   = "issued"
	StepRaised   = "raised"
	StepLowered  = "lowered"
	StepExtended = "extended"
	StepLifted   = "lifted"
	StepExpired  = "expired"
)

// Step is one step of a warning's history, each audited as well.
type Step struct {
	At     time.Time  `json:"at"`
	Action string     `json:"action"`
	By     string     `json:"by"`
	Role   vocab.Role `json:"role,omitempty"`
	// From and To are the colours of a raise or lower, the end times
	// (RFC 3339) of an extension.
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// StandBy is a plan on stand-by (待命) for a warning: its working groups
// and the units on call in each.
type StandBy struct {
	PlanID   string      `json:"plan_id"`
	PlanName config.Text `json:"plan_name"`
	Groups   []Group     `json:"groups"`
	Since    time.Time   `json:"since"`
}

// Group is a working group of a plan on stand-by and its units.
type Group struct {
	ID    string      `json:"id"`
	Name  config.Text `json:"name"`
	Units []string    `json:"units"`
}

// Warning is one warning and everything that happened to it.
type Warning struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Colour Colour `json:"colour"`
	Title  string `json:"title"`
	Text   string `json:"text"`
	Area   Area   `json:"area"`
	// StartsAt and EndsAt are the validity period; EndsAt is after it.
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Status   string    `json:"status"`
	Drill    bool      `json:"drill,omitempty"`
	// Source is who the warning comes from (气象台, 上级通知 …), optional.
	Source     string     `json:"source,omitempty"`
	IssuedAt   time.Time  `json:"issued_at"`
	IssuedBy   string     `json:"issued_by"`
	IssuedRole vocab.Role `json:"issued_role"`
	UpdatedAt  time.Time  `json:"updated_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	// StandBy are the plans on stand-by while it is active (none once it
	// has ended).
	StandBy []StandBy `json:"standby"`
	History []Step    `json:"history"`
	// Version counts its steps from 1 (issued): CAP's Update sequence and
	// the guard of every change.
	Version int64 `json:"version"`
}

// InForce reports whether w is active and t lies in its validity period.
func (w *Warning) InForce(t time.Time) bool {
	return w.Status == Active && !t.Before(w.StartsAt) && t.Before(w.EndsAt)
}

// Ref is what an incident reported inside a warning in force carries;
// Drill marks a drill's warning, which only drill incidents carry.
type Ref struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Colour Colour `json:"colour"`
	Title  string `json:"title"`
	Drill  bool   `json:"drill,omitempty"`
}

// Finder answers which warnings cover a place, for incidents and plans,
// from an in-memory index every instance keeps up to date.
type Finder interface {
	// Covering lists the warnings in force at t whose area contains p,
	// most severe first.
	Covering(p orb.Point, t time.Time) []Ref
	// Load returns the warning id (fault.ErrNotFound when there is none).
	Load(ctx context.Context, id string) (*Warning, error)
}
