package unit

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

func testFleet(t testing.TB, extra int) *Fleet {
	t.Helper()
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		cfg.Units = append(cfg.Units, config.Unit{ID: fmt.Sprintf("x-%05d", i), Callsign: "x", Type: []string{"car", "foot", "fire"}[i%3]})
	}
	g, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	z, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(g, z)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFleet(cfg.UnitTypes, cfg.Units, m)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNearestOrderAndFilters(t *testing.T) {
	f := testFleet(t, 0)
	at := time.Now()
	place := map[string][2]float64{
		"car-01": {114.1150, 22.5470}, "car-02": {114.1200, 22.5470}, "foot-01": {114.1120, 22.5470},
		"fire-01": {114.1119, 22.5470}, "car-03": {114.1130, 22.5470},
	}
	for id, p := range place {
		f.restore(id, &Position{Lon: p[0], Lat: p[1], At: at}, "")
	}
	f.SetStatus("car-03", Dispatched)
	p := orb.Point{114.1118, 22.5470}
	got := f.Nearest(p, []string{"car", "foot"}, 10, nil)
	want := []string{"foot-01", "car-01", "car-02"}
	if len(got) != len(want) {
		t.Fatalf("got %d candidates: %+v", len(got), got)
	}
	for i, c := range got {
		if c.ID != want[i] {
			t.Fatalf("order %v", got)
		}
	}
	if c := f.Nearest(p, nil, 1, nil); len(c) != 1 || c[0].ID != "fire-01" {
		t.Errorf("any type, limit 1: %+v", c)
	}
	if c := f.Nearest(p, []string{"car"}, 5, func(id string) bool { return id == "car-01" }); len(c) != 1 || c[0].ID != "car-02" {
		t.Errorf("excluding a tried unit: %+v", c)
	}
	// eta: 30 km/h for cars.
	c := got[1]
	if want := c.DistanceM / (30 / 3.6); c.ETAS < want-1 || c.ETAS > want+1 {
		t.Errorf("eta %v for %v m", c.ETAS, c.DistanceM)
	}
}

func TestFlagNames(t *testing.T) {
	if n := (Late | Implausible).Names(); len(n) != 2 || n[0] != "late" || n[1] != "implausible" {
		t.Errorf("%v", n)
	}
	if n := Flags(0).Names(); len(n) != 0 {
		t.Errorf("%v", n)
	}
}

// BenchmarkNearest: the five nearest available cars among 10,000 placed units.
func BenchmarkNearest(b *testing.B) {
	f := testFleet(b, 10000)
	at := time.Now()
	for i := range 10000 {
		f.restore(fmt.Sprintf("x-%05d", i), &Position{Lon: 114.106 + float64(i%100)*0.00028, Lat: 22.529 + float64(i/100)*0.00028, At: at}, "")
	}
	p := orb.Point{114.1118, 22.547}
	b.ReportAllocs()
	for b.Loop() {
		if len(f.Nearest(p, []string{"car"}, 5, nil)) != 5 {
			b.Fatal("too few")
		}
	}
}

// BenchmarkNearestCity: the five nearest available cars among 10,000 units
// spread over a city of 40 by 44 km (0.4° square), one in seven busy.
func BenchmarkNearestCity(b *testing.B) {
	f := testFleet(b, 10000)
	at := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 10000 {
		status := ""
		if i%7 == 0 {
			status = Dispatched
		}
		f.restore(fmt.Sprintf("x-%05d", i), &Position{Lon: 113.9 + r.Float64()*0.4, Lat: 22.4 + r.Float64()*0.4, At: at}, status)
	}
	points := make([]orb.Point, 64)
	for i := range points {
		points[i] = orb.Point{113.9 + r.Float64()*0.4, 22.4 + r.Float64()*0.4}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if len(f.Nearest(points[i%len(points)], []string{"car"}, 5, nil)) != 5 {
			b.Fatal("too few")
		}
	}
}

