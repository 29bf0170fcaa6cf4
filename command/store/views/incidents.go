package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/redis/go-redis/v9"

	"watchfloor/alerts"
	"watchfloor/command/incident"
	"watchfloor/command/store"
)

// Incidents stores incidents. Keys, under the deployment's prefix:
//
//	incident:{id}            hash: doc (JSON), ver
//	incident:{id}:timeline   list of JSON entries
//	incidents:n:{day}        counter for ids
//	incidents:updated        zset id → last change (ms), for since= and order
//	incidents:idx:{f}:{v}    sets for the list filters (status, level, category, grid)
//	incidents:open           zset of those not closed, by level then last change (the store's openRank)
//	incidents:ranked         set once incidents:open holds every incident stored before it existed
//	incidents:near:{cat}     geo set of those not closed with a location, by category
//	incidents:near           set once incidents:near:{cat} holds every incident stored before it existed
//	incidents:due            zset of those not closed with a reporting deadline open, by the earliest due (ms)
//	incidents:dued           set once incidents:due holds every incident stored before it existed
//	idem:{scope}             idempotency records
type Incidents struct {
	base
	list walk
}

// NewIncidents returns the incident storage of s.
func NewIncidents(s *store.Store) *Incidents { return &Incidents{base{s}, defaultWalk} }

var _ incident.Store = (*Incidents)(nil)

// NextID implements incident.Store.
func (x *Incidents) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "incidents", day)
}

