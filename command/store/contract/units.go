package contract

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/unit"
)

// Positions keeps units' positions and tracks.
type Positions interface {
	LoadState(ctx context.Context) (map[string]unit.Position, map[string]string, error)
	WritePositions(ctx context.Context, fixes []unit.Fix, note []byte) error
	Track(ctx context.Context, id string, from, to time.Time, limit int) ([]unit.Fix, error)
	SubscribePositions(ctx context.Context, fn func(note []byte)) error
}

// positions: a unit's last position is its last moving fix; its track
// holds every fix, ordered by time and cut to the window asked; the
// statuses changes set come back with the positions; notes reach every
// follower.
func positions(t *testing.T, open Open) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now().UTC().Truncate(time.Millisecond)
	fix := func(id string, lon float64, at time.Duration, flags unit.Flags) unit.Fix {
		p := unit.Unknown(lon, 22.5, now.Add(at))
		p.SpeedMPS = 3.5
		return unit.Fix{UnitID: id, Flags: flags, Moved: flags == 0, Position: p}
	}
	fixes := []unit.Fix{fix("car-1", 114.01, -3*time.Second, 0), fix("car-1", 114.03, -time.Second, 0), fix("car-1", 114.02, -2*time.Second, unit.Late),
		fix("car-2", 114.10, -time.Second, unit.Implausible)}
	if err := st.Positions.WritePositions(ctx, fixes, nil); err != nil {
		t.Fatal(err)
	}
	apply(t, st, &change.Change{At: now, Fields: []change.Field{{Kind: change.KindUnitStatus, Field: "car-1", Value: "en_route"}}})
	pos, status, err := st.Positions.LoadState(ctx)
	if err != nil || len(pos) != 1 || pos["car-1"].Lon != 114.03 || !pos["car-1"].At.Equal(now.Add(-time.Second)) || pos["car-1"].SpeedMPS != 3.5 ||
		!math.IsNaN(pos["car-1"].Heading) || status["car-1"] != "en_route" || len(status) != 1 {
		t.Fatalf("state: %+v %v %v", pos, status, err)
	}
	track, err := st.Positions.Track(ctx, "car-1", now.Add(-time.Minute), now, 100)
	var lons []float64
	for _, f := range track {
		lons = append(lons, f.Lon)
	}
	if err != nil || !slices.Equal(lons, []float64{114.01, 114.02, 114.03}) || track[1].Moved || track[1].Flags != unit.Late || !track[2].Moved || track[0].UnitID != "car-1" {
		t.Fatalf("track %v %+v %v", lons, track, err)
	}
	if track, _ := st.Positions.Track(ctx, "car-1", now.Add(-1500*time.Millisecond), now, 100); len(track) != 1 || track[0].Lon != 114.03 {
		t.Fatalf("track from -1.5 s: %+v", track)
	}
	heard := make(chan string, 100)
	go func() { _ = st.Positions.SubscribePositions(ctx, func(note []byte) { heard <- string(note) }) }()
	until(t, heard, "note", func() error {
		return st.Positions.WritePositions(ctx, []unit.Fix{fix("car-3", 114.2, 0, 0)}, []byte("note"))
	})
}
