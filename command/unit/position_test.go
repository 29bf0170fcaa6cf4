package unit

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Whatever a Position holds, its JSON is valid and carries no reading out
// of bounds.
func TestPositionJSONIsAlwaysValid(t *testing.T) {
	at := time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name string
		p    Position
		want string
	}{
		{"ordinary", Position{Lon: 114.1, Lat: 22.5, At: at, SpeedMPS: 8.333, Heading: 90, AccuracyM: 5, BatteryPct: 76},
			`{"lon":114.1,"lat":22.5,"at":"2026-11-23T08:30:00Z","speed_mps":8.33,"heading":90,"accuracy_m":5,"battery_pct":76}`},
		{"huge readings are left out", Position{Lon: 114.1, Lat: 22.5, At: at, SpeedMPS: 1e307, Heading: 1e308, AccuracyM: 1e300, BatteryPct: 101},
			`{"lon":114.1,"lat":22.5,"at":"2026-11-23T08:30:00Z"}`},
		{"non-finite readings are left out", Position{Lon: 114.1, Lat: 22.5, At: at, SpeedMPS: inf, Heading: -inf, AccuracyM: nan, BatteryPct: -1},
			`{"lon":114.1,"lat":22.5,"at":"2026-11-23T08:30:00Z"}`},
		{"non-finite coordinates are null", Position{Lon: inf, Lat: nan, At: at, SpeedMPS: nan, Heading: nan, AccuracyM: nan, BatteryPct: nan},
			`{"lon":null,"lat":null,"at":"2026-11-23T08:30:00Z"}`},
		{"bounds are inclusive", Position{Lon: 0, Lat: 0, At: at, SpeedMPS: MaxSpeedMPS, Heading: 360, AccuracyM: MaxAccuracyM, BatteryPct: 100},
			`{"lon":0,"lat":0,"at":"2026-11-23T08:30:00Z","speed_mps":277.78,"heading":360,"accuracy_m":100000,"battery_pct":100}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.p)
			if err != nil || string(b) != tc.want {
				t.Fatalf("got %s (%v), want %s", b, err, tc.want)
			}
			// The same with the coordinates formatted by the caller, as
			// the store does (empty where not finite).
			text := func(v float64) []byte {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil
				}
				return strconv.AppendFloat(nil, v, 'f', -1, 64)
			}
			if w := tc.p.AppendJSONWith([]byte("x"), text(tc.p.Lon), text(tc.p.Lat)); string(w) != "x"+tc.want {
				t.Fatalf("with formatted coordinates: got %s, want x%s", w, tc.want)
			}
			// The coordinates' text in the buffer appended to, as the store
			// has it: with room to spare and with none.
			for _, room := range []int{4096, 0} {
				buf := append(text(tc.p.Lon), '|')
				latAt := len(buf)
				buf = append(buf, text(tc.p.Lat)...)
				buf = append(make([]byte, 0, len(buf)+room), buf...)
				n := len(buf)
				w := tc.p.AppendJSONWith(buf, buf[:latAt-1], buf[latAt:n])
				if string(w[n:]) != tc.want {
					t.Fatalf("coordinates from the buffer itself (room %d): got %s, want %s", room, w[n:], tc.want)
				}
			}
		})
	}
}

// What storage or another instance holds is read as strictly as what a
// device sends: no place or no time refuses it, readings out of bounds are
// dropped.
func TestPositionUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		err      string // a part of the error, "" for none
		speed    float64
	}{
		{"ordinary", `{"lon":114.1,"lat":22.5,"at":"2026-11-23T08:30:00Z","speed_mps":3}`, "", 3},
		{"absurd speed dropped", `{"lon":114.1,"lat":22.5,"at":"2026-11-23T08:30:00Z","speed_mps":1e307}`, "", math.NaN()},
		{"not JSON", `{"lon":`, "unexpected end", 0},
		{"no lat", `{"lon":114.1,"at":"2026-11-23T08:30:00Z"}`, "without lon or lat", 0},
		{"off the earth", `{"lon":114.1,"lat":1000,"at":"2026-11-23T08:30:00Z"}`, "lat", 0},
		{"Go's zero time", `{"lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z"}`, "at", 0},
		{"no time", `{"lon":114.1,"lat":22.5}`, "at", 0},
		{"the epoch", `{"lon":114.1,"lat":22.5,"at":"1970-01-01T00:00:00Z"}`, "at", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p Position
			err := json.Unmarshal([]byte(tc.in), &p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one about %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !(math.IsNaN(p.SpeedMPS) && math.IsNaN(tc.speed)) && p.SpeedMPS != tc.speed {
				t.Errorf("speed %v, want %v", p.SpeedMPS, tc.speed)
			}
		})
	}
}
