package views

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store"
)

// listScript is one step of a list: the ids and docs of at most ARGV[2] of
// the members of every filter set KEYS[2..] changed since ARGV[1] (ms),
// newest first, walking KEYS[1] from rank ARGV[4] over at most ARGV[5]
// members. It returns whether the walk is done, the rank to go on from,
// the newest score, how many it found, their ids, their scores, then their
// docs.
var listScript = redis.NewScript(`
-- Most lists (those open, a recent window) fill within a few hundred of
-- the newest. A walk that does not stops after ARGV[5] members and the
-- caller calls again from the rank where it stopped, so Redis is never
-- held for more than one step. A first step (ARGV[6]) that finds too few
-- intersects the filters in C instead when the smallest filter set holds
-- no more than ARGV[7]: its cost is bounded by that set.
local since, limit, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local from, step, least = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[7])
local ids, done = {}, false
if #KEYS == 1 then
  ids, done = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', since, 'LIMIT', 0, limit), true
else
  -- The smallest set first: later sets are asked only of its members.
  local sets = {}
  for k = 2, #KEYS do sets[k - 1] = {KEYS[k], redis.call('SCARD', KEYS[k])} end
  table.sort(sets, function(a, b) return a[2] < b[2] end)
  -- Members changed since are the ranks below last; new changes put
  -- members before the cursor, so a step may see one again, and skips one
  -- only when a change is stamped before the member's last (a clock that
  -- stepped back).
  local last = redis.call('ZCOUNT', KEYS[1], since, '+inf')
  local stop = math.min(last, from + step)
  while #ids < limit and from < stop do
    local members = redis.call('ZREVRANGE', KEYS[1], from, math.min(from + 500, stop) - 1)
    if #members == 0 then from = last break end
    local at = {}
    for i = 1, #members do at[i] = i end
    for k = 1, #sets do
      if #at == 0 then break end
      local ask = {}
      for j, i in ipairs(at) do ask[j] = members[i] end
      local in_set = redis.call('SMISMEMBER', sets[k][1], unpack(ask))
      local keep = {}
      for j, i in ipairs(at) do if in_set[j] == 1 then keep[#keep + 1] = i end end
      at = keep
    end
    local walked = #members
    for _, i in ipairs(at) do
      ids[#ids + 1] = members[i]
      if #ids == limit then walked = i break end
    end
    from = from + walked
  end
  done = from >= last
  if ARGV[6] == '1' and not done and #ids < limit and sets[1][2] <= least then
    ids = {}
    local args = {'ZINTER', #KEYS}
    for i = 1, #KEYS do args[#args + 1] = KEYS[i] end
    args[#args + 1] = 'WEIGHTS'
    args[#args + 1] = 1
    for i = 2, #KEYS do args[#args + 1] = 0 end
    args[#args + 1] = 'WITHSCORES'
    local r = redis.call(unpack(args))
    local i = #r - 1
    while i >= 1 and #ids < limit and tonumber(r[i + 1]) >= since do
      ids[#ids + 1] = r[i]
      i = i - 2
    end
    done = true
  end
end
-- The newest score, where the walk's last step starts from: read once.
local top = ARGV[6] == '1' and redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or '0'
local out = {done and 1 or 0, from, top, #ids}
local n = #ids
-- A first step that is the whole list needs no scores (the common case).
local scored = not (ARGV[6] == '1' and (done or n >= limit))
for i, id in ipairs(ids) do
  out[4 + i] = id
  out[4 + n + i] = scored and redis.call('ZSCORE', KEYS[1], id) or '0'
  out[4 + 2 * n + i] = redis.call('HGET', prefix .. id, 'doc') or ''
end
return out
`)

// walk is how a filtered list walks its index: step members a step (about
// a millisecond of Redis), or, when a first step found too few, at once by
// intersecting the filters if the smallest holds at most intersect.
type walk struct {
	step, intersect int
	// between, when set, runs before each step after the first.
	between func()
}

var defaultWalk = walk{step: 2000, intersect: 4000}

// catchUp is how far before the newest change a walk saw its last step
// looks for those changed meanwhile: changes are stamped by their
// instance's clock before they are stored, so one stored during the walk
// may be stamped a little before one stored earlier.
const catchUp = 5 * time.Second

