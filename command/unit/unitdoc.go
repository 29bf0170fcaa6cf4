package unit

import (
	"slices"
	"time"

	"watchfloor/config"
)

// Unit is a unit's registry document: what the administration page edits.
// Configured units are seeds, written at first start and never overwritten.
type Unit struct {
	ID           string    `json:"id"`
	Callsign     string    `json:"callsign"`
	Type         string    `json:"type"`
	Team         string    `json:"team"`
	HomeGrid     string    `json:"home_grid"`
	Devices      []string  `json:"device_ids"`
	Capabilities []string  `json:"capabilities"`
	Retired      bool      `json:"retired"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// FromConfig is the registry document of a configured unit, before it is
// stored (version 0).
func FromConfig(u config.Unit) Unit {
	return Unit{ID: u.ID, Callsign: u.Callsign, Type: u.Type, Team: u.Team, HomeGrid: u.HomeGrid, Devices: slices.Clone(u.Devices)}
}
