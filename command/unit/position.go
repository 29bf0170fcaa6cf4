// Package unit is the command centre's units: the configured fleet with its
// live state (position, status, grid and zones) held in memory and kept
// current from Redis, the ingest batcher that coalesces positions from
// every source into one pipeline, plausibility, the frames screens receive,
// and the search for the nearest suitable units.
package unit

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"watchfloor/command/fault"
)

// Statuses of a unit. Dispatch moves the middle three; a person moves a
// unit on or off duty; the registry retires it.
const (
	Available  = "available"
	Dispatched = "dispatched"
	EnRoute    = "en_route"
	OnScene    = "on_scene"
	OffDuty    = "off_duty"
	Retired    = "retired"
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

// Bounds of a position's readings, the same for every source (batch API,
// OsmAnd, responder sockets) and for what is read back from storage. A
// coordinate or time outside them refuses the position; an optional reading
// outside them is dropped (made unknown), as Traccar does, so one absurd
// reading never costs the fix itself.
const (
	// MaxSpeedMPS is 1,000 km/h: faster than anything on a city's roads or
	// in its helicopters; above it a speed is noise.
	MaxSpeedMPS = 1000 / 3.6
	// MaxHeading: headings run from 0 to 360 degrees.
	MaxHeading = 360
	// MaxAccuracyM is 100 km, looser than the coarsest cell-tower fix.
	MaxAccuracyM = 100_000
	// MaxBatteryPct: battery levels are percent.
	MaxBatteryPct = 100
)

// MinTime is the earliest time a position may carry: the Unix epoch. Go's
// zero time (year 1) and anything before 1970 is a device without a clock,
// never a real fix.
func MinTime() time.Time { return time.Unix(0, 0).UTC() }

// in reports whether v is a finite number within [lo, hi].
func in(v, lo, hi float64) bool { return v >= lo && v <= hi } // false for NaN; ±Inf fall outside

// Sanitize drops every optional reading that is not a finite number within
// its bound, making it unknown (NaN).
func (p *Position) Sanitize() {
	drop := func(v *float64, hi float64) {
		if !in(*v, 0, hi) {
			*v = math.NaN()
		}
	}
	drop(&p.SpeedMPS, MaxSpeedMPS)
	drop(&p.Heading, MaxHeading)
	drop(&p.AccuracyM, MaxAccuracyM)
	drop(&p.BatteryPct, MaxBatteryPct)
}

// CheckPlace says what is wrong with a position's coordinates and time, or
// returns nil: lon and lat finite and on the earth, the time not before
// MinTime. A zero time is allowed only when zeroOK (the caller stamps it).
func (p *Position) CheckPlace(zeroOK bool) error {
	switch {
	case !in(p.Lat, -90, 90):
		return fault.Field("lat", "coordinates out of range: lat must be a number from -90 to 90")
	case !in(p.Lon, -180, 180):
		return fault.Field("lon", "coordinates out of range: lon must be a number from -180 to 180")
	case p.At.IsZero() && zeroOK:
		return nil
	case !p.At.After(MinTime()):
		return fault.Field("at", "must be a time after 1970-01-01T00:00:00Z, not %s", p.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// AppendJSON appends the position as a JSON object; unknown readings are
// left out. It is the hot path of frames, so it does not use reflection.
// Whatever the position holds, the output is valid JSON: readings out of
// bounds are left out and a coordinate that is not finite is written null.
func (p *Position) AppendJSON(b []byte) []byte {
	b = appendCoord(append(b, `{"lon":`...), p.Lon)
	b = appendCoord(append(b, `,"lat":`...), p.Lat)
	return p.appendJSONRest(b)
}

// AppendJSONWith is AppendJSON with the coordinates given as the text
// strconv.AppendFloat(v, 'f', -1, 64) makes of them (empty when not
// finite), for a caller that has formatted them already (floats' text was
// a tenth of the server's CPU storing positions); lon and lat may lie in
// b's own array, before len(b).
func (p *Position) AppendJSONWith(b, lon, lat []byte) []byte {
	b = appendCoordText(append(b, `{"lon":`...), lon)
	b = appendCoordText(append(b, `,"lat":`...), lat)
	return p.appendJSONRest(b)
}

// appendCoordText appends a formatted coordinate, null when empty.
func appendCoordText(b, v []byte) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
}

// appendJSONRest appends what follows the coordinates in AppendJSON.
func (p *Position) appendJSONRest(b []byte) []byte {
	q := *p
	q.Sanitize()
	b = append(b, `,"at":"`...)
	b = q.At.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendOpt(b, `,"speed_mps":`, q.SpeedMPS)
	b = appendOpt(b, `,"heading":`, q.Heading)
	b = appendOpt(b, `,"accuracy_m":`, q.AccuracyM)
	b = appendOpt(b, `,"battery_pct":`, q.BatteryPct)
	return append(b, '}')
}

func appendCoord(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendOpt appends a sanitized reading (bounded, so rounding cannot
// overflow), or nothing when it is unknown.
func appendOpt(b []byte, key string, v float64) []byte {
	if math.IsNaN(v) {
		return b
	}
	b = append(b, key...)
	return strconv.AppendFloat(b, math.Round(v*100)/100, 'f', -1, 64)
}

// Readings are a position's optional readings as sent; nil is unknown.
type Readings struct {
	SpeedMPS, Heading, AccuracyM, BatteryPct *float64
}

// Read builds a checked position: its place on the earth and its time
// (zero only when zeroOK, meaning "now"), its readings, those out of
// bounds dropped. The error is a fault.Invalid naming the field.
func Read(lon, lat float64, at time.Time, zeroOK bool, r Readings) (Position, error) {
	p := Unknown(lon, lat, at)
	if err := p.CheckPlace(zeroOK); err != nil {
		return Position{}, err
	}
	for _, f := range []struct {
		dst *float64
		src *float64
	}{{&p.SpeedMPS, r.SpeedMPS}, {&p.Heading, r.Heading}, {&p.AccuracyM, r.AccuracyM}, {&p.BatteryPct, r.BatteryPct}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	p.Sanitize()
	return p, nil
}

// MarshalJSON writes the position as the API shows it.
func (p Position) MarshalJSON() ([]byte, error) { return p.AppendJSON(make([]byte, 0, 160)), nil }

// UnmarshalJSON reads what MarshalJSON writes; absent readings are unknown.
// It refuses a position without a place or time (what storage or another
// instance holds is checked as strictly as what a device sends) and drops
// readings out of bounds.
func (p *Position) UnmarshalJSON(b []byte) error {
	var v struct {
		Lon, Lat   *float64
		At         time.Time
		SpeedMPS   *float64 `json:"speed_mps"`
		Heading    *float64 `json:"heading"`
		AccuracyM  *float64 `json:"accuracy_m"`
		BatteryPct *float64 `json:"battery_pct"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Lon == nil || v.Lat == nil {
		return errors.New("position without lon or lat")
	}
	q, err := Read(*v.Lon, *v.Lat, v.At, false, Readings{v.SpeedMPS, v.Heading, v.AccuracyM, v.BatteryPct})
	if err != nil {
		return err
	}
	*p = q
	return nil
}

func jsonString(s string) ([]byte, error) { return json.Marshal(s) }
