package unit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/unit"
	"watchfloor/config"
	"watchfloor/geo"
)

// ingestFleet is a fleet of n cars on an empty map.
func ingestFleet(t testing.TB, n int) *unit.Fleet {
	t.Helper()
	cfg, err := config.Load("../../config/sample/watchfloor.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	grids, _ := os.ReadFile(cfg.Path(cfg.Map.Grids))
	zones, _ := os.ReadFile(cfg.Path(cfg.Map.Zones))
	m, err := geo.NewMap(grids, zones)
	if err != nil {
		t.Fatal(err)
	}
	units := make([]config.Unit, n)
	for i := range units {
		units[i] = config.Unit{ID: fmt.Sprintf("car-%03d", i), Callsign: "c", Type: "car"}
	}
	f, err := unit.NewFleet([]config.UnitType{{ID: "car", SpeedKMH: 40}}, units, m)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// gated is the memory store's unit storage whose writes of positions wait
// for the gate to open; stored counts the fixes it has stored.
type gated struct {
	*memstore.Units
	entered chan struct{}
	gate    chan struct{}
	fail    error
	opened  sync.Once
	stored  atomic.Int64
	mu      sync.Mutex
	notes   []string // the notes published, in order
}

func (g *gated) TellPositions(ctx context.Context, note []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err // as go-redis does: a call on a context that ended sends nothing
	}
	g.mu.Lock()
	g.notes = append(g.notes, string(note))
	g.mu.Unlock()
	return g.Units.TellPositions(ctx, note)
}

func (g *gated) WritePositions(ctx context.Context, fixes []unit.Fix) error {
	if err := ctx.Err(); err != nil {
		return err // as go-redis does: a call on a context that ended sends nothing
	}
	if len(fixes) > 0 {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.gate
		if g.fail != nil {
			return g.fail
		}
	}
	err := g.Units.WritePositions(ctx, fixes)
	g.stored.Add(int64(len(fixes)))
	return err
}

// release opens the gate, once however often it is called.
func (g *gated) release() { g.opened.Do(func() { close(g.gate) }) }

func newGated() *gated {
	return &gated{Units: memstore.New(memstore.Options{}).Units(time.Hour), entered: make(chan struct{}, 1), gate: make(chan struct{})}
}

func positionsCfg(workers, limit int) config.Positions {
	return config.Positions{MaxSpeedKMH: 250, TrackTTL: time.Hour, FutureTolerance: time.Minute, BatchSize: 1000,
		Workers: workers, QueueLimit: limit, RetryAfter: 3 * time.Second, NoteInterval: time.Millisecond}
}

func runIngester(t testing.TB, g *unit.Ingester) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// following runs g.Follow until the test ends.
func following(t *testing.T, g *unit.Ingester) {
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() { _ = g.Follow(ctx); close(followed) }()
	t.Cleanup(func() { cancel(); <-followed })
}

// Eight workers, 40 units, eight senders each sending its five units three
// fixes each per request, interleaved (so every request is split among
// workers): every fix is stored in its unit's order (none late), and each
// unit ends at its last.
func TestIngestKeepsOrderPerUnit(t *testing.T) {
	const units, senders, rounds = 40, 8, 150
	fleet := ingestFleet(t, units)
	st := memstore.New(memstore.Options{}).Units(time.Hour)
	g := unit.NewIngester(fleet, st, positionsCfg(8, 100000), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				var batch []unit.Sample
				for k := range 3 {
					for u := s; u < units; u += senders {
						at := start.Add(time.Duration(3*r+k) * 100 * time.Millisecond)
						batch = append(batch, unit.Sample{UnitID: fmt.Sprintf("car-%03d", u), Position: unit.Position{Lon: 114.1 + float64(r)*1e-6, Lat: 22.5, At: at}})
					}
				}
				flags, err := g.Submit(context.Background(), batch)
				if err != nil {
					errs <- err
					return
				}
				for i, f := range flags {
					if f != 0 {
						errs <- fmt.Errorf("round %d: %s flagged %v: stored out of order", r, batch[i].UnitID, f.Names())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	last := start.Add((3*rounds - 1) * 100 * time.Millisecond)
	for u := range units {
		id := fmt.Sprintf("car-%03d", u)
		p, ok := fleet.Last(id)
		if !ok || !p.At.Equal(last) {
			t.Fatalf("%s ends at %v (%v), want %v", id, p.At, ok, last)
		}
		track, err := st.Track(context.Background(), id, start, last, 1000)
		if err != nil || len(track) != 3*rounds {
			t.Fatalf("%s: %d fixes in its track (%v), want %d", id, len(track), err, 3*rounds)
		}
	}
}

// A caller is answered only after its positions are stored, and a storage
// error reaches it.
func TestIngestAnswersAfterStorage(t *testing.T) {
	for _, fail := range []error{nil, fmt.Errorf("storing: %w", fault.ErrUnavailable)} {
		st := newGated()
		st.fail = fail
		g := unit.NewIngester(ingestFleet(t, 4), st, positionsCfg(2, 100), nil, quiet, unit.IngestHooks{})
		runIngester(t, g)
		answered := make(chan error, 1)
		go func() {
			_, err := g.Submit(context.Background(), []unit.Sample{{UnitID: "car-001", Position: unit.Position{Lon: 114.1, Lat: 22.5, At: time.Now()}}})
			answered <- err
		}()
		<-st.entered
		select {
		case err := <-answered:
			t.Fatalf("answered (%v) while its write was still waiting", err)
		default:
		}
		st.release()
		err := <-answered
		if fail == nil && (err != nil || st.stored.Load() != 1) {
			t.Fatalf("answered %v with %d fixes stored; want nil after 1", err, st.stored.Load())
		}
		if fail != nil && !errors.Is(err, fault.ErrUnavailable) {
			t.Fatalf("storage failed with %v; the caller got %v", fail, err)
		}
	}
}

// samplesAt makes batches of n samples of units car-{from} on, at at.
func samplesAt(at time.Time) func(n, from int) []unit.Sample {
	return func(n, from int) []unit.Sample {
		out := make([]unit.Sample, n)
		for i := range out {
			out[i] = unit.Sample{UnitID: fmt.Sprintf("car-%03d", from+i), Position: unit.Position{Lon: 114.1, Lat: 22.5, At: at}}
		}
		return out
	}
}

// Past the queue limit a sender is refused at once with fault.Busy and its
// Retry-After, nothing of it is stored, and the shed is counted; once the
// queue drains, positions are taken again.
func TestIngestShedsWhenQueueFull(t *testing.T) {
	st := newGated()
	var shed, read atomic.Int64
	g := unit.NewIngester(ingestFleet(t, 20), st, positionsCfg(4, 10), nil, quiet, unit.IngestHooks{Shed: func(n int) { shed.Add(int64(n)) }, ShedRead: func() { read.Add(1) }})
	runIngester(t, g)
	batch := samplesAt(time.Now())
	first := make(chan error, 1)
	go func() { _, err := g.Submit(context.Background(), batch(8, 0)); first <- err }()
	<-st.entered
	for _, n := range []int{3, 10, 1000} { // 8 waiting: 3 more is past 10
		_, err := g.Submit(context.Background(), batch(n%12, 8))
		var busy *fault.Busy
		if !errors.As(err, &busy) || busy.RetryAfter != 3*time.Second || !errors.Is(err, fault.ErrUnavailable) {
			t.Fatalf("%d more positions past the limit: %v; want fault.Busy with Retry-After 3s", n%12, err)
		}
	}
	if got := shed.Load(); got != 3+10+4 {
		t.Fatalf("shed counted %d positions, want 17", got)
	}
	g.Shed(0) // as an edge refusing on headers
	if got := read.Load(); got != 3 {
		t.Fatalf("%d requests counted as refused after their body was read, want the 3 Submit refused", got)
	}
	// Two more fit (8 + 2 = 10).
	second := make(chan error, 1)
	go func() { _, err := g.Submit(context.Background(), batch(2, 18)); second <- err }()
	st.release()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if _, err := g.Submit(context.Background(), batch(10, 0)); err != nil {
		t.Fatalf("after the queue drained: %v", err)
	}
	if _, err := g.Submit(context.Background(), batch(15, 0)); err != nil {
		t.Fatalf("a request larger than the limit when nothing waits: %v", err)
	}
	if got := st.stored.Load(); got != 8+2+10+15 {
		t.Fatalf("%d fixes stored, want 35 (nothing of a refused request)", got)
	}
}

// Once the queue reached its limit, Full stays true until it drains below
// three quarters of it (the edges refuse on headers meanwhile, rather than
// after reading bodies Submit would refuse), though Submit still takes what
// fits; below the low water it is false again.
func TestIngestFullUntilLowWater(t *testing.T) {
	st := newGated()
	release := st.release
	g := unit.NewIngester(ingestFleet(t, 40), st, positionsCfg(1, 20), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	t.Cleanup(release) // before the ingester stops: a failed check leaves no write held
	batch := samplesAt(time.Now())
	results := make(chan error, 2)
	go func() { _, err := g.Submit(context.Background(), batch(16, 0)); results <- err }()
	<-st.entered
	if g.Full() {
		t.Fatal("full with 16 of 20 waiting, before the limit was reached")
	}
	if _, err := g.Submit(context.Background(), batch(5, 16)); err == nil {
		t.Fatal("21 of 20 taken")
	}
	if !g.Full() {
		t.Fatal("not full with 16 of 20 waiting right after a refusal: above the low water (15)")
	}
	go func() { _, err := g.Submit(context.Background(), batch(4, 21)); results <- err }()
	for deadline := time.Now().Add(5 * time.Second); g.Queued() != 20; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d queued, never the 20 of both requests", g.Queued())
		}
	}
	if !g.Full() {
		t.Fatal("not full at the limit")
	}
	release()
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if g.Full() {
		t.Fatalf("still full with %d waiting, below the low water", g.Queued())
	}
}

// With a queue of one, the low water is one: Full is false again once the
// queue is empty (at three quarters of one, rounded down, it never was).
func TestIngestFullWithAQueueOfOne(t *testing.T) {
	st := newGated()
	release := st.release
	g := unit.NewIngester(ingestFleet(t, 4), st, positionsCfg(1, 1), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	t.Cleanup(release)
	one := []unit.Sample{{UnitID: "car-000", Position: unit.Position{Lon: 114.1, Lat: 22.5, At: time.Now()}}}
	done := make(chan error, 1)
	go func() { _, err := g.Submit(context.Background(), one); done <- err }()
	<-st.entered
	if !g.Full() {
		t.Fatal("not full with one of one waiting")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.Full() {
		t.Fatal("still full with the queue empty")
	}
}

// Moves of many units by parallel workers, frames, nearest searches,
// statuses and registry changes at once: the race detector (go test -race)
// finds no unguarded access to a unit's state, and every unit ends where
// its last position put it.
func TestFleetConcurrentAccess(t *testing.T) {
	const units = 64
	fleet := ingestFleet(t, units)
	g := unit.NewIngester(fleet, memstore.New(memstore.Options{}).Units(time.Hour), positionsCfg(8, 100000), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	framer := &unit.Framer{Fleet: fleet, Interval: time.Millisecond, Publish: func([]byte) {}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = framer.Run(ctx) }()
	start := time.Now().Add(-time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 50 {
				batch := make([]unit.Sample, 0, units/4)
				for u := w; u < units; u += 4 {
					batch = append(batch, unit.Sample{UnitID: fmt.Sprintf("car-%03d", u), Position: unit.Position{Lon: 114.1, Lat: 22.5, At: start.Add(time.Duration(r) * time.Second)}})
				}
				if _, err := g.Submit(context.Background(), batch); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			fleet.Nearest(orb.Point{114.1, 22.5}, nil, 5, nil)
			fleet.SetStatus(fmt.Sprintf("car-%03d", i%units), []string{unit.Available, unit.Dispatched}[i%2])
			fleet.List(false, false)
			fleet.Known(fmt.Sprintf("car-%03d", i%units))
			fleet.Put(unit.FromConfig(config.Unit{ID: fmt.Sprintf("car-%03d", i%units), Callsign: "c", Type: "car"}), true)
		}
	}()
	wg.Wait()
	for u := range units {
		if p, ok := fleet.Last(fmt.Sprintf("car-%03d", u)); !ok || !p.At.Equal(start.Add(49*time.Second)) {
			t.Fatalf("car-%03d ends at %v", u, p.At)
		}
	}
}

// The cells index follows a batch's moves: twenty units, each written in
// one batch into a cell of its own, are each the nearest to its new place,
// though a unit that stayed lies 300 m from it (a stale index finds that
// one and stops). So, too, a note from another instance.
func TestCellsFollowABatch(t *testing.T) {
	const movers = 20
	st := memstore.New(memstore.Options{}).Units(time.Hour)
	fleet, other := ingestFleet(t, 2*movers+1), ingestFleet(t, 2*movers+1)
	g := unit.NewIngester(fleet, st, positionsCfg(2, 100000), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	follower := unit.NewIngester(other, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, follower)
	following(t, follower)
	t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Millisecond)
	submit := func(batch []unit.Sample) {
		t.Helper()
		flags, err := g.Submit(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range flags {
			if f != 0 {
				t.Fatalf("%s flagged %v", batch[i].UnitID, f.Names())
			}
		}
	}
	// heard waits up to wait until the other instance has every fix of batch.
	heard := func(batch []unit.Sample, wait time.Duration) bool {
		t.Helper()
		deadline := time.Now().Add(wait)
		for _, s := range batch {
			for p, ok := other.Last(s.UnitID); !ok || !p.At.Equal(s.At); p, ok = other.Last(s.UnitID) {
				if time.Now().After(deadline) {
					return false
				}
				time.Sleep(time.Millisecond)
			}
		}
		return true
	}
	// A probe, a second later each time, until the other instance follows.
	probe := fmt.Sprintf("car-%03d", 2*movers)
	for i := 0; ; i++ {
		b := []unit.Sample{{UnitID: probe, Position: unit.Position{Lon: 114.5, Lat: 22.9, At: t0.Add(time.Duration(i) * time.Second)}}}
		if submit(b); heard(b, 100*time.Millisecond) {
			break
		}
		if i == 100 {
			t.Fatal("the other instance never heard of the probe")
		}
	}
	target := func(k int) orb.Point { return orb.Point{114.02 + 0.03*float64(k%5), 22.52 + 0.03*float64(k/5)} }
	var first, second []unit.Sample
	for k := range movers {
		p := target(k)
		first = append(first,
			unit.Sample{UnitID: fmt.Sprintf("car-%03d", k), Position: unit.Position{Lon: 114.3, Lat: 22.8, At: t0.Add(time.Hour)}},
			unit.Sample{UnitID: fmt.Sprintf("car-%03d", movers+k), Position: unit.Position{Lon: p[0] + 0.003, Lat: p[1], At: t0.Add(time.Hour)}})
		second = append(second, unit.Sample{UnitID: fmt.Sprintf("car-%03d", k), Position: unit.Position{Lon: p[0], Lat: p[1], At: t0.Add(2 * time.Hour)}})
	}
	for _, batch := range [][]unit.Sample{first, second} {
		if submit(batch); !heard(batch, 5*time.Second) {
			t.Fatal("the other instance never heard of a batch")
		}
	}
	// The writer refiles before it answers; the other instance once it has
	// applied the whole note, a moment after the units' positions show.
	for k := range movers {
		if got := fleet.Nearest(target(k), nil, 1, nil); len(got) != 1 || got[0].ID != fmt.Sprintf("car-%03d", k) {
			t.Errorf("the writer: nearest to car-%03d's new place: %v", k, got)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for k := range movers {
		for {
			got := other.Nearest(target(k), nil, 1, nil)
			if len(got) == 1 && got[0].ID == fmt.Sprintf("car-%03d", k) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other instance: nearest to car-%03d's new place: %v", k, got)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// fixAt is a fix east of a point in the city: dm metres further east, ms
// milliseconds after t0.
func fixAt(t0 time.Time, dm float64, ms int) unit.Sample {
	const metresPerDegree = 111_320 * 0.9239 // at 22.5°N
	return unit.Sample{UnitID: "car-001", Position: unit.Position{Lon: 114.1 + dm/metresPerDegree, Lat: 22.5, At: t0.Add(time.Duration(ms) * time.Millisecond)}}
}

// The plausibility rules, table-driven: each case's fixes sent in one
// request and one request a fix (the batch's own reference and the fleet's),
// with the flags of each and how far east of 114.1° the unit ends.
func TestIngestPlausibility(t *testing.T) {
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	zero := unit.Sample{UnitID: "car-001", Position: unit.Position{At: t0}}
	// jitterChain creeps east 41 m a millisecond, each fix within 50 m of
	// the one before; with repeat, every other fix repeats the last place a
	// millisecond later (a fix that keeps to the limit from the last one).
	jitterChain := func(n int, repeat bool) []unit.Sample {
		out := []unit.Sample{fixAt(t0, 0, 0)}
		for i := 1; i < n; i++ {
			if repeat && i%2 == 0 {
				out = append(out, fixAt(t0, 41*float64(i/2), i))
			} else {
				out = append(out, fixAt(t0, 41*float64((i+1)/2), i))
			}
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		fixes   []unit.Sample
		flags   []string // per fix: "" moved, else the flags' names; nil: not checked
		maxEast float64  // the unit ends at most this far east (m) …
		minEast float64  // … and at least this far
	}{
		{"the first fix moves", []unit.Sample{fixAt(t0, 0, 0)}, []string{""}, 1, 0},
		{"an older fix is late", []unit.Sample{fixAt(t0, 0, 1000), fixAt(t0, 30, 0)}, []string{"", "late"}, 1, 0},
		{"a fix of the same time is late", []unit.Sample{fixAt(t0, 0, 0), fixAt(t0, 30, 0)}, []string{"", "late"}, 1, 0},
		{"driving at 200 km/h moves", []unit.Sample{fixAt(t0, 0, 0), fixAt(t0, 56, 1000), fixAt(t0, 112, 2000)}, []string{"", "", ""}, 113, 111},
		{"10 km in a second is a jump", []unit.Sample{fixAt(t0, 0, 0), fixAt(t0, 10_000, 1000)}, []string{"", "implausible"}, 1, 0},
		{"40 m of jitter a tenth of a second later moves", []unit.Sample{fixAt(t0, 0, 0), fixAt(t0, 40, 100)}, []string{"", ""}, 41, 39},
		{"back on the road after jitter", []unit.Sample{fixAt(t0, 0, 0), fixAt(t0, -45, 200), fixAt(t0, 60, 1000)}, []string{"", "", ""}, 61, 59},
		{"jitter does not add up", jitterChain(1000, false), nil, 50 + 250/3.6, 0},
		{"jitter and repeats do not add up", jitterChain(1000, true), nil, 50 + 250/3.6, 0},
		{"0°, 0° never moves a unit", []unit.Sample{zero, fixAt(t0, 0, 1000)}, []string{"implausible", ""}, 1, 0},
		{"0°, 0° after a fix is a jump", []unit.Sample{fixAt(t0, 0, 0), func() unit.Sample { z := zero; z.At = t0.Add(time.Second); return z }()}, []string{"", "implausible"}, 1, 0},
	} {
		for _, oneRequest := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/one request %v", tc.name, oneRequest), func(t *testing.T) {
				fleet := ingestFleet(t, 2)
				g := unit.NewIngester(fleet, memstore.New(memstore.Options{}).Units(time.Hour), positionsCfg(2, 100000), nil, quiet, unit.IngestHooks{})
				runIngester(t, g)
				var flags []unit.Flags
				if oneRequest {
					f, err := g.Submit(context.Background(), tc.fixes)
					if err != nil {
						t.Fatal(err)
					}
					flags = f
				} else {
					for _, s := range tc.fixes {
						f, err := g.Submit(context.Background(), []unit.Sample{s})
						if err != nil {
							t.Fatal(err)
						}
						flags = append(flags, f...)
					}
				}
				for i, want := range tc.flags {
					if got := strings.Join(flags[i].Names(), ","); got != want {
						t.Errorf("fix %d flagged %q, want %q", i, got, want)
					}
				}
				p, ok := fleet.Last("car-001")
				if !ok {
					t.Fatal("the unit has no position")
				}
				east := orbgeo.DistanceHaversine(orb.Point{114.1, 22.5}, orb.Point{p.Lon, 22.5})
				if p.Lon < 114.1 {
					east = -east
				}
				if east > tc.maxEast || east < tc.minEast {
					t.Errorf("the unit ends %.1f m east, want %.1f to %.1f", east, tc.minEast, tc.maxEast)
				}
			})
		}
	}
}

// At shutdown the workers store and answer what was queued, the last note
// tells the other instances of it, and a caller after that is refused at
// once as unavailable instead of waiting for ever.
func TestIngestStopAnswersEveryCaller(t *testing.T) {
	st := newGated()
	g := unit.NewIngester(ingestFleet(t, 4), st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = g.Run(ctx); close(stopped) }()
	now := time.Now()
	submit := func(id string) chan error {
		answered := make(chan error, 1)
		go func() {
			_, err := g.Submit(context.Background(), []unit.Sample{{UnitID: id, Position: unit.Position{Lon: 114.1, Lat: 22.5, At: now}}})
			answered <- err
		}()
		return answered
	}
	first := submit("car-001")
	<-st.entered // its write waits at the gate
	queued := submit("car-002")
	for g.Waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	st.release()
	for _, a := range []chan error{first, queued} {
		select {
		case err := <-a:
			if err != nil {
				t.Fatalf("a caller queued at shutdown got %v; want its positions stored", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a caller queued at shutdown was never answered")
		}
	}
	<-stopped
	if n := st.stored.Load(); n != 2 {
		t.Errorf("%d fixes stored, want 2", n)
	}
	st.mu.Lock()
	last := ""
	if len(st.notes) > 0 {
		last = st.notes[len(st.notes)-1]
	}
	st.mu.Unlock()
	if !strings.Contains(last, `"car-002"`) {
		t.Errorf("the last note %q does not tell of the last fix stored", last)
	}
	select {
	case err := <-submit("car-003"):
		if !unit.Unavailable(err) {
			t.Errorf("a caller after the stop got %v; want unavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a caller after the stop was never answered")
	}
}

// Callers racing the stop each get an answer: stored, or refused as
// unavailable (busy, or stopped), never a wait for ever; and no position is
// queued to a worker that stopped (a send on its closed queue would panic).
func TestIngestStopRacingCallers(t *testing.T) {
	st := newGated()
	st.release()
	const callers = 16
	g := unit.NewIngester(ingestFleet(t, callers), st, positionsCfg(2, 64), nil, quiet, unit.IngestHooks{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = g.Run(ctx); close(stopped) }()
	var stored, refused atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range callers {
		wg.Go(func() {
			for k := 1; ; k++ {
				s := unit.Sample{UnitID: fmt.Sprintf("car-%03d", i), Position: unit.Position{Lon: 114.1, Lat: 22.5, At: t0.Add(time.Duration(k) * time.Millisecond)}}
				_, err := g.Submit(context.Background(), []unit.Sample{s})
				switch {
				case err == nil:
					stored.Add(1)
				case errors.Is(err, fault.ErrUnavailable):
					if refused.Add(1); ctx.Err() != nil && !errors.As(err, new(*fault.Busy)) {
						return // stopped
					}
				default:
					t.Errorf("caller %d: %v", i, err)
					return
				}
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); stored.Load() < 1000; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%d positions stored in 10 s, want 1,000 before the stop", stored.Load())
		}
	}
	cancel()
	answered := make(chan struct{})
	go func() { wg.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("a caller racing the stop was never answered")
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("the ingester never stopped")
	}
	if n := st.stored.Load(); n != stored.Load() {
		t.Errorf("%d fixes stored, %d answered as stored: every answer must say what was", n, stored.Load())
	}
	if refused.Load() < callers {
		t.Errorf("%d refusals, want one a caller at least (each ends on the stop's)", refused.Load())
	}
}

// twoInstances runs two instances of two cars over st, each with its own
// fleet: a stores, b follows a's notes.
func twoInstances(t *testing.T, st unit.Store) (fa, fb *unit.Fleet, a, b *unit.Ingester) {
	t.Helper()
	fa, fb = ingestFleet(t, 2), ingestFleet(t, 2)
	a = unit.NewIngester(fa, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	b = unit.NewIngester(fb, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, a)
	runIngester(t, b)
	following(t, b)
	return fa, fb, a, b
}

// Jitter taken by one instance does not add up on another: its note
// carries the unit's anchor, so the other instance measures the next fix
// from it, not from the jittered position.
func TestIngestJitterDoesNotAddUpAcrossInstances(t *testing.T) {
	fa, fb, a, b := twoInstances(t, memstore.New(memstore.Options{}).Units(time.Hour))
	submit := func(g *unit.Ingester, s unit.Sample) unit.Flags {
		t.Helper()
		flags, err := g.Submit(context.Background(), []unit.Sample{s})
		if err != nil {
			t.Fatal(err)
		}
		return flags[0]
	}
	seen := func(at time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if p, ok := fb.Last("car-001"); ok && p.At.Equal(at) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other instance never heard of the fix at %v", at)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// The first fix again, a second later each time, until the other
	// instance has subscribed and heard of one.
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for i := 0; i < 250; i++ {
		submit(a, fixAt(t0.Add(time.Duration(i)*time.Second), 0, 0))
		if _, ok := fb.Last("car-001"); ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	latest, _ := fa.Last("car-001")
	t0 = latest.At
	seen(t0)
	if f := submit(a, fixAt(t0, 41, 1)); f != 0 {
		t.Fatalf("the jitter was flagged %v on its instance", f.Names())
	}
	seen(t0.Add(time.Millisecond))
	if f := submit(b, fixAt(t0, 82, 2)); f != unit.Implausible {
		t.Errorf("82 m from the anchor 2 ms later, on the other instance: flagged %v, want implausible", f.Names())
	}
}

// A note whose anchor is bad (not a position, out of range, or not before
// its position) still moves the unit, with the position as its anchor.
func TestFollowTakesABadAnchorAsNone(t *testing.T) {
	st := memstore.New(memstore.Options{}).Units(time.Hour)
	fleet := ingestFleet(t, 2)
	g := unit.NewIngester(fleet, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	following(t, g)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i, anchor := range []string{`"x"`, `{"lon":114.1,"lat":95,"at":"` + t0.Format(time.RFC3339) + `"}`,
		`{"lon":114.1,"lat":22.5,"at":"` + t0.Add(time.Hour).Format(time.RFC3339) + `"}`} {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		note := fmt.Sprintf(`{"i":"other","u":[{"id":"car-001","p":{"lon":114.2,"lat":22.5,"at":%q},"a":%s}]}`, at.Format(time.RFC3339), anchor)
		// Until the subscription is up, a note is lost: send it until it lands.
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := st.TellPositions(context.Background(), []byte(note)); err != nil {
				t.Fatal(err)
			}
			if p, ok := fleet.Last("car-001"); ok && p.At.Equal(at) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("anchor %s: the note's position never moved the unit", anchor)
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Judged from the note's own position: 10 m on, a second later.
		flags, err := g.Submit(context.Background(), []unit.Sample{{UnitID: "car-001", Position: unit.Position{Lon: 114.2001, Lat: 22.5, At: at.Add(time.Second)}}})
		if err != nil || flags[0] != 0 {
			t.Errorf("anchor %s: the next fix flagged %v (%v)", anchor, flags, err)
		}
	}
}

// heldAfter is the memory store's unit storage whose writes of positions,
// while hold is set, are stored and then wait for the gate before they
// answer: a write that finished in Redis and is not yet in the fleet.
type heldAfter struct {
	*memstore.Units
	hold    atomic.Bool
	entered chan struct{}
	gate    chan struct{}
}

func (h *heldAfter) WritePositions(ctx context.Context, fixes []unit.Fix) error {
	err := h.Units.WritePositions(ctx, fixes)
	if len(fixes) > 0 && h.hold.Load() {
		h.entered <- struct{}{}
		<-h.gate
	}
	return err
}

// crossing runs instance a (on store sa, following the others' notes) and
// instance b (on st, not following), both over st's positions, and returns
// them once a hears b's notes, with a's count of mended positions.
func crossing(t *testing.T, st *memstore.Units, sa unit.Store) (fa *unit.Fleet, a, b *unit.Ingester, mended *atomic.Int64) {
	t.Helper()
	fa, fb := ingestFleet(t, 2), ingestFleet(t, 2)
	mended = new(atomic.Int64)
	a = unit.NewIngester(fa, sa, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{Mended: func(n int) { mended.Add(int64(n)) }})
	b = unit.NewIngester(fb, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, a)
	runIngester(t, b)
	following(t, a)
	// Until a has subscribed a note is lost: car-000 again, a second later
	// each time, until a has heard of it.
	t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	for i := 0; ; i++ {
		s := unit.Sample{UnitID: "car-000", Position: unit.Position{Lon: 114.1, Lat: 22.5, At: t0.Add(time.Duration(i) * time.Second)}}
		if _, err := b.Submit(context.Background(), []unit.Sample{s}); err != nil {
			t.Fatal(err)
		}
		if _, ok := fa.Last("car-000"); ok {
			return fa, a, b, mended
		}
		if i == 250 {
			t.Fatal("the instance never heard the other's notes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedAt waits until st holds car-001's last position at want.
func storedAt(t *testing.T, st *memstore.Units, want time.Time) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pos, _, err := st.LoadState(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if p := pos["car-001"]; p.At.Equal(want) {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("car-001's stored last position is at %v, want %v", p.At, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countedOnce waits until the mend is counted (after it is stored), and
// fails if it is counted more than once.
func countedOnce(t *testing.T, mended *atomic.Int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for mended.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := mended.Load(); n != 1 {
		t.Errorf("%d positions counted mended, want 1", n)
	}
}

// Two instances' writes of a unit that cross in storage (the later fix
// stored first) leave the older stored as its last position; the instance
// holding the later one hears the other's older note and stores the later
// one again, where the stored one is older.
func TestCrossedWritesMendedOnAnOlderNote(t *testing.T) {
	st := memstore.New(memstore.Options{}).Units(time.Hour)
	fa, a, b, mended := crossing(t, st, st)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	later, older := fixAt(t0, 20, 2000), fixAt(t0, 10, 1000)
	if flags, err := a.Submit(context.Background(), []unit.Sample{later}); err != nil || flags[0] != 0 {
		t.Fatalf("the later fix: %v %v", flags, err)
	}
	// b has not heard of it (it does not follow): its older fix moves its
	// unit, and is stored over the later one.
	if flags, err := b.Submit(context.Background(), []unit.Sample{older}); err != nil || flags[0] != 0 {
		t.Fatalf("the older fix: %v %v", flags, err)
	}
	storedAt(t, st, later.At)
	if p, _ := fa.Last("car-001"); !p.At.Equal(later.At) {
		t.Errorf("the instance holds %v, want the later fix", p.At)
	}
	countedOnce(t, mended)
}

// The same crossing when the other's older note is heard while this
// instance's write, stored first, has not answered yet: the fleet takes
// the note, then this write, which knows a note came while it was under
// way and stores its position again where the stored one is older.
func TestCrossedWritesMendedWhenANoteCameDuringTheWrite(t *testing.T) {
	st := memstore.New(memstore.Options{}).Units(time.Hour)
	held := &heldAfter{Units: st, entered: make(chan struct{}), gate: make(chan struct{})}
	fa, a, b, mended := crossing(t, st, held)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	later, older := fixAt(t0, 20, 2000), fixAt(t0, 10, 1000)
	held.hold.Store(true)
	answered := make(chan error, 1)
	go func() {
		_, err := a.Submit(context.Background(), []unit.Sample{later})
		answered <- err
	}()
	<-held.entered // stored, not yet in a's fleet
	held.hold.Store(false)
	if flags, err := b.Submit(context.Background(), []unit.Sample{older}); err != nil || flags[0] != 0 {
		t.Fatalf("the older fix: %v %v", flags, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p, _ := fa.Last("car-001"); !p.At.Equal(older.At); p, _ = fa.Last("car-001") {
		if time.Now().After(deadline) {
			t.Fatal("the instance never heard the older note")
		}
		time.Sleep(time.Millisecond)
	}
	close(held.gate)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	storedAt(t, st, later.At)
	if p, _ := fa.Last("car-001"); !p.At.Equal(later.At) {
		t.Errorf("the instance holds %v, want the later fix", p.At)
	}
	countedOnce(t, mended)
}

// noteCut is the memory store's unit storage whose first note waits until
// its context ends (a note under way at the stop) and fails; the notes
// told after it are recorded.
type noteCut struct {
	*memstore.Units
	cut     atomic.Bool
	entered chan struct{}
	mu      sync.Mutex
	told    []string
}

func (s *noteCut) TellPositions(ctx context.Context, note []byte) (int, error) {
	if s.cut.CompareAndSwap(false, true) {
		close(s.entered)
		<-ctx.Done()
		return 0, ctx.Err()
	}
	s.mu.Lock()
	s.told = append(s.told, string(note))
	s.mu.Unlock()
	return s.Units.TellPositions(ctx, note)
}

// A note cut off by the stop is told in the last note, after the workers'
// last writes: the other instances hear of every position stored.
func TestNoteCutOffByTheStopToldLast(t *testing.T) {
	st := &noteCut{Units: memstore.New(memstore.Options{}).Units(time.Hour), entered: make(chan struct{})}
	g := unit.NewIngester(ingestFleet(t, 2), st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := g.Submit(context.Background(), []unit.Sample{fixAt(time.Now().Add(-time.Minute), 0, 0)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no note was told")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the ingester never stopped")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.told) != 1 || !strings.Contains(st.told[0], `"car-001"`) {
		t.Errorf("told after the cut-off note: %q; want the last note naming car-001", st.told)
	}
}

// counted is the memory store's unit storage counting the notes told that
// tell of units (told) and those that only ask who listens (asked); the
// first fail of them fail.
type counted struct {
	*memstore.Units
	told, asked atomic.Int64
	fail        atomic.Int64
}

func (c *counted) TellPositions(ctx context.Context, note []byte) (int, error) {
	if bytes.HasSuffix(note, []byte(`"u":[]}`)) {
		c.asked.Add(1)
	} else {
		c.told.Add(1)
	}
	if c.fail.Add(-1) >= 0 {
		return 0, errors.New("redis: connection refused")
	}
	return c.Units.TellPositions(ctx, note)
}

// heardOf waits up to 3 s for fleet to hold car-001's fix at at.
func heardOf(t *testing.T, fleet *unit.Fleet, at time.Time, what string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(time.Millisecond) {
		if p, ok := fleet.Last("car-001"); ok && p.At.Equal(at) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: car-001's fix at %v never reached the other instance", what, at)
		}
	}
}

// An instance that hears only its own notes writes none of its positions,
// only asks who listens; one that starts meanwhile has every unit's latest
// fix, read from storage as it subscribes, and hears at once what is stored
// after; from then on every round tells of positions again, asking nothing.
// Rounds are counted, not timed: a slow machine only makes the test longer.
func TestNotesWaitWhileAlone(t *testing.T) {
	st := &counted{Units: memstore.New(memstore.Options{}).Units(time.Hour)}
	fa := ingestFleet(t, 2)
	a := unit.NewIngester(fa, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{}) // a note a millisecond at most
	runIngester(t, a)
	following(t, a)
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	i := 0
	// fix stores a fix of car-001 later than the last and returns its time.
	fix := func() time.Time {
		t.Helper()
		at := t0.Add(time.Duration(i) * time.Second)
		i++
		if _, err := a.Submit(context.Background(), []unit.Sample{fixAt(at, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		return at
	}
	// send stores a fix every 2 ms for d and returns the last one's time.
	send := func(d time.Duration) time.Time {
		t.Helper()
		for end := time.Now().Add(d); ; time.Sleep(2 * time.Millisecond) {
			if at := fix(); time.Now().After(end) {
				return at
			}
		}
	}
	// rounds stores a fix, then waits for a round to count it in c, n times.
	rounds := func(c *atomic.Int64, n int, what string) {
		t.Helper()
		for k := 0; k < n; k++ {
			was := c.Load()
			fix()
			for deadline := time.Now().Add(3 * time.Second); c.Load() == was; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%s: round %d never came", what, k+1)
				}
			}
		}
	}
	for deadline := time.Now().Add(3 * time.Second); !a.HeardOwnNote(); {
		send(10 * time.Millisecond)
		if time.Now().After(deadline) {
			t.Fatal("the instance never heard its own note")
		}
	}
	// The note after the one it heard, perhaps; then only questions.
	before := st.told.Load()
	rounds(&st.asked, 20, "asking who listens while alone")
	if n := st.told.Load() - before; n > 1 {
		t.Fatalf("%d notes of positions told over 20 rounds with no other instance listening, want 1 at most", n)
	}
	// Another instance: what was stored before it subscribed it reads as it
	// subscribes (the fleets are the test's own: it knows nothing else, and
	// no note is told meanwhile: nothing more is stored).
	fb := ingestFleet(t, 2)
	b := unit.NewIngester(fb, st, positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, b)
	following(t, b)
	heardOf(t, fb, t0.Add(time.Duration(i-1)*time.Second), "stored before the other instance subscribed")
	// What is stored after, it hears with the rest of what a gathered, and
	// then every round tells of positions with no question first.
	heardOf(t, fb, send(10*time.Millisecond), "stored after the other instance subscribed")
	asked := st.asked.Load()
	rounds(&st.told, 20, "telling with another instance listening")
	if n := st.asked.Load() - asked; n != 0 {
		t.Fatalf("%d notes asked who listens over 20 rounds with another instance listening, want none", n)
	}
	heardOf(t, fb, t0.Add(time.Duration(i-1)*time.Second), "told with another instance listening")
}

// A note that could not be told is kept for the next: the other instance
// hears of the fix though no other is stored.
func TestNoteToldAgainAfterAFailure(t *testing.T) {
	st := &counted{Units: memstore.New(memstore.Options{}).Units(time.Hour)}
	_, fb, a, _ := twoInstances(t, st)
	// b subscribed: a's first notes (one fix each) may find none listening;
	// until b hears one, a later fix each time.
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	for k := 0; ; k++ {
		at := t0.Add(time.Duration(k) * time.Second)
		if _, err := a.Submit(context.Background(), []unit.Sample{fixAt(at, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		if p, ok := fb.Last("car-001"); ok && p.At.Equal(at) {
			t0 = at.Add(time.Second)
			break
		}
		if k > 150 {
			t.Fatal("the other instance never heard a note")
		}
	}
	st.fail.Store(1)
	if _, err := a.Submit(context.Background(), []unit.Sample{fixAt(t0, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	heardOf(t, fb, t0, "told after a failed note")
	if st.fail.Load() >= 0 {
		t.Fatal("no note failed")
	}
}

// A sample whose unit id was changed after its check is stored for the
// unit it names then, not the one checked.
func TestSampleRenamedAfterItsCheck(t *testing.T) {
	fleet := ingestFleet(t, 2)
	g := unit.NewIngester(fleet, memstore.New(memstore.Options{}).Units(time.Hour), positionsCfg(1, 100), nil, quiet, unit.IngestHooks{})
	runIngester(t, g)
	s := fixAt(time.Now().Add(-time.Minute), 0, 0)
	s.UnitID = "car-000"
	if err := g.Check(&s); err != nil {
		t.Fatal(err)
	}
	s.UnitID = "car-001"
	if _, err := g.Submit(context.Background(), []unit.Sample{s}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fleet.Last("car-000"); ok {
		t.Error("the unit checked moved")
	}
	if _, ok := fleet.Last("car-001"); !ok {
		t.Error("the unit named did not move")
	}
}

// TestCheckAtBoundsByTheBatchsTime: CheckAt judges a sample's time against
// the time given (read once for a batch), while a sample without a time
// takes the clock's own, so two of one unit keep their order and both move
// it.
func TestCheckAtBoundsByTheBatchsTime(t *testing.T) {
	var ticks atomic.Int64
	t0 := time.Now().Truncate(time.Millisecond)
	clock := func() time.Time { return t0.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	g := unit.NewIngester(ingestFleet(t, 2), memstore.New(memstore.Options{}).Units(time.Hour), positionsCfg(1, 100), clock, quiet, unit.IngestHooks{})
	runIngester(t, g)
	now := g.Now()
	first, second := fixAt(t0, 0, 0), fixAt(t0, 10, 0)
	first.At, second.At = time.Time{}, time.Time{}
	for _, s := range []*unit.Sample{&first, &second} {
		if err := g.CheckAt(s, now); err != nil {
			t.Fatal(err)
		}
	}
	if !second.At.After(first.At) || !first.At.After(now) {
		t.Fatalf("times without one: %v then %v, the batch's %v; want the clock's, each later", first.At, second.At, now)
	}
	flags, err := g.Submit(context.Background(), []unit.Sample{first, second})
	if err != nil || flags[0] != 0 || flags[1] != 0 {
		t.Fatalf("flags %v (%v); want both moving their unit", flags, err)
	}
	// Bounds come from the time given, not from the clock (always later).
	late := fixAt(now.Add(-time.Hour-500*time.Microsecond), 0, 0)
	if err := g.CheckAt(&late, now.Add(-time.Millisecond)); err != nil {
		t.Errorf("within the track's time of the batch's time: %v", err)
	}
	if err := g.CheckAt(&late, now); err == nil {
		t.Error("a sample older than the track is kept, by the batch's time, was taken")
	}
	ahead := fixAt(now.Add(time.Minute+time.Millisecond), 0, 0)
	if err := g.CheckAt(&ahead, now); err == nil {
		t.Error("a sample past the future tolerance, by the batch's time, was taken")
	}
	if err := g.CheckAt(&ahead, now.Add(time.Second)); err != nil {
		t.Errorf("within the tolerance of a later batch's time: %v", err)
	}
	// With no tolerance at all, a sample without a time is still now.
	cfg := positionsCfg(1, 100)
	cfg.FutureTolerance = 0
	strict := unit.NewIngester(ingestFleet(t, 2), memstore.New(memstore.Options{}).Units(time.Hour), cfg, clock, quiet, unit.IngestHooks{})
	for _, check := range []func(*unit.Sample) error{strict.Check, func(s *unit.Sample) error { return strict.CheckAt(s, strict.Now()) }} {
		s := fixAt(t0, 0, 0)
		s.At = time.Time{}
		if err := check(&s); err != nil {
			t.Errorf("no future tolerance, a sample without a time: %v", err)
		}
	}
}