// nearestScan is Nearest by looking at every unit: what the cells' search
// must find.
func nearestScan(f *Fleet, p orb.Point, types []string, limit int, exclude func(string) bool) []string {
	type hit struct {
		id string
		d  float64
	}
	var hits []hit
	for id, s := range f.units {
		if s.status != Available || s.pos == nil || len(types) > 0 && !slices.Contains(types, s.cfg.Type) || exclude != nil && exclude(id) {
			continue
		}
		hits = append(hits, hit{id, orbgeo.DistanceHaversine(p, orb.Point{s.pos.Lon, s.pos.Lat})})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.d != b.d {
			return cmp.Compare(a.d, b.d)
		}
		return strings.Compare(a.id, b.id)
	})
	out := []string{}
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, h.id)
	}
	return out
}

// TestNearestMatchesAScanOfEveryUnit: whatever the spread of the units (a
// dense block, a city, a few scattered far apart, some beside the
// antimeridian or a pole), after moves across cells and changes of status,
// the cells' search finds exactly the units, in the order, that looking at
// every unit finds.
func TestNearestMatchesAScanOfEveryUnit(t *testing.T) {
	type spread struct {
		name                 string
		lon, lat, wlon, wlat float64
	}
	for _, sp := range []spread{
		{"a dense block", 114.10, 22.53, 0.02, 0.02},
		{"a city", 113.9, 22.4, 0.4, 0.4},
		{"a province", 110, 20, 8, 6},
		{"beside the antimeridian", 179.95, -17, 0.1, 0.2},
		{"near the north pole", 10, 88.5, 20, 1.4},
		{"on a cell's edges", 114.10, 22.50, 0.05, 0.05},
	} {
		t.Run(sp.name, func(t *testing.T) {
			f := testFleet(t, 600)
			r := rand.New(rand.NewPCG(uint64(len(sp.name)), 7))
			ids := make([]string, 0, len(f.order))
			for _, id := range f.order {
				if f.units[id].cfg.HomeGrid == "" { // no home grid: placed anywhere
					ids = append(ids, id)
				}
			}
			point := func() orb.Point {
				p := orb.Point{sp.lon + r.Float64()*sp.wlon, sp.lat + r.Float64()*sp.wlat}
				if sp.name == "on a cell's edges" { // exactly on cell boundaries, ties too
					p = orb.Point{sp.lon + float64(r.IntN(6))*cellDeg, sp.lat + float64(r.IntN(6))*cellDeg}
				}
				return orb.Point{math.Mod(p[0]+540, 360) - 180, min(p[1], 89.9)}
			}
			statuses := []string{Available, Available, Dispatched, Available}
			for round := range 40 {
				for i := range 60 { // some units move, some change status
					id := ids[r.IntN(len(ids))]
					if i%3 == 0 {
						f.SetStatus(id, statuses[r.IntN(len(statuses))])
						continue
					}
					p := point()
					f.restore(id, &Position{Lon: p[0], Lat: p[1], At: time.Now()}, "")
				}
				for range 10 {
					p := point()
					types := [][]string{nil, {"car"}, {"fire", "foot"}}[r.IntN(3)]
					limit := 1 + r.IntN(12)
					skip := ids[r.IntN(len(ids))]
					exclude := func(id string) bool { return id == skip }
					var got []string
					for _, c := range f.Nearest(p, types, limit, exclude) {
						got = append(got, c.ID)
					}
					want := nearestScan(f, p, types, limit, exclude)
					if !slices.Equal(got, want) {
						t.Fatalf("round %d, at %v, types %v, limit %d: found %v, every unit scanned finds %v", round, p, types, limit, got, want)
					}
				}
			}
		})
	}
}

