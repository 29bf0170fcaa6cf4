package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
//	unit:{id}:track      stream of fixes, each one field p = "lon,lat,t,spd,hdg,
//	                     acc,bat,f" (entries before it: those 8 fields), trimmed
//	                     by MINID to the track TTL and its expiry extended to the
//	                     TTL plus upkeepEvery at least every upkeepEvery of a
//	                     unit's writes, so it expires 1–1.1 TTL after the last;
//	                     between upkeeps a fix is added only to a track that
//	                     exists (NOMKSTREAM), so none is made without expiry
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
	// badLast is the bad last positions the latest LoadState skipped, by
	// unit: the next (an instance's catch-up after each subscription) counts
	// only those that are new or changed.
	badLast map[string]string

	geoKey, lastKey string
	trackPre        string    // a track's key is trackPre + id + ":track"
	pool            sync.Pool // of *posArgs
	upkeep          upkeep
	now             func() time.Time // the clock of trimming and upkeep
}

// NewUnits returns the unit storage of s; tracks are kept for ttl, and
// skipped (when not nil) is told of each bad record skipped on reading.
func NewUnits(s *store.Store, ttl time.Duration, skipped func(kind string)) *Units {
	return &Units{base: base{s}, ttl: ttl, skipped: skipped, warned: map[string]bool{}, upkeep: upkeep{at: map[string]*atomic.Int64{}}, now: time.Now,
		geoKey: s.Key("units", "geo"), lastKey: s.Key("units", "last"), trackPre: s.Key("unit", "")}
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

// LoadState implements unit.Store. A bad last position is skipped, and
// counted and logged only when the read before did not skip it already.
func (x *Units) LoadState(ctx context.Context) (map[string]unit.Position, map[string]string, error) {
	pipe := x.s.Client().Pipeline()
	last := pipe.HGetAll(ctx, x.s.Key("units", "last"))
	status := pipe.HGetAll(ctx, x.s.Key("units", "status"))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, x.s.Wrap("loading units", err)
	}
	pos := make(map[string]unit.Position, len(last.Val()))
	bad := map[string]string{}
	x.mu.Lock()
	seen := x.badLast
	x.mu.Unlock()
	for id, raw := range last.Val() {
		var p unit.Position
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			if prev, ok := seen[id]; !ok || prev != raw {
				x.skip("last_position", x.s.Key("units", "last")+" "+id, err)
			}
			bad[id] = raw
			continue
		}
		pos[id] = p
	}
	x.mu.Lock()
	x.badLast = bad
	x.mu.Unlock()
	return pos, status.Val(), nil
}

