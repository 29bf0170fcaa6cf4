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

	"watchfloor/command/alarm"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
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

// Save implements incident.Store.
func (x *Incidents) Save(ctx context.Context, w *incident.Write) (string, error) {
	inc := w.Incident
	doc, err := json.Marshal(inc)
	if err != nil {
		return "", fmt.Errorf("encoding incident: %w", err)
	}
	// The screens get the summary: no personal data, no long texts (pages
	// fetch the whole incident when a person opens one).
	summary, err := json.Marshal(inc.Summarize())
	if err != nil {
		return "", fmt.Errorf("encoding incident: %w", err)
	}
	key := x.s.Key("incident", inc.ID)
	tx := &Tx{At: inc.UpdatedAt}
	want := ""
	if w.Prev != nil {
		want = strconv.FormatInt(w.Prev.Version, 10)
	}
	tx.Guards = []Guard{{Key: key, Field: "ver", Allowed: []string{want}}}
	if w.Idem != nil {
		tx.Idem = &Idem{Key: x.s.Key("idem", w.Idem.Key), Value: inc.ID + "|" + w.Idem.Fingerprint, TTL: w.Idem.TTL}
	}
	tx.Ops = append(tx.Ops,
		Op{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "ver", strconv.FormatInt(inc.Version, 10)}},
		Op{Cmd: "ZADD", Key: x.s.Key("incidents", "updated"), Args: []string{strconv.FormatInt(inc.UpdatedAt.UnixMilli(), 10), inc.ID}},
	)
	tx.Ops = append(tx.Ops, x.s.indexOps("incidents", inc.ID, indexes(w.Prev), indexes(inc))...)
	entries := w.Entries
	if w.Alarm != nil {
		entries = append(entries[:len(entries):len(entries)], alarmEntry(w.Alarm))
	}
	if len(entries) > 0 {
		args := make([]string, len(entries))
		for i, e := range entries {
			b, err := json.Marshal(e)
			if err != nil {
				return "", fmt.Errorf("encoding timeline entry: %w", err)
			}
			args[i] = string(b)
		}
		tx.Ops = append(tx.Ops, Op{Cmd: "RPUSH", Key: x.s.Key("incident", inc.ID, "timeline"), Args: args})
		tx.Audit = auditOf(inc.ID, entries)
	}
	tx.Events = []Event{{Stream: vocab.ScreenStream, Type: w.Event, Data: summary}}
	if !inc.Drill {
		tx.Ops = append(tx.Ops, x.incidentCounts(w)...)
	}
	for _, e := range w.Extra {
		data, _ := json.Marshal(e.Data)
		tx.Events = append(tx.Events, Event{Stream: vocab.ScreenStream, Type: e.Type, Data: data})
		if strings.HasPrefix(e.Type, "deadline.") {
			// Leaders watch reporting deadlines too (the leader page's countdowns).
			tx.Events = append(tx.Events, Event{Stream: vocab.LeaderStream, Type: e.Type, Data: data})
		}
	}
	if w.Alarm != nil {
		ops, ev := x.s.Raise(w.Alarm)
		tx.Ops = append(tx.Ops, ops...)
		tx.Events = append(tx.Events, ev)
	}
	for m, due := range w.AddTimers {
		tx.Ops = append(tx.Ops, x.s.AddTimer(m, due))
	}
	for _, m := range w.DelTimers {
		tx.Ops = append(tx.Ops, x.s.RemoveTimer(m))
	}
	tx.Jobs = w.Jobs
	res, err := x.s.Commit(ctx, tx)
	if err != nil {
		return "", err
	}
	for i, id := range res.JobIDs {
		w.Jobs[i].ID = id
	}
	return res.Duplicate, nil
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

// incidentCounts are the day's counters a change of an incident adds: a new
// incident by category, level, grid, source, hour and level per hour; a
// closing.
func (x *Incidents) incidentCounts(w *incident.Write) []Op {
	inc := w.Incident
	if w.Prev == nil {
		local := inc.CreatedAt.In(x.s.loc)
		fields := []string{"inc", "inc:cat:" + inc.Category, "inc:lvl:" + inc.Level.String(), "inc:src:" + inc.Source,
			"inc:hour:" + strconv.Itoa(local.Hour()), "inc:how:" + strconv.Itoa(int(local.Weekday())) + ":" + strconv.Itoa(local.Hour()),
			"inc:hlvl:" + inc.Level.String() + ":" + strconv.Itoa(local.Hour())}
		for _, c := range inc.Grid.Codes() {
			fields = append(fields, "inc:grid:"+c)
		}
		return x.s.count(inc.CreatedAt, fields...)
	}
	if inc.Status == incident.StatusClosed && w.Prev.Status != incident.StatusClosed {
		return x.s.count(inc.UpdatedAt, "inc:closed")
	}
	return nil
}

// alarmEntry is the timeline entry of an alarm raised with a change.
func alarmEntry(a *alarm.Alarm) incident.Entry {
	d := map[string]any{"alarm_id": a.ID, "kind": a.Kind}
	if a.DispatchID != "" {
		d["dispatch_id"], d["unit_id"] = a.DispatchID, a.UnitID
	}
	if a.Detail != "" {
		d["detail"] = a.Detail
	}
	return incident.Entry{At: a.RaisedAt, Type: "alarm.raised", By: "system", Role: vocab.System, Detail: d}
}