// TestNearestWhileUnitsMove: searches beside moves across cells from
// several goroutines, the same unit's among them, neither deadlock nor
// lose a unit: once they stop, the search finds what a scan finds.
func TestNearestWhileUnitsMove(t *testing.T) {
	f := testFleet(t, 400)
	var ids []string
	for _, id := range f.order {
		if f.units[id].cfg.HomeGrid == "" {
			ids = append(ids, id)
		}
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 3000 {
				p := orb.Point{114 + r.Float64()*0.1, 22.5 + r.Float64()*0.1}
				if g%3 == 2 {
					f.Nearest(p, nil, 5, nil)
					continue
				}
				f.restore(ids[r.IntN(len(ids))], &Position{Lon: p[0], Lat: p[1], At: time.Now()}, "")
			}
		}()
	}
	wg.Wait()
	for _, p := range []orb.Point{{114.02, 22.52}, {114.05, 22.55}, {114.09, 22.59}} {
		var got []string
		for _, c := range f.Nearest(p, nil, 20, nil) {
			got = append(got, c.ID)
		}
		if want := nearestScan(f, p, nil, 20, nil); !slices.Equal(got, want) {
			t.Errorf("at %v: found %v, a scan finds %v", p, got, want)
		}
	}
	placed := 0
	for _, list := range f.cells.m {
		placed += len(list)
	}
	if want := f.placedCount(); placed != want {
		t.Errorf("the cells hold %d units, %d are placed", placed, want)
	}
}

// placedCount is how many units have a position.
func (f *Fleet) placedCount() int {
	n := 0
	for _, s := range f.units {
		if s.pos != nil {
			n++
		}
	}
	return n
}

func TestFollowUnitStatus(t *testing.T) {
	f := testFleet(t, 0)
	id := f.order[0]
	for _, tc := range []struct {
		name string
		ev   vocab.Envelope
		want string
	}{
		{"other event", vocab.Envelope{Type: vocab.IncidentUpdated, Data: json.RawMessage(`{"unit_id":"` + id + `","status":"busy"}`)}, Available},
		{"bad data", vocab.Envelope{Type: vocab.UnitStatus, Data: json.RawMessage(`[1]`)}, Available},
		{"unit.status", vocab.Envelope{Type: vocab.UnitStatus, Data: json.RawMessage(`{"unit_id":"` + id + `","status":"off_duty","by":"x"}`)}, "off_duty"},
	} {
		f.Follow(tc.ev)
		if got := f.Status(id); got != tc.want {
			t.Errorf("%s: status %q, want %q", tc.name, got, tc.want)
		}
	}
}

// encodeNote appends to b the one note encodeNotes writes of latest (nil:
// none), of noteUnits units at most.
func (g *Ingester) encodeNote(b []byte, latest *latestSet) []byte {
	_, _ = g.encodeNotes(nil, []*latestSet{latest}, func(note []byte) error {
		b = append(b, note...)
		return nil
	})
	return b
}

// ownAnchors is each position noted as its unit's anchor (no jitter).
func ownAnchors(m map[string]Position) *latestSet {
	out := &latestSet{}
	for id, p := range m {
		out.put(id, anchored{p, p, nil}, false)
	}
	return out
}

// TestOwnNoteKnownByItsStart: every note an instance publishes begins with
// its own prefix, so Follow drops it undecoded; another instance's note,
// even one whose id begins with this one's, does not.
func TestOwnNoteKnownByItsStart(t *testing.T) {
	g := &Ingester{instance: "0123abcd"}
	other := &Ingester{instance: "0123abcdef"}
	latest := map[string]Position{"car-1": Unknown(114.1, 22.5, time.Now()), "car-2": Unknown(114.2, 22.6, time.Now())}
	for _, m := range []map[string]Position{latest, {}} {
		b := g.encodeNote(nil, ownAnchors(m))
		if !bytes.HasPrefix(b, g.ownPrefix()) {
			t.Fatalf("own note %s does not begin with %s", b, g.ownPrefix())
		}
		if b := other.encodeNote(nil, ownAnchors(m)); bytes.HasPrefix(b, g.ownPrefix()) {
			t.Fatalf("another instance's note %s taken for this one's", b)
		}
	}
}

