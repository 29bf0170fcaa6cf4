package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/auth"
	"watchfloor/command/store"
)

// Sessions stores login sessions as session:{sha256 of token} → JSON, with
// a TTL that slides with use.
type Sessions struct{ s *store.Store }

// NewSessions returns the session storage of s.
func NewSessions(s *store.Store) *Sessions { return &Sessions{s: s} }

var _ auth.SessionStore = (*Sessions)(nil)

// PutSession implements auth.SessionStore.
func (x *Sessions) PutSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	b, err := x.encode(sess)
	if err != nil {
		return err
	}
	keys := []string{x.s.Key("session", hash), x.s.Key("sessions", "of", sess.Username)}
	err = putSessionScript.Run(ctx, x.s.Client(), keys, b, ttl.Milliseconds(), hash, x.s.Key("session", "")).Err()
	return x.s.Wrap("storing session", err)
}

// putSessionScript stores a session (KEYS[1]) and adds its hash to its
// account's set (KEYS[2]), so that disabling the account can end them all;
// a few members whose session is gone (ARGV[4] is the sessions' key
// prefix) are dropped as it goes, which keeps the set near the live ones.
// ARGV: the session, its TTL in ms, its hash, the prefix.
var putSessionScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for _, h in ipairs(redis.call('SRANDMEMBER', KEYS[2], 4)) do
  if redis.call('EXISTS', ARGV[4] .. h) == 0 then redis.call('SREM', KEYS[2], h) end
end
redis.call('SADD', KEYS[2], ARGV[3])
return 1
`)

// encode is sess as stored, once the store is known to be up.
func (x *Sessions) encode(sess auth.Session) ([]byte, error) {
	if err := x.s.Check("storing session"); err != nil {
		return nil, err
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return nil, fmt.Errorf("encoding session: %w", err)
	}
	return b, nil
}

// ReplaceSession implements auth.SessionStore: SET … XX writes only over
// a session that still exists.
func (x *Sessions) ReplaceSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	b, err := x.encode(sess)
	if err != nil {
		return err
	}
	err = x.s.Client().SetArgs(ctx, x.s.Key("session", hash), b, redis.SetArgs{Mode: "XX", TTL: ttl}).Err()
	if errors.Is(err, redis.Nil) {
		return auth.ErrUnauthenticated
	}
	return x.s.Wrap("storing session", err)
}

// EndSessions implements auth.SessionStore: every session of the account
// (sessions:of:{username}) is deleted and its hash published on the
// revoked channel, as DeleteSession does for one.
func (x *Sessions) EndSessions(ctx context.Context, username string) error {
	return x.EndOtherSessions(ctx, username, "")
}

// EndOtherSessions implements auth.SessionStore.
func (x *Sessions) EndOtherSessions(ctx context.Context, username, keep string) error {
	set := x.s.Key("sessions", "of", username)
	hashes, err := x.s.Client().SMembers(ctx, set).Result()
	if err != nil {
		return x.s.Wrap("ending sessions", err)
	}
	hashes = slices.DeleteFunc(hashes, func(h string) bool { return h == keep })
	if len(hashes) == 0 {
		return nil
	}
	_, err = x.s.Client().TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hashes {
			p.Del(ctx, x.s.Key("session", h))
			p.Publish(ctx, x.s.Key("revoked"), h)
		}
		p.SRem(ctx, set, toAny(hashes)...)
		return nil
	})
	return x.s.Wrap("ending sessions", err)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TouchSession implements auth.SessionStore: one round trip reads the
// session and extends its TTL.
func (x *Sessions) TouchSession(ctx context.Context, hash string, ttl time.Duration) (auth.Session, error) {
	if err := x.s.Check("reading session"); err != nil {
		return auth.Session{}, err
	}
	b, err := x.s.Client().GetEx(ctx, x.s.Key("session", hash), ttl).Bytes()
	if errors.Is(err, redis.Nil) {
		return auth.Session{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return auth.Session{}, x.s.Wrap("reading session", err)
	}
	var sess auth.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return auth.Session{}, fmt.Errorf("decoding session: %w", err)
	}
	return sess, nil
}

// DeleteSession implements auth.SessionStore: the session goes and its
// hash is published on the revoked channel in one step, so every instance
// closes its websockets at once.
func (x *Sessions) DeleteSession(ctx context.Context, hash string) error {
	_, err := x.s.Client().TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, x.s.Key("session", hash))
		p.Publish(ctx, x.s.Key("revoked"), hash)
		return nil
	})
	return x.s.Wrap("deleting session", err)
}

// Revocations calls fn with the token hash of every session deleted on any
// instance, until ctx ends, and up (when set) each time it subscribed.
// Pub/sub drops what is published while the connection is down: sockets
// also check their session now and then, and the session cache starts
// afresh at each up.
func (x *Sessions) Revocations(ctx context.Context, fn func(hash string), up func()) error {
	return x.s.Subscribe(ctx, "revoked", 1024, fn, up)
}

// PutTicket implements auth.SessionStore.
func (x *Sessions) PutTicket(ctx context.Context, ticketHash, tokenHash string, ttl time.Duration) error {
	if err := x.s.Check("storing a ticket"); err != nil {
		return err
	}
	return x.s.Wrap("storing a ticket", x.s.Client().Set(ctx, x.s.Key("ticket", ticketHash), tokenHash, ttl).Err())
}

// TakeTicket implements auth.SessionStore: GETDEL makes a ticket single-use
// even when two instances race for it.
func (x *Sessions) TakeTicket(ctx context.Context, ticketHash string) (string, error) {
	if err := x.s.Check("reading a ticket"); err != nil {
		return "", err
	}
	v, err := x.s.Client().GetDel(ctx, x.s.Key("ticket", ticketHash)).Result()
	if errors.Is(err, redis.Nil) {
		return "", auth.ErrUnauthenticated
	}
	return v, x.s.Wrap("reading a ticket", err)
}

// attemptScript counts a login attempt under every counter (a hash: n, the
// attempts; until, the time in ms before which attempts are refused),
// unless one of them refuses it now. KEYS are the counters; ARGV: now ms,
// window ms, base delay ms, delay cap ms, then each counter's max (0: no
// delays). It returns {1, next delay ms, count…} or {0, wait ms}.
var attemptScript = redis.NewScript(`
local now, window, base, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
for i = 1, #KEYS do
  local u = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if u - now > wait then wait = u - now end
