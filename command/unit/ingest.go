package unit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
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
	// positions for moved ones, every fix in its unit's track.
	WritePositions(ctx context.Context, fixes []Fix) error
	// TellPositions publishes note to every instance following the notes
	// (SubscribePositions), this one included, and returns how many heard it.
	TellPositions(ctx context.Context, note []byte) (listeners int, err error)
	// Apply carries out a change atomically (a status, transitions).
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// Track returns a unit's fixes with times in [from, to], oldest first.
	Track(ctx context.Context, id string, from, to time.Time, limit int) ([]Fix, error)
	// SubscribePositions calls fn with every note published by TellPositions
	// on any instance, until ctx ends: as received, so that this instance's
	// own notes are known by their start and dropped without a copy. up,
	// when set, is called each time it subscribed (at first and after a
	// break, which loses what was published meanwhile).
	SubscribePositions(ctx context.Context, fn func(note string), up func()) error
	// MendPositions stores each of fixes as its unit's last position where
	// the one stored is older or missing, and returns how many it stored:
	// two instances' writes of a unit that crossed leave the older last.
	MendPositions(ctx context.Context, fixes []Fix) (int, error)
}

// Sample is a position reported for a unit.
type Sample struct {
	UnitID string
	Position
	// unit is the unit's state, set by Check so that storing the sample
	// looks the unit up no more (nil, or another unit's after UnitID was
	// changed: looked up then).
	unit *state
}

// Ingester writes positions from every source (batch API, OsmAnd,
// responder sockets) through parallel workers, each owning the units whose
// id hashes to it, so a unit's positions keep their order while round trips
// to Redis overlap. A worker coalesces what is queued into one pipeline,
// decides plausibility against the fleet's last positions, and answers each
// caller only after Redis acknowledged its positions. Past QueueLimit
// positions waiting, Submit refuses at once (fault.Busy).
type Ingester struct {
	fleet    *Fleet
	store    Store
	cfg      config.Positions
	now      func() time.Time
	log      *slog.Logger
	instance string
	maxMPS   float64
	hooks    IngestHooks
	shards   []*shard
	queued   atomic.Int64 // positions submitted and not answered yet
	limit    int64
	// shedding is set when the queue reached its limit and cleared once it
	// drained below lowWater: meanwhile Full says so, and the edges refuse
	// requests on their headers rather than after reading their bodies.
	shedding atomic.Bool
	lowWater int64
	// wake wakes tell for a round: a worker gathered positions for the note
	// to other instances (each its own: shard.notes), or a note failed.
	wake chan struct{}
	// heard counts the notes of other instances applied to the fleet: a
	// write knows from it whether one came while it was under way.
	heard atomic.Uint64
	mends mends
	// ownHeard is when Follow last heard one of this instance's own notes
	// (since made, ns; 0 never): tell counts the other instances by it.
	ownHeard atomic.Int64
	made     time.Time
	// admit orders queuing against the stop: Submit queues under its read
	// lock unless closed, which Run sets under its write lock before it
	// closes the workers' queues. A caller then waits on its own answer
	// alone (its read lock is two atomic adds, where a select on a stop
	// channel every caller shares locked it twice a wait; BENCHMARKS 99n).
	admit  sync.RWMutex
	closed bool
}

// IngestHooks are what the ingester tells the metrics; each may be nil.
type IngestHooks struct {
	// Counted is told how many fixes of each kind were stored.
	Counted func(moved, late, implausible int)
	// Skipped is told of each bad record skipped (kind "position_note":
	// a position another instance published).
	Skipped func(kind string)
	// Shed is told of each request refused because the queues are full,
	// with its number of positions.
	Shed func(positions int)
	// ShedRead is told of each of those refused only by Submit, once its
	// positions were read and decoded (the queue filled meanwhile; a
	// responder socket's positions, which have no headers, always are).
	ShedRead func()
	// Mended is told how many last positions were stored again because
	// two instances' writes crossed.
	Mended func(positions int)
	// Wrote is told of each batch a worker wrote: its positions and how
	// long storing them took (the pipeline built, sent and answered).
	Wrote func(positions int, took time.Duration)
}