// TestNoteReadsBack: the note written by hand is valid JSON that Follow's
// reading takes back whole: the instance, every unit id (quotes, control
// characters, HTML and non-ASCII ones too) and each position as written.
func TestNoteReadsBack(t *testing.T) {
	g := &Ingester{instance: "0123abcd"}
	at := time.Date(2026, 12, 5, 5, 30, 0, 123456789, time.UTC)
	latest := map[string]Position{"car-1": Unknown(114.1, 22.5, at), `q"\x`: Unknown(114.2, 22.6, at.Add(time.Second)),
		"ctl\x01\n": Unknown(-180, -90, at), "<a&b>": Unknown(180, 90, at), "车-01": Unknown(114.123456789, 22.5, at)}
	p := latest["car-1"]
	p.SpeedMPS, p.Heading, p.BatteryPct = 8.25, 90, 55
	latest["car-1"] = p
	b := g.encodeNote([]byte("left alone"), ownAnchors(latest))[len("left alone"):]
	var nt noteIn
	if err := json.Unmarshal(b, &nt); err != nil || nt.Instance != g.instance || len(nt.Units) != len(latest) {
		t.Fatalf("note %s: %+v %v", b, nt, err)
	}
	for _, u := range nt.Units {
		want, ok := latest[u.ID]
		var got Position
		if err := json.Unmarshal(u.Pos, &got); !ok || err != nil || string(got.AppendJSON(nil)) != string(want.AppendJSON(nil)) {
			t.Fatalf("unit %q: %s, want %s (%v)", u.ID, u.Pos, want.AppendJSON(nil), err)
		}
	}
	if b := g.encodeNote(nil, nil); string(b) != `{"i":"0123abcd","u":[]}` {
		t.Fatalf("empty note %s", b)
	}
}

// TestLargeNotesSplit: 2,500 units gathered by three workers (and one that
// gathered nothing) are told as notes of 1,000 at most, each one whole,
// together every unit once.
func TestLargeNotesSplit(t *testing.T) {
	g := &Ingester{instance: "0123abcd"}
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	latest := map[string]Position{}
	byWorker := []map[string]Position{{}, {}, {}}
	for i := range 2500 {
		id := fmt.Sprintf("car-%04d", i)
		latest[id] = Unknown(114.1, 22.5, at.Add(time.Duration(i)*time.Millisecond))
		byWorker[i%3][id] = latest[id]
	}
	sets := []*latestSet{ownAnchors(byWorker[0]), nil, ownAnchors(byWorker[1]), ownAnchors(byWorker[2])}
	seen := map[string]int{}
	notes := 0
	_, err := g.encodeNotes(nil, sets, func(b []byte) error {
		notes++
		var nt noteIn
		if err := json.Unmarshal(b, &nt); err != nil || !bytes.HasPrefix(b, g.ownPrefix()) || len(nt.Units) > noteUnits {
			t.Fatalf("note %d: %d units (%v)", notes, len(nt.Units), err)
		}
		for _, u := range nt.Units {
			seen[u.ID]++
		}
		return nil
	})
	if err != nil || notes != 3 || len(seen) != len(latest) {
		t.Fatalf("%d notes, %d units told (%v); want 3 notes, %d units", notes, len(seen), err, len(latest))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s told %d times", id, n)
		}
	}
	// A failed note stops the rest.
	notes = 0
	if _, err := g.encodeNotes(nil, sets, func([]byte) error { notes++; return errors.New("down") }); err == nil || notes != 1 {
		t.Fatalf("after a failed note: %d told, error %v", notes, err)
	}
}

// TestMoveNeverGoesBack: a move older than the unit's position (a write
// that finished after a later fix came from another instance) changes
// nothing: neither the position nor the anchor.
func TestMoveNeverGoesBack(t *testing.T) {
	f := testFleet(t, 0)
	id := f.registered()[0].ID
	t0 := time.Now().Truncate(time.Millisecond)
	later := Unknown(114.12, 22.55, t0.Add(10*time.Second))
	f.move(id, later, &later, origin{})
	older := Unknown(114.10, 22.54, t0.Add(7*time.Second))
	if ts, _ := f.move(id, older, &older, origin{}); len(ts) != 0 {
		t.Errorf("an older move made transitions %v", ts)
	}
	last, anchor, ok := f.fix(id)
	if !ok || !last.At.Equal(later.At) || !anchor.At.Equal(later.At) || last.Lon != later.Lon {
		t.Errorf("after an older move: last %v, anchor %v; want both at %v", last, anchor, later)
	}
}