// WritePositions implements unit.Store: one pipeline for a whole batch.
// Its commands' arguments are written into one pooled buffer and handed to
// go-redis as pointers to their spans (posArgs), so a stored fix costs no
// string, boxed value or argument slice of its own. A fix is one XADD of
// one packed field; a unit's track is trimmed and its expiry extended only
// when its upkeep is due (upkeep). Between upkeeps the XADD is NOMKSTREAM:
// this instance knows when it last set the track's expiry, not that the
// track is still there (a Redis restart or failover losing the last writes,
// eviction, a DEL), and a plain XADD would make it again with no expiry, kept
// for ever once the unit stops. A fix whose track is found missing is
// written again with its upkeep (restoreTracks).
func (x *Units) WritePositions(ctx context.Context, fixes []unit.Fix) error {
	if err := x.s.Check("storing positions"); err != nil {
		return err
	}
	a, _ := x.pool.Get().(*posArgs)
	if a == nil {
		a = &posArgs{final: map[string]int{}, due: map[string]bool{}}
	}
	defer x.putArgs(a)
	for i, f := range fixes {
		if f.Moved {
			a.final[f.UnitID] = i // the last moving fix of each unit
		}
	}
	now := x.now()
	x.upkeep.take(fixes, now, upkeepEvery(x.ttl), a.due)
	a.reserve(len(fixes), len(a.final))
	// Each fix's track entry first: the text of its coordinates, formatted
	// once, serves the GEO set and the last position too.
	a.packs = slices.Grow(a.packs[:0], len(fixes))
	for i := range fixes {
		a.packs = append(a.packs, a.pack(&fixes[i]))
	}
	pipe := x.s.Client().Pipeline()
	if len(a.final) > 0 {
		geo := a.start(3*len(a.final), "GEOADD", x.geoKey)
		last := a.start(2*len(a.final), "HSET", x.lastKey)
		for _, i := range a.final {
			f, p := &fixes[i], &a.packs[i]
			var lat any
			if g := clampGeoLat(f.Lat); g != f.Lat {
				lat = a.float(g) // beyond the GEO set's reach
			} else {
				lat = a.spanOf(p.lat)
			}
			geo = append(geo, a.spanOf(p.lon), lat, &f.UnitID)
			off := len(a.buf)
			a.buf = f.Position.AppendJSONWith(a.buf, a.buf[p.lon[0]:p.lon[1]], a.buf[p.lat[0]:p.lat[1]])
			last = append(last, &f.UnitID, a.span(off))
		}
		pipe.Process(ctx, redis.NewIntCmd(ctx, geo...))
		pipe.Process(ctx, redis.NewIntCmd(ctx, last...))
	}
	var minID, expiry any
	if len(a.due) > 0 {
		minID, expiry = x.upkeepArgs(a, now)
	}
	for i := range fixes {
		f := &fixes[i]
		key := a.trackKey(x.trackPre, f.UnitID)
		if a.due[f.UnitID] {
			a.due[f.UnitID] = false // once a batch: its first fix
			a.upkeepAdd(ctx, pipe, key, a.packs[i].entry, minID, expiry)
		} else {
			cmd := redis.NewStringCmd(ctx, a.start(0, "XADD", key, "NOMKSTREAM", "*", "p", a.packs[i].entry)...)
			a.adds = append(a.adds, trackAdd{i, cmd})
			pipe.Process(ctx, cmd)
		}
	}
	cmds, err := pipe.Exec(ctx)
	if err == nil {
		return nil
	}
	// Exec answers the first command's error, redis.Nil included: that of a
	// NOMKSTREAM XADD whose track is missing. Any other error fails the write.
	if errors.Is(err, redis.Nil) {
		err = nil
		for _, c := range cmds {
			if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
				err = e
				break
			}
		}
	}
	if err != nil {
		x.upkeep.forget(a.due) // not known to be done: due again next time
		return x.s.Wrap("storing positions", err)
	}
	var lost []unit.Fix
	for _, t := range a.adds {
		if errors.Is(t.cmd.Err(), redis.Nil) {
			lost = append(lost, fixes[t.fix])
		}
	}
	return x.restoreTracks(ctx, a, lost, now)
}

// restoreTracks writes again, in order, the fixes lost (their units' tracks
// were missing), each with its upkeep: an XADD with MINID, which makes the
// track, and its expiry. Their units' upkeep counts as done now, or, should
// this fail, is due again next time. Rare: a track lost from Redis.
func (x *Units) restoreTracks(ctx context.Context, a *posArgs, lost []unit.Fix, now time.Time) error {
	if len(lost) == 0 {
		return nil
	}
	clear(a.due)
	for i := range lost {
		a.due[lost[i].UnitID] = true
	}
	x.upkeep.mark(a.due, now)
	minID, expiry := x.upkeepArgs(a, now)
	pipe := x.s.Client().Pipeline()
	for i := range lost {
		a.upkeepAdd(ctx, pipe, a.trackKey(x.trackPre, lost[i].UnitID), a.pack(&lost[i]).entry, minID, expiry)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		x.upkeep.forget(a.due)
		return x.s.Wrap("storing positions", err)
	}
	return nil
}

// upkeepEvery is how often each unit's track is trimmed and its expiry
// extended (to the TTL plus this): a tenth of the TTL, at most a minute.
func upkeepEvery(ttl time.Duration) time.Duration { return min(ttl/10, time.Minute) }

// upkeepArgs are a track upkeep's MINID (now less the TTL) and expiry
// (TTL + the upkeep interval, in ms): a write within upkeepEvery of the last
// upkeep finds the track's expiry still past a TTL after it.
func (x *Units) upkeepArgs(a *posArgs, now time.Time) (minID, expiry any) {
	return a.integer(now.Add(-x.ttl).UnixMilli()), a.integer((x.ttl + upkeepEvery(x.ttl)).Milliseconds())
}

// upkeep remembers when this instance last sent each unit's track upkeep,
// to send it at most once per upkeepEvery; each unit's time is an atomic of
// its own, so the ingest workers share only a read lock a batch.
type upkeep struct {
	mu sync.RWMutex             // guards which units at holds
	at map[string]*atomic.Int64 // unit → when its upkeep was last sent (Unix ms; 0: long ago)
}

