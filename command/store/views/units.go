package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
	"watchfloor/command/store"
	"watchfloor/command/unit"
	"watchfloor/command/unit/registry"
)

// Units stores unit state. Keys, under the deployment's prefix:
//
//	units:geo            GEO set of current positions
//	units:last           hash unit → last position (JSON)
//	units:status         hash unit → status
//	unit:{id}:track      stream of fixes (lon, lat, t, spd, hdg, acc, bat, f),
//	                     trimmed by MINID to the track TTL on every write and
//	                     expiring a TTL after the last one
//	unit:{id}:timeline   list of JSON entries (status, transitions, registry)
//	unit:{id}            hash: doc (the registry's unit.Unit) and ver
//	units:all            set of the ids of stored units
//	units:devices        hash device id → unit id ("" when released)
//	positions            pub/sub channel: what each instance stored
type Units struct {
	base
	ttl time.Duration
	// skipped, when set, is told of each bad record skipped on reading, by
	// kind: "last_position" or "track_fix".
	skipped func(kind string)

	mu     sync.Mutex
	warned map[string]bool // keys already logged as holding bad records
}

// NewUnits returns the unit storage of s; tracks are kept for ttl, and
// skipped (when not nil) is told of each bad record skipped on reading.
func NewUnits(s *store.Store, ttl time.Duration, skipped func(kind string)) *Units {
	return &Units{base: base{s}, ttl: ttl, skipped: skipped, warned: map[string]bool{}}
}

// skip counts a bad record of kind and logs it once per key (a unit's
// last position, a track), so a corrupt record is seen but never floods
// the log; the caller goes on without it.
func (x *Units) skip(kind, key string, err error) {
	if x.skipped != nil {
		x.skipped(kind)
	}
	x.mu.Lock()
	first := !x.warned[key] && len(x.warned) < 10000
	if first {
		x.warned[key] = true
	}
	x.mu.Unlock()
	if first {
		x.s.Logger().Warn("skipping a bad record in Redis", "kind", kind, "key", key, "err", err)
	}
}

var _ unit.Store = (*Units)(nil)

// LoadState implements unit.Store.
func (x *Units) LoadState(ctx context.Context) (map[string]unit.Position, map[string]string, error) {
	pipe := x.s.Client().Pipeline()
	last := pipe.HGetAll(ctx, x.s.Key("units", "last"))
	status := pipe.HGetAll(ctx, x.s.Key("units", "status"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, x.s.Wrap("loading units", err)
	}
	pos := make(map[string]unit.Position, len(last.Val()))
	for id, raw := range last.Val() {
		var p unit.Position
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			x.skip("last_position", x.s.Key("units", "last")+" "+id, err)
			continue
		}
		pos[id] = p
	}
	return pos, status.Val(), nil
}

// fmtFloat writes a track value; unknown and non-finite values are empty.
func fmtFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WritePositions implements unit.Store: one pipeline for a whole batch.
func (x *Units) WritePositions(ctx context.Context, fixes []unit.Fix, note []byte) error {
	if err := x.s.Check("storing positions"); err != nil {
		return err
	}
	final := map[string]int{} // unit → index of its last moving fix
	for i, f := range fixes {
		if f.Moved {
			final[f.UnitID] = i
		}
	}
	pipe := x.s.Client().Pipeline()
	if len(final) > 0 {
		locs := make([]*redis.GeoLocation, 0, len(final))
		fields := make([]any, 0, 2*len(final))
		for id, i := range final {
			f := &fixes[i]
			locs = append(locs, &redis.GeoLocation{Name: id, Longitude: f.Lon, Latitude: clampGeoLat(f.Lat)})
			b, _ := f.Position.MarshalJSON()
			fields = append(fields, id, b)
		}
		pipe.GeoAdd(ctx, x.s.Key("units", "geo"), locs...)
		pipe.HSet(ctx, x.s.Key("units", "last"), fields...)
	}
	minID := strconv.FormatInt(time.Now().Add(-x.ttl).UnixMilli(), 10)
	touched := map[string]bool{}
	for i := range fixes {
		f := &fixes[i]
		key := x.s.Key("unit", f.UnitID, "track")
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, MinID: minID, Approx: true, Values: []string{
			"lon", fmtFloat(f.Lon), "lat", fmtFloat(f.Lat), "t", strconv.FormatInt(f.At.UnixMilli(), 10),
			"spd", fmtFloat(f.SpeedMPS), "hdg", fmtFloat(f.Heading), "acc", fmtFloat(f.AccuracyM),
			"bat", fmtFloat(f.BatteryPct), "f", strconv.Itoa(int(f.Flags)),
		}})
		if !touched[key] {
			touched[key] = true
			pipe.PExpire(ctx, key, x.ttl)
		}
	}
	if len(note) > 0 {
		pipe.Publish(ctx, x.s.Key("positions"), note)
	}
	_, err := pipe.Exec(ctx)
	return x.s.Wrap("storing positions", err)
}

