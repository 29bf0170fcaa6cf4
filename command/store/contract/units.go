package contract

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
)

// Positions keeps units' positions and tracks, and reads the registry's
// unit documents.
type Positions interface {
	registry.Store
	LoadState(ctx context.Context) (map[string]unit.Position, map[string]string, error)
	WritePositions(ctx context.Context, fixes []unit.Fix) error
	TellPositions(ctx context.Context, note []byte) (int, error)
	Track(ctx context.Context, id string, from, to time.Time, limit int) ([]unit.Fix, error)
	SubscribePositions(ctx context.Context, fn func(note string), up func()) error
	MendPositions(ctx context.Context, fixes []unit.Fix) (int, error)
}

// positions: a unit's last position is its last moving fix; its track
// holds every fix, ordered by time and cut to the window asked; the
// statuses changes set come back with the positions; notes reach every
// follower, and telling one counts the followers.
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
	if err := st.Positions.WritePositions(ctx, fixes); err != nil {
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
	if n, err := st.Positions.TellPositions(ctx, []byte("unheard")); err != nil || n != 0 {
		t.Fatalf("a note told to no follower: %d heard it (%v), want 0", n, err)
	}
	heard, also := make(chan string, 100), make(chan string, 100)
	go func() { _ = st.Positions.SubscribePositions(ctx, func(note string) { heard <- note }, nil) }()
	until(t, heard, "note", func() error {
		_, err := st.Positions.TellPositions(ctx, []byte("note"))
		return err
	})
	go func() { _ = st.Positions.SubscribePositions(ctx, func(note string) { also <- note }, nil) }()
	until(t, also, "two", func() error {
		_, err := st.Positions.TellPositions(ctx, []byte("two"))
		return err
	})
	if n, err := st.Positions.TellPositions(ctx, []byte("counted")); err != nil || n != 2 {
		t.Fatalf("a note told to two followers: %d heard it (%v), want 2", n, err)
	}
}

// mendPositions: a mended position replaces a unit's last only where the
// one held is older (by its time to the nanosecond, whatever its written
// fraction), missing or unreadable; the count says how many it stored.
func mendPositions(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	fix := func(id string, lon float64, at time.Duration) unit.Fix {
		return unit.Fix{UnitID: id, Moved: true, Position: unit.Unknown(lon, 22.5, t0.Add(at))}
	}
	// car-1 holds 0.12 s, car-2 holds 0.1 s (written ".1Z": as text, after
	// ".12Z"), car-3 holds 1 s, car-4 nothing.
	if err := st.Positions.WritePositions(ctx, []unit.Fix{fix("car-1", 114.01, 120*time.Millisecond), fix("car-2", 114.02, 100*time.Millisecond),
		fix("car-3", 114.03, time.Second)}); err != nil {
		t.Fatal(err)
	}
	n, err := st.Positions.MendPositions(ctx, []unit.Fix{
		fix("car-1", 114.11, 100*time.Millisecond), // older: kept
		fix("car-2", 114.12, 120*time.Millisecond), // newer: mended
		fix("car-3", 114.13, time.Second),          // the same time: kept
		fix("car-4", 114.14, 0),                    // none held: stored
	})
	if err != nil || n != 2 {
		t.Fatalf("mended %d, want 2 (%v)", n, err)
	}
	pos, _, err := st.Positions.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, lon := range map[string]float64{"car-1": 114.01, "car-2": 114.12, "car-3": 114.03, "car-4": 114.14} {
		if pos[id].Lon != lon {
			t.Errorf("%s at %v (%v), want %v", id, pos[id].Lon, pos[id].At, lon)
		}
	}
	if n, err := st.Positions.MendPositions(ctx, nil); n != 0 || err != nil {
		t.Errorf("mending nothing: %d, %v", n, err)
	}
}

// unitRegistryReads: the unit documents a change writes come back one by
// one and all together (a rewrite replaces, never adds); an unknown unit is
// not found; a unit's active orders are those dispatch keeps active.
func unitRegistryReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Millisecond)
	put := func(u *unit.Unit) {
		apply(t, st, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindUnit, ID: u.ID, Value: u,
			Fields: map[string]string{"ver": fmt.Sprint(u.Version)}}}})
	}
	put(&unit.Unit{ID: "car-1", Callsign: "A", Type: "car", Devices: []string{"d1"}, Version: 1, CreatedAt: at})
	put(&unit.Unit{ID: "car-2", Callsign: "B", Type: "foot", Version: 1, CreatedAt: at})
	put(&unit.Unit{ID: "car-1", Callsign: "A2", Type: "car", Retired: true, Version: 2, CreatedAt: at})
	all, err := st.Positions.LoadUnits(ctx)
	slices.SortFunc(all, func(a, b *unit.Unit) int { return strings.Compare(a.ID, b.ID) })
	if err != nil || len(all) != 2 || all[0].Callsign != "A2" || !all[0].Retired || all[0].Version != 2 || all[1].Type != "foot" || !all[1].CreatedAt.Equal(at) {
		t.Fatalf("units: %+v %v", all, err)
	}
	if u, err := st.Positions.LoadUnit(ctx, "car-2"); err != nil || u.Callsign != "B" {
		t.Fatalf("car-2: %+v %v", u, err)
	}
	if _, err := st.Positions.LoadUnit(ctx, "car-9"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("car-9: %v", err)
	}
	order := func(id, status string) *dispatch.Dispatch {
		return &dispatch.Dispatch{ID: id, IncidentID: "INC-1", UnitID: "car-2", Status: status, CreatedAt: at, UpdatedAt: at}
	}
	apply(t, st, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindDispatch, ID: "D-1", Value: order("D-1", dispatch.Acked)},
		{Kind: change.KindDispatch, ID: "D-2", Value: order("D-2", dispatch.Offered)}}})
	apply(t, st, &change.Change{At: at, Docs: []change.Doc{{Kind: change.KindDispatch, ID: "D-2", Value: order("D-2", dispatch.Cancelled), Prev: order("D-2", dispatch.Offered)}}})
	if ids, err := st.Positions.ActiveOrders(ctx, "car-2"); err != nil || !slices.Equal(ids, []string{"D-1"}) {
		t.Fatalf("active orders: %v %v", ids, err)
	}
	if ids, err := st.Positions.ActiveOrders(ctx, "car-1"); err != nil || len(ids) != 0 {
		t.Fatalf("car-1 orders: %v %v", ids, err)
	}
}
