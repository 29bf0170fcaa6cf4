// Package memsession keeps login sessions, one-time websocket tickets and
// login counters in memory (auth.SessionStore), with the Redis store's
// semantics: each expires on an injected clock as its key would, and every
// follower hears of each session deleted. It is the memory store's twin of
// the sessions, held to the Redis one by the contract suite.
package memsession

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
)

// Sessions keeps login sessions, one-time tickets and login counters.
type Sessions struct {
	clock timer.Clock

	mu       sync.Mutex
	sessions map[string]expiring[[]byte]
	tickets  map[string]expiring[string]
	counters map[string]expiring[*loginCount]
	revoked  *memstore.Fanout[string]
}

// expiring is a value with the time it expires.
type expiring[T any] struct {
	v     T
	until time.Time
}

// loginCount is one counter of login attempts: n attempts; refuse, in
// unix ms, is when attempts are let through again.
type loginCount struct {
	n      int64
	refuse int64
}

var _ auth.SessionStore = (*Sessions)(nil)

// New returns empty session storage on clock (the system clock when nil).
func New(clock timer.Clock) *Sessions {
	if clock == nil {
		clock = timer.SystemClock{}
	}
	return &Sessions{clock: clock, sessions: map[string]expiring[[]byte]{}, tickets: map[string]expiring[string]{},
		counters: map[string]expiring[*loginCount]{}, revoked: memstore.NewFanout[string](1024)}
}

// get returns the live value of key in m and drops an expired one.
func get[T any](m map[string]expiring[T], key string, now time.Time) (expiring[T], bool) {
	e, ok := m[key]
	if ok && !now.Before(e.until) {
		delete(m, key)
		return e, false
	}
	return e, ok
}

// PutSession implements auth.SessionStore.
func (x *Sessions) PutSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	return x.put(hash, sess, ttl, false)
}

// put stores sess under hash for ttl; onlyLive refuses
// (auth.ErrUnauthenticated) when no live session is there.
func (x *Sessions) put(hash string, sess auth.Session, ttl time.Duration, onlyLive bool) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encoding session: %w", err)
	}
	now := x.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := get(x.sessions, hash, now); onlyLive && !ok {
		return auth.ErrUnauthenticated
	}
	x.sessions[hash] = expiring[[]byte]{b, now.Add(ttl)}
	return nil
}

// TouchSession implements auth.SessionStore.
func (x *Sessions) TouchSession(ctx context.Context, hash string, ttl time.Duration) (auth.Session, error) {
	now := x.clock.Now()
	x.mu.Lock()
	e, ok := get(x.sessions, hash, now)
	if ok {
		x.sessions[hash] = expiring[[]byte]{e.v, now.Add(ttl)}
	}
	x.mu.Unlock()
	if !ok {
		return auth.Session{}, auth.ErrUnauthenticated
	}
	var sess auth.Session
	if err := json.Unmarshal(e.v, &sess); err != nil {
		return auth.Session{}, fmt.Errorf("decoding session: %w", err)
	}
	return sess, nil
}

// DeleteSession implements auth.SessionStore.
func (x *Sessions) DeleteSession(ctx context.Context, hash string) error {
	x.mu.Lock()
	delete(x.sessions, hash)
	x.mu.Unlock()
	x.revoked.Publish(hash)
	return nil
}

// ReplaceSession implements auth.SessionStore: only a live session is
// written over.
func (x *Sessions) ReplaceSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	return x.put(hash, sess, ttl, true)
}

// EndSessions implements auth.SessionStore: every session of username goes
// and every follower hears of each.
func (x *Sessions) EndSessions(ctx context.Context, username string) error {
	return x.EndOtherSessions(ctx, username, "")
}

// EndOtherSessions implements auth.SessionStore.
func (x *Sessions) EndOtherSessions(ctx context.Context, username, keep string) error {
	var ended []string
	x.mu.Lock()
	for h, e := range x.sessions {
		var sess auth.Session
		if h != keep && json.Unmarshal(e.v, &sess) == nil && sess.Username == username {
			delete(x.sessions, h)
			ended = append(ended, h)
		}
	}
	x.mu.Unlock()
	for _, h := range ended {
		x.revoked.Publish(h)
	}
	return nil
}

// Revocations calls fn with the token hash of every session deleted from
// the call on, until ctx ends, and up (when set) once it follows them.
func (x *Sessions) Revocations(ctx context.Context, fn func(hash string), up func()) error {
	return x.revoked.Follow(ctx, fn, up)
}

// PutTicket implements auth.SessionStore.
func (x *Sessions) PutTicket(ctx context.Context, ticketHash, tokenHash string, ttl time.Duration) error {
	now := x.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tickets[ticketHash] = expiring[string]{tokenHash, now.Add(ttl)}
	return nil
}

// TakeTicket implements auth.SessionStore.
func (x *Sessions) TakeTicket(ctx context.Context, ticketHash string) (string, error) {
	now := x.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := get(x.tickets, ticketHash, now)
	if !ok {
		return "", auth.ErrUnauthenticated
	}
	delete(x.tickets, ticketHash)
	return e.v, nil
}

// Attempt implements auth.SessionStore as the Redis script does: refused
// while a counter delays attempts; otherwise counted under each counter,
// and a counter at its max delays the next attempt, doubling up to Cap.
func (x *Sessions) Attempt(ctx context.Context, now time.Time, d auth.Delays, counters ...auth.Counter) (auth.Attempt, error) {
	clock := x.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	var wait int64
	for _, c := range counters {
		if e, ok := get(x.counters, c.Key, clock); ok {
			wait = max(wait, e.v.refuse-now.UnixMilli())
		}
	}
	if wait > 0 {
		return auth.Attempt{Wait: time.Duration(wait) * time.Millisecond}, nil
	}
	var out auth.Attempt
	for _, c := range counters {
		e, ok := get(x.counters, c.Key, clock)
		if !ok {
			e.v = &loginCount{}
		}
		e.v.n++
		ttl := d.Window
		if c.Max > 0 && e.v.n >= int64(c.Max) {
			base, limit := float64(d.Base.Milliseconds()), float64(d.Cap.Milliseconds())
			delay := time.Duration(math.Min(base*math.Pow(2, math.Min(float64(e.v.n)-float64(c.Max), 40)), limit)) * time.Millisecond
			e.v.refuse = now.Add(delay).UnixMilli()
			out.Next = max(out.Next, delay)
			ttl += delay
		}
		x.counters[c.Key] = expiring[*loginCount]{e.v, clock.Add(ttl)}
		out.Counts = append(out.Counts, int(e.v.n))
	}
	return out, nil
}

// Succeeded implements auth.SessionStore: the first counter is forgotten;
// the others still kept take the attempt back and stop delaying below
// their max.
func (x *Sessions) Succeeded(ctx context.Context, counters ...auth.Counter) error {
	clock := x.clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, c := range counters {
		if i == 0 {
			delete(x.counters, c.Key)
			continue
		}
		if e, ok := get(x.counters, c.Key, clock); ok {
			e.v.n--
			if c.Max > 0 && e.v.n < int64(c.Max) {
				e.v.refuse = 0
			}
		}
	}
	return nil
}