// Load implements incident.Store.
func (x *Incidents) Load(ctx context.Context, id string) (*incident.Incident, error) {
	var v incident.Incident
	if err := x.s.LoadDoc(ctx, "incident", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Timeline implements incident.Store.
func (x *Incidents) Timeline(ctx context.Context, id string) ([]incident.Entry, error) {
	raw, err := x.s.Client().LRange(ctx, x.s.Key("incident", id, "timeline"), 0, -1).Result()
	if err != nil {
		return nil, x.s.Wrap("loading timeline", err)
	}
	out := make([]incident.Entry, 0, len(raw))
	for _, r := range raw {
		var e incident.Entry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("decoding timeline of %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// List implements incident.Store.
func (x *Incidents) List(ctx context.Context, q incident.Query) ([]*incident.Incident, error) {
	raw, err := x.list.docs(ctx, x.s, "incident", "incidents", q.Since, q.Limit,
		"status:"+q.Status, "level:"+q.Level.String(), "category:"+q.Category, "grid:"+q.Grid)
	if err != nil {
		return nil, err
	}
	return decodeIncidents(raw, func(*incident.Incident) bool { return true })
}

// decodeIncidents decodes the docs raw ("" for one gone) that keep takes.
func decodeIncidents(raw []string, keep func(*incident.Incident) bool) ([]*incident.Incident, error) {
	out := make([]*incident.Incident, 0, len(raw))
	for _, r := range raw {
		if r == "" {
			continue
		}
		var inc incident.Incident
		if err := json.Unmarshal([]byte(r), &inc); err != nil {
			return nil, fmt.Errorf("decoding incident: %w", err)
		}
		if keep(&inc) {
			out = append(out, &inc)
		}
	}
	return out, nil
}

// openScript returns how many incidents are not closed and the docs of the
// ARGV[1] ranked highest in KEYS[1]; the first read ranks those stored before.
var openScript = redis.NewScript(`
-- KEYS[10] marks the ranking of the incidents stored before the index (from
-- the status sets KEYS[3..5], the level sets KEYS[6..9] and KEYS[2]) done.
if redis.call('EXISTS', KEYS[10]) == 0 then
  for s = 3, 5 do
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[s])) do
      local level = 0
      for l = 1, 4 do if redis.call('SISMEMBER', KEYS[5 + l], id) == 1 then level = l end end
      local updated = tonumber(redis.call('ZSCORE', KEYS[2], id) or '0')
      redis.call('ZADD', KEYS[1], string.format('%d', level * 1e13 + updated), id)
    end
  end
  redis.call('SET', KEYS[10], '1')
end
local out = {redis.call('ZCARD', KEYS[1])}
local limit = tonumber(ARGV[1])
if limit > 0 then
  for i, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, limit - 1)) do
    out[i + 1] = redis.call('HGET', ARGV[2] .. id, 'doc') or ''
  end
end
return out
`)

// Open implements incident.Store. A closed incident still ranked (closed
// by an instance older than the index) is left out of the list.
func (x *Incidents) Open(ctx context.Context, limit int) ([]*incident.Incident, int, error) {
	if err := x.s.Check("listing open incidents"); err != nil {
		return nil, 0, err
	}
	keys := append([]string{x.s.Key("incidents", "open"), x.s.Key("incidents", "updated")}, x.notClosedSets()...)
	for l := alerts.LevelIV; l <= alerts.LevelI; l++ {
		keys = append(keys, x.s.Key("incidents", "idx", "level:"+l.String()))
	}
	keys = append(keys, x.s.Key("incidents", "ranked"))
	res, err := openScript.Run(ctx, x.s.Client(), keys, max(limit, 0), x.s.Key("incident", "")).Slice()
	if err != nil {
		return nil, 0, x.s.Wrap("listing open incidents", err)
	}
	total, _ := res[0].(int64)
	docs := make([]string, len(res)-1)
	for i, r := range res[1:] {
		docs[i], _ = r.(string)
	}
	out, err := decodeIncidents(docs, func(inc *incident.Incident) bool { return inc.Status != incident.StatusClosed })
	return out, int(total), err
}

// nearScript returns the docs in the geo set KEYS[1] within ARGV[3] m of
// (ARGV[1], ARGV[2]), nearest first, at most ARGV[4].
var nearScript = redis.NewScript(`
-- KEYS[2] marks every incident not closed (the status sets KEYS[3..5]) put
-- in its category's set (ARGV[6] .. category) the first time.
if redis.call('EXISTS', KEYS[2]) == 0 then
  for s = 3, 5 do
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[s])) do
      local doc = redis.call('HGET', ARGV[5] .. id, 'doc')
      if doc then
        local inc = cjson.decode(doc)
        local l = inc.location
        if type(l) == 'table' and type(l.lon) == 'number' and type(l.lat) == 'number' and type(inc.category) == 'string'
          and l.lon >= -180 and l.lon <= 180 and l.lat >= -85.05112878 and l.lat <= 85.05112878 then
          redis.call('GEOADD', ARGV[6] .. inc.category, l.lon, l.lat, id)
        end
      end
    end
  end
  redis.call('SET', KEYS[2], '1')
end
local out = {}
local ids = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', ARGV[3], 'm', 'ASC', 'COUNT', ARGV[4])
for i, id in ipairs(ids) do out[i] = redis.call('HGET', ARGV[5] .. id, 'doc') or '' end
return out
`)

// Near implements incident.Store. Redis measures on a slightly smaller
// sphere: it searches 1 % and a metre further, then haversine decides.
func (x *Incidents) Near(ctx context.Context, category string, at orb.Point, radiusM float64) ([]*incident.Incident, error) {
	if err := x.s.Check("searching incidents near a point"); err != nil {
		return nil, err
	}
	if !incident.Searchable(at.Lon(), at.Lat()) {
		return nil, nil // nothing there is in a geo set
	}
	keys := append([]string{x.s.Key("incidents", "near", category), x.s.Key("incidents", "near")}, x.notClosedSets()...)
	raw, err := nearScript.Run(ctx, x.s.Client(), keys, at.Lon(), at.Lat(), radiusM*1.01+1, incident.MaxNear,
		x.s.Key("incident", ""), x.s.Key("incidents", "near", "")).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("searching incidents near a point", err)
	}
	// What an older instance changed may stand in the set still: as stored.
	return decodeIncidents(raw, func(inc *incident.Incident) bool {
		l := inc.Location
		return inc.Status != incident.StatusClosed && inc.Category == category && l != nil &&
			geo.DistanceHaversine(at, orb.Point{l.Lon, l.Lat}) <= radiusM
	})
}

// Due implements incident.Store: from incidents:due, filled once from the
// incidents not closed stored before it was kept (marker incidents:dued).
func (x *Incidents) Due(ctx context.Context, limit int) ([]*incident.Incident, int, error) {
	if err := x.s.Check("listing deadlines"); err != nil {
		return nil, 0, err
	}
	if err := x.dueOnce(ctx); err != nil {
		return nil, 0, err
	}
	ids, total, err := x.ranked(ctx, x.s.Key("incidents", "due"), "listing deadlines", limit, false)
	if err != nil {
		return nil, 0, err
	}
	out, err := x.load(ctx, ids, func(inc *incident.Incident) bool { _, ok := inc.OpenDue(); return ok })
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(out, incident.DueFirst)
	return out, total, nil
}

// dueScript puts each incident ARGV[3i-2] in KEYS[1] with score ARGV[3i]
// if its hash (ARGV[#ARGV] .. id) still holds version ARGV[3i-1]: an
// incident written since it was read has put itself in, or out.
var dueScript = redis.NewScript(`
for i = 1, #ARGV - 1, 3 do
  if redis.call('HGET', ARGV[#ARGV] .. ARGV[i], 'ver') == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i])
  end
end
return 0
`)

// dueOnce puts the incidents not closed that were stored before
// incidents:due was kept in it, once per deployment, 500 at a time: each
// read with its version and put in only if still at that version.
func (x *Incidents) dueOnce(ctx context.Context) error {
	return x.once(ctx, x.s.Key("incidents", "dued"), "ranking deadlines", func() error {
		ids, err := x.s.Client().SUnion(ctx, x.notClosedSets()...).Result()
		if err != nil {
			return x.s.Wrap("ranking deadlines", err)
		}
		for chunk := range slices.Chunk(ids, 500) {
			if err := x.dueChunk(ctx, chunk); err != nil {
				return err
			}
		}
		return nil
	})
}

// dueChunk reads the incidents of ids with their versions and puts those
// with a deadline open in incidents:due, each only if still at its version.
func (x *Incidents) dueChunk(ctx context.Context, ids []string) error {
	pipe := x.s.Client().Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, x.s.Key("incident", id), "doc", "ver")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return x.s.Wrap("ranking deadlines", err)
	}
	args := make([]any, 0, 3*len(ids)+1)
	for i, c := range cmds {
		doc, _ := c.Val()[0].(string)
		ver, _ := c.Val()[1].(string)
		var inc incident.Incident
		if doc == "" || json.Unmarshal([]byte(doc), &inc) != nil {
			continue
		}
		if due, ok := inc.OpenDue(); ok {
			args = append(args, ids[i], ver, due.UnixMilli())
		}
	}
	if len(args) == 0 {
		return nil
	}
	args = append(args, x.s.Key("incident", ""))
	return x.s.Wrap("ranking deadlines", dueScript.Run(ctx, x.s.Client(), []string{x.s.Key("incidents", "due")}, args...).Err())
}

// load reads the incidents of ids that are stored and keep accepts.
func (x *Incidents) load(ctx context.Context, ids []string, keep func(*incident.Incident) bool) ([]*incident.Incident, error) {
	docs, err := x.docs(ctx, "incident", "loading incidents", ids)
	if err != nil {
		return nil, err
	}
	return decodeIncidents(docs, keep)
}

// notClosedSets are the status sets of the incidents not closed, the
// first fills of incidents:open and incidents:near read.
func (x *Incidents) notClosedSets() []string {
	return []string{x.s.Key("incidents", "idx", "status:"+incident.StatusOpen),
		x.s.Key("incidents", "idx", "status:"+incident.StatusResponding), x.s.Key("incidents", "idx", "status:"+incident.StatusRecovery)}
}