// NewIngester builds an ingester; Run must be running for Submit to return.
func NewIngester(f *Fleet, st Store, cfg config.Positions, now func() time.Time, log *slog.Logger, hooks IngestHooks) *Ingester {
	if now == nil {
		now = time.Now
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	workers := cfg.IngestWorkers()
	limit := cfg.QueueLimit
	if limit <= 0 {
		limit = 20000
	}
	g := &Ingester{fleet: f, store: st, cfg: cfg, now: now, log: log, instance: hex.EncodeToString(id),
		maxMPS: cfg.MaxSpeedKMH / 3.6, hooks: hooks, limit: int64(limit), lowWater: max(1, int64(limit)*3/4), made: time.Now()}
	g.wake = make(chan struct{}, 1)
	g.mends.wake = make(chan struct{}, 1)
	for range workers {
		// A part holds at least one position, so a shard's queue never
		// fills before the ingester's limit: sending never blocks.
		g.shards = append(g.shards, &shard{g: g, reqs: make(chan *part, limit)})
	}
	return g
}

// Check validates a sample before it is submitted: known unit, coordinates
// in range, a time after 1970 and not too far in the future; a zero time
// becomes now, and optional readings out of bounds are dropped. It returns
// a fault.Invalid naming the field, whose message is the reason to give.
func (g *Ingester) Check(s *Sample) error { return g.CheckAt(s, g.now()) }

// Now is the ingester's clock, read once for a request's many samples.
func (g *Ingester) Now() time.Time { return g.now() }

// CheckAt is Check with the time bounds taken from now, read once for a
// batch (a clock read a sample was 12 % of the ingester's own work); a
// sample without a time takes the clock's, so that two of one unit keep
// their order, and is within the bounds by that.
func (g *Ingester) CheckAt(s *Sample, now time.Time) error {
	u := g.fleet.live(s.UnitID)
	if u == nil {
		return fault.Field("unit_id", "unknown unit %q", s.UnitID)
	}
	s.unit = u
	if err := s.CheckPlace(true); err != nil {
		return err
	}
	s.Sanitize()
	if s.At.IsZero() {
		s.At = g.now()
		return nil
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
// moved its unit) once Redis acknowledged them. When the positions already
// waiting for storage and these would pass the limit it stores nothing and
// returns a *fault.Busy at once.
func (g *Ingester) Submit(ctx context.Context, samples []Sample) ([]Flags, error) {
	n := len(samples)
	if n == 0 {
		return nil, nil
	}
	r, parts, err := g.queue(samples)
	if err != nil {
		return nil, err
	}
	var first error
	done := ctx.Done() // nil for a request's background context
	for range parts {
		var got error // this part's answer
		if done == nil {
			got = <-r.done
		} else {
			select {
			case got = <-r.done:
			case <-done:
				// The parts are still written; only this caller stops waiting.
				return nil, ctx.Err()
			}
		}
		if first == nil {
			first = got
		}
	}
	return r.flags, first
}

// queue hands samples to their workers, each worker's part at once, unless
// the ingester stopped or the queue is full (see Submit); r answers each
// of the parts.
func (g *Ingester) queue(samples []Sample) (r *request, parts int, err error) {
	n := len(samples)
	g.admit.RLock()
	defer g.admit.RUnlock()
	if g.closed {
		return nil, 0, errStopped
	}
	// A request larger than the limit is taken when nothing else waits.
	if q := g.queued.Add(int64(n)); q > g.limit && q != int64(n) {
		g.queued.Add(-int64(n))
		g.startShedding()
		if g.hooks.ShedRead != nil {
			g.hooks.ShedRead()
		}
		return nil, 0, g.Shed(n)
	}
	r = &request{flags: make([]Flags, n)}
	ps := g.split(r, samples)
	r.done = make(chan error, len(ps))
	for _, p := range ps {
		p.shard.reqs <- p // never blocks: see NewIngester
	}
	return r, len(ps), nil
}

// errStopped answers positions submitted once the ingester has stopped.
var errStopped = fmt.Errorf("the server is shutting down: nothing was stored, retry: %w", fault.ErrUnavailable)

// Full reports whether the queue is at its limit now, or reached it and has
// not drained below its low-water mark since: an edge may refuse a request
// at once, before reading its positions (Shed). Without the low water, the
// queue hovers at its limit, nearly every request passes its headers' check
// and Submit refuses it after its body was read and decoded.
func (g *Ingester) Full() bool {
	q := g.queued.Load()
	switch {
	case q >= g.limit:
		g.startShedding()
		return true
	case !g.shedding.Load():
		return false
	case q < g.lowWater:
		g.shedding.Store(false)
		return false
	}
	return true
}

// startShedding marks the queue full until it drains below its low water;
// read first, since at the limit every request asks.
func (g *Ingester) startShedding() {
	if !g.shedding.Load() {
		g.shedding.Store(true)
	}
}

// Shed counts a refused request of n positions (n unknown: 1) and returns
// the error to answer it with (503 with Retry-After).
func (g *Ingester) Shed(n int) error {
	if g.hooks.Shed != nil {
		g.hooks.Shed(max(n, 1))
	}
	return &fault.Busy{Detail: "too many positions are waiting to be stored: nothing was stored, retry after the time given",
		RetryAfter: g.cfg.RetryAfter}
}

// Queued is how many positions are waiting for storage now.
func (g *Ingester) Queued() int64 { return g.queued.Load() }

// request is one Submit: its flags, filled by the workers of its parts.
// A request for one worker (the common case) holds its only part, so it
// costs one allocation, not three.
type request struct {
	flags []Flags
	done  chan error
	one   part
	ones  [1]*part
}

// part is the share of a request one worker writes; idx maps its samples
// to the request's (nil when the part is the whole request).
type part struct {
	shard *shard
	req   *request
	// samples are the request's; idx, when set, the indexes of this part's
	// among them (nil: every one), so a split copies no sample.
	samples []Sample
	idx     []int
}

// size is how many samples the part holds.
func (p *part) size() int {
	if p.idx != nil {
		return len(p.idx)
	}
	return len(p.samples)
}

// sample is the part's i-th sample.
func (p *part) sample(i int) Sample {
	if p.idx != nil {
		return p.samples[p.idx[i]]
	}
	return p.samples[i]
}

// shardIndex is the number of the worker that owns a unit (unitHash of
// its id); shardOf is that worker.
func (g *Ingester) shardIndex(id string) int {
	if len(g.shards) == 1 {
		return 0
	}
	return int(unitHash(id) % uint32(len(g.shards)))
}

// unitHash spreads units over the ingest workers and the fleet's frame
// marks alike (FNV-1a of the id), so that a worker marks its own lists.
func unitHash(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h
}

func (g *Ingester) shardOf(id string) *shard { return g.shards[g.shardIndex(id)] }

// split divides samples among the workers that own their units; the common
// case, every sample for one worker, allocates one part. Otherwise each
// part indexes the request's samples, every part's indexes in one slice
// (counted first), so a split costs four allocations however large.
func (g *Ingester) split(r *request, samples []Sample) []*part {
	first := g.shardIndex(samples[0].UnitID)
	same := true
	for i := 1; i < len(samples) && same; i++ {
		same = g.shardIndex(samples[i].UnitID) == first
	}
	if same {
		r.one = part{shard: g.shards[first], req: r, samples: samples}
		r.ones[0] = &r.one
		return r.ones[:]
	}
	slot := make([]int, len(g.shards)) // samples of each worker, then its part
	used := 0
	for i := range samples {
		k := g.shardIndex(samples[i].UnitID)
		if slot[k] == 0 {
			used++
		}
		slot[k]++
	}
	ps := make([]part, 0, used)
	idx := make([]int, len(samples))
	off := 0
	for k, n := range slot {
		if n == 0 {
			continue
		}
		ps = append(ps, part{shard: g.shards[k], req: r, samples: samples, idx: idx[off : off : off+n]})
		slot[k] = len(ps) - 1
		off += n
	}
	for i := range samples {
		p := &ps[slot[g.shardIndex(samples[i].UnitID)]]
		p.idx = append(p.idx, i)
	}
	parts := make([]*part, len(ps))
	for i := range ps {
		parts[i] = &ps[i]
	}
	return parts
}

// Run starts the workers and the notes to other instances; once ctx has
// ended and the notes' last round has returned, Submit refuses from then,
// and Run drains the workers and tells the last note.
func (g *Ingester) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, sh := range g.shards {
		wg.Go(func() { sh.run(ctx) })
	}
	wg.Go(func() { g.mend(ctx) })
	g.tell(ctx)
	// Nothing is queued from now on; each worker stores and answers what
	// was, then finds its queue closed.
	g.admit.Lock()
	g.closed = true
	g.admit.Unlock()
	for _, sh := range g.shards {
		close(sh.reqs)
	}
	wg.Wait()
	_, _, _ = g.publish(context.WithoutCancel(ctx), nil, g.takeNotes(nil), false)
	_ = g.mendNow(context.WithoutCancel(ctx), true)
	return nil
}

// shard is one ingest worker: its queue and the buffers it reuses from one
// batch to the next.
type shard struct {
	g      *Ingester
	reqs   chan *part
	batch  []*part
	fixes  []Fix
	latest latestSet
	// into gathers the units a batch moved into other cells (reindex).
	into []*state
	// notes gathers what this worker stored for the note to other
	// instances: its own lock and set, so workers never share one.
	notes notes
}

// anchored is a unit's latest position and its anchor then (state.anchor),
// and the unit's state when known (nil: looked up where needed).
type anchored struct {
	pos, anchor Position
	unit        *state
}

// latestSet is each of some units' latest anchored position. The values
// are kept in a slice the map indexes: a map allocates each value larger
// than 128 bytes apart, at every insert, where an index costs nothing once
// the map and the slice have grown. The zero value is empty and ready.
type latestSet struct {
	at   map[string]int
	vals []anchored
}

// get returns the unit's entry.
func (l *latestSet) get(id string) (anchored, bool) {
	i, ok := l.at[id]
	if !ok {
		return anchored{}, false
	}
	return l.vals[i], true
}

// put sets the unit's entry, or, when newerOnly, only a newer one.
func (l *latestSet) put(id string, a anchored, newerOnly bool) {
	if i, ok := l.at[id]; ok {
		if !newerOnly || a.pos.At.After(l.vals[i].pos.At) {
			l.vals[i] = a
		}
		return
	}
	if l.at == nil {
		l.at = map[string]int{}
	}
	l.at[id] = len(l.vals)
	l.vals = append(l.vals, a)
}

// len is how many units it holds.
func (l *latestSet) len() int { return len(l.vals) }

// reset empties it, keeping what it has grown.
func (l *latestSet) reset() {
	clear(l.at)
	clear(l.vals)
	l.vals = l.vals[:0]
}

// run collects parts into batches of up to BatchSize positions or
// BatchWait, whichever comes first, and writes each batch.
func (sh *shard) run(ctx context.Context) {
	cfg := sh.g.cfg
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		sh.batch = sh.batch[:0]
		// A plain receive: the queue is closed, once drained, to stop.
		p, ok := <-sh.reqs
		if !ok {
			return
		}
		sh.batch = append(sh.batch, p)
		// Take whatever else is already queued; then, with a linger
		// configured, wait up to BatchWait for more. Without one, batches
		// grow naturally with load: parts queue while a flush runs.
		n := sh.take(p.size())
		if cfg.BatchWait > 0 && n < cfg.BatchSize {
			timer.Reset(cfg.BatchWait)
		fill:
			for n < cfg.BatchSize {
				select {
				case p, ok := <-sh.reqs:
					if !ok {
						break fill // stopping: what is taken is written now
					}
					sh.batch = append(sh.batch, p)
					n += p.size()
				case <-timer.C:
					break fill
				}
			}
			timer.Stop()
		}
		sh.flush(ctx, n)
	}
}

// take adds the parts already queued to the batch of n positions, up to
// BatchSize, and returns how many positions it holds then.
func (sh *shard) take(n int) int {
	for n < max(sh.g.cfg.BatchSize, 1) {
		select {
		case p, ok := <-sh.reqs:
			if !ok {
				return n
			}
			sh.batch = append(sh.batch, p)
			n += p.size()
		default:
			return n
		}
	}
	return n
}

// noteIn is a note as read, as encodeNotes writes it: what one instance
// tells the others of the positions it stored. Each position is decoded on
// its own, so one bad position never costs the others.
type noteIn struct {
	Instance string `json:"i"`
	Units    []struct {
		ID     string          `json:"id"`
		Pos    json.RawMessage `json:"p"`
		Anchor json.RawMessage `json:"a"`
	} `json:"u"`
}

// flush writes the batch: plausibility against the last positions, one
// pipeline, then the fleet, the transitions and the note to the other
// instances; each part is answered after storage.
func (sh *shard) flush(ctx context.Context, n int) {
	g := sh.g
	fixes, latest := sh.fixes[:0], &sh.latest
	latest.reset()
	since := g.heard.Load() // before judging: a note heard later may cross this write
	var moved, late, implausible int
	for _, p := range sh.batch {
		for i := range p.size() {
			s := p.sample(i)
			if s.unit == nil || s.unit.id != s.UnitID { // submitted unchecked: looked up here, once
				s.unit = g.fleet.state(s.UnitID)
			}
			flags, anchor := g.judge(latest, &s)
			switch {
			case flags&Late != 0:
				late++
			case flags&Implausible != 0:
				implausible++
			default:
				latest.put(s.UnitID, anchored{s.Position, anchor, s.unit}, false)
				moved++
			}
			j := i
			if p.idx != nil {
				j = p.idx[i]
			}
			p.req.flags[j] = flags
			fixes = append(fixes, Fix{UnitID: s.UnitID, Position: s.Position, Flags: flags, Moved: flags == 0})
		}
	}
	if cap(fixes) <= 4*max(g.cfg.BatchSize, 1) {
		sh.fixes = fixes // reused; a rare huge batch is let go
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	began := time.Now()
	err := g.store.WritePositions(wctx, fixes)
	cancel()
	if g.hooks.Wrote != nil {
		g.hooks.Wrote(len(fixes), time.Since(began))
	}
	if err == nil {
		sh.into = g.moved(ctx, latest, since, sh.into)
		if latest.len() > 0 {
			sh.notes.add(latest)
			g.poke()
		}
		if g.hooks.Counted != nil {
			g.hooks.Counted(moved, late, implausible)
		}
	} else {
		err = fmt.Errorf("storing %d positions: %w", n, err)
	}
	for i, p := range sh.batch {
		g.queued.Add(-int64(p.size()))
		p.req.done <- err
		sh.batch[i] = nil
	}
}

// judge flags a sample Late when not newer than its unit's last position,
// Implausible at 0°, 0° or beyond the speed limit plus JitterM from the
// unit's anchor; a sample that moves it returns the anchor it leaves.
func (g *Ingester) judge(latest *latestSet, s *Sample) (Flags, Position) {
	cur, ok := latest.get(s.UnitID)
	if !ok {
		cur.pos, cur.anchor, ok = fixOf(s.unit)
	}
	switch {
	case ok && !s.At.After(cur.pos.At):
		return Late, Position{}
	case s.Lat == 0 && s.Lon == 0:
		return Implausible, Position{} // a device's "no fix"
	case !ok:
		return 0, s.Position
	}
	ref := cur.anchor
	d := orbgeo.DistanceHaversine(orb.Point{ref.Lon, ref.Lat}, orb.Point{s.Lon, s.Lat})
	reach := g.maxMPS * s.At.Sub(ref.At).Seconds()
	switch {
	case d <= reach:
		return 0, s.Position // within the limit alone: the new anchor
	case d <= reach+JitterM:
		return 0, ref // jitter: the anchor stays
	}
	return Implausible, Position{}
}

// JitterM is how far beyond the speed limit a fix may stray from its
// unit's anchor, the last fix within the limit alone: measured from it,
// jitter never adds up into a jump.
const JitterM = 50

// moved applies positions stored by a write begun when since notes were
// heard to the fleet (the cells index once for the batch, into being a
// buffer for that, returned emptied to be reused), records the grid and
// zone transitions they make.
func (g *Ingester) moved(ctx context.Context, latest *latestSet, since uint64, into []*state) []*state {
	var ts []Transition
	into = into[:0]
	for id, i := range latest.at {
		f := &latest.vals[i]
		var t []Transition
		var crossed bool
		t, crossed, into = g.fleet.moveState(f.unit, id, f.pos, &f.anchor, origin{since: since}, into)
		ts = append(ts, t...)
		if crossed {
			g.mends.add(id)
		}
	}
	g.fleet.reindex(into)
	if len(ts) > 0 {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if _, err := g.store.Apply(tctx, transitionsChange(ts)); err != nil {
			g.log.Warn("recording grid and zone transitions failed", "err", err)
		}
		cancel()
	}
	return into[:0]
}

// notes gathers the latest position of each unit one worker stored since
// the last note to the other instances. Each worker has its own, so the
// workers take no lock in common and write no map in common per batch: a
// unit is only ever stored by its worker, and a note tells every worker's.
type notes struct {
	mu sync.Mutex
	// pending gathers; spares are sets told and given back empty, which
	// the next pending is taken from: with one gathering, one being told
	// and one given back, no set is made anew once they have grown.
	pending *latestSet
	spares  []*latestSet
}

func (n *notes) add(latest *latestSet) {
	if latest.len() == 0 {
		return
	}
	n.mu.Lock()
	if n.pending == nil {
		if k := len(n.spares); k > 0 {
			n.pending, n.spares = n.spares[k-1], n.spares[:k-1]
		} else {
			n.pending = &latestSet{}
		}
	}
	for id, i := range latest.at {
		n.pending.put(id, latest.vals[i], true)
	}
	n.mu.Unlock()
}

// poke wakes tell for a round, unless one is due already.
func (g *Ingester) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// takeNotes returns in sets (emptied first) what each worker gathered:
// sets[i] worker i's, nil when it gathered nothing; each worker gathers
// anew. Give them back with giveBackNotes once told.
func (g *Ingester) takeNotes(sets []*latestSet) []*latestSet {
	sets = sets[:0]
	for _, sh := range g.shards {
		sets = append(sets, sh.notes.take())
	}
	return sets
}

// giveBackNotes gives each worker back the set takeNotes took from it;
// with keep (the note failed) its units are gathered again first, each
// kept where the worker has not stored a newer position since.
func (g *Ingester) giveBackNotes(sets []*latestSet, keep bool) {
	for i, m := range sets {
		if m == nil {
			continue
		}
		if keep {
			g.shards[i].notes.add(m)
		}
		g.shards[i].notes.giveBack(m)
	}
}

// unitsIn is how many units sets hold together.
func unitsIn(sets []*latestSet) int {
	n := 0
	for _, m := range sets {
		if m != nil {
			n += m.len()
		}
	}
	return n
}

// take returns what was gathered (nil: nothing) and gathers anew; give
// it back once told.
func (n *notes) take() *latestSet {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.pending
	n.pending = nil
	return m
}

// giveBack keeps a set told for the next take.
func (n *notes) giveBack(m *latestSet) {
	if m == nil || m.len() > 1<<16 {
		return // a rare huge one is let go
	}
	m.reset()
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.spares) < 2 {
		n.spares = append(n.spares, m)
	}
}

// tell publishes the positions stored here to the other instances: one
// note at once, then at most one per NoteInterval with each unit's latest,
// however many workers stored them, until ctx ends. While no other instance
// listens, the positions wait in the workers' sets, not written, and each
// round publishes a note of no unit instead, whose count of listeners
// says when one does: then everything gathered goes at once. An instance
// that starts reads the positions stored before it subscribed (catchUp)
// and hears the rest within a round.
func (g *Ingester) tell(ctx context.Context) {
	every := g.cfg.NoteInterval
	if every <= 0 {
		every = 10 * time.Millisecond
	}
	pause := time.NewTimer(every)
	pause.Stop()
	var buf []byte // the note being published, reused
	var sets []*latestSet
	alone := false
	for {
		select {
		case <-ctx.Done():
			return // Run tells the last note, after the workers' last writes
		case <-g.wake:
		}
		if ctx.Err() != nil {
			return // what was noted goes in Run's last note, not on a cancelled call
		}
		var err error
		var listeners int
		if alone {
			buf, listeners, err = g.publish(ctx, buf, nil, true)
			alone = err != nil || g.others(listeners) <= 0
		}
		if !alone {
			sets = g.takeNotes(sets)
			units := unitsIn(sets)
			buf, listeners, err = g.publish(ctx, buf, sets, false)
			// Kept for the next note when it failed (cut off by the stop:
			// Run's last note tells them), each unit's newest.
			g.giveBackNotes(sets, err != nil)
			clear(sets)
			alone = err == nil && units > 0 && g.others(listeners) <= 0
		}
		if err != nil {
			// Tried again after the pause, whether or not more is stored
			// meanwhile: what waits may be the last of its units.
			g.poke()
			pause.Reset(max(every, noteRetry))
		} else {
			pause.Reset(every)
		}
		select {
		case <-ctx.Done():
		case <-pause.C:
		}
	}
}

// noteRetry is how long tell waits after a note failed.
const noteRetry = time.Second

// ownFresh is how long an instance counts itself among a note's listeners
// after it last heard one of its own notes.
const ownFresh = 2 * time.Second

// others is how many of a note's listeners are other instances: all of
// them, unless this instance heard one of its own notes lately (it follows
// the notes too). Until it hears one, or once it has not for ownFresh (its
// subscription broke, or it told nothing meanwhile), every listener counts
// as another: the positions then go to them, late at worst, never lost.
func (g *Ingester) others(listeners int) int {
	if heard := g.ownHeard.Load(); heard != 0 && g.since() < time.Duration(heard)+ownFresh {
		return listeners - 1
	}
	return listeners
}

// since is the time since the ingester was made, on the monotonic clock:
// ownHeard's scale, which a step of the wall clock does not move.
func (g *Ingester) since() time.Duration { return time.Since(g.made) }

// publish tells other instances of the units in sets with the notes
// written into buf, and returns buf for the next, how many instances heard
// the last (this one included) and the error telling met. With ask, sets
// are ignored and a note of no unit asks who listens.
func (g *Ingester) publish(ctx context.Context, buf []byte, sets []*latestSet, ask bool) ([]byte, int, error) {
	switch {
	case ask:
		sets = nil
	case unitsIn(sets) == 0:
		return buf, 0, nil
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	var listeners int
	buf, err := g.encodeNotes(buf, sets, func(note []byte) (err error) {
		listeners, err = g.store.TellPositions(pctx, note)
		return err
	})
	cancel()
	if err != nil && ctx.Err() == nil {
		g.log.Warn("telling other instances of positions failed; they catch up with the next", "units", unitsIn(sets), "err", err)
	}
	if cap(buf) > 1<<20 {
		return nil, listeners, err // a rare huge note is let go
	}
	return buf, listeners, err
}

// The notes are written by hand (json.Marshal took a tenth of the server's
// ingest CPU): {"i": instance, "u": [{"id": unit, "p": position, "a":
// anchor}, ...]}, the anchor only when the position moved its unit as
// jitter.

// appendNoteUnit appends one unit of a note: its id, position and, when
// the position moved it as jitter, its anchor.
func appendNoteUnit(b []byte, id string, f *anchored) []byte {
	b = appendString(append(b, `{"id":`...), id)
	b = f.pos.AppendJSON(append(b, `,"p":`...))
	if f.anchor.At.Before(f.pos.At) {
		b = f.anchor.AppendJSON(append(b, `,"a":`...))
	}
	return append(b, '}')
}

// noteUnits bounds the units one note tells of (about 250 KB): a second of
// a large fleet's positions, told while alone, goes as several notes, each
// far below what Redis lets a subscriber's unread output grow to.
const noteUnits = 1000

// encodeNotes writes the units of sets (nil ones hold none) as notes of
// noteUnits units at most, each into buf in turn, and calls tell with each
// until one fails; it returns buf for the next call and the error. With
// no unit in sets, one note of no unit is told (asking who listens).
func (g *Ingester) encodeNotes(buf []byte, sets []*latestSet, tell func(note []byte) error) ([]byte, error) {
	start := func(b []byte) []byte { return append(append(b[:0], g.ownPrefix()...), `"u":[`...) }
	buf, n := start(buf), 0
	for _, latest := range sets {
		if latest == nil {
			continue
		}
		for id, i := range latest.at {
			if n == noteUnits {
				buf = append(buf, "]}"...)
				if err := tell(buf); err != nil {
					return buf, err
				}
				buf, n = start(buf), 0
			}
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = appendNoteUnit(buf, id, &latest.vals[i])
			n++
		}
	}
	buf = append(buf, "]}"...)
	return buf, tell(buf)
}

// ownPrefix is how every note of this instance begins (encodeNotes writes
// the instance first), so Follow drops its own notes without decoding them.
func (g *Ingester) ownPrefix() []byte { return []byte(`{"i":"` + g.instance + `",`) }

// Follow applies the positions other instances store to this instance's
// fleet until ctx ends. A bad position in a note is skipped, counted and
// logged once per unit. Each time it subscribes, at first and after a
// break, it catches up with the positions stored meanwhile (catchUp).
func (g *Ingester) Follow(ctx context.Context) error {
	warned := map[string]bool{}
	var into []*state // the units a note moved into other cells (reindex)
	own := string(g.ownPrefix())
	for ctx.Err() == nil {
		err := g.store.SubscribePositions(ctx, func(note string) {
			if strings.HasPrefix(note, own) {
				g.ownHeard.Store(int64(max(g.since(), 1))) // it follows: see others
				return                                     // this instance's own note: not decoded
			}
			var nt noteIn
			if json.Unmarshal([]byte(note), &nt) != nil || nt.Instance == g.instance {
				return
			}
			heard := g.heard.Add(1)
			into = into[:0]
			defer func() {
				g.fleet.reindex(into) // once for the note
			}()
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
				anchor := &p // only when newer than the unit's
				var a Position
				if len(u.Anchor) > 0 && json.Unmarshal(u.Anchor, &a) == nil && a.At.Before(p.At) {
					anchor = &a // p moved that instance's unit as jitter
				}
				var crossed bool
				if _, crossed, into = g.fleet.moveInto(u.ID, p, anchor, origin{heard: heard}, into); crossed {
					g.mends.add(u.ID)
				}
			}
		}, func() { g.catchUp(ctx) })
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

// mends gathers the units whose last position in Redis may be older than
// the fleet's: two instances' writes of each crossed. Rare: a unit written
// by two instances within the time a note takes.
type mends struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	wake chan struct{}
	// failing is set from a failed try to the next that succeeds: one
	// warning for an outage, not one a second.
	failing bool
}

func (m *mends) add(ids ...string) {
	m.mu.Lock()
	if m.ids == nil {
		m.ids = map[string]struct{}{}
	}
	for _, id := range ids {
		m.ids[id] = struct{}{}
	}
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *mends) take() map[string]struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := m.ids
	m.ids = nil
	return ids
}

// mend stores again, where Redis holds an older one, the fleet's position
// of each unit whose writes crossed, until ctx ends; a failed try is
// retried a second later.
func (g *Ingester) mend(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return // Run mends what is left after the workers' last writes
		case <-g.mends.wake:
		}
		if g.mendNow(ctx, false) != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// mendNow mends the units gathered so far; those it could not are gathered
// again, unless this is the last try, at the stop.
func (g *Ingester) mendNow(ctx context.Context, last bool) error {
	ids := g.mends.take()
	if len(ids) == 0 {
		return nil
	}
	fixes := make([]Fix, 0, len(ids))
	for id := range ids {
		if p, _, ok := g.fleet.fix(id); ok {
			fixes = append(fixes, Fix{UnitID: id, Position: p, Moved: true})
		}
	}
	mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	n, err := g.store.MendPositions(mctx, fixes)
	cancel()
	if err != nil {
		switch {
		case last:
			g.log.Warn("mending last positions after crossed writes failed at the stop; each unit's next fix mends it", "units", len(fixes), "err", err)
			return err
		case ctx.Err() == nil && !g.mends.failing:
			g.log.Warn("mending last positions after crossed writes failed; retrying every second", "units", len(fixes), "err", err)
		}
		g.mends.failing = true
		for id := range ids {
			g.mends.add(id)
		}
		return err
	}
	g.mends.failing = false
	if n > 0 && g.hooks.Mended != nil {
		g.hooks.Mended(n)
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

// catchUp applies to the fleet each stored last position newer than the
// unit's there: those other instances stored while this one was not
// subscribed to their notes (before its first subscription, Restore having
// read storage earlier, or while the subscription was broken), which no
// note will bring again. A failed read is logged: the units move with their
// next positions.
func (g *Ingester) catchUp(ctx context.Context) {
	pos, _, err := g.store.LoadState(ctx)
	if err != nil {
		if ctx.Err() == nil {
			g.log.Warn("catching up with the positions stored while not subscribed failed", "err", err)
		}
		return
	}
	var into []*state
	for id, p := range pos {
		// Older than the fleet's: ignored (moveState); transitions were
		// recorded by the instance that stored it.
		_, _, into = g.fleet.moveState(g.fleet.state(id), id, p, &p, origin{}, into)
	}
	g.fleet.reindex(into)
}

// Unavailable reports whether err means storage is away (answer 503).
func Unavailable(err error) bool { return errors.Is(err, fault.ErrUnavailable) }
