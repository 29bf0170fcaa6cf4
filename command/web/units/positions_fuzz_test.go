package units

import (
	"encoding/json"
	"fmt"
	"testing"

	"watchfloor/command/web/units/positiontest"
)

// FuzzDecodePositions: the batch body of POST /api/v1/positions. Read with
// the fleet's ids or without, a body gives the same positions.
func FuzzDecodePositions(f *testing.F) {
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":114.115,"lat":22.547,"at":"2026-11-23T20:13:10Z","speed_mps":8.3,"heading":90,"accuracy_m":5,"battery_pct":76},{"device_id":"860000000000037","lon":114.112,"lat":22.547}]}`))
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":114.1,"lat":22.5,"at":"0001-01-01T00:00:00Z","speed_mps":1e308,"heading":-1}]}`))
	f.Add([]byte(`{"positions":[{"unit_id":"car-01","lon":181,"lat":22.5},{"lat":1},{"unit_id":"x","lon":1,"lat":1,"at":"yesterday"}]}`))
	r, shared := &batchReader{}, &batchReader{}
	ids := knownIDs{"car-01": "car-01", "x": "x"}
	f.Fuzz(func(t *testing.T, body []byte) {
		shared.ids = ids
		again, againErr := shared.decode(body)
		reads, err := r.decode(body)
		if (err == nil) != (againErr == nil) || len(reads) != len(again) {
			t.Fatalf("with the fleet's ids: %d positions, %v; without: %d, %v", len(again), againErr, len(reads), err)
		}
		for i := range reads {
			// Printed, so that a reading not sent (NaN) equals itself.
			if a, b := reads[i], again[i]; fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
				t.Fatalf("position %d: %+v without the fleet's ids, %+v with", i, a, b)
			}
		}
		if err != nil {
			positiontest.CheckInvalid(t, err)
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
				positiontest.CheckInvalid(t, r.Err)
				continue
			}
			if r.UnitID == "" && r.DeviceID == "" || len(r.UnitID) > maxIDLen || len(r.DeviceID) > maxIDLen {
				t.Fatalf("ids %q %q", r.UnitID, r.DeviceID)
			}
			positiontest.Check(t, r.Position, sent.Positions[i].At)
		}
	})
}