// TestMoveTellsCrossedWrites: a move says when Redis may hold an older last
// position than the fleet: a note not newer than the unit's, or this
// instance's write finishing after a note heard while it was under way.
func TestMoveTellsCrossedWrites(t *testing.T) {
	t0 := time.Now().Truncate(time.Millisecond)
	at := func(s int) Position {
		return Unknown(114.1+float64(s)/1e4, 22.54, t0.Add(time.Duration(s)*time.Second))
	}
	type step struct {
		p       Position
		o       origin
		crossed bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
		last  int // the second of the position the fleet holds after
	}{
		{"own writes in turn", []step{{at(1), origin{}, false}, {at(2), origin{}, false}}, 2},
		{"a newer note", []step{{at(1), origin{}, false}, {at(2), origin{heard: 1}, false}}, 2},
		{"an older note", []step{{at(2), origin{}, false}, {at(1), origin{heard: 1}, true}}, 2},
		{"the same fix noted", []step{{at(2), origin{}, false}, {at(2), origin{heard: 1}, false}}, 2},
		{"an older note that moved nothing, heard during the write", []step{{at(2), origin{}, false}, {at(1), origin{heard: 4}, true}, {at(3), origin{since: 3}, true}}, 3},
		{"a note heard before the write began", []step{{at(1), origin{heard: 3}, false}, {at(2), origin{since: 3}, false}}, 2},
		{"an older note heard during the write", []step{{at(1), origin{heard: 4}, false}, {at(2), origin{since: 3}, true}}, 2},
		{"a newer note heard during the write", []step{{at(3), origin{heard: 4}, false}, {at(2), origin{since: 3}, true}}, 3},
		{"a later write of its own", []step{{at(1), origin{heard: 4}, false}, {at(2), origin{since: 3}, true}, {at(3), origin{since: 4}, false}}, 3},
		{"the first fix, from a note", []step{{at(1), origin{heard: 1}, false}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testFleet(t, 0)
			id := f.registered()[0].ID
			for i, s := range tc.steps {
				if _, crossed := f.move(id, s.p, &s.p, s.o); crossed != s.crossed {
					t.Errorf("step %d (%+v): crossed %v, want %v", i, s.o, crossed, s.crossed)
				}
			}
			if last, _, _ := f.fix(id); !last.At.Equal(at(tc.last).At) {
				t.Errorf("the fleet holds %v, want %v", last.At, at(tc.last).At)
			}
		})
	}
}

// TestFleetIDSharesItsString: ID gives a unit's id as the fleet's own
// string (configured or created since, retired too) without allocating,
// and nothing for an unknown id.
func TestFleetIDSharesItsString(t *testing.T) {
	f := testFleet(t, 0)
	_, _ = f.ID([]byte("car-01")) // the ids built before the unit is created
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 1}, false)
	for _, id := range []string{"car-01", "zz-1"} {
		got, ok := f.ID([]byte(id))
		if !ok || got != id {
			t.Fatalf("ID(%s) = %q, %v", id, got, ok)
		}
		again, _ := f.ID([]byte(id))
		if unsafe.StringData(got) != unsafe.StringData(again) {
			t.Errorf("ID(%s) gave two strings", id)
		}
	}
	if _, ok := f.ID([]byte("nobody")); ok {
		t.Error("an unknown id was found")
	}
	b := []byte("car-01")
	if n := testing.AllocsPerRun(100, func() { _, _ = f.ID(b) }); n != 0 {
		t.Errorf("ID allocates %v times", n)
	}
}

