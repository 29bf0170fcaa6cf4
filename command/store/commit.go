package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/change"
	"watchfloor/command/job"
)

// Tx is one atomic change of state: optional idempotency and version
// guards, the writes, and the events they cause. Commit runs it as one Lua
// script, so a write and its event never part and seq is assigned in Redis.
type Tx struct {
	// Idem, when set, makes the change happen once per key: a repeat finds
	// the value stored by the first and changes nothing.
	Idem *Idem
	// Guards require hash fields to hold one of their allowed values
	// (optimistic concurrency between instances); "" stands for absent.
	Guards []Guard
	Ops    []Op
	// Events are appended to their streams after the writes.
	Events []Event
	// Audit records are appended to the audit trail with the change.
	Audit [][]byte
	// Jobs are follow-ups recorded with the change on the jobs stream, so
	// that they are carried out even when this instance dies next.
	Jobs []job.Job
	At   time.Time
	// Parts are the shared parts the change writes (among Ops), cached once
	// it is committed.
	Parts []change.Part
}

// Idem is an idempotency record: Key (a full key) is set to Value for TTL.
type Idem struct {
	Key   string
	Value string
	TTL   time.Duration
}

// Guard requires HGET Key Field to be one of Allowed ("" for absent).
type Guard struct {
	Key, Field string
	Allowed    []string
}

// Op is one Redis write command on one key (HSET, SADD, SREM, ZADD, RPUSH,
// SET, DEL, PEXPIRE…); Args follow the key.
type Op struct {
	Cmd  string
	Key  string
	Args []string
}

// Event is appended to Stream with the next seq; Data is its JSON payload.
// Notify also publishes it on the notify channel, for streams that
// instances do not tail (one per unit). Area, when set, is the grid code
// that limits who may see the event; it goes into the envelope's header
// (after type) so sockets can route it without decoding data.
type Event struct {
	Stream string
	Type   string
	Data   []byte
	Notify bool
	Area   string
}

// Result is what Commit did.
type Result struct {
	// Duplicate holds the first Value stored under Idem.Key when this
	// commit was a repeat and changed nothing.
	Duplicate string
	// Conflict is the index of the guard that failed (then nothing changed).
	Conflict int
	// Seqs are the seqs given to Events, in order.
	Seqs []uint64
	// JobIDs are the stream ids given to Jobs, in order.
	JobIDs []string
}

// JobsKey is the key of the jobs stream, where commits record follow-ups.
func (s *Store) JobsKey() string { return s.Key("jobs") }

// The script reads its program from ARGV and the keys it touches from KEYS,
// so it works unchanged on Redis Cluster as long as every key shares the
// deployment's hash tag.
const commitSource = `
local A, K, call = ARGV, KEYS, redis.call
local a, k = 2, 1
local idemKey, idemVal, idemTTL
if A[1] == '1' then
  idemKey, idemVal, idemTTL = K[1], A[2], A[3]; a, k = 4, 2
  local prev = call('GET', idemKey)
  if prev then return {'dup', prev} end
end
local nguards = tonumber(A[a]); a = a + 1
for g = 1, nguards do
  local field, n = A[a], tonumber(A[a + 1])
  local cur = call('HGET', K[k], field) or ''
  k, a = k + 1, a + 2
  local ok = false
  for i = a, a + n - 1 do if A[i] == cur then ok = true end end
  a = a + n
  if not ok then return {'conflict', g, cur} end
end
if idemKey then call('SET', idemKey, idemVal, 'PX', idemTTL) end
local nops = tonumber(A[a]); a = a + 1
local docs = {}
local counts = {}
for i = 1, nops do
  local cmd, n = A[a], tonumber(A[a + 1])
  a = a + 2
  if n > 1 and A[a] == 'doc' then docs[i] = A[a + 1] end
  local r = call(cmd, K[k], unpack(A, a, a + n - 1))
  k, a = k + 1, a + n
  if cmd == 'HINCRBY' then counts[i] = tostring(r) end
end
local function count(n) return counts[tonumber(n)] end
local at, maxlen, unitmax, notify, nev = A[a], A[a + 1], A[a + 2], A[a + 3], tonumber(A[a + 4])
a = a + 5
local out = {'ok'}
for i = 1, nev do
  local seqKey, streamKey = K[k], K[k + 1]
  local typ, head, data, name = A[a], A[a + 1], A[a + 2], A[a + 3]
  k, a = k + 2, a + 4
  -- "@n": the document op n wrote (JSON never starts with @), sent once
  if string.byte(data) == 64 then data = docs[tonumber(string.sub(data, 2))] end
  -- "#…": counted data, each \1n\1 the new value of the counter op n moved
  if string.byte(data) == 35 then data = string.gsub(string.sub(data, 2), '\1(%d+)\1', count) end
  local seq = call('INCR', seqKey)
  local msg = '{"seq":' .. seq .. ',"type":"' .. typ .. '"' .. head .. ',"at":"' .. at .. '","data":' .. data .. '}'
  -- a notified stream is a unit's own: its own, smaller cap
  local cap = maxlen
  if name ~= '' then cap = unitmax end
  call('XADD', streamKey, 'MAXLEN', '~', cap, seq .. '-0', 'm', msg)
  if name ~= '' then call('PUBLISH', notify, name .. '\n' .. seq .. '\n' .. msg) end
  out[#out + 1] = seq
end
local nau = tonumber(A[a]); a = a + 1
if nau > 0 then
  local auditKey = K[k]; k = k + 1
  for i = a, a + nau - 1 do call('XADD', auditKey, '*', 'r', A[i]) end
  a = a + nau
end
local njobs = tonumber(A[a]); a = a + 1
if njobs > 0 then
  local jobsKey = K[k]
  for i = 1, njobs do
    out[#out + 1] = call('XADD', jobsKey, '*', 'kind', A[a], 'key', A[a + 1], 'incident', A[a + 2], 'data', A[a + 3])
    a = a + 4
  end
end
return out
`

