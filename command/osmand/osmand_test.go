package osmand

import (
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"watchfloor/command/fault"
)

func TestDecodeForms(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name        string
		query, body string
		ctype       string
		device      string
		lat, lon    float64
		time        time.Time
		speed       float64 // m/s, NaN for unknown
		battery     float64
		noPosition  bool
	}{
		{name: "query, epoch seconds, knots", query: "id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&bearing=90&altitude=12&accuracy=5&batt=80",
			device: "860001", lat: 22.547, lon: 114.1118, time: at, speed: 10 * 1852.0 / 3600, battery: 80},
		{name: "deviceid and epoch milliseconds", query: "deviceid=860002&lat=22.5&lon=114.1&timestamp=1795422600000",
			device: "860002", lat: 22.5, lon: 114.1, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "epoch seconds with a fraction", query: "id=d&lat=1&lon=2&timestamp=1795422600.5",
			device: "d", lat: 1, lon: 2, time: at.Add(500 * time.Millisecond), speed: math.NaN(), battery: math.NaN()},
		{name: "ISO 8601 with zone", query: "id=d&lat=1&lon=2&timestamp=2026-11-23T16:30:00%2B08:00",
			device: "d", lat: 1, lon: 2, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "ISO 8601 UTC", query: "id=d&lat=1&lon=2&timestamp=2026-11-23T08:30:00Z",
			device: "d", lat: 1, lon: 2, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "ISO 8601 with milliseconds", query: "id=d&lat=1&lon=2&timestamp=2026-11-23T08:30:00.250Z",
			device: "d", lat: 1, lon: 2, time: at.Add(250 * time.Millisecond), speed: math.NaN(), battery: math.NaN()},
		{name: "date and time with a space", query: "id=d&lat=1&lon=2&timestamp=2026-11-23%2008:30:00",
			device: "d", lat: 1, lon: 2, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "location=lat,lon", query: "id=d&location=22.547,114.1118&timestamp=1795422600",
			device: "d", lat: 22.547, lon: 114.1118, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "form body", body: "id=d&lat=22.5&lon=114.1&timestamp=1795422600&speed=0", ctype: "application/x-www-form-urlencoded",
			device: "d", lat: 22.5, lon: 114.1, time: at, speed: 0, battery: math.NaN()},
		{name: "negative speed and battery mean unknown", query: "id=d&lat=1&lon=2&speed=-1&batt=-1",
			device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "absurd readings are dropped, the fix kept", query: "id=d&lat=1&lon=2&speed=1e308&bearing=1e308&accuracy=1e308&altitude=1e308&batt=1e308",
			device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "speed over 1,000 km/h is dropped", query: "id=d&lat=1&lon=2&speed=540&batt=101",
			device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "speed at 1,000 km/h is kept", query: "id=d&lat=1&lon=2&speed=539.95&batt=100",
			device: "d", lat: 1, lon: 2, speed: 539.95 * 1852 / 3600, battery: 100},
		{name: "no position: cell data only", query: "id=d&cell=460,0,1234,5678&timestamp=1795422600",
			device: "d", time: at, speed: math.NaN(), battery: math.NaN(), noPosition: true},
		{name: "valid=false: the device has no fix", query: "id=d&lat=1&lon=2&valid=false",
			device: "d", speed: math.NaN(), battery: math.NaN(), noPosition: true},
		{name: "valid=0 and anything but true or 1 is no fix, as Traccar reads it", query: "id=d&lat=1&lon=2&valid=0", body: "valid=no",
			ctype: "application/x-www-form-urlencoded", device: "d", speed: math.NaN(), battery: math.NaN(), noPosition: true},
		{name: "valid=TRUE is a fix", query: "id=d&lat=1&lon=2&valid=TRUE",
			device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "valid=1 in the body overrides the query's false", query: "id=d&lat=1&lon=2&valid=false", body: "valid=1",
			ctype: "application/x-www-form-urlencoded", device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "JSON body of Traccar Client", ctype: "application/json",
			body:   `{"device_id":"860003","location":{"timestamp":"2026-11-23T08:30:00.000Z","coords":{"latitude":22.547,"longitude":114.1118,"speed":5.5,"heading":180,"altitude":10,"accuracy":8},"battery":{"level":0.75,"is_charging":false},"is_moving":true}}`,
			device: "860003", lat: 22.547, lon: 114.1118, time: at, speed: 5.5, battery: 75},
		{name: "JSON body with epoch milliseconds and unknown speed", ctype: "application/json",
			body:   `{"device_id":"d","location":{"timestamp":1795422600000,"coords":{"latitude":1,"longitude":2,"speed":-1},"battery":{"level":-1}}}`,
			device: "d", lat: 1, lon: 2, time: at, speed: math.NaN(), battery: math.NaN()},
		{name: "JSON numbers beyond float64 are dropped, not fatal", ctype: "application/json",
			body:   `{"device_id":"d","location":{"coords":{"latitude":1,"longitude":2,"speed":1e400,"accuracy":-1e400},"battery":{"level":1e400}}}`,
			device: "d", lat: 1, lon: 2, speed: math.NaN(), battery: math.NaN()},
		{name: "JSON body without a location", ctype: "application/json", body: `{"device_id":"d"}`,
			device: "d", speed: math.NaN(), battery: math.NaN(), noPosition: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.query), []byte(tc.body), tc.ctype)
			if err != nil {
				t.Fatal(err)
			}
			if r.DeviceID != tc.device || r.HasPosition == tc.noPosition {
				t.Fatalf("device %q position %v", r.DeviceID, r.HasPosition)
			}
			if !tc.noPosition && (r.Lat != tc.lat || r.Lon != tc.lon) {
				t.Errorf("lat/lon %v,%v", r.Lat, r.Lon)
			}
			if !r.Time.Equal(tc.time) {
				t.Errorf("time %v, want %v", r.Time, tc.time)
			}
			if !same(r.SpeedMPS, tc.speed) {
				t.Errorf("speed %v m/s, want %v", r.SpeedMPS, tc.speed)
			}
			if !same(r.BatteryPct, tc.battery) {
				t.Errorf("battery %v, want %v", r.BatteryPct, tc.battery)
			}
		})
	}
}

