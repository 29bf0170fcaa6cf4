package warning

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// TombstoneTTL is how long the index remembers an ended warning's last
// version after its end, so that an older event cannot bring it back.
const TombstoneTTL = time.Hour

// maxActive bounds one read of the warnings stored active.
const maxActive = 100000

// Index is the warning.Finder each instance keeps in memory: the warnings
// stored active at start (Restore), then every warning.* event of the
// screen stream whichever instance stored it (Follow), and this instance's
// own changes at once (Put). Incidents ask it with no Redis round trip. It
// holds active warnings in full and of an ended one only a tombstone.
type Index struct {
	geo   *geo.Map
	store Store
	now   func() time.Time

	mu     sync.RWMutex
	active map[string]entry
	ended  map[string]tomb
}

// entry is an active warning with its area resolved.
type entry struct {
	w     *Warning
	shape shape
}

// tomb is what the index keeps of an ended warning: its last version and
// when it ended.
type tomb struct {
	version int64
	at      time.Time
}

var _ Finder = (*Index)(nil)

// NewIndex returns an empty index of the warnings in st on the map m, on
// the clock now (time.Now when nil); the server fills it with Restore and
// keeps it with Follow and Run.
func NewIndex(m *geo.Map, st Store, now func() time.Time) *Index {
	if now == nil {
		now = time.Now
	}
	return &Index{geo: m, store: st, now: now, active: map[string]entry{}, ended: map[string]tomb{}}
}

// Restore reads the warnings stored active into the index, loads each the
// index holds active that the store no longer lists (to learn its end),
// and drops the tombstones older than TombstoneTTL.
func (x *Index) Restore(ctx context.Context) error {
	list, err := x.store.List(ctx, Query{Status: Active, Limit: maxActive})
	if err != nil {
		return fmt.Errorf("read the active warnings: %w", err)
	}
	listed := make(map[string]bool, len(list))
	for _, w := range list {
		listed[w.ID] = true
		x.Put(w)
	}
	x.mu.RLock()
	var gone []string
	for id := range x.active {
		if !listed[id] {
			gone = append(gone, id)
		}
	}
	x.mu.RUnlock()
	for _, id := range gone {
		w, err := x.store.Load(ctx, id)
		switch {
		case fault.IsNotFound(err):
			x.mu.Lock()
			delete(x.active, id)
			x.mu.Unlock()
		case err != nil:
			return fmt.Errorf("read warning %s: %w", id, err)
		default:
			x.Put(w)
		}
	}
	x.prune()
	return nil
}

// Put keeps w unless the index holds a later version of it: an active
// warning in full, an ended one as a tombstone (it covers nothing, and an
// older event cannot bring it back).
func (x *Index) Put(w *Warning) {
	var e entry
	if w.Status == Active {
		e = entry{w: w, shape: shapeOf(x.geo, w.Area)}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if t, ok := x.ended[w.ID]; ok && t.version >= w.Version {
		return
	}
	if old, ok := x.active[w.ID]; ok && old.w.Version >= w.Version {
		return
	}
	if w.Status == Active {
		x.active[w.ID] = e
		return
	}
	delete(x.active, w.ID)
	at := w.UpdatedAt
	if w.EndedAt != nil {
		at = *w.EndedAt
	}
	x.ended[w.ID] = tomb{version: w.Version, at: at}
}

// prune drops the tombstones of warnings ended over TombstoneTTL ago.
func (x *Index) prune() {
	cutoff := x.now().Add(-TombstoneTTL)
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, t := range x.ended {
		if t.at.Before(cutoff) {
			delete(x.ended, id)
		}
	}
}

// Follow applies a warning.* event of the screen stream (the hub's
// observer); other events are ignored.
func (x *Index) Follow(ev vocab.Envelope) {
	switch ev.Type {
	case vocab.WarningIssued, vocab.WarningUpdated, vocab.WarningEnded:
	default:
		return
	}
	var w Warning
	if json.Unmarshal(ev.Data, &w) == nil && w.ID != "" {
		x.Put(&w)
	}
}

// Types are the event types Follow applies.
func (x *Index) Types() []string {
	return []string{vocab.WarningIssued, vocab.WarningUpdated, vocab.WarningEnded}
}

// Covering lists the warnings in force at t whose area contains p, most
// severe first (then the latest issued).
func (x *Index) Covering(p orb.Point, t time.Time) []Ref {
	x.mu.RLock()
	var found []*Warning
	for _, e := range x.active {
		if e.w.InForce(t) && e.shape.contains(p, x.inCity) {
			found = append(found, e.w)
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(found, func(a, b *Warning) int {
		if c := cmp.Compare(b.Colour.Rank(), a.Colour.Rank()); c != 0 {
			return c
		}
		return b.IssuedAt.Compare(a.IssuedAt)
	})
	out := make([]Ref, len(found))
	for i, w := range found {
		out[i] = Ref{ID: w.ID, Type: w.Type, Colour: w.Colour, Title: w.Title, Drill: w.Drill}
	}
	return out
}

// Load returns the stored warning id.
func (x *Index) Load(ctx context.Context, id string) (*Warning, error) {
	return x.store.Load(ctx, id)
}

// inCity reports whether p lies in one of the city's grids.
func (x *Index) inCity(p orb.Point) bool { return x.geo.GridAt(p) != nil }

// Run reads the warnings stored active into the index again every
// interval until ctx ends (Restore), so that an event the tail never read
// (trimmed from the stream, lost in a failover) is caught up; a failed
// read waits for the next.
func (x *Index) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		_ = x.Restore(ctx) // a failed read waits for the next tick
	}
}
