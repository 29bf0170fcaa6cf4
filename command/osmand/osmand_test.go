package osmand

import (
	"math"
	"testing"
	"time"
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
		{name: "no position: cell data only", query: "id=d&cell=460,0,1234,5678&timestamp=1795422600",
			device: "d", time: at, speed: math.NaN(), battery: math.NaN(), noPosition: true},
		{name: "JSON body of Traccar Client", ctype: "application/json",
			body:   `{"device_id":"860003","location":{"timestamp":"2026-11-23T08:30:00.000Z","coords":{"latitude":22.547,"longitude":114.1118,"speed":5.5,"heading":180,"altitude":10,"accuracy":8},"battery":{"level":0.75,"is_charging":false},"is_moving":true}}`,
			device: "860003", lat: 22.547, lon: 114.1118, time: at, speed: 5.5, battery: 75},
		{name: "JSON body with epoch milliseconds and unknown speed", ctype: "application/json",
			body:   `{"device_id":"d","location":{"timestamp":1795422600000,"coords":{"latitude":1,"longitude":2,"speed":-1},"battery":{"level":-1}}}`,
			device: "d", lat: 1, lon: 2, time: at, speed: math.NaN(), battery: math.NaN()},
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
	for name, tc := range map[string]struct{ query, body, ctype string }{
		"no device id":      {query: "lat=1&lon=2"},
		"latitude too big":  {query: "id=d&lat=91&lon=2"},
		"longitude":         {query: "id=d&lat=1&lon=-181"},
		"bad timestamp":     {query: "id=d&lat=1&lon=2&timestamp=yesterday"},
		"bad JSON":          {body: `{"device_id":`, ctype: "application/json"},
		"JSON out of range": {body: `{"device_id":"d","location":{"coords":{"latitude":100,"longitude":2}}}`, ctype: "application/json"},
		"bad query":         {query: "id=%zz"},
	} {
		if _, err := Decode([]byte(tc.query), []byte(tc.body), tc.ctype); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecode: no input may panic, and every decoded position is in range.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("id=860001&lat=22.547&lon=114.1118&timestamp=1795422600&speed=10&batt=80"), []byte(""), "")
	f.Add([]byte("id=d&location=22.5,114.1&timestamp=2026-11-23T08:30:00Z"), []byte(""), "")
	f.Add([]byte(""), []byte("id=d&lat=1&lon=2&timestamp=1795422600000"), "application/x-www-form-urlencoded")
	f.Add([]byte(""), []byte(`{"device_id":"d","location":{"timestamp":"2026-11-23T08:30:00Z","coords":{"latitude":1,"longitude":2,"speed":3},"battery":{"level":0.5}}}`), "application/json")
	f.Fuzz(func(t *testing.T, query, body []byte, ctype string) {
		r, err := Decode(query, body, ctype)
		if err != nil {
			return
		}
		if r.DeviceID == "" {
			t.Fatal("decoded without a device id")
		}
		if r.HasPosition && !validLatLon(r.Lat, r.Lon) {
			t.Fatalf("position out of range: %v %v", r.Lat, r.Lon)
		}
		if !math.IsNaN(r.SpeedMPS) && r.SpeedMPS < 0 || !math.IsNaN(r.BatteryPct) && (r.BatteryPct < 0 || r.BatteryPct > 100) {
			t.Fatalf("bad readings %+v", r)
		}
	})
}
