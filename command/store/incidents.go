package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/incident"
)

// Incidents stores incidents. Keys, under the deployment's prefix:
//
//	incident:{id}            hash: doc (JSON), ver
//	incident:{id}:timeline   list of JSON entries
//	incidents:n:{day}        counter for ids
//	incidents:updated        zset id → last change (ms), for since= and order
//	incidents:idx:{f}:{v}    sets for the list filters (status, level, category, grid)
//	idem:{scope}             idempotency records
type Incidents struct{ s *Store }

// Incidents returns the incident storage.
func (s *Store) Incidents() *Incidents { return &Incidents{s: s} }

var _ incident.Store = (*Incidents)(nil)

// NextID implements incident.Store.
func (x *Incidents) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID(ctx, "incidents", day)
}

func indexes(inc *incident.Incident) []string {
	if inc == nil {
		return nil
	}
	out := []string{"status:" + inc.Status, "level:" + inc.Level.String(), "category:" + inc.Category}
	for _, c := range inc.Grid.Codes() {
		out = append(out, "grid:"+c)
	}
	return out
}

// Apply implements incident.Store.
func (x *Incidents) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return x.s.Apply(ctx, c)
}

// incidentIndex keeps an incident's indexes: when it last changed, and the
// sets of the list filters it belongs to.
func (s *Store) incidentIndex(d change.Doc) []Op {
	inc, _ := d.Value.(*incident.Incident)
	if inc == nil {
		return nil
	}
	prev, _ := d.Prev.(*incident.Incident)
	ops := []Op{{Cmd: "ZADD", Key: s.Key("incidents", "updated"), Args: []string{strconv.FormatInt(inc.UpdatedAt.UnixMilli(), 10), inc.ID}}}
	return append(ops, s.indexOps("incidents", inc.ID, indexes(prev), indexes(inc))...)
}

// Load implements incident.Store.
func (x *Incidents) Load(ctx context.Context, id string) (*incident.Incident, error) {
	var v incident.Incident
	if err := x.s.loadDoc(ctx, "incident", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Timeline implements incident.Store.
func (x *Incidents) Timeline(ctx context.Context, id string) ([]incident.Entry, error) {
	raw, err := x.s.rdb.LRange(ctx, x.s.Key("incident", id, "timeline"), 0, -1).Result()
	if err != nil {
		return nil, x.s.wrap("loading timeline", err)
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

// listScript returns the docs of incidents changed since ARGV[1] (ms),
// newest first, at most ARGV[2], that are members of every filter set.
var listScript = redis.NewScript(`
local since, limit, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local ids = {}
if #KEYS > 1 then
  local members = redis.call('SINTER', unpack(KEYS, 2))
  local scored = {}
  for _, id in ipairs(members) do
    local sc = tonumber(redis.call('ZSCORE', KEYS[1], id) or '0')
    if sc >= since then scored[#scored + 1] = {id, sc} end
  end
  table.sort(scored, function(a, b) if a[2] == b[2] then return a[1] > b[1] end return a[2] > b[2] end)
  for i = 1, math.min(limit, #scored) do ids[i] = scored[i][1] end
else
  ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', since, 'LIMIT', 0, limit)
end
local out = {}
for i, id in ipairs(ids) do out[i] = redis.call('HGET', prefix .. id, 'doc') end
return out
`)

// List implements incident.Store.
func (x *Incidents) List(ctx context.Context, q incident.Query) ([]*incident.Incident, error) {
	raw, err := x.s.listDocs(ctx, "incident", "incidents", q.Since, q.Limit,
		"status:"+q.Status, "level:"+q.Level.String(), "category:"+q.Category, "grid:"+q.Grid)
	if err != nil {
		return nil, err
	}
	out := make([]*incident.Incident, 0, len(raw))
	for _, r := range raw {
		if r == "" {
			continue
		}
		var inc incident.Incident
		if err := json.Unmarshal([]byte(r), &inc); err != nil {
			return nil, fmt.Errorf("decoding incident: %w", err)
		}
		out = append(out, &inc)
	}
	return out, nil
}

// listDocs returns the docs of the objects (kind:{id}) listed in the sets
// of set (set:updated, set:idx:{filter}) that were changed since since and
// belong to every filter given ("status:open"; an empty value after the
// colon does not filter), most recently changed first, at most limit.
func (s *Store) listDocs(ctx context.Context, kind, set string, since time.Time, limit int, filters ...string) ([]string, error) {
	if err := s.check("listing " + set); err != nil {
		return nil, err
	}
	keys := []string{s.Key(set, "updated")}
	for _, f := range filters {
		if !strings.HasSuffix(f, ":") {
			keys = append(keys, s.Key(set, "idx", f))
		}
	}
	ms := int64(0)
	if !since.IsZero() {
		ms = since.UnixMilli()
	}
	raw, err := listScript.Run(ctx, s.rdb, keys, ms, limit, s.Key(kind, "")).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap("listing "+set, err)
	}
	return raw, nil
}
