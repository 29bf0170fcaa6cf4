// Package osmand decodes the OsmAnd tracking protocol as the Traccar Client
// app and many hardware trackers send it: parameters in the query string or
// a form body, or the JSON body of newer Traccar Client versions. It is pure
// (bytes in, a report out) and fuzzed, because it parses whatever devices
// on the street send.
package osmand

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/fault"
)

// KnotsToMPS converts knots, the unit OsmAnd sends speeds in, to m/s.
const KnotsToMPS = 1852.0 / 3600.0

// Bounds of what a device may say. A device id or coordinate outside them
// refuses the request; an optional reading outside them is dropped (made
// unknown) and the fix kept, as Traccar does: devices resend a refused
// request forever, and one absurd reading must not cost the position.
// They match the bounds the unit package applies to every source.
const (
	// MaxDeviceID is the longest device id, in bytes.
	MaxDeviceID = 128
	// MaxSpeedMPS is 1,000 km/h.
	MaxSpeedMPS = 1000 / 3.6
	// MaxHeading: headings run from 0 to 360 degrees.
	MaxHeading = 360
	// MaxAccuracyM is 100 km.
	MaxAccuracyM = 100_000
	// MinAltitudeM and MaxAltitudeM: from below the Dead Sea to above any
	// mountain a city has.
	MinAltitudeM, MaxAltitudeM = -500, 10_000
	// MaxBatteryPct: battery levels are percent.
	MaxBatteryPct = 100
)

// Report is what a device sent. Optional readings are NaN when unknown
// (absent, unparsable, negative, which devices use to say "unknown", or out
// of bounds).
type Report struct {
	DeviceID string
	// HasPosition is false when the request carried no usable fix (only
	// cell or wifi data, say): the device is answered 200 and nothing moves.
	HasPosition bool
	Lat, Lon    float64
	// Time is when the fix was taken; zero when the device did not say. A
	// time the device did send is after 1970 (anything else is an error).
	Time       time.Time
	SpeedMPS   float64
	Heading    float64
	Altitude   float64
	AccuracyM  float64
	BatteryPct float64
}

// ErrNoDevice is the error of a request without a device id.
var ErrNoDevice = fault.Field("id", "no device id (id or deviceid)")

// Decode reads a request: query is the raw query string, body the body and
// contentType its type. A body that starts with '{' or is declared JSON is
// the JSON form, anything else the query/form form. Errors are
// *fault.Invalid naming the parameter; DeviceID is empty when the id itself
// is missing or bad.
func Decode(query, body []byte, contentType string) (Report, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' || strings.HasPrefix(contentType, "application/json") {
		return DecodeJSON(trimmed, query)
	}
	return DecodeQuery(query, trimmed)
}

func unknown() Report {
	n := math.NaN()
	return Report{SpeedMPS: n, Heading: n, Altitude: n, AccuracyM: n, BatteryPct: n}
}

// DecodeQuery reads the query/form form: parameters in the query string
// and, when body is not empty, a form body whose parameters override the
// query's.
func DecodeQuery(query, body []byte) (Report, error) {
	var q params
	if err := q.parse(string(query)); err != nil {
		return unknown(), fault.Field("query", "not a query string: %v", err)
	}
	if len(body) > 0 {
		var form params
		if err := form.parse(string(body)); err != nil {
			return unknown(), fault.Field("body", "not a form body: %v", err)
		}
		q.override(&form)
	}
	return decodeParams(&q)
}

// deviceID checks an id as sent.
func deviceID(id string) (string, error) {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		return "", ErrNoDevice
	case len(id) > MaxDeviceID:
		return "", fault.Field("id", "device id longer than %d bytes", MaxDeviceID)
	}
	return id, nil
}

// bounded returns v when it is within [lo, hi], else NaN (unknown).
func bounded(v, lo, hi float64) float64 {
	if v >= lo && v <= hi {
		return v
	}
	return math.NaN()
}

func decodeParams(v *params) (Report, error) {
	r := unknown()
	id, err := deviceID(v.first(pID, pDeviceID))
	if err != nil {
		return r, err
	}
	r.DeviceID = id
	lat, latOK := number(v.val[pLat])
	lon, lonOK := number(v.val[pLon])
	if loc := v.val[pLocation]; loc != "" && (!latOK || !lonOK) {
		if a, b, ok := strings.Cut(loc, ","); ok {
			lat, latOK = number(a)
			lon, lonOK = number(b)
		}
	}
	if latOK && lonOK {
		if err := checkLatLon("lat", "lon", lat, lon); err != nil {
			return r, err
		}
		// valid=false: the device says it has no fix (a last known or
		// network place), as Traccar reads it: anything but true or 1.
		valid := v.sent&(1<<pValid) == 0 || strings.EqualFold(v.val[pValid], "true") || v.val[pValid] == "1"
		r.HasPosition, r.Lat, r.Lon = valid, lat, lon
	}
	if ts := v.val[pTimestamp]; ts != "" {
		t, err := parseTime(ts)
		if err != nil {
			return r, err
		}
		r.Time = t
	}
	if s, ok := number(v.val[pSpeed]); ok {
		r.SpeedMPS = bounded(s*KnotsToMPS, 0, MaxSpeedMPS)
	}
	if h, ok := number(v.first(pBearing, pHeading)); ok {
		r.Heading = bounded(h, 0, MaxHeading)
	}
	if a, ok := number(v.val[pAltitude]); ok {
		r.Altitude = bounded(a, MinAltitudeM, MaxAltitudeM)
	}
	if a, ok := number(v.first(pAccuracy, pHdop)); ok {
		r.AccuracyM = bounded(a, 0, MaxAccuracyM)
	}
	if b, ok := number(v.val[pBatt]); ok {
		r.BatteryPct = bounded(b, 0, MaxBatteryPct)
	}
	return r, nil
}