// TestFleetLooksUpUnitsAddedSince: a unit created after the lookups' copy
// was made is known, placed and judged at once, and a device after its
// unit's change is found as changed; one never created is not; and
// lookups racing the creation of others see every unit created before
// they began.
func TestFleetLooksUpUnitsAddedSince(t *testing.T) {
	f := testFleet(t, 0)
	if !f.Known("car-01") || f.Known("zz-1") || f.Exists("zz-1") { // the copy made before zz-1
		t.Fatal("car-01 unknown, or zz-1 known before it was created")
	}
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 1}, false)
	if !f.Known("zz-1") || !f.Exists("zz-1") {
		t.Fatal("zz-1 unknown once created")
	}
	f.restore("zz-1", &Position{Lon: 114.1, Lat: 22.54, At: time.Now()}, "")
	if last, _, ok := f.fix("zz-1"); !ok || last.Lon != 114.1 {
		t.Fatalf("zz-1's fix: %+v %v", last, ok)
	}
	// Devices: looked up before each change, and after it as changed.
	if _, ok := f.ByDevice("d-1"); ok {
		t.Fatal("d-1 found before any unit had it")
	}
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 2, Devices: []string{"d-1"}}, false) // only added
	if id, ok := f.ByDevice("d-1"); !ok || id != "zz-1" {
		t.Fatalf("d-1 is %q %v, want zz-1's", id, ok)
	}
	f.Put(Unit{ID: "car-01", Callsign: "C", Type: "car", Version: 99, Devices: []string{"d-2"}}, false)
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 3, Devices: []string{"d-2"}}, false) // taken from car-01
	if id, _ := f.ByDevice("d-2"); id != "zz-1" {
		t.Fatalf("d-2 is %q's, want zz-1's", id)
	}
	if _, ok := f.ByDevice("d-1"); ok {
		t.Fatal("d-1 still zz-1's after it was given d-2 instead")
	}
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 4, Devices: []string{"d-2"}, Retired: true}, false)
	if _, ok := f.ByDevice("d-2"); ok || f.Known("zz-1") || !f.Exists("zz-1") {
		t.Fatal("a retired unit's device still found, or the unit in service, or gone")
	}
	f.Put(Unit{ID: "zz-1", Callsign: "Z", Type: "car", Version: 5, Devices: []string{"d-2"}}, false) // restored
	if id, _ := f.ByDevice("d-2"); id != "zz-1" || !f.Known("zz-1") {
		t.Fatalf("restored zz-1: d-2 is %q's, known %v", id, f.Known("zz-1"))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprintf("zz-%d-%d", w, i)
				f.Put(Unit{ID: id, Callsign: id, Type: "car", Version: 1}, false)
				if !f.Known(id) || !f.Known("car-01") {
					t.Errorf("%s or car-01 unknown right after %s was created", id, id)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkFleetLookups: three lookups of a unit's state by id (Known,
// fix, state: what a position made before its check's lookup was carried
// to its storage), from every core at once over 10,000 units.
func BenchmarkFleetLookups(b *testing.B) {
	f := testFleet(b, 10000)
	ids := make([]string, 10000)
	at := time.Now()
	for i := range ids {
		ids[i] = fmt.Sprintf("x-%05d", i)
		f.restore(ids[i], &Position{Lon: 114.1, Lat: 22.54, At: at}, "")
	}
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 0))
		for pb.Next() {
			id := ids[r.IntN(len(ids))]
			if !f.Known(id) {
				b.Fatal("unknown")
			}
			if _, _, ok := f.fix(id); !ok {
				b.Fatal("no fix")
			}
			if f.state(id) == nil {
				b.Fatal("no state")
			}
		}
	})
}

