package unit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/config"
)

// Fix is one position as stored: in the unit's track always, and as its
// current position when Moved.
type Fix struct {
	UnitID string
	Position
	Flags Flags
	Moved bool
}

// Store is the storage units need.
type Store interface {
	// LoadState returns every unit's last position and status.
	LoadState(ctx context.Context) (map[string]Position, map[string]string, error)
	// WritePositions stores fixes in one pipeline: the GEO set and the last
	// positions for moved ones, every fix in its unit's track, and publishes
	// note to the other instances.
	WritePositions(ctx context.Context, fixes []Fix, note []byte) error
	// Apply carries out a change atomically (a status, transitions).
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// Track returns a unit's fixes with times in [from, to], oldest first.
	Track(ctx context.Context, id string, from, to time.Time, limit int) ([]Fix, error)
	// SubscribePositions calls fn with every note published by WritePositions
	// on any instance, until ctx ends.
	SubscribePositions(ctx context.Context, fn func(note []byte)) error
}

// Sample is a position reported for a unit.
type Sample struct {
	UnitID string
	Position
}

type request struct {
	samples []Sample
	flags   []Flags
	done    chan error
}

// Ingester coalesces positions from every source (batch API, OsmAnd,
// responder sockets) into one Redis pipeline per batch, decides
// plausibility against the fleet's last positions, and answers each caller
// only after Redis acknowledged its batch.
type Ingester struct {
	fleet    *Fleet
	store    Store
	cfg      config.Positions
	now      func() time.Time
	log      *slog.Logger
	reqs     chan *request
	instance string
	maxMPS   float64
	hooks    IngestHooks
}

// IngestHooks are what the ingester tells the metrics; each may be nil.
type IngestHooks struct {
	// Counted is told how many fixes of each kind were stored.
	Counted func(moved, late, implausible int)
	// Skipped is told of each bad record skipped (kind "position_note":
	// a position another instance published).
	Skipped func(kind string)
}