// commitScript names commitSource by its SHA-1 for EVALSHA; EVAL sends
// the source itself when Redis does not have it yet.
var commitScript = redis.NewScript(commitSource)

// Commit runs tx atomically.
func (s *Store) Commit(ctx context.Context, tx *Tx) (Result, error) {
	if err := s.Check("commit"); err != nil {
		return Result{}, err
	}
	cmd, err := s.program(tx)
	if err != nil {
		return Result{}, err
	}
	var res []any
	if s.wait > 0 {
		res, err = s.commitWait(ctx, cmd)
	} else {
		res, err = s.rdb.Do(ctx, cmd...).Slice()
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			cmd[0], cmd[1] = "eval", commitSource
			res, err = s.rdb.Do(ctx, cmd...).Slice()
		}
	}
	if err != nil {
		return Result{}, s.Wrap("commit", err)
	}
	switch res[0] {
	case "dup":
		return Result{Duplicate: res[1].(string)}, nil
	case "conflict":
		n, _ := res[1].(int64)
		return Result{Conflict: int(n) - 1}, fmt.Errorf("commit: guard %d: %w", n-1, ErrConflict)
	}
	for _, p := range tx.Parts {
		s.parts.put(p.Key, p.JSON)
	}
	out := Result{Seqs: make([]uint64, 0, len(res)-1)}
	for _, v := range res[1:] {
		switch v := v.(type) {
		case int64:
			out.Seqs = append(out.Seqs, uint64(v))
		case string:
			out.JobIDs = append(out.JobIDs, v)
		}
	}
	return out, nil
}

