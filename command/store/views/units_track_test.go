package views

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/unit"
)

func openUnits(t *testing.T, ttl time.Duration) (*Units, *store.Store) {
	t.Helper()
	st := storetest.Open(t, store.Options{})
	return NewUnits(st, ttl, nil), st
}

// TestTrackReadsOldAndPackedEntries: a track holding entries of eight
// fields (written before tracks were packed) and packed ones reads back
// whole and in time order, unknown readings unknown; a packed entry with
// too few or too many values is skipped and counted, not read wrong.
func TestTrackReadsOldAndPackedEntries(t *testing.T) {
	x, st := openUnits(t, time.Hour)
	var skipped []string
	x.skipped = func(kind string) { skipped = append(skipped, kind) }
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	key := st.Key("unit", "car-1", "track")
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	old := func(args ...any) {
		if err := st.Client().Do(ctx, append([]any{"XADD", key, "*"}, args...)...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	old("lon", "114.1", "lat", "22.5", "t", ms(-3*time.Second), "spd", "3.5", "hdg", "", "acc", "12", "bat", "80", "f", "0")
	old("lon", "114.2", "lat", "22.6", "t", ms(-5*time.Second), "spd", "", "hdg", "90", "acc", "", "bat", "", "f", "1")
	p := unit.Unknown(114.3, 22.7, now.Add(-time.Second))
	p.Heading, p.BatteryPct = 45, 50
	q := unit.Unknown(114.4, 22.8, now.Add(-4*time.Second))
	q.SpeedMPS = 9
	err := x.WritePositions(ctx, []unit.Fix{{UnitID: "car-1", Moved: true, Position: p}, {UnitID: "car-1", Flags: unit.Implausible, Position: q}})
	if err != nil {
		t.Fatal(err)
	}
	old("p", "114.5,22.9,1,2,3,4,0")     // too few values
	old("p", "114.5,22.9,1,2,3,4,5,0,9") // too many
	track, err := x.Track(ctx, "car-1", now.Add(-time.Minute), now, 100)
	if err != nil || len(track) != 4 {
		t.Fatalf("track: %+v %v", track, err)
	}
	nan := math.NaN()
	want := []struct {
		lon, lat, spd, hdg, acc, bat float64
		flags                        unit.Flags
		at                           time.Duration
	}{
		{114.2, 22.6, nan, 90, nan, nan, unit.Late, -5 * time.Second},
		{114.4, 22.8, 9, nan, nan, nan, unit.Implausible, -4 * time.Second},
		{114.1, 22.5, 3.5, nan, 12, 80, 0, -3 * time.Second},
		{114.3, 22.7, nan, 45, nan, 50, 0, -time.Second},
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for i, w := range want {
		f := track[i]
		if f.UnitID != "car-1" || f.Lon != w.lon || f.Lat != w.lat || !same(f.SpeedMPS, w.spd) || !same(f.Heading, w.hdg) ||
			!same(f.AccuracyM, w.acc) || !same(f.BatteryPct, w.bat) || f.Flags != w.flags || f.Moved != (w.flags == 0) || !f.At.Equal(now.Add(w.at)) {
			t.Fatalf("fix %d: %+v, want %+v", i, f, w)
		}
	}
	if len(skipped) != 2 || skipped[0] != "track_fix" {
		t.Fatalf("skipped: %v", skipped)
	}
}

// TestTrackUpkeep: a unit's first write trims its track and sets its
// expiry to the TTL plus upkeepEvery; writes within upkeepEvery of that
// leave both alone (the expiry set is still past a TTL after them); the
// first one after sends them again, trimming what is older than the TTL;
// a write that failed leaves the upkeep due.
func TestTrackUpkeep(t *testing.T) {
	const ttl = time.Minute // upkeepEvery: 6 s
	x, st := openUnits(t, ttl)
	ctx := context.Background()
	clock := time.Now()
	x.now = func() time.Time { return clock }
	key := st.Key("unit", "car-1", "track")
	write := func(ctx context.Context, n int) error {
		fixes := make([]unit.Fix, n)
		for i := range fixes {
			fixes[i] = unit.Fix{UnitID: "car-1", Flags: unit.Late, Position: unit.Unknown(114.1, 22.5, clock)}
		}
		return x.WritePositions(ctx, fixes)
	}
	pttl := func() time.Duration { return st.Client().PTTL(ctx, key).Val() }
	mark := func() { st.Client().PExpire(ctx, key, time.Hour) } // set aside what upkeep sets
	if err := write(ctx, 250); err != nil {
		t.Fatal(err)
	}
	if d := pttl(); d <= ttl || d > ttl+upkeepEvery(ttl) {
		t.Fatalf("expiry after the first write: %v", d)
	}
	mark()
	clock = clock.Add(upkeepEvery(ttl) - time.Millisecond)
	if err := write(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := pttl(); d <= 59*time.Minute {
		t.Fatalf("expiry sent again within upkeepEvery: %v", d)
	}
	// Past the TTL, the upkeep trims the 251 entries older than it (whole
	// nodes of 100: MINID ~) and sets the expiry again.
	clock = clock.Add(ttl + time.Second)
	if err := write(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := pttl(); d <= ttl || d > ttl+upkeepEvery(ttl) {
		t.Fatalf("expiry after upkeep: %v", d)
	}
	if n := st.Client().XLen(ctx, key).Val(); n > 100 {
		t.Fatalf("%d entries left after trimming", n)
	}
	mark()
	clock = clock.Add(upkeepEvery(ttl))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := write(cancelled, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("write with a cancelled context: %v", err)
	}
	clock = clock.Add(time.Second)
	if err := write(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if d := pttl(); d > ttl+upkeepEvery(ttl) {
		t.Fatalf("upkeep not sent after a failed write: expiry %v", d)
	}
}

// TestTrackRecreatedKeepsExpiry: a track that disappears from Redis
// between upkeeps (a restart losing the last writes, a failover, a DEL) is
// not made again without an expiry by the next write: a write that is not
// due for upkeep adds only to a track that exists, and one found missing is
// written again with its trim and expiry.
func TestTrackRecreatedKeepsExpiry(t *testing.T) {
	x, st := openUnits(t, time.Minute)
	ctx := context.Background()
	clock := time.Now()
	x.now = func() time.Time { return clock }
	key := st.Key("unit", "car-1", "track")
	w := func() {
		if err := x.WritePositions(ctx, []unit.Fix{{UnitID: "car-1", Moved: true, Position: unit.Unknown(114.1, 22.5, clock)}}); err != nil {
			t.Fatal(err)
		}
	}
	w()
	st.Client().Del(ctx, key)
	clock = clock.Add(time.Second)
	w()
	if d := st.Client().PTTL(ctx, key).Val(); d <= 0 {
		t.Fatalf("recreated track has no expiry: %v", d)
	}
	// In a batch, each of a missing track's fixes is written again once and
	// in order, beside a track that is there and a unit met for the first time.
	key2 := st.Key("unit", "car-2", "track")
	fix := func(id string, lon float64) unit.Fix {
		return unit.Fix{UnitID: id, Flags: unit.Late, Position: unit.Unknown(lon, 22.5, clock)}
	}
	if err := x.WritePositions(ctx, []unit.Fix{fix("car-2", 114.0)}); err != nil {
		t.Fatal(err)
	}
	st.Client().Del(ctx, key)
	clock = clock.Add(time.Second)
	batch := []unit.Fix{fix("car-1", 114.1), fix("car-2", 114.2), fix("car-1", 114.3), fix("car-3", 114.4), fix("car-1", 114.5)}
	if err := x.WritePositions(ctx, batch); err != nil {
		t.Fatal(err)
	}
	lons := func(id string) (out []float64) {
		track, err := x.Track(ctx, id, clock.Add(-time.Minute), clock, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range track {
			out = append(out, f.Lon)
		}
		return out
	}
	if got := lons("car-1"); !slices.Equal(got, []float64{114.1, 114.3, 114.5}) {
		t.Fatalf("car-1's track: %v", got)
	}
	if got := lons("car-2"); !slices.Equal(got, []float64{114.0, 114.2}) {
		t.Fatalf("car-2's track: %v", got)
	}
	for _, k := range []string{key, key2, st.Key("unit", "car-3", "track")} {
		if d := st.Client().PTTL(ctx, k).Val(); d <= 0 {
			t.Fatalf("%s has no expiry: %v", k, d)
		}
	}
	if ids := st.Client().XRange(ctx, key, "-", "+").Val(); len(ids) != 3 {
		t.Fatalf("car-1's stream holds %d entries", len(ids))
	}
}

// TestBadLastPositionCountedOnce: a bad last position is skipped at every
// read and counted at the first (an instance reads again after each
// subscription), and again once it changes and is still bad.
func TestBadLastPositionCountedOnce(t *testing.T) {
	x, st := openUnits(t, time.Hour)
	var skipped int
	x.skipped = func(string) { skipped++ }
	ctx := context.Background()
	set := func(v string) {
		t.Helper()
		if err := st.Client().HSet(ctx, st.Key("units", "last"), "car-1", v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	load := func(want int) {
		t.Helper()
		pos, _, err := x.LoadState(ctx)
		if err != nil || len(pos) != 0 || skipped != want {
			t.Fatalf("loaded %v (%v), skipped %d; want none loaded, %d skipped", pos, err, skipped, want)
		}
	}
	set(`{"lon":`)
	load(1)
	load(1)
	set(`{"lat":`)
	load(2)
	load(2)
}

// TestPolarPositionClampedInTheGeoSet: a fix beyond the latitudes Redis's
// GEO sets reach (±85.05°) is stored whole as the last position and in the
// track, and at the GEO set's edge there, not refused.
func TestPolarPositionClampedInTheGeoSet(t *testing.T) {
	x, st := openUnits(t, time.Hour)
	ctx := context.Background()
	at := time.Now().Truncate(time.Millisecond)
	fixes := []unit.Fix{
		{UnitID: "car-1", Moved: true, Position: unit.Unknown(114.1, 89.5, at)},
		{UnitID: "car-2", Moved: true, Position: unit.Unknown(-70.25, -88, at)},
	}
	if err := x.WritePositions(ctx, fixes); err != nil {
		t.Fatal(err)
	}
	pos := st.Client().GeoPos(ctx, st.Key("units", "geo"), "car-1", "car-2").Val()
	if len(pos) != 2 || pos[0] == nil || pos[1] == nil || math.Abs(pos[0].Latitude-85.05112878) > 1e-4 || math.Abs(pos[1].Latitude+85.05112878) > 1e-4 ||
		math.Abs(pos[0].Longitude-114.1) > 1e-4 || math.Abs(pos[1].Longitude+70.25) > 1e-4 {
		t.Fatalf("GEO positions %v %v, want at ±85.05112878", pos[0], pos[1])
	}
	for _, f := range fixes {
		want := string(f.Position.AppendJSON(nil))
		if last := st.Client().HGet(ctx, st.Key("units", "last"), f.UnitID).Val(); last != want {
			t.Errorf("%s's last position %s, want %s", f.UnitID, last, want)
		}
		entries := st.Client().XRange(ctx, st.Key("unit", f.UnitID, "track"), "-", "+").Val()
		if len(entries) != 1 || !strings.HasPrefix(fmt.Sprint(entries[0].Values["p"]), strconv.FormatFloat(f.Lon, 'f', -1, 64)+","+strconv.FormatFloat(f.Lat, 'f', -1, 64)+",") {
			t.Errorf("%s's track %v, want its one fix at %v, %v", f.UnitID, entries, f.Lon, f.Lat)
		}
	}
}
