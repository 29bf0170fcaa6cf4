// Package unit is the command centre's units: the configured fleet with its
// live state (position, status, grid and zones) held in memory and kept
// current from Redis, the ingest batcher that coalesces positions from
// every source into one pipeline, plausibility, the frames screens receive,
// and the search for the nearest suitable units.
package unit

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Statuses of a unit. Dispatch moves the middle three; a person moves a
// unit on or off duty.
const (
	Available  = "available"
	Dispatched = "dispatched"
	EnRoute    = "en_route"
	OnScene    = "on_scene"
	OffDuty    = "off_duty"
)

// Position is one fix of a unit. Optional readings are NaN when unknown.
type Position struct {
	Lon, Lat   float64
	At         time.Time
	SpeedMPS   float64
	Heading    float64
	AccuracyM  float64
	BatteryPct float64
}

// Unknown returns a Position at lon, lat, at with every optional reading unknown.
func Unknown(lon, lat float64, at time.Time) Position {
	n := math.NaN()
	return Position{Lon: lon, Lat: lat, At: at, SpeedMPS: n, Heading: n, AccuracyM: n, BatteryPct: n}
}

// Flags mark a stored fix that did not move its unit.
type Flags uint8

// Flag values, combinable.
const (
	// Late: older than the unit's last position; kept in the track only.
	Late Flags = 1 << iota
	// Implausible: implies a speed above the configured limit.
	Implausible
)

// Names returns the flags as words for the API.
func (f Flags) Names() []string {
	out := []string{}
	if f&Late != 0 {
		out = append(out, "late")
	}
	if f&Implausible != 0 {
		out = append(out, "implausible")
	}
	return out
}

// AppendJSON appends the position as a JSON object; unknown readings are
// left out. It is the hot path of frames, so it does not use reflection.
func (p *Position) AppendJSON(b []byte) []byte {
	b = append(b, `{"lon":`...)
	b = strconv.AppendFloat(b, p.Lon, 'f', -1, 64)
	b = append(b, `,"lat":`...)
	b = strconv.AppendFloat(b, p.Lat, 'f', -1, 64)
	b = append(b, `,"at":"`...)
	b = p.At.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendOpt(b, `,"speed_mps":`, p.SpeedMPS)
	b = appendOpt(b, `,"heading":`, p.Heading)
	b = appendOpt(b, `,"accuracy_m":`, p.AccuracyM)
	b = appendOpt(b, `,"battery_pct":`, p.BatteryPct)
	return append(b, '}')
}

func appendOpt(b []byte, key string, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return b
	}
	b = append(b, key...)
	return strconv.AppendFloat(b, math.Round(v*100)/100, 'f', -1, 64)
}

// MarshalJSON writes the position as the API shows it.
func (p Position) MarshalJSON() ([]byte, error) { return p.AppendJSON(make([]byte, 0, 160)), nil }

// UnmarshalJSON reads what MarshalJSON writes; absent readings are unknown.
func (p *Position) UnmarshalJSON(b []byte) error {
	var v struct {
		Lon, Lat   float64
		At         time.Time
		SpeedMPS   *float64 `json:"speed_mps"`
		Heading    *float64 `json:"heading"`
		AccuracyM  *float64 `json:"accuracy_m"`
		BatteryPct *float64 `json:"battery_pct"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Unknown(v.Lon, v.Lat, v.At)
	opt := func(dst *float64, src *float64) {
		if src != nil {
			*dst = *src
		}
	}
	opt(&p.SpeedMPS, v.SpeedMPS)
	opt(&p.Heading, v.Heading)
	opt(&p.AccuracyM, v.AccuracyM)
	opt(&p.BatteryPct, v.BatteryPct)
	return nil
}

func jsonString(s string) ([]byte, error) { return json.Marshal(s) }