// take marks in due the units of fixes whose upkeep is due at now, and
// counts it as done; forget undoes that for a write that failed.
func (u *upkeep) take(fixes []unit.Fix, now time.Time, every time.Duration, due map[string]bool) {
	ms, gap := now.UnixMilli(), every.Milliseconds()
	first := false // a unit this instance has not written before
	u.mu.RLock()
	for i := range fixes {
		id := fixes[i].UnitID
		e := u.at[id]
		if e == nil {
			first = true
			continue
		}
		// A unit is written by one ingest worker; were it ever by two at
		// once, the swap would still send its upkeep once.
		if last := e.Load(); (ms-last >= gap || ms < last) && e.CompareAndSwap(last, ms) {
			due[id] = true
		}
	}
	u.mu.RUnlock()
	if !first {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range fixes {
		if id := fixes[i].UnitID; u.enter(id, ms) {
			due[id] = true
		}
	}
}

// enter gives unit id an entry at ms unless it has one, and says whether it
// made it; the caller holds the write lock.
func (u *upkeep) enter(id string, ms int64) bool {
	if u.at[id] != nil {
		return false
	}
	e := new(atomic.Int64)
	e.Store(ms)
	u.at[id] = e
	return true
}

// mark counts the upkeep of the units of ids as done at now.
func (u *upkeep) mark(ids map[string]bool, now time.Time) { u.set(ids, now.UnixMilli()) }

// forget makes the upkeep of every unit in due, sent (true) or not yet
// (false), due again: the write failed.
func (u *upkeep) forget(due map[string]bool) { u.set(due, 0) }

// set sets the time of the units of ids to ms, making entries for those it
// has none of (none from WritePositions: take made them).
func (u *upkeep) set(ids map[string]bool, ms int64) {
	u.mu.RLock()
	missing := false
	for id := range ids {
		if e := u.at[id]; e != nil {
			e.Store(ms)
		} else {
			missing = true
		}
	}
	u.mu.RUnlock()
	if !missing {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for id := range ids {
		u.enter(id, ms)
	}
}

// putArgs returns a to the pool once its commands are done with; a buffer
// grown by a rare huge batch is let go.
func (x *Units) putArgs(a *posArgs) {
	if cap(a.buf) > 1<<20 || cap(a.args) > 1<<17 {
		return
	}
	clear(a.adds) // lets go of the commands
	clear(a.packs)
	a.buf, a.spans, a.args, a.adds, a.packs = a.buf[:0], a.spans[:0], a.args[:0], a.adds[:0], a.packs[:0]
	clear(a.final)
	clear(a.due)
	x.pool.Put(a)
}

// posArgs holds the arguments of one WritePositions call: keys and values
// are written into buf, and each is handed to go-redis as a pointer to its
// argSpan (an encoding.BinaryMarshaler), which boxes without allocating.
type posArgs struct {
	buf   []byte
	spans []argSpan
	args  []any
	final map[string]int  // unit → index of its last moving fix
	due   map[string]bool // units whose track upkeep is due (false: sent)
	adds  []trackAdd      // the NOMKSTREAM XADDs, in the order of their fixes
	packs []packedFix     // each fix's track entry, in the order of the fixes
}

// trackAdd is the XADD NOMKSTREAM of a fix (its index in the batch), which
// answers redis.Nil when the unit's track is missing.
type trackAdd struct {
	fix int
	cmd *redis.StringCmd
}

// trackKey writes the key of unit id's track (pre + id + ":track").
func (a *posArgs) trackKey(pre, id string) any {
	off := len(a.buf)
	a.buf = append(append(append(a.buf, pre...), id...), ":track"...)
	return a.span(off)
}

// upkeepAdd sends a fix's track entry to its track with the track's upkeep:
// XADD trimming to minID (making the track if it is missing) and PEXPIRE to
// expiry.
func (a *posArgs) upkeepAdd(ctx context.Context, pipe redis.Pipeliner, key, entry any, minID, expiry any) {
	pipe.Process(ctx, redis.NewStringCmd(ctx, a.start(0, "XADD", key, "MINID", "~", minID, "*", "p", entry)...))
	pipe.Process(ctx, redis.NewBoolCmd(ctx, a.start(0, "PEXPIRE", key, expiry)...))
}

// argSpan is one argument: the bytes buf[off:end] of its posArgs.
type argSpan struct {
	a        *posArgs
	off, end int
}

// MarshalBinary gives go-redis the argument's bytes.
func (s *argSpan) MarshalBinary() ([]byte, error) { return s.a.buf[s.off:s.end], nil }

// String is the argument as text: go-redis routes a command by its key's
// fmt.Sprint, which a cluster or ring client needs (one allocation there
// only; a single node or Sentinel never asks).
func (s *argSpan) String() string { return string(s.a.buf[s.off:s.end]) }

// reserve makes room for the spans and arguments of fixes fixes, moved of
// them moving, so the pointers handed out stay where they are.
func (a *posArgs) reserve(fixes, moved int) {
	a.spans = slices.Grow(a.spans[:0], 4+fixes*2+moved*3)
	a.args = slices.Grow(a.args[:0], 4+fixes*(8+3)+moved*5)
}

// span records buf[off:] as the next argument.
func (a *posArgs) span(off int) any { return a.spanOf([2]int{off, len(a.buf)}) }

// spanOf records buf[r[0]:r[1]] as the next argument.
func (a *posArgs) spanOf(r [2]int) any {
	if len(a.spans) == cap(a.spans) {
		return &argSpan{a: a, off: r[0], end: r[1]} // not reserved: never moves
	}
	a.spans = append(a.spans, argSpan{a: a, off: r[0], end: r[1]})
	return &a.spans[len(a.spans)-1]
}

// float writes a value; unknown and non-finite values are empty.
func (a *posArgs) float(v float64) any {
	off := len(a.buf)
	a.buf = appendTrackFloat(a.buf, v)
	return a.span(off)
}

// appendTrackFloat appends v, or nothing when it is unknown or not finite.
func appendTrackFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return b
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// packedFix is a fix's track entry (its argument) and where the text of
// its coordinates lies in the buffer.
type packedFix struct {
	entry    any
	lon, lat [2]int // buf[lon[0]:lon[1]]
}

// pack writes a fix as a track entry's one value: "lon,lat,t,spd,hdg,
// acc,bat,f", unknown readings empty (parseTrackEntry reads it back).
func (a *posArgs) pack(f *unit.Fix) packedFix {
	off := len(a.buf)
	a.buf = appendTrackFloat(a.buf, f.Lon)
	lon := [2]int{off, len(a.buf)}
	a.buf = append(a.buf, ',')
	lat := [2]int{len(a.buf), 0}
	a.buf = appendTrackFloat(a.buf, f.Lat)
	lat[1] = len(a.buf)
	a.buf = append(a.buf, ',')
	a.buf = strconv.AppendInt(a.buf, f.At.UnixMilli(), 10)
	for _, v := range [...]float64{f.SpeedMPS, f.Heading, f.AccuracyM, f.BatteryPct} {
		a.buf = appendTrackFloat(append(a.buf, ','), v)
	}
	a.buf = strconv.AppendInt(append(a.buf, ','), int64(f.Flags), 10)
	return packedFix{entry: a.span(off), lon: lon, lat: lat}
}

func (a *posArgs) integer(v int64) any {
	off := len(a.buf)
	a.buf = strconv.AppendInt(a.buf, v, 10)
	return a.span(off)
}

// start begins a command in the shared argument slice with room for extra
// arguments more, and returns it to be appended to: its capacity ends where
// its room does, so appending past it copies instead of overwriting the
// next command.
func (a *posArgs) start(extra int, args ...any) []any {
	i := len(a.args)
	a.args = append(a.args, args...)
	j := len(a.args)
	a.args = append(a.args, make([]any, extra)...)
	return a.args[i:j:len(a.args)]
}

// Redis GEO accepts latitudes within ±85.05112878 only.
func clampGeoLat(lat float64) float64 { return max(-85.05112878, min(85.05112878, lat)) }

// mendScript stores each position (ARGV in fives: unit, JSON, time as
// mendTime writes it, lon, lat) as its unit's last (KEYS[1]) and in the GEO
// set (KEYS[2]) where the last held is older, missing or unreadable, and
// returns how many it stored; where the last held is kept, the GEO set is
// set to it (a batch's GEOADD and HSET are two commands, which two
// instances' pipelines may interleave). Times are compared as text once
// their fraction is written out to nine digits (RFC 3339 in UTC, as
// stored).
var mendScript = redis.NewScript(`
local function norm(t)
  if type(t) ~= 'string' then return nil end
  local head, frac = string.match(t, '^(%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d)%.?(%d*)Z$')
  if not head or #frac > 9 then return nil end
  return head .. '.' .. frac .. string.rep('0', 9 - #frac)
end
local n = 0
for i = 1, #ARGV, 5 do
  local id = ARGV[i]
  local held = redis.call('HGET', KEYS[1], id)
  local doc
  if held then
    local ok, d = pcall(cjson.decode, held)
    if ok and type(d) == 'table' and norm(d.at) and norm(d.at) >= ARGV[i + 2] then doc = d end
  end
  if not doc then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    redis.call('GEOADD', KEYS[2], ARGV[i + 3], ARGV[i + 4], id)
    n = n + 1
  elseif type(doc.lon) == 'number' and type(doc.lat) == 'number' and doc.lon >= -180 and doc.lon <= 180 then
    redis.call('GEOADD', KEYS[2], doc.lon, math.max(-85.05112878, math.min(85.05112878, doc.lat)), id)
  end
end
return n
`)

// mendTime is a position's time as mendScript compares it.
const mendTime = "2006-01-02T15:04:05.000000000"

// MendPositions implements unit.Store: one script, rare (two instances'
// writes of a unit that crossed).
func (x *Units) MendPositions(ctx context.Context, fixes []unit.Fix) (int, error) {
	if len(fixes) == 0 {
		return 0, nil
	}
	if err := x.s.Check("mending last positions"); err != nil {
		return 0, err
	}
	args := make([]any, 0, 5*len(fixes))
	for i := range fixes {
		f := &fixes[i]
		args = append(args, f.UnitID, f.Position.AppendJSON(nil), f.At.UTC().Format(mendTime), f.Lon, clampGeoLat(f.Lat))
	}
	n, err := mendScript.Run(ctx, x.s.Client(), []string{x.lastKey, x.geoKey}, args...).Int()
	if err != nil {
		return 0, x.s.Wrap("mending last positions", err)
	}
	return n, nil
}

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
		f, err := parseTrackEntry(m.Values)
		if err == nil {
			err = f.CheckPlace(false)
		}
		if err != nil {
			x.skip("track_fix", x.s.Key("unit", id, "track"), fmt.Errorf("entry %s: %w", m.ID, err))
			continue
		}
		f.Sanitize()
		if f.At.Before(from) || f.At.After(to) {
			continue
		}
		f.UnitID = id
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b unit.Fix) int { return a.At.Compare(b.At) })
	return out, nil
}