func same(a, b float64) bool {
	return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9
}

func TestDecodeErrors(t *testing.T) {
	long := strings.Repeat("8", MaxDeviceID+1)
	for _, tc := range []struct {
		name, query, body, ctype string
		field                    string
		noDevice                 bool
	}{
		{name: "no device id", query: "lat=1&lon=2", field: "id", noDevice: true},
		{name: "device id too long", query: "id=" + long + "&lat=1&lon=2", field: "id", noDevice: true},
		{name: "JSON device id too long", body: `{"device_id":"` + long + `"}`, ctype: "application/json", field: "id", noDevice: true},
		{name: "latitude too big", query: "id=d&lat=91&lon=2", field: "lat"},
		{name: "longitude", query: "id=d&lat=1&lon=-181", field: "lon"},
		{name: "bad timestamp", query: "id=d&lat=1&lon=2&timestamp=yesterday", field: "timestamp"},
		{name: "epoch zero", query: "id=d&lat=1&lon=2&timestamp=0", field: "timestamp"},
		{name: "before 1970", query: "id=d&lat=1&lon=2&timestamp=1969-12-31T23:59:59Z", field: "timestamp"},
		{name: "JSON Go zero time", body: `{"device_id":"d","location":{"timestamp":"0001-01-01T00:00:00Z","coords":{"latitude":1,"longitude":2}}}`, ctype: "application/json", field: "timestamp"},
		{name: "bad JSON", body: `{"device_id":`, ctype: "application/json", field: "body", noDevice: true},
		{name: "JSON speed not a number", body: `{"device_id":"d","location":{"coords":{"speed":"fast"}}}`, ctype: "application/json", field: "body", noDevice: true},
		{name: "JSON out of range", body: `{"device_id":"d","location":{"coords":{"latitude":100,"longitude":2}}}`, ctype: "application/json", field: "latitude"},
		{name: "bad query", query: "id=%zz", field: "query", noDevice: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.query), []byte(tc.body), tc.ctype)
			var inv *fault.Invalid
			if !errors.As(err, &inv) || inv.Errors[0].Field != tc.field {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
			if (r.DeviceID == "") != tc.noDevice {
				t.Errorf("device %q", r.DeviceID)
			}
		})
	}
}