// Redis GEO accepts latitudes within ±85.05112878 only.
func clampGeoLat(lat float64) float64 { return max(-85.05112878, min(85.05112878, lat)) }

// Track implements unit.Store. Track ids are arrival times and a fix's time
// is at most the future tolerance ahead of its arrival, so the range starts
// a little before from and fixes are filtered and ordered by their own time.
func (x *Units) Track(ctx context.Context, id string, from, to time.Time, limit int) ([]unit.Fix, error) {
	if err := x.s.Check("reading track"); err != nil {
		return nil, err
	}
	// Stream ids are unsigned: a window that starts before 1970 starts at 0.
	start := strconv.FormatInt(max(0, from.Add(-10*time.Minute).UnixMilli()), 10)
	msgs, err := x.s.Client().XRangeN(ctx, x.s.Key("unit", id, "track"), start, "+", int64(limit)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("reading track", err)
	}
	out := make([]unit.Fix, 0, len(msgs))
	for _, m := range msgs {
		num := func(k string) float64 {
			s, _ := m.Values[k].(string)
			if s == "" {
				return math.NaN()
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return math.NaN()
			}
			return v
		}
		ms, err := strconv.ParseInt(fmt.Sprint(m.Values["t"]), 10, 64)
		at := time.UnixMilli(ms).UTC()
		p := unit.Position{Lon: num("lon"), Lat: num("lat"), At: at, SpeedMPS: num("spd"), Heading: num("hdg"), AccuracyM: num("acc"), BatteryPct: num("bat")}
		if err == nil {
			err = p.CheckPlace(false)
		}
		if err != nil {
			x.skip("track_fix", x.s.Key("unit", id, "track"), fmt.Errorf("entry %s: %w", m.ID, err))
			continue
		}
		p.Sanitize()
		if at.Before(from) || at.After(to) {
			continue
		}
		flags, _ := strconv.Atoi(fmt.Sprint(m.Values["f"]))
		out = append(out, unit.Fix{UnitID: id, Flags: unit.Flags(flags), Moved: flags == 0, Position: p})
	}
	slices.SortStableFunc(out, func(a, b unit.Fix) int { return a.At.Compare(b.At) })
	return out, nil
}

// SubscribePositions implements unit.Store.
func (x *Units) SubscribePositions(ctx context.Context, fn func([]byte)) error {
	return x.s.Subscribe(ctx, "positions", 1024, func(payload string) { fn([]byte(payload)) })
}

var _ registry.Store = (*Units)(nil)

// LoadUnits implements registry.Store: the documents of the set
// units:all, read in one pipeline.
func (x *Units) LoadUnits(ctx context.Context) ([]*unit.Unit, error) {
	ids, err := x.s.Client().SMembers(ctx, x.s.Key("units", "all")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("loading units", err)
	}
	pipe := x.s.Client().Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("unit", id), "doc")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, x.s.Wrap("loading units", err)
		}
	}
	out := make([]*unit.Unit, 0, len(ids))
	for i, c := range cmds {
		var u unit.Unit
		if err := json.Unmarshal([]byte(c.Val()), &u); err != nil || u.ID != ids[i] {
			x.skip("unit", x.s.Key("unit", ids[i]), fmt.Errorf("unit document: %v", err))
			continue
		}
		out = append(out, &u)
	}
	return out, nil
}

// LoadUnit implements registry.Store.
func (x *Units) LoadUnit(ctx context.Context, id string) (*unit.Unit, error) {
	b, err := x.s.Client().HGet(ctx, x.s.Key("unit", id), "doc").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("unit %s: %w", id, fault.ErrNotFound)
	}
	if err != nil {
		return nil, x.s.Wrap("loading unit "+id, err)
	}
	var u unit.Unit
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("decoding unit %s: %w", id, err)
	}
	return &u, nil
}

// ActiveOrders implements registry.Store: the unit's set of active
// orders that dispatch keeps.
func (x *Units) ActiveOrders(ctx context.Context, id string) ([]string, error) {
	ids, err := x.s.Client().SMembers(ctx, x.s.Key("unit", id, "orders")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("reading the orders of unit "+id, err)
	}
	return ids, nil
}
