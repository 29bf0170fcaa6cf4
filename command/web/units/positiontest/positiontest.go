// Package positiontest holds the properties every position decoder of the
// API keeps, for the fuzz targets of the batch API and the responder socket.
package positiontest

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/unit"
)

// Check holds p to the property of every position a decoder accepts: on
// the earth, each reading unknown or within its bound, a time that is zero
// exactly when none was sent ("now") and otherwise after 1970, and JSON
// that encodes.
func Check(t testing.TB, p unit.Position, atSent string) {
	t.Helper()
	if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) {
		t.Fatalf("position out of range: %v %v", p.Lon, p.Lat)
	}
	for _, x := range []struct {
		name  string
		v, hi float64
	}{
		{"speed_mps", p.SpeedMPS, 1000 / 3.6},
		{"heading", p.Heading, 360},
		{"accuracy_m", p.AccuracyM, 100_000},
		{"battery_pct", p.BatteryPct, 100},
	} {
		if !math.IsNaN(x.v) && !(x.v >= 0 && x.v <= x.hi) {
			t.Fatalf("%s %v outside 0..%v", x.name, x.v, x.hi)
		}
	}
	switch {
	case atSent == "" && !p.At.IsZero():
		t.Fatalf("no at sent, decoded %v", p.At)
	case atSent != "" && !p.At.After(time.Unix(0, 0)):
		t.Fatalf("at %q decoded as %v", atSent, p.At)
	}
	if b, err := json.Marshal(p); err != nil || !json.Valid(b) {
		t.Fatalf("position does not encode: %v %s", err, b)
	}
}

// CheckInvalid: every refusal is a field error, answered 400 and never 500.
func CheckInvalid(t testing.TB, err error) {
	t.Helper()
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Errors) == 0 {
		t.Fatalf("not a field error: %v", err)
	}
}