// NewIngester builds an ingester; Run must be running for Submit to return.
func NewIngester(f *Fleet, st Store, cfg config.Positions, now func() time.Time, log *slog.Logger, hooks IngestHooks) *Ingester {
	if now == nil {
		now = time.Now
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return &Ingester{fleet: f, store: st, cfg: cfg, now: now, log: log, reqs: make(chan *request, 4096),
		instance: hex.EncodeToString(id), maxMPS: cfg.MaxSpeedKMH / 3.6, hooks: hooks}
}

// Check validates a sample before it is submitted: known unit, coordinates
// in range, a time after 1970 and not too far in the future; a zero time
// becomes now, and optional readings out of bounds are dropped. It returns
// a fault.Invalid naming the field, whose message is the reason to give.
func (g *Ingester) Check(s *Sample) error {
	if !g.fleet.Known(s.UnitID) {
		return fault.Field("unit_id", "unknown unit %q", s.UnitID)
	}
	if err := s.CheckPlace(true); err != nil {
		return err
	}
	s.Sanitize()
	now := g.now()
	if s.At.IsZero() {
		s.At = now
	}
	if s.At.After(now.Add(g.cfg.FutureTolerance)) {
		return fault.Field("at", "time %s is in the future", s.At.UTC().Format(time.RFC3339))
	}
	if s.At.Before(now.Add(-g.cfg.TrackTTL)) {
		return fault.Field("at", "time %s is older than the track is kept", s.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// Submit stores checked samples and returns each one's flags (0 when it
// moved its unit) once Redis acknowledged them.
func (g *Ingester) Submit(ctx context.Context, samples []Sample) ([]Flags, error) {
	if len(samples) == 0 {
		return nil, nil
	}
	r := &request{samples: samples, flags: make([]Flags, len(samples)), done: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case err := <-r.done:
		return r.flags, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Run collects requests into batches of up to BatchSize positions or
// BatchWait, whichever comes first, and writes each batch.
func (g *Ingester) Run(ctx context.Context) error {
	batch := make([]*request, 0, 64)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case r := <-g.reqs:
			batch = append(batch, r)
		}
		n := len(batch[0].samples)
		// Take whatever else is already queued; then, with a linger
		// configured, wait up to BatchWait for more. Without one, batches
		// grow naturally with load: requests queue while a flush runs.
	drain:
		for n < g.cfg.BatchSize {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
				n += len(r.samples)
			default:
				break drain
			}
		}
		if g.cfg.BatchWait > 0 && n < g.cfg.BatchSize {
			timer.Reset(g.cfg.BatchWait)
		fill:
			for n < g.cfg.BatchSize {
				select {
				case r := <-g.reqs:
					batch = append(batch, r)
					n += len(r.samples)
				case <-timer.C:
					break fill
				case <-ctx.Done():
					break fill
				}
			}
			timer.Stop()
		}
		g.flush(ctx, batch, n)
	}
}

// note is what one instance tells the others of the positions it stored.
type note struct {
	Instance string     `json:"i"`
	Units    []noteUnit `json:"u"`
}

type noteUnit struct {
	ID  string   `json:"id"`
	Pos Position `json:"p"`
}

// noteIn is a note as read: each position is decoded on its own, so one bad
// position never costs the others.
type noteIn struct {
	Instance string `json:"i"`
	Units    []struct {
		ID  string          `json:"id"`
		Pos json.RawMessage `json:"p"`
	} `json:"u"`
}

func (g *Ingester) flush(ctx context.Context, batch []*request, n int) {
	fixes := make([]Fix, 0, n)
	latest := make(map[string]Position, n)
	var moved, late, implausible int
	for _, r := range batch {
		for i, s := range r.samples {
			last, ok := latest[s.UnitID]
			if !ok {
				last, ok = g.fleet.Last(s.UnitID)
			}
			var flags Flags
			if ok {
				if !s.At.After(last.At) {
					flags |= Late
					late++
				} else {
					d := orbgeo.DistanceHaversine(orb.Point{last.Lon, last.Lat}, orb.Point{s.Lon, s.Lat})
					// Jitter of a few tens of metres is never a jump, however
					// close together two fixes are.
					if d > 50 && d/s.At.Sub(last.At).Seconds() > g.maxMPS {
						flags |= Implausible
						implausible++
					}
				}
			}
			if flags == 0 {
				latest[s.UnitID] = s.Position
				moved++
			}
			r.flags[i] = flags
			fixes = append(fixes, Fix{UnitID: s.UnitID, Position: s.Position, Flags: flags, Moved: flags == 0})
		}
	}
	nt := note{Instance: g.instance, Units: make([]noteUnit, 0, len(latest))}
	for id, p := range latest {
		nt.Units = append(nt.Units, noteUnit{ID: id, Pos: p})
	}
	payload, _ := json.Marshal(nt)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	err := g.store.WritePositions(wctx, fixes, payload)
	cancel()
	if err == nil {
		var ts []Transition
		for id, p := range latest {
			ts = append(ts, g.fleet.move(id, p)...)
		}
		if len(ts) > 0 {
			tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, terr := g.store.Apply(tctx, transitionsChange(ts)); terr != nil {
				g.log.Warn("recording grid and zone transitions failed", "err", terr)
			}
			cancel()
		}
		if g.hooks.Counted != nil {
			g.hooks.Counted(moved, late, implausible)
		}
	} else {
		err = fmt.Errorf("storing %d positions: %w", n, err)
	}
	for _, r := range batch {
		r.done <- err
	}
}

// Follow applies the positions other instances store to this instance's
// fleet until ctx ends. A bad position in a note is skipped, counted and
// logged once per unit.
func (g *Ingester) Follow(ctx context.Context) error {
	warned := map[string]bool{}
	for ctx.Err() == nil {
		err := g.store.SubscribePositions(ctx, func(b []byte) {
			var nt noteIn
			if json.Unmarshal(b, &nt) != nil || nt.Instance == g.instance {
				return
			}
			for _, u := range nt.Units {
				var p Position
				err := json.Unmarshal(u.Pos, &p)
				if err == nil && !g.fleet.Known(u.ID) {
					err = errors.New("not a unit of this instance's configuration")
				}
				if err != nil {
					if g.hooks.Skipped != nil {
						g.hooks.Skipped("position_note")
					}
					if !warned[u.ID] && len(warned) < 10000 {
						warned[u.ID] = true
						g.log.Warn("skipping a bad position published by another instance", "unit", truncate(u.ID, 128), "err", err)
					}
					continue
				}
				if last, ok := g.fleet.Last(u.ID); !ok || p.At.After(last.At) {
					g.fleet.move(u.ID, p)
				}
			}
		})
		if err != nil && ctx.Err() == nil {
			g.log.Warn("following positions of other instances failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
	return nil
}

// truncate shortens s to at most n bytes for a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Restore loads the fleet's last positions and statuses from storage.
func (g *Ingester) Restore(ctx context.Context) error {
	pos, status, err := g.store.LoadState(ctx)
	if err != nil {
		return fmt.Errorf("loading unit state: %w", err)
	}
	for _, u := range g.fleet.registered() {
		id := u.ID
		var p *Position
		if x, ok := pos[id]; ok {
			p = &x
		}
		g.fleet.restore(id, p, status[id])
	}
	return nil
}

// Unavailable reports whether err means storage is away (answer 503).
func Unavailable(err error) bool { return errors.Is(err, fault.ErrUnavailable) }