// trackFields are the fields of a track entry, in the order of its packed
// value p; entries written before p have them as fields of their own.
var trackFields = [8]string{"lon", "lat", "t", "spd", "hdg", "acc", "bat", "f"}

// parseTrackEntry reads a track entry of either form: one field p (packed)
// or the eight fields of trackFields. Empty readings are unknown (NaN).
func parseTrackEntry(values map[string]any) (unit.Fix, error) {
	var v [8]string
	if p, ok := values["p"].(string); ok {
		for i := range v {
			var found bool
			v[i], p, found = strings.Cut(p, ",")
			if found != (i < len(v)-1) {
				return unit.Fix{}, fmt.Errorf("packed fix has not %d values", len(v))
			}
		}
	} else {
		for i, k := range trackFields {
			v[i], _ = values[k].(string)
		}
	}
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		if s == "" || err != nil {
			return math.NaN()
		}
		return x
	}
	ms, err := strconv.ParseInt(v[2], 10, 64)
	if err != nil {
		return unit.Fix{}, fmt.Errorf("time %q: %w", v[2], err)
	}
	flags, _ := strconv.Atoi(v[7])
	return unit.Fix{Flags: unit.Flags(flags), Moved: flags == 0, Position: unit.Position{Lon: num(v[0]), Lat: num(v[1]),
		At: time.UnixMilli(ms).UTC(), SpeedMPS: num(v[3]), Heading: num(v[4]), AccuracyM: num(v[5]), BatteryPct: num(v[6])}}, nil
}

