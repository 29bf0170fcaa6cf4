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

	"watchfloor/command/vocab"
	"watchfloor/geo"
)

// Index is the warning.Finder each instance keeps in memory: the warnings
// stored active at start (Restore), then every warning.* event of the
// screen stream whichever instance stored it (Follow), and this instance's
// own changes at once (Put). Incidents ask it with no Redis round trip.
type Index struct {
	geo   *geo.Map
	store Store

	mu   sync.RWMutex
	byID map[string]entry
}

// entry is a warning with its area resolved.
type entry struct {
	w     *Warning
	shape shape
}

var _ Finder = (*Index)(nil)

// NewIndex returns an empty index of the warnings in st on the map m; the
// server fills it with Restore and keeps it with Follow.
func NewIndex(m *geo.Map, st Store) *Index {
	return &Index{geo: m, store: st, byID: map[string]entry{}}
}

// Restore reads the warnings stored active into the index.
func (x *Index) Restore(ctx context.Context) error {
	list, err := x.store.List(ctx, Query{Status: Active, Limit: 100000})
	if err != nil {
		return fmt.Errorf("read the active warnings: %w", err)
	}
	for _, w := range list {
		x.Put(w)
	}
	return nil
}

// Put keeps w unless the index holds a later version of it; an ended
// warning stays (so an older event cannot bring it back) but covers
// nothing.
func (x *Index) Put(w *Warning) {
	e := entry{w: w, shape: shapeOf(x.geo, w.Area)}
	x.mu.Lock()
	defer x.mu.Unlock()
	if old, ok := x.byID[w.ID]; ok && old.w.Version >= w.Version {
		return
	}
	x.byID[w.ID] = e
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
	for _, e := range x.byID {
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

// Active returns the warnings active in the index, newest issued first.
func (x *Index) Active() []*Warning {
	x.mu.RLock()
	var out []*Warning
	for _, e := range x.byID {
		if e.w.Status == Active {
			out = append(out, e.w)
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Warning) int { return b.IssuedAt.Compare(a.IssuedAt) })
	return out
}

// Load returns the stored warning id.
func (x *Index) Load(ctx context.Context, id string) (*Warning, error) {
	return x.store.Load(ctx, id)
}

func (x *Index) inCity(p orb.Point) bool { return x.geo.Locate(p) != nil }

// Run reads the warnings stored active and those issued lately into the index every interval
// until ctx ends, so an event missed (one stored between Restore and the
// first tail of the screen stream) is caught up; a failed read waits for
// the next.
func (x *Index) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		list, err := x.store.List(ctx, Query{Limit: MaxList})
		if err != nil || x.Restore(ctx) != nil {
			continue
		}
		for _, w := range list {
			x.Put(w)
		}
	}
}
