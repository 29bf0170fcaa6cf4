package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"watchfloor/command/change"
	"watchfloor/command/incident"
)

// Incidents reads incidents (the reads of incident.Store).
type Incidents struct{ kind[incident.Incident] }

var _ incident.Store = (*Incidents)(nil)

// Incidents returns the incident storage.
func (s *Store) Incidents() *Incidents {
	return &Incidents{kind[incident.Incident]{s, change.KindIncident, "incidents"}}
}

// Timeline returns an incident's timeline, oldest first.
func (x *Incidents) Timeline(ctx context.Context, id string) ([]incident.Entry, error) {
	return List[incident.Entry](x.s, change.KindIncidentTimeline, id)
}

// List returns the incidents matching q, most recently changed first.
func (x *Incidents) List(ctx context.Context, q incident.Query) ([]*incident.Incident, error) {
	out, err := x.all(func(inc *incident.Incident) bool {
		return (q.Status == "" || inc.Status == q.Status) &&
			(q.Level.String() == "" || inc.Level == q.Level) &&
			(q.Category == "" || inc.Category == q.Category) &&
			(q.Grid == "" || slices.Contains(inc.Grid.Codes(), q.Grid)) &&
			since(inc.UpdatedAt, q.Since)
	})
	if err != nil {
		return nil, err
	}
	newestFirst(out, func(inc *incident.Incident) (int64, string) { return inc.UpdatedAt.UnixMilli(), inc.ID })
	return out[:min(len(out), q.Limit)], nil
}

// Open returns the limit most serious incidents not closed, most recently
// changed first within a level, and how many are not closed.
func (x *Incidents) Open(ctx context.Context, limit int) ([]*incident.Incident, int, error) {
	out, err := x.all(func(inc *incident.Incident) bool { return inc.Status != incident.StatusClosed })
	if err != nil {
		return nil, 0, err
	}
	newestFirst(out, func(inc *incident.Incident) (int64, string) { return inc.UpdatedAt.UnixMilli(), inc.ID })
	slices.SortStableFunc(out, func(a, b *incident.Incident) int { return cmp.Compare(b.Level, a.Level) })
	return out[:min(len(out), max(limit, 0))], len(out), nil
}

// Due returns the incidents with a reporting deadline still open, the
// earliest due first, at most limit, and how many there are.
func (x *Incidents) Due(ctx context.Context, limit int) ([]*incident.Incident, int, error) {
	out, err := x.all(func(inc *incident.Incident) bool { _, ok := inc.OpenDue(); return ok })
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(out, incident.DueFirst)
	return out[:min(len(out), max(limit, 0))], len(out), nil
}

// Near returns the incidents not closed of category within radiusM metres
// of at, nearest first, at most incident.MaxNear.
func (x *Incidents) Near(ctx context.Context, category string, at orb.Point, radiusM float64) ([]*incident.Incident, error) {
	dist := map[string]float64{}
	out, err := x.all(func(inc *incident.Incident) bool {
		if inc.Status == incident.StatusClosed || inc.Category != category || inc.Location == nil ||
			!incident.Searchable(inc.Location.Lon, inc.Location.Lat) {
			return false
		}
		d := geo.DistanceHaversine(at, orb.Point{inc.Location.Lon, inc.Location.Lat})
		dist[inc.ID] = d
		return d <= radiusM
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *incident.Incident) int { return cmp.Compare(dist[a.ID], dist[b.ID]) })
	return out[:min(len(out), incident.MaxNear)], nil
}

// since reports whether a change at t counts as since from, to the ms as
// the Redis lists score them; a zero from takes all.
func since(t, from time.Time) bool { return from.IsZero() || t.UnixMilli() >= from.UnixMilli() }

// newestFirst sorts vs by their time (ms) and id, both descending, as the
// Redis store's lists come.
func newestFirst[T any](vs []T, key func(T) (int64, string)) {
	slices.SortStableFunc(vs, func(a, b T) int {
		am, aid := key(a)
		bm, bid := key(b)
		return cmp.Or(cmp.Compare(bm, am), cmp.Compare(bid, aid))
	})
}

// nextID numbers the objects of kind per day from 1.
func (s *Store) nextID(kind, day string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.numbers[kind+":"+day]++
	return s.numbers[kind+":"+day]
}