end
if wait > 0 then return {0, wait} end
local out = {1, 0}
for i = 1, #KEYS do
  local max = tonumber(ARGV[4 + i])
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local ttl = window
  if max > 0 and n >= max then
    local d = math.min(base * math.pow(2, math.min(n - max, 40)), cap)
    redis.call('HSET', KEYS[i], 'until', tostring(math.floor(now + d)))
    if d > out[2] then out[2] = d end
    ttl = window + d
  end
  redis.call('PEXPIRE', KEYS[i], ttl)
  out[#out + 1] = n
end
return out
`)

// Attempt implements auth.SessionStore.
func (x *Sessions) Attempt(ctx context.Context, now time.Time, d auth.Delays, counters ...auth.Counter) (auth.Attempt, error) {
	if err := x.s.Check("counting a login"); err != nil {
		return auth.Attempt{}, err
	}
	keys := make([]string, len(counters))
	args := []any{now.UnixMilli(), d.Window.Milliseconds(), d.Base.Milliseconds(), d.Cap.Milliseconds()}
	for i, c := range counters {
		keys[i] = x.s.Key("login", "fail", c.Key)
		args = append(args, c.Max)
	}
	res, err := attemptScript.Run(ctx, x.s.Client(), keys, args...).Int64Slice()
	if err != nil {
		return auth.Attempt{}, x.s.Wrap("counting a login", err)
	}
	if len(res) < 2 {
		return auth.Attempt{}, fmt.Errorf("counting a login: unexpected answer %v", res)
	}
	if res[0] == 0 {
		return auth.Attempt{Wait: time.Duration(res[1]) * time.Millisecond}, nil
	}
	out := auth.Attempt{Next: time.Duration(res[1]) * time.Millisecond}
	for _, n := range res[2:] {
		out.Counts = append(out.Counts, int(n))
	}
	return out, nil
}

// succeededScript forgets KEYS[1] and takes one attempt back from the
// other counters that still exist; a counter back below its max (ARGV, one
// per key) stops delaying (its limit was reached by attempts in flight
// that succeeded, not by failures).
var succeededScript = redis.NewScript(`
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local n = redis.call('HINCRBY', KEYS[i], 'n', -1)
    local max = tonumber(ARGV[i])
    if max > 0 and n < max then redis.call('HDEL', KEYS[i], 'until') end
  end
end
return 1
`)

// Succeeded implements auth.SessionStore.
func (x *Sessions) Succeeded(ctx context.Context, counters ...auth.Counter) error {
	keys := make([]string, len(counters))
	args := make([]any, len(counters))
	for i, c := range counters {
		keys[i], args[i] = x.s.Key("login", "fail", c.Key), c.Max
	}
	return x.s.Wrap("clearing login failures", succeededScript.Run(ctx, x.s.Client(), keys, args...).Err())
}
