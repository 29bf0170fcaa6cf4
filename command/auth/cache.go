package auth

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// SessionCache is a SessionStore that answers TouchSession from memory for
// a session this instance read from the store in the last fresh, so that a
// client's stream of requests costs one round trip to Redis per fresh, not
// one each (under ingest load that round trip was most of a request's wait).
//
// A session ended anywhere leaves the cache at once: this instance's own
// ends evict it before and after they are stored, other instances' arrive
// through the revocations that Follow subscribes to. Nothing is cached
// while that subscription is not up, and everything is dropped each time it
// comes up again; a revocation lost to a break go-redis had not yet noticed
// is honoured at most fresh late. A session that must change its password
// is never cached, so that the change shows on every instance at once.
type SessionCache struct {
	SessionStore
	fresh time.Duration
	now   func() time.Time

	mu sync.Mutex
	// live is set while the revocations subscription is up.
	live bool
	// epoch counts evictions: a session read from the store is kept only
	// if none happened during the read (it may be the state before an end).
	epoch   uint64
	entries map[string]cachedSession
	// sweepAt is the size at which stale entries are next swept out.
	sweepAt int
	// cached and read count the touches answered from memory and from the
	// store (metrics).
	cached, read atomic.Int64
}

type cachedSession struct {
	sess Session
	at   time.Time // when the store was touched
}

// minSweep is the fewest entries at which stale ones are swept out.
const minSweep = 1024

// NewSessionCache caches the sessions of st for fresh (0: never, every
// call goes to st), by the clock now.
func NewSessionCache(st SessionStore, fresh time.Duration, now func() time.Time) *SessionCache {
	if now == nil {
		now = time.Now
	}
	return &SessionCache{SessionStore: st, fresh: fresh, now: now, entries: map[string]cachedSession{}, sweepAt: minSweep}
}

// TouchSession implements SessionStore: a session touched less than fresh
// ago is returned as it was, and its expiry left as that touch set it,
// whatever ttl (the caller checks the session's maximum age on each use).
func (c *SessionCache) TouchSession(ctx context.Context, hash string, ttl time.Duration) (Session, error) {
	if c.fresh <= 0 {
		c.read.Add(1)
		return c.SessionStore.TouchSession(ctx, hash, ttl)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[hash]
	if ok && now.Sub(e.at) < c.fresh && !now.Before(e.at) {
		c.mu.Unlock()
		c.cached.Add(1)
		return e.sess, nil
	}
	epoch := c.epoch
	c.mu.Unlock()
	c.read.Add(1)
	sess, err := c.SessionStore.TouchSession(ctx, hash, ttl)
	if err != nil {
		c.evict(func(h string, _ Session) bool { return h == hash })
		return sess, err
	}
	if sess.MustChangePassword {
		return sess, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.epoch == epoch {
		c.entries[hash] = cachedSession{sess: sess, at: now}
		c.sweep(now)
	}
	return sess, nil
}

// Lookups are the sessions touched so far from memory and from the store.
func (c *SessionCache) Lookups() (cached, read int64) { return c.cached.Load(), c.read.Load() }

// sweep drops stale entries once the cache has grown to sweepAt (c.mu
// held), so that sessions no longer used do not stay in memory.
func (c *SessionCache) sweep(now time.Time) {
	if len(c.entries) < c.sweepAt {
		return
	}
	for h, e := range c.entries {
		if now.Sub(e.at) >= c.fresh || now.Before(e.at) {
			delete(c.entries, h)
		}
	}
	c.sweepAt = max(minSweep, 2*len(c.entries))
}

// evict drops the entries that match and makes reads in flight not keep
// what they read.
func (c *SessionCache) evict(match func(hash string, s Session) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for h, e := range c.entries {
		if match(h, e.sess) {
			delete(c.entries, h)
		}
	}
}

// ending evicts what match selects around change, a write that ends or
// changes sessions: a read that raced the write is not kept either.
func (c *SessionCache) ending(match func(hash string, s Session) bool, change func() error) error {
	c.evict(match)
	err := change()
	c.evict(match)
	return err
}

func byHash(hash string) func(string, Session) bool {
	return func(h string, _ Session) bool { return h == hash }
}

// DeleteSession implements SessionStore.
func (c *SessionCache) DeleteSession(ctx context.Context, hash string) error {
	return c.ending(byHash(hash), func() error { return c.SessionStore.DeleteSession(ctx, hash) })
}

// ReplaceSession implements SessionStore.
func (c *SessionCache) ReplaceSession(ctx context.Context, hash string, s Session, ttl time.Duration) error {
	return c.ending(byHash(hash), func() error { return c.SessionStore.ReplaceSession(ctx, hash, s, ttl) })
}

// EndSessions implements SessionStore.
func (c *SessionCache) EndSessions(ctx context.Context, username string) error {
	return c.ending(func(_ string, s Session) bool { return s.Username == username },
		func() error { return c.SessionStore.EndSessions(ctx, username) })
}

// EndOtherSessions implements SessionStore.
func (c *SessionCache) EndOtherSessions(ctx context.Context, username, keep string) error {
	return c.ending(func(h string, s Session) bool { return s.Username == username && h != keep },
		func() error { return c.SessionStore.EndOtherSessions(ctx, username, keep) })
}

// Follow keeps the cache in step with the sessions ended on every
// instance, as follow reports them, and then tells then (which closes
// their websockets) of each, until ctx ends; a broken subscription is
// retried. follow calls up each time it has subscribed.
func (c *SessionCache) Follow(ctx context.Context, follow func(ctx context.Context, fn func(hash string), up func()) error, then func(hash string), log *slog.Logger) error {
	revoked := func(hash string) {
		c.evict(byHash(hash))
		then(hash)
	}
	for ctx.Err() == nil {
		err := follow(ctx, revoked, func() { c.setLive(true) })
		c.setLive(false)
		if err != nil && ctx.Err() == nil {
			log.Warn("following session revocations failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return nil
}

// setLive empties the cache and sets whether it may fill: what was ended
// while the subscription was down was not heard.
func (c *SessionCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
	c.live = live
}