// BenchmarkMovesAcrossCells: batches of 100 moves, each into another cell
// (the cells index's write lock), from every core at once over 10,000
// units: the index updated per unit ("each", as before) or once a batch.
func BenchmarkMovesAcrossCells(b *testing.B) {
	for _, batched := range []bool{false, true} {
		b.Run(map[bool]string{false: "each", true: "batch"}[batched], func(b *testing.B) {
			f := testFleet(b, 10000)
			t0 := time.Now().Add(-time.Hour)
			var seq atomic.Int64
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				w := int(next.Add(1)) - 1 // this goroutine's units: no two move one
				var into []*state
				for i := 0; pb.Next(); i++ {
					n := seq.Add(1) // later than any time before, whoever took it
					into = into[:0]
					for k := range 100 {
						id := fmt.Sprintf("x-%05d", (w*100+k)%10000)
						// This goroutine's own count: every batch crosses.
						p := Position{Lon: 114.1 + 0.01*float64(i%2), Lat: 22.54, At: t0.Add(time.Duration(n) * time.Millisecond)}
						if batched {
							_, _, into = f.moveInto(id, p, nil, origin{}, into)
						} else {
							f.move(id, p, nil, origin{})
						}
					}
					f.reindex(into)
				}
			})
		})
	}
}

// TestLatestSet: a unit's entry is set, replaced, or with newerOnly kept
// when not newer; reset empties it, and refilling it once grown allocates
// nothing (a map of anchored values allocated each one apart).
func TestLatestSet(t *testing.T) {
	t0 := time.Now()
	at := func(s int) anchored {
		p := Unknown(114.1, 22.5, t0.Add(time.Duration(s)*time.Second))
		return anchored{p, p, nil}
	}
	var l latestSet
	if _, ok := l.get("a"); ok || l.len() != 0 {
		t.Fatal("an empty set holds something")
	}
	l.put("a", at(2), false)
	l.put("b", at(1), false)
	l.put("a", at(1), true) // older: kept at 2
	l.put("b", at(3), true) // newer: taken
	if a, _ := l.get("a"); !a.pos.At.Equal(at(2).pos.At) {
		t.Errorf("a at %v, want the newer kept", a.pos.At)
	}
	if b, _ := l.get("b"); !b.pos.At.Equal(at(3).pos.At) || l.len() != 2 {
		t.Errorf("b at %v (%d held), want the newer taken", b.pos.At, l.len())
	}
	l.put("a", at(1), false) // not newerOnly: replaced whatever it is
	if a, _ := l.get("a"); !a.pos.At.Equal(at(1).pos.At) {
		t.Errorf("a at %v, want replaced", a.pos.At)
	}
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%04d", i)
	}
	n := 0
	fill := func() {
		l.reset()
		for i := range 1000 {
			l.put(ids[(n*1000+i*7)%len(ids)], at(i), false)
		}
		n++
	}
	fill()
	if allocs := testing.AllocsPerRun(20, fill); allocs > 0 {
		t.Errorf("refilling 1,000 entries allocates %v times", allocs)
	}
	if l.len() != 1000 {
		t.Errorf("%d held after a refill of 1,000", l.len())
	}
}

// TestSplitIndexesTheRequest: a request over several workers is split into
// one part per worker holding the indexes of that worker's samples, in the
// request's order, each index once; no sample is copied, and however large
// the request, a split takes four allocations.
func TestSplitIndexesTheRequest(t *testing.T) {
	g := &Ingester{}
	for range 4 {
		g.shards = append(g.shards, &shard{g: g})
	}
	samples := make([]Sample, 1000)
	for i := range samples {
		samples[i] = Sample{UnitID: fmt.Sprintf("car-%03d", i%97)}
	}
	r := &request{}
	parts := g.split(r, samples)
	seen := make([]bool, len(samples))
	for _, p := range parts {
		last := -1
		for i := range p.size() {
			j := p.idx[i]
			if j <= last || seen[j] || g.shardOf(samples[j].UnitID) != p.shard || p.sample(i).UnitID != samples[j].UnitID {
				t.Fatalf("part of %p: index %d after %d (seen %v)", p.shard, j, last, seen[j])
			}
			seen[j], last = true, j
		}
		if &p.samples[0] != &samples[0] {
			t.Error("a part holds a copy of the samples")
		}
	}
	for j, ok := range seen {
		if !ok {
			t.Fatalf("sample %d in no part", j)
		}
	}
	if len(parts) != 4 {
		t.Errorf("%d parts for 4 workers", len(parts))
	}
	if n := testing.AllocsPerRun(20, func() { g.split(r, samples) }); n > 4 {
		t.Errorf("a split allocates %v times", n)
	}
}

