package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
)

// Units keeps positions as the Redis store does: every unit's last moving
// position, each unit's track of fixes (kept for the track TTL after they
// arrive) and the notes published with each batch; statuses are the
// keyed map units.status that changes write.
type Units struct {
	s   *Store
	ttl time.Duration

	mu     sync.Mutex
	last   map[string][]byte // unit → position JSON
	tracks map[string][]arrived
	notes  *Fanout[string]
}

// arrived is a fix with the time it was stored.
type arrived struct {
	at  time.Time
	fix unit.Fix
}

// Units returns the unit storage; tracks are kept for ttl. Every call
// returns the same one, with the ttl of the first.
func (s *Store) Units(ttl time.Duration) *Units {
	s.unitsOnce.Do(func() {
		s.units = &Units{s: s, ttl: ttl, last: map[string][]byte{}, tracks: map[string][]arrived{}, notes: NewFanout[string](1024)}
	})
	return s.units
}

var _ unit.Store = (*Units)(nil)

// Apply carries out a change (a status, transitions).
func (x *Units) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return x.s.Apply(ctx, c)
}

// LoadState returns every unit's last position and status.
func (x *Units) LoadState(ctx context.Context) (map[string]unit.Position, map[string]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pos := make(map[string]unit.Position, len(x.last))
	for id, b := range x.last {
		var p unit.Position
		if json.Unmarshal(b, &p) == nil {
			pos[id] = p
		}
	}
	return pos, x.s.Fields(change.KindUnitStatus, ""), nil
}

// WritePositions stores fixes: the last moving one of each unit as its
// position, every one in its unit's track.
func (x *Units) WritePositions(ctx context.Context, fixes []unit.Fix) error {
	now := x.s.now()
	x.mu.Lock()
	for _, f := range fixes {
		if f.Moved {
			b, _ := f.Position.MarshalJSON()
			x.last[f.UnitID] = b
		}
		f.At = time.UnixMilli(f.At.UnixMilli()).UTC() // a track keeps ms
		track := slices.DeleteFunc(x.tracks[f.UnitID], func(a arrived) bool { return now.Sub(a.at) > x.ttl })
		x.tracks[f.UnitID] = append(track, arrived{at: now, fix: f})
	}
	x.mu.Unlock()
	return nil
}

// TellPositions offers note to every follower and returns how many there
// are.
func (x *Units) TellPositions(ctx context.Context, note []byte) (int, error) {
	return x.notes.Publish(string(note)), nil
}

// MendPositions stores each of fixes as its unit's last position where the
// one held is older or missing, and returns how many it stored.
func (x *Units) MendPositions(ctx context.Context, fixes []unit.Fix) (int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, f := range fixes {
		var held unit.Position
		if b, ok := x.last[f.UnitID]; ok && json.Unmarshal(b, &held) == nil && !held.At.Before(f.At) {
			continue
		}
		b, _ := f.Position.MarshalJSON()
		x.last[f.UnitID] = b
		n++
	}
	return n, nil
}

// Track returns a unit's fixes with times in [from, to], oldest first, out
// of the first limit that arrived from a little before from.
func (x *Units) Track(ctx context.Context, id string, from, to time.Time, limit int) ([]unit.Fix, error) {
	x.mu.Lock()
	var window []arrived
	for _, a := range x.tracks[id] {
		if !a.at.Before(from.Add(-10*time.Minute)) && len(window) < limit {
			window = append(window, a)
		}
	}
	x.mu.Unlock()
	out := make([]unit.Fix, 0, len(window))
	for _, a := range window {
		f := a.fix
		f.Moved = f.Flags == 0
		f.Sanitize()
		if !f.At.Before(from) && !f.At.After(to) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b unit.Fix) int { return a.At.Compare(b.At) })
	return out, nil
}

// SubscribePositions calls fn with every note published by TellPositions
// from the call on, until ctx ends.
func (x *Units) SubscribePositions(ctx context.Context, fn func(note string), up func()) error {
	return x.notes.Follow(ctx, fn, up)
}

var _ registry.Store = (*Units)(nil)

// LoadUnits returns every stored unit document.
func (x *Units) LoadUnits(ctx context.Context) ([]*unit.Unit, error) {
	return Docs[unit.Unit](x.s, change.KindUnit, nil)
}

// LoadUnit returns one stored unit document.
func (x *Units) LoadUnit(ctx context.Context, id string) (*unit.Unit, error) {
	return Doc[unit.Unit](x.s, change.KindUnit, id)
}

// ActiveOrders returns the ids of a unit's active orders.
func (x *Units) ActiveOrders(ctx context.Context, id string) ([]string, error) {
	orders, err := x.s.Dispatches().ActiveByUnit(ctx, id)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(orders))
	for i, d := range orders {
		ids[i] = d.ID
	}
	return ids, nil
}
