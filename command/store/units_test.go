package store_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store/views"
	"watchfloor/command/unit"
)

// TestWritePositionsReusedBuffers: the pooled argument buffers of
// WritePositions never carry one call's keys or values into another: calls
// of different sizes, in turn and at once from several workers, each store
// exactly their own fixes (track values, last positions, unknown readings
// empty).
func TestWritePositionsReusedBuffers(t *testing.T) {
	st := open(t)
	x := views.NewUnits(st, time.Hour, nil)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	// batch w of n fixes: unit w-i gets two fixes, the second moving it
	// to a place and speed that name w and i.
	batch := func(w, n int) []unit.Fix {
		var fixes []unit.Fix
		for i := range n {
			id := fmt.Sprintf("w%d-%03d", w, i)
			p := unit.Unknown(114+float64(w)/10+float64(i)/10000, 22.5, now.Add(-time.Minute))
			fixes = append(fixes, unit.Fix{UnitID: id, Flags: unit.Late, Position: p})
			q := unit.Unknown(p.Lon, 22.6, now.Add(-time.Second))
			q.SpeedMPS, q.BatteryPct = float64(w), float64(i%100)
			fixes = append(fixes, unit.Fix{UnitID: id, Moved: true, Position: q})
		}
		return fixes
	}
	sizes := []int{300, 2, 40, 1, 150, 7}
	for w, n := range sizes {
		if err := x.WritePositions(ctx, batch(w, n)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := len(sizes); w < len(sizes)+8; w++ {
		wg.Go(func() {
			for range 3 {
				if err := x.WritePositions(ctx, batch(w, 20+w*7)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	last, _, err := x.LoadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	check := func(w, n, repeats int) {
		for i := range n {
			id := fmt.Sprintf("w%d-%03d", w, i)
			want++
			lon := 114 + float64(w)/10 + float64(i)/10000
			if p := last[id]; p.Lon != lon || p.Lat != 22.6 || p.SpeedMPS != float64(w) || p.BatteryPct != float64(i%100) || !math.IsNaN(p.Heading) {
				t.Fatalf("%s last: %+v", id, p)
			}
			track, err := x.Track(ctx, id, now.Add(-time.Hour), now, 100)
			if err != nil || len(track) != 2*repeats {
				t.Fatalf("%s track: %+v %v", id, track, err)
			}
			for k, f := range track {
				moved := k >= repeats // the late fixes are a minute older
				if f.Moved != moved || f.Lon != lon || (moved && (f.SpeedMPS != float64(w) || f.Lat != 22.6)) || (!moved && (f.Flags != unit.Late || !math.IsNaN(f.SpeedMPS))) {
					t.Fatalf("%s fix %d: %+v", id, k, f)
				}
			}
		}
	}
	for w, n := range sizes {
		check(w, n, 1)
	}
	for w := len(sizes); w < len(sizes)+8; w++ {
		check(w, 20+w*7, 3)
	}
	if len(last) != want {
		t.Fatalf("%d last positions, want %d", len(last), want)
	}
}

// TestMendPositionsSetsTheGeoSet: a mend sets a unit's place in the GEO set
// to the last position it leaves, stored or kept: two instances' batches
// may interleave their GEOADD and HSET, leaving the set at the older fix.
func TestMendPositionsSetsTheGeoSet(t *testing.T) {
	st := open(t)
	x := views.NewUnits(st, time.Hour, nil)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	later := unit.Fix{UnitID: "car-1", Moved: true, Position: unit.Unknown(114.02, 22.5, t0)}
	older := unit.Fix{UnitID: "car-1", Moved: true, Position: unit.Unknown(114.01, 22.5, t0.Add(-time.Second))}
	if err := x.WritePositions(ctx, []unit.Fix{later}); err != nil {
		t.Fatal(err)
	}
	geo := st.Key("units", "geo")
	if err := st.Client().GeoAdd(ctx, geo, &redis.GeoLocation{Name: "car-1", Longitude: 114.01, Latitude: 22.5}).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := x.MendPositions(ctx, []unit.Fix{older}); err != nil || n != 0 {
		t.Fatalf("mending with an older fix: %d %v", n, err)
	}
	pos, err := st.Client().GeoPos(ctx, geo, "car-1").Result()
	if err != nil || len(pos) != 1 || pos[0] == nil || math.Abs(pos[0].Longitude-114.02) > 1e-5 {
		t.Fatalf("the GEO set holds %+v (%v), want the kept last at 114.02", pos, err)
	}
}
