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
	"net/url"
	"strconv"
	"strings"
	"time"
)

// KnotsToMPS converts knots, the unit OsmAnd sends speeds in, to m/s.
const KnotsToMPS = 1852.0 / 3600.0

// Report is what a device sent. Optional readings are NaN when unknown
// (absent, unparsable or negative, which devices use to say "unknown").
type Report struct {
	DeviceID string
	// HasPosition is false when the request carried no usable fix (only
	// cell or wifi data, say): the device is answered 200 and nothing moves.
	HasPosition bool
	Lat, Lon    float64
	// Time is when the fix was taken; zero when the device did not say.
	Time       time.Time
	SpeedMPS   float64
	Heading    float64
	Altitude   float64
	AccuracyM  float64
	BatteryPct float64
}

// Errors of decoding.
var (
	ErrNoDevice = errors.New("no device id (id or deviceid)")
)

// Decode reads a request: query is the raw query string, body the body and
// contentType its type. Parameters in the body override the query's.
func Decode(query, body []byte, contentType string) (Report, error) {
	r := Report{SpeedMPS: math.NaN(), Heading: math.NaN(), Altitude: math.NaN(), AccuracyM: math.NaN(), BatteryPct: math.NaN()}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' || strings.HasPrefix(contentType, "application/json") {
		return decodeJSON(trimmed, query, r)
	}
	vals, err := url.ParseQuery(string(query))
	if err != nil {
		return r, fmt.Errorf("query: %w", err)
	}
	if len(trimmed) > 0 {
		form, err := url.ParseQuery(string(trimmed))
		if err != nil {
			return r, fmt.Errorf("form body: %w", err)
		}
		for k, v := range form {
			vals[k] = v
		}
	}
	return decodeParams(vals, r)
}

func decodeParams(v url.Values, r Report) (Report, error) {
	r.DeviceID = strings.TrimSpace(first(v, "id", "deviceid"))
	if r.DeviceID == "" {
		return r, ErrNoDevice
	}
	lat, latOK := number(v.Get("lat"))
	lon, lonOK := number(v.Get("lon"))
	if loc := v.Get("location"); loc != "" && (!latOK || !lonOK) {
		if a, b, ok := strings.Cut(loc, ","); ok {
			lat, latOK = number(a)
			lon, lonOK = number(b)
		}
	}
	if latOK && lonOK {
		if !validLatLon(lat, lon) {
			return r, fmt.Errorf("coordinates out of range: lat %v lon %v", lat, lon)
		}
		r.HasPosition, r.Lat, r.Lon = true, lat, lon
	}
	if ts := v.Get("timestamp"); ts != "" {
		t, err := parseTime(ts)
		if err != nil {
			return r, err
		}
		r.Time = t
	}
	if s, ok := number(v.Get("speed")); ok && s >= 0 {
		r.SpeedMPS = s * KnotsToMPS
	}
	if h, ok := number(first(v, "bearing", "heading")); ok && h >= 0 {
		r.Heading = math.Mod(h, 360)
	}
	if a, ok := number(v.Get("altitude")); ok {
		r.Altitude = a
	}
	if a, ok := number(first(v, "accuracy", "hdop")); ok && a >= 0 {
		r.AccuracyM = a
	}
	if b, ok := number(v.Get("batt")); ok && b >= 0 {
		r.BatteryPct = math.Min(b, 100)
	}
	return r, nil
}

// jsonBody is the body of Traccar Client 8 and later (the transistorsoft
// background-geolocation format): speeds already in m/s, battery 0–1.
type jsonBody struct {
	DeviceID string `json:"device_id"`
	Location *struct {
		Timestamp json.RawMessage `json:"timestamp"`
		Coords    *struct {
			Latitude  *float64 `json:"latitude"`
			Longitude *float64 `json:"longitude"`
			Speed     *float64 `json:"speed"`
			Heading   *float64 `json:"heading"`
			Altitude  *float64 `json:"altitude"`
			Accuracy  *float64 `json:"accuracy"`
		} `json:"coords"`
		Battery *struct {
			Level      *float64 `json:"level"`
			IsCharging bool     `json:"is_charging"`
		} `json:"battery"`
	} `json:"location"`
}

func decodeJSON(body, query []byte, r Report) (Report, error) {
	var b jsonBody
	if err := json.Unmarshal(body, &b); err != nil {
		return r, fmt.Errorf("JSON body: %w", err)
	}
	r.DeviceID = strings.TrimSpace(b.DeviceID)
	if r.DeviceID == "" {
		// Some clients put the id in the query and the fix in the body.
		vals, _ := url.ParseQuery(string(query))
		r.DeviceID = strings.TrimSpace(first(vals, "id", "deviceid"))
	}
	if r.DeviceID == "" {
		return r, ErrNoDevice
	}
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
		if c.Latitude != nil && c.Longitude != nil {
			if !validLatLon(*c.Latitude, *c.Longitude) {
				return r, fmt.Errorf("coordinates out of range: lat %v lon %v", *c.Latitude, *c.Longitude)
			}
			r.HasPosition, r.Lat, r.Lon = true, *c.Latitude, *c.Longitude
		}
		if c.Speed != nil && *c.Speed >= 0 {
			r.SpeedMPS = *c.Speed
		}
		if c.Heading != nil && *c.Heading >= 0 {
			r.Heading = math.Mod(*c.Heading, 360)
		}
		if c.Altitude != nil {
			r.Altitude = *c.Altitude
		}
		if c.Accuracy != nil && *c.Accuracy >= 0 {
			r.AccuracyM = *c.Accuracy
		}
	}
	if bat := loc.Battery; bat != nil && bat.Level != nil && *bat.Level >= 0 {
		r.BatteryPct = math.Min(*bat.Level*100, 100)
	}
	return r, nil
}

func first(v url.Values, keys ...string) string {
	for _, k := range keys {
		if s := v.Get(k); s != "" {
			return s
		}
	}
	return ""
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

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// parseTime reads every timestamp form devices send: epoch seconds (with or
// without a fraction), epoch milliseconds, ISO 8601 / RFC 3339 with or
// without a zone (UTC assumed), and "2006-01-02 15:04:05" (UTC).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "eE") {
		if math.IsNaN(f) || f < 0 || f > 1e14 {
			return time.Time{}, fmt.Errorf("timestamp %q out of range", s)
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
	return time.Time{}, fmt.Errorf("timestamp %q is not epoch seconds, epoch milliseconds or ISO 8601", s)
}