// TellPositions implements unit.Store: one PUBLISH, whose answer counts
// the instances subscribed (SubscribePositions).
func (x *Units) TellPositions(ctx context.Context, note []byte) (int, error) {
	if err := x.s.Check("telling positions"); err != nil {
		return 0, err
	}
	n, err := x.s.Client().Publish(ctx, x.s.Key("positions"), note).Result()
	if err != nil {
		return 0, x.s.Wrap("telling positions", err)
	}
	return int(n), nil
}

// SubscribePositions implements unit.Store.
func (x *Units) SubscribePositions(ctx context.Context, fn func(string), up func()) error {
	return x.s.Subscribe(ctx, "positions", 1024, fn, up)
}

var _ registry.Store = (*Units)(nil)

// LoadUnits implements registry.Store: the documents of the set
// units:all, read in one pipeline.
func (x *Units) LoadUnits(ctx context.Context) ([]*unit.Unit, error) {
	ids, err := x.s.Client().SMembers(ctx, x.s.Key("units", "all")).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("loading units", err)
	}
	docs, err := x.docs(ctx, "unit", "loading units", ids)
	if err != nil {
		return nil, err
	}
	out := make([]*unit.Unit, 0, len(ids))
	for i, d := range docs {
		var u unit.Unit
		if err := json.Unmarshal([]byte(d), &u); err != nil || u.ID != ids[i] {
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
	if store.Missing(err) {
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
