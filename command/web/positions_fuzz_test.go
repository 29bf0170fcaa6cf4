package web

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/unit"
)

// checkPosition is the property of every position a decoder accepts: on
// the earth, each reading unknown or within its bound, a time that is zero
// exactly when none was sent ("now") and otherwise after 1970, and JSON
// that encodes.
func checkPosition(t *testing.T, p unit.Position, atSent string) {
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

// checkInvalid: every refusal is a field error, answered 400 and never 500.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var inv *fault.Invalid
	if !errors.As(err, &inv) || len(inv.Errors) == 0 {
		t.Fatalf("not a field error: %v", err)
	}
}

// FuzzDecodePositions: the batch body of POST /api/v1/positions.
func FuzzDecodePositions(f *testing.F) {
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":114.115,"lat":22.547,"at":"2026-11-23T20:13:10Z","speed_mps":8.3,"heading":90,"accuracy_m":5,"battery_pct":76},{"device_id":"860000000000037","lon":114.112,"lat":22.547}]}`))
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z","speed_mps":1e308,"heading":-1}]}`))
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":181,"lat":22.5},{"lat":1},{"unit_id":"x","lon":1,"lat":1,"at":"yesterday"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		reads, err := decodePositions(body)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		var sent struct {
			Positions []struct{ At string }
		}
		if err := json.Unmarshal(body, &sent); err != nil || len(sent.Positions) != len(reads) || len(reads) > MaxBatch {
			t.Fatalf("%d positions decoded, %d sent (%v)", len(reads), len(sent.Positions), err)
		}
		for i, r := range reads {
			if r.Err != nil {
				checkInvalid(t, r.Err)
				continue
			}
			if r.UnitID == "" && r.DeviceID == "" || len(r.UnitID) > maxIDLen || len(r.DeviceID) > maxIDLen {
				t.Fatalf("ids %q %q", r.UnitID, r.DeviceID)
			}
			checkPosition(t, r.Position, sent.Positions[i].At)
		}
	})
}

// FuzzDecodeResponderMessage: a message a responder sends on its socket.
func FuzzDecodeResponderMessage(f *testing.F) {
	f.Add([]byte(`{"type":"position","id":"p1","lon":114.113,"lat":22.548,"at":"2026-11-23T20:13:10Z","speed_mps":3,"accuracy_m":8}`))
	f.Add([]byte(`{"type":"ack","id":"a","dispatch_id":"d-1"}`))
	f.Add([]byte(`{"type":"status","dispatch_id":"d-1","status":"en_route"}`))
	f.Add([]byte(`{"type":"position","lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z","heading":1e308}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, pos, err := decodeResponderMessage(raw)
		if len(in.ID) > maxMessageID || len(in.DispatchID) > maxMessageID || len(in.Type) > maxMessageType {
			t.Fatalf("would echo %d, %d and %d bytes", len(in.ID), len(in.DispatchID), len(in.Type))
		}
		if err != nil {
			checkInvalid(t, err)
			return
		}
		switch in.Type {
		case "ack", "status":
		case "position":
			checkPosition(t, pos, in.At)
		default:
			t.Fatalf("type %q accepted", in.Type)
		}
	})
}
