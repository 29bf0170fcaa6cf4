package unit_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/unit"
	"watchfloor/config"
	"watchfloor/geo"
)

// ingestFleet is a fleet of n cars on an empty map.
func ingestFleet(t *testing.T, n int) *unit.Fleet {
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
	stored  atomic.Int64
}

func (g *gated) WritePositions(ctx context.Context, fixes []unit.Fix, note []byte) error {
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
	err := g.Units.WritePositions(ctx, fixes, note)
	g.stored.Add(int64(len(fixes)))
	return err
}

func newGated() *gated {
	return &gated{Units: memstore.New(memstore.Options{}).Units(time.Hour), entered: make(chan struct{}, 1), gate: make(chan struct{})}
}

func positionsCfg(workers, limit int) config.Positions {
	return config.Positions{MaxSpeedKMH: 250, TrackTTL: time.Hour, FutureTolerance: time.Minute, BatchSize: 1000,
		Workers: workers, QueueLimit: limit, RetryAfter: 3 * time.Second, NoteInterval: time.Millisecond}
}

func runIngester(t *testing.T, g *unit.Ingester) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

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
		close(st.gate)
		err := <-answered
		if fail == nil && (err != nil || st.stored.Load() != 1) {
			t.Fatalf("answered %v with %d fixes stored; want nil after 1", err, st.stored.Load())
		}
		if fail != nil && !errors.Is(err, fault.ErrUnavailable) {
			t.Fatalf("storage failed with %v; the caller got %v", fail, err)
		}
	}
}

// Past the queue limit a sender is refused at once with fault.Busy and its
// Retry-After, nothing of it is stored, and the shed is counted; once the
// queue drains, positions are taken again.
func TestIngestShedsWhenQueueFull(t *testing.T) {
	st := newGated()
	var shed atomic.Int64
	g := unit.NewIngester(ingestFleet(t, 20), st, positionsCfg(4, 10), nil, quiet, unit.IngestHooks{Shed: func(n int) { shed.Add(int64(n)) }})
	runIngester(t, g)
	now := time.Now()
	batch := func(n, from int) []unit.Sample {
		out := make([]unit.Sample, n)
		for i := range out {
			out[i] = unit.Sample{UnitID: fmt.Sprintf("car-%03d", from+i), Position: unit.Position{Lon: 114.1, Lat: 22.5, At: now}}
		}
		return out
	}
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
	// Two more fit (8 + 2 = 10).
	second := make(chan error, 1)
	go func() { _, err := g.Submit(context.Background(), batch(2, 18)); second <- err }()
	close(st.gate)
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