// reading is an optional JSON number. A number beyond float64 reads as
// ±Inf (and is then dropped by its bound) instead of failing the body.
type reading struct {
	v   float64
	set bool
}

// UnmarshalJSON reads a number or null.
func (r *reading) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%.20s is not a number", b)
	}
	r.v, r.set = f, true
	return nil
}

// jsonBody is the body of Traccar Client 8 and later (the transistorsoft
// background-geolocation format): speeds already in m/s, battery 0–1.
type jsonBody struct {
	DeviceID string `json:"device_id"`
	Location *struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Coords    *struct {
			Latitude  reading `json:"latitude"`
			Longitude reading `json:"longitude"`
			Speed     reading `json:"speed"`
			Heading   reading `json:"heading"`
			Altitude  reading `json:"altitude"`
			Accuracy  reading `json:"accuracy"`
		} `json:"coords"`
		Battery *struct {
			Level      reading `json:"level"`
			IsCharging bool    `json:"is_charging"`
		} `json:"battery"`
	} `json:"location"`
}

// DecodeJSON reads the JSON form; the device id may instead be in query
// (id or deviceid), as some clients send it.
func DecodeJSON(body, query []byte) (Report, error) {
	r := unknown()
	var b jsonBody
	if err := json.Unmarshal(body, &b); err != nil {
		return r, fault.Field("body", "not the JSON form: %v", err)
	}
	id := b.DeviceID
	if strings.TrimSpace(id) == "" {
		var q params
		_ = q.parse(string(query)) // what parses is kept, as url.ParseQuery keeps it
		id = q.first(pID, pDeviceID)
	}
	id, err := deviceID(id)
	if err != nil {
		return r, err
	}
	r.DeviceID = id
	loc := b.Location
	if loc == nil {
		return r, nil
	}
	if len(loc.Timestamp) > 0 && string(loc.Timestamp) != "null" {
		var s string
		if err := json.Unmarshal(loc.Timestamp, &s); err != nil {
			s = string(loc.Timestamp) // a number
		}
		t, err := parseTime(s)
		if err != nil {
			return r, err
		}
		r.Time = t
	}
	if c := loc.Coords; c != nil {
		if c.Latitude.set && c.Longitude.set {
			if err := checkLatLon("latitude", "longitude", c.Latitude.v, c.Longitude.v); err != nil {
				return r, err
			}
			r.HasPosition, r.Lat, r.Lon = true, c.Latitude.v, c.Longitude.v
		}
		opt := func(dst *float64, x reading, lo, hi float64) {
			if x.set {
				*dst = bounded(x.v, lo, hi)
			}
		}
		opt(&r.SpeedMPS, c.Speed, 0, MaxSpeedMPS)
		opt(&r.Heading, c.Heading, 0, MaxHeading)
		opt(&r.Altitude, c.Altitude, MinAltitudeM, MaxAltitudeM)
		opt(&r.AccuracyM, c.Accuracy, 0, MaxAccuracyM)
	}
	if bat := loc.Battery; bat != nil && bat.Level.set {
		r.BatteryPct = bounded(bat.Level.v*100, 0, MaxBatteryPct)
	}
	return r, nil
}

func number(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// checkLatLon refuses coordinates off the earth, naming the parameter.
func checkLatLon(latName, lonName string, lat, lon float64) error {
	switch {
	case !(lat >= -90 && lat <= 90):
		return fault.Field(latName, "coordinates out of range: must be from -90 to 90, not %v", lat)
	case !(lon >= -180 && lon <= 180):
		return fault.Field(lonName, "coordinates out of range: must be from -180 to 180, not %v", lon)
	}
	return nil
}

// parseTime reads every timestamp form devices send: epoch seconds (with or
// without a fraction), epoch milliseconds, ISO 8601 / RFC 3339 with or
// without a zone (UTC assumed), and "2006-01-02 15:04:05" (UTC). A time at
// or before 1970-01-01T00:00:00Z (Go's zero time, a device without a
// clock) is refused, never read as "now".
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := parseAnyTime(s)
	if err != nil {
		return t, err
	}
	if t.Unix() <= 0 {
		return time.Time{}, fault.Field("timestamp", "%.40q is not after 1970-01-01T00:00:00Z", s)
	}
	return t, nil
}

func parseAnyTime(s string) (time.Time, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		if math.IsNaN(f) || f < 0 || f > 1e14 {
			return time.Time{}, fault.Field("timestamp", "%.40q out of range", s)
		}
		if f < math.MaxInt32 { // seconds, as Traccar reads them
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
		}
		return time.UnixMilli(int64(f)).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fault.Field("timestamp", "%.40q is not epoch seconds, epoch milliseconds or ISO 8601", s)
}