// docs returns the docs of the objects (kind:{id}) listed in the sets of
// set (set:updated, set:idx:{filter}) that were changed since since and
// belong to every filter given ("status:open"; an empty value after the
// colon does not filter), most recently changed first, at most limit: in
// steps, each one script call, so a rare filter never holds Redis long.
func (w walk) docs(ctx context.Context, s *store.Store, kind, set string, since time.Time, limit int, filters ...string) ([]string, error) {
	if err := s.Check("listing " + set); err != nil {
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
	var out []found
	var seen map[string]int // each match's place in out, from the second step: ranks move as incidents change
	var newest int64
	for from, first := int64(0), true; ; first = false {
		st, err := w.step1(ctx, s, keys, ms, limit-len(out), kind, set, from, first)
		if err != nil {
			return nil, err
		}
		if first {
			if st.done || len(st.ids) >= limit {
				return st.docs, nil
			}
			newest, seen = st.newest, make(map[string]int, limit)
		}
		out = st.add(out, seen)
		if st.done || len(out) >= limit {
			break
		}
		from = st.next
		if w.between != nil {
			w.between()
		}
	}
	// Those changed while the walk ran were put before its cursor: steps
	// over the changes since its start find them, and each takes its place
	// by its score as changed (one the walk had found before it changed,
	// too, with its doc as changed). A change's time is its instance's
	// clock, read before it was stored, so the steps start catchUp before
	// the newest the walk saw; they go on until they reach it, or until
	// they placed limit matches (any further one is older than those). At
	// 400 changes a second, catchUp alone holds a step's worth.
	caught := make(map[string]bool)
	for from := int64(0); ; {
		st, err := w.step1(ctx, s, keys, max(ms, newest-catchUp.Milliseconds()), limit-len(caught), kind, set, from, false)
		if err != nil {
			return nil, err
		}
		out = st.renew(out, seen, caught)
		if st.done || len(caught) >= limit {
			break
		}
		from = st.next
		if w.between != nil {
			w.between()
		}
	}
	slices.SortStableFunc(out, func(a, b found) int {
		if c := cmp.Compare(b.at, a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	docs := make([]string, 0, min(limit, len(out)))
	for _, f := range out[:min(limit, len(out))] {
		docs = append(docs, f.doc)
	}
	return docs, nil
}

// found is a match of a walk: its id, its score when walked and its doc.
type found struct {
	id, doc string
	at      float64
}

// stepped is a step's answer.
type stepped struct {
	done      bool
	next      int64
	newest    int64 // the newest score of the index
	ids, docs []string
	at        []float64 // the ids' scores
}

// step1 runs one step of a list walk from rank from (the walk's first
// step may intersect the filters instead).
func (w walk) step1(ctx context.Context, s *store.Store, keys []string, since int64, limit int, kind, set string, from int64, first bool) (stepped, error) {
	res, err := listScript.Run(ctx, s.Client(), keys, since, limit, s.Key(kind, ""), from, w.step, first, w.intersect).Slice()
	if err != nil {
		return stepped{}, s.Wrap("listing "+set, err)
	}
	st, ok := readStep(res)
	if !ok {
		return stepped{}, fmt.Errorf("listing %s: a step answered %d values, not its cursor and finds", set, len(res))
	}
	return st, nil
}

// add appends to out the docs of the step's ids not seen yet.
func (st stepped) add(out []found, seen map[string]int) []found {
	for i, id := range st.ids {
		if _, ok := seen[id]; !ok {
			seen[id] = len(out)
			out = append(out, found{id: id, doc: st.docs[i], at: st.at[i]})
		}
	}
	return out
}

// renew is add for a catch-up step: a match seen before takes its newer
// score and doc; every id is marked caught.
func (st stepped) renew(out []found, seen map[string]int, caught map[string]bool) []found {
	for i, id := range st.ids {
		caught[id] = true
		if j, ok := seen[id]; ok {
			if st.at[i] > out[j].at {
				out[j].doc, out[j].at = st.docs[i], st.at[i]
			}
			continue
		}
		seen[id] = len(out)
		out = append(out, found{id: id, doc: st.docs[i], at: st.at[i]})
	}
	return out
}

// readStep reads a step's answer.
func readStep(res []any) (stepped, bool) {
	if len(res) < 4 {
		return stepped{}, false
	}
	d, ok1 := res[0].(int64)
	next, ok2 := res[1].(int64)
	top, ok3 := res[2].(string)
	count, ok4 := res[3].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || count < 0 || int64(len(res)) != 4+3*count {
		return stepped{}, false
	}
	newest, err := strconv.ParseFloat(top, 64)
	if err != nil {
		return stepped{}, false
	}
	n := int(count)
	st := stepped{done: d == 1, next: next, newest: int64(newest), ids: make([]string, n), docs: make([]string, n), at: make([]float64, n)}
	for i := range n {
		st.ids[i], _ = res[4+i].(string)
		at, _ := res[4+n+i].(string)
		st.at[i], _ = strconv.ParseFloat(at, 64)
		st.docs[i], _ = res[4+2*n+i].(string)
	}
	return st, true
}