// TestNotesGoBackToTheirWorkers: the sets taken from several workers go
// back each to its own; after a failed note each gathers its units again,
// keeping a position stored since where it is newer than the one told.
func TestNotesGoBackToTheirWorkers(t *testing.T) {
	g := &Ingester{shards: []*shard{{}, {}, {}}}
	t0 := time.Now().Truncate(time.Millisecond)
	one := func(id string, at time.Time) *latestSet {
		p := Unknown(114.1, 22.5, at)
		l := &latestSet{}
		l.put(id, anchored{p, p, nil}, false)
		return l
	}
	g.shards[0].notes.add(one("a", t0))
	g.shards[2].notes.add(one("c", t0))
	g.shards[2].notes.add(one("e", t0.Add(time.Second)))
	sets := g.takeNotes([]*latestSet{{}, {}, {}, {}}) // emptied first
	if len(sets) != 3 || sets[1] != nil || unitsIn(sets) != 3 {
		t.Fatalf("took %d sets, the second %v, %d units; want 3, nil, 3", len(sets), sets[1], unitsIn(sets))
	}
	g.shards[2].notes.add(one("c", t0.Add(time.Second))) // stored while the note was told
	g.shards[2].notes.add(one("e", t0))                  // an older one, from another instance's note, say
	g.giveBackNotes(sets, true)                          // the note failed
	again := g.takeNotes(nil)
	if unitsIn(again) != 3 || again[0].len() != 1 || again[1] != nil || again[2].len() != 2 {
		t.Fatalf("gathered again: %d units; want a on the first worker, c and e on the third", unitsIn(again))
	}
	if _, ok := again[0].get("a"); !ok {
		t.Error("a went back to another worker")
	}
	for id, want := range map[string]time.Time{"c": t0.Add(time.Second), "e": t0.Add(time.Second)} {
		if f, ok := again[2].get(id); !ok || !f.pos.At.Equal(want) {
			t.Errorf("%s gathered again at %v, want %v", id, f.pos.At, want)
		}
	}
	// Told: given back empty, each to its own worker, and reused there.
	g.giveBackNotes(again, false)
	g.shards[2].notes.add(one("c", t0.Add(2*time.Second)))
	if third := g.takeNotes(nil); third[0] != nil || third[2] != again[2] || third[2].len() != 1 {
		t.Errorf("after a note told: %d units, the third worker's set reused: %v", unitsIn(third), third[2] == again[2])
	}
}

// TestNotesTellEachUnitOnce: the set a note told is given back emptied and
// gathers the next, which holds only the units stored since; nothing
// gathered takes nothing.
func TestNotesTellEachUnitOnce(t *testing.T) {
	var n notes
	one := func(id string) *latestSet {
		p := Unknown(114.1, 22.5, time.Now())
		l := &latestSet{}
		l.put(id, anchored{p, p, nil}, false)
		return l
	}
	n.add(one("a"))
	first := n.take()
	if first == nil || first.len() != 1 || n.take() != nil {
		t.Fatalf("the first note holds %v", first)
	}
	n.giveBack(first)
	n.add(one("b"))
	second := n.take()
	if _, ok := second.get("a"); ok || second.len() != 1 {
		t.Errorf("the second note holds %d units, a among them: %v", second.len(), ok)
	}
	if second != first {
		t.Error("the set given back was not reused")
	}
	// Notes told in turn while units are stored (gathering while one is
	// told) and when none is (given back before the next gathers): once
	// three have grown (gathering, told, given back), none is made anew.
	told := n.take() // nothing gathered: nil
	seen := map[*latestSet]bool{second: true}
	for i := range 20 {
		if i%2 == 0 {
			n.add(one("d"))
			n.giveBack(told)
		} else {
			n.giveBack(told)
			n.add(one("d"))
		}
		told = n.take()
		seen[told] = true
	}
	if len(seen) > 3 {
		t.Errorf("%d sets made for 20 notes", len(seen))
	}
}