// program lays tx out as the script's EVALSHA command: the hash, the
// number of keys, KEYS and ARGV, in the order the script reads them. It is
// sized exactly once: a step of 50 tasks is about 1,100 arguments.
func (s *Store) program(tx *Tx) ([]any, error) {
	nkeys, nargs := 2*len(tx.Events)+len(tx.Guards)+len(tx.Ops), 1+1+1+5+4*len(tx.Events)+1+len(tx.Audit)+1+4*len(tx.Jobs)
	if tx.Idem != nil {
		nkeys, nargs = nkeys+1, nargs+2
	}
	for _, g := range tx.Guards {
		nargs += 2 + len(g.Allowed)
	}
	for _, op := range tx.Ops {
		nargs += 2 + len(op.Args)
	}
	if len(tx.Audit) > 0 {
		nkeys++
	}
	if len(tx.Jobs) > 0 {
		nkeys++
	}
	cmd := make([]any, 3+nkeys+nargs)
	cmd[0], cmd[1], cmd[2] = "evalsha", commitScript.Hash(), nkeys
	p := program{keys: cmd[3 : 3 : 3+nkeys], args: cmd[3+nkeys : 3+nkeys : len(cmd)]}
	var docs map[string]int // op number by the document it writes
	if tx.Idem != nil {
		p.key(tx.Idem.Key)
		p.arg("1", tx.Idem.Value, strconv.FormatInt(tx.Idem.TTL.Milliseconds(), 10))
	} else {
		p.arg("0")
	}
	p.arg(len(tx.Guards))
	for _, g := range tx.Guards {
		p.key(g.Key)
		p.arg(g.Field, len(g.Allowed))
		for _, a := range g.Allowed {
			p.arg(a)
		}
	}
	p.arg(len(tx.Ops))
	for i, op := range tx.Ops {
		if len(tx.Events) > 0 && op.Cmd == "HSET" && len(op.Args) > 1 && op.Args[0] == "doc" {
			if docs == nil {
				docs = make(map[string]int, len(tx.Events))
			}
			docs[op.Args[1]] = i + 1
		}
		p.key(op.Key)
		p.arg(op.Cmd, len(op.Args))
		for _, a := range op.Args {
			p.arg(a)
		}
	}
	s.programEvents(tx, docs, &p)
	p.arg(len(tx.Audit))
	if len(tx.Audit) > 0 {
		p.key(s.Key("audit"))
		for _, r := range tx.Audit {
			p.arg(r)
		}
	}
	p.arg(len(tx.Jobs))
	if len(tx.Jobs) > 0 {
		p.key(s.JobsKey())
		for _, j := range tx.Jobs {
			p.arg(j.Kind, j.Key, j.IncidentID, j.Data)
		}
	}
	if len(p.keys) != nkeys || len(p.args) != nargs {
		// A miscount would send keys as arguments: never run that.
		return nil, fmt.Errorf("commit: the program miscounted: %d keys and %d arguments, sized for %d and %d", len(p.keys), len(p.args), nkeys, nargs)
	}
	return cmd, nil
}

// program fills a command's KEYS and ARGV, each a window of one slice.
type program struct{ keys, args []any }

func (p *program) key(k string) { p.keys = append(p.keys, k) }
func (p *program) arg(a ...any) { p.args = append(p.args, a...) }

// programEvents lays out the events: their time, the stream caps (a
// notified stream, a unit's own, has its own), the notify channel, then
// each event's seq and stream keys and its parts; data that an op writes
// as a document goes as that op's number.
func (s *Store) programEvents(tx *Tx, docs map[string]int, p *program) {
	at := tx.At
	if at.IsZero() {
		at = time.Now()
	}
	p.arg(at.UTC().Format(time.RFC3339Nano), s.maxLen, s.unitMaxLen, s.Key("notify"), len(tx.Events))
	for _, ev := range tx.Events {
		p.key(s.Key("seq", ev.Stream))
		p.key(s.Key("stream", ev.Stream))
		name := ""
		if ev.Notify {
			name = ev.Stream
		}
		head := ""
		if ev.Area != "" {
			a, _ := json.Marshal(ev.Area)
			head = `,"area":` + string(a)
		}
		var data any = ev.Data
		if n, ok := docs[string(ev.Data)]; ok {
			data = "@" + strconv.Itoa(n)
		}
		p.arg(ev.Type, head, data, name)
	}
}

// ErrNotReplicated: the write reached the master but not enough replicas in
// time; it is not acknowledged (a failover now could lose it).
var ErrNotReplicated = fmt.Errorf("%w: not acknowledged by enough replicas", ErrUnavailable)

// commitWait runs the script and WAIT on one connection, in that order, so
// WAIT covers the script's writes. A pipeline cannot fall back from EVALSHA,
// so the script goes whole: cmd's head is rewritten to EVAL and the source.
func (s *Store) commitWait(ctx context.Context, cmd []any) ([]any, error) {
	cmd[0], cmd[1] = "eval", commitSource
	var eval *redis.Cmd
	var wait *redis.Cmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		eval = p.Do(ctx, cmd...)
		wait = p.Do(ctx, "WAIT", s.wait, s.waitT.Milliseconds())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	res, err := eval.Slice()
	if err != nil {
		return nil, err
	}
	if n, _ := wait.Int64(); res[0] == "ok" && n < int64(s.wait) {
		return nil, ErrNotReplicated
	}
	return res, nil
}