// checkReport is the property every decoded report holds: a bounded device
// id, a position on the earth, every reading unknown or within its bound,
// and a time that is zero exactly when none was sent and otherwise after
// 1970. An error is always a field error (a 400, never a 500).
func checkReport(t *testing.T, r Report, err error, timeSent bool) {
	t.Helper()
	if err != nil {
		var inv *fault.Invalid
		if !errors.As(err, &inv) || len(inv.Errors) == 0 {
			t.Fatalf("error is not a field error: %v", err)
		}
		if len(err.Error()) > 1000 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
		if r.DeviceID != "" && (len(r.DeviceID) > 128 || strings.TrimSpace(r.DeviceID) != r.DeviceID) {
			t.Fatalf("bad device id %q with an error", r.DeviceID)
		}
		return
	}
	if r.DeviceID == "" || len(r.DeviceID) > 128 || strings.TrimSpace(r.DeviceID) != r.DeviceID {
		t.Fatalf("device id %q", r.DeviceID)
	}
	if r.HasPosition && !(r.Lat >= -90 && r.Lat <= 90 && r.Lon >= -180 && r.Lon <= 180) {
		t.Fatalf("position out of range: %v %v", r.Lat, r.Lon)
	}
	for _, x := range []struct {
		name      string
		v, lo, hi float64
	}{
		{"speed", r.SpeedMPS, 0, 1000 / 3.6},
		{"heading", r.Heading, 0, 360},
		{"accuracy", r.AccuracyM, 0, 100_000},
		{"altitude", r.Altitude, -500, 10_000},
		{"battery", r.BatteryPct, 0, 100},
	} {
		if !math.IsNaN(x.v) && !(x.v >= x.lo && x.v <= x.hi) {
			t.Fatalf("%s %v outside %v..%v", x.name, x.v, x.lo, x.hi)
		}
	}
	switch {
	case timeSent && !r.Time.After(time.Unix(0, 0)):
		t.Fatalf("a sent time decoded as %v", r.Time)
	case !timeSent && !r.Time.IsZero():
		t.Fatalf("no time sent, decoded %v", r.Time)
	case r.Time.Year() > 9999:
		t.Fatalf("time %v cannot be written as RFC 3339", r.Time)
	}
}

// FuzzDecodeQuery: the query/form form never panics and every report it
// accepts holds checkReport's property.
func FuzzDecodeQuery(f *testing.F) {
	f.Add([]byte("id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&batt=80"), []byte(""))
	f.Add([]byte("deviceid=d&location=22.5,114.1&timestamp=2026-11-23T08:30:00Z"), []byte(""))
	f.Add([]byte(""), []byte("id=d&lat=1&lon=2&timestamp=1795422600000&bearing=400&altitude=-600"))
	f.Add([]byte("id=d&lat=1&lon=2&speed=1e308&accuracy=1e308&batt=1e308"), []byte("timestamp=0"))
	f.Fuzz(func(t *testing.T, query, body []byte) {
		r, err := DecodeQuery(query, body)
		vals, qerr := url.ParseQuery(string(query))
		form, ferr := url.ParseQuery(string(body))
		if qerr == nil && ferr == nil {
			maps.Copy(vals, form)
		}
		checkReport(t, r, err, vals.Get("timestamp") != "")
	})
}

// FuzzDecodeJSON: the JSON form never panics and every report it accepts
// holds checkReport's property.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"device_id":"d","location":{"timestamp":"2026-11-23T08:30:00Z","coords":{"latitude":1,"longitude":2,"speed":3},"battery":{"level":0.5}}}`), []byte(""))
	f.Add([]byte(`{"location":{"timestamp":1795422600000,"coords":{"latitude":1,"longitude":2,"heading":1e400}}}`), []byte("id=d"))
	f.Add([]byte(`{"device_id":"d","location":{"timestamp":"0001-01-01T00:00:00Z","coords":{"latitude":1,"longitude":2}}}`), []byte(""))
	f.Fuzz(func(t *testing.T, body, query []byte) {
		r, err := DecodeJSON(body, query)
		var sent struct {
			Location *struct {
				Timestamp json.RawMessage `json:"timestamp"`
			} `json:"location"`
		}
		_ = json.Unmarshal(body, &sent)
		checkReport(t, r, err, sent.Location != nil && len(sent.Location.Timestamp) > 0 && string(sent.Location.Timestamp) != "null")
	})
}
