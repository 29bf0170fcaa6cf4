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
// No answer is older than fresh, so a session ended anywhere is refused
// here at most fresh later, and sooner: this instance's own ends evict it
// before they return, other instances' when their revocation arrives
// (Follow). Each time the revocations are subscribed again the cache starts
// afresh, and before the first time it keeps nothing. A session that must
// change its password is never kept: ReplaceSession, which lifts that mark,
// is not announced to other instances.
//
// Every SessionStore method that ends or changes a session must be wrapped
// here; the others pass through.
type SessionCache struct {
	SessionStore
	fresh time.Duration
	now   func() time.Time

	mu sync.Mutex
	// live is set while Follow follows the revocations.
	live bool
	// epoch counts ends: a session read from the store is kept only if
	// none happened during the read (it may be the state before the end).
	epoch   uint64
	entries map[string]cachedSession
	// sweepAt is the size at which stale entries are next swept out.
	sweepAt int
	// hits and reads count the touches answered from memory and from the
	// store (metrics).
	hits, reads atomic.Int64
}

type cachedSession struct {
	sess Session
	// at is when the read began; expires is the expiry it set in the store.
	at, expires time.Time
}

// freshAt reports whether e may answer at now: read less than fresh before
// (a clock set back finds nothing fresh).
func (e cachedSession) freshAt(now time.Time, fresh time.Duration) bool {
	return now.Sub(e.at) < fresh && !now.Before(e.at)
}

// minSweep is the fewest entries at which stale ones are swept out.
const minSweep = 1024

// NewSessionCache caches the sessions of st for fresh (0: never, every
// call goes to st), by the clock now (nil: the system's).
func NewSessionCache(st SessionStore, fresh time.Duration, now func() time.Time) *SessionCache {
	if now == nil {
		now = time.Now
	}
	return &SessionCache{SessionStore: st, fresh: fresh, now: now, entries: map[string]cachedSession{}, sweepAt: minSweep}
}

// TouchSession implements SessionStore: a session read less than fresh ago
// is returned as it was, its expiry left as that read set it, unless ttl
// asks an earlier expiry (a session's last hours before its maximum age).
func (c *SessionCache) TouchSession(ctx context.Context, hash string, ttl time.Duration) (Session, error) {
	if c.fresh <= 0 {
		c.reads.Add(1)
		return c.SessionStore.TouchSession(ctx, hash, ttl)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[hash]
	if ok && e.freshAt(now, c.fresh) && !now.Add(ttl).Before(e.expires) {
		c.mu.Unlock()
		c.hits.Add(1)
		return e.sess, nil
	}
	epoch := c.epoch
	c.mu.Unlock()
	c.reads.Add(1)
	sess, err := c.SessionStore.TouchSession(ctx, hash, ttl)
	if err != nil || sess.MustChangePassword {
		if ok {
			c.mu.Lock()
			delete(c.entries, hash)
			c.mu.Unlock()
		}
		return sess, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.epoch == epoch {
		c.entries[hash] = cachedSession{sess: sess, at: now, expires: now.Add(ttl)}
		c.sweep(now)
	}
	return sess, nil
}

// Hits is how many touches were answered from memory.
func (c *SessionCache) Hits() int64 { return c.hits.Load() }

// Reads is how many touches went to the store.
func (c *SessionCache) Reads() int64 { return c.reads.Load() }

// sweep drops stale entries once the cache has grown to sweepAt (c.mu
// held), so that sessions no longer used do not stay in memory.
func (c *SessionCache) sweep(now time.Time) {
	if len(c.entries) < c.sweepAt {
		return
	}
	for h, e := range c.entries {
		if !e.freshAt(now, c.fresh) {
			delete(c.entries, h)
		}
	}
	c.sweepAt = max(minSweep, 2*len(c.entries))
}

// ending runs change, a write that ends or changes sessions, then drops
// the entries match selects and the reads still in flight: a read that
// raced the write may hold the state before it.
func (c *SessionCache) ending(match func(hash string, s Session) bool, change func() error) error {
	err := change()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for h, e := range c.entries {
		if match(h, e.sess) {
			delete(c.entries, h)
		}
	}
	return err
}

// ended drops the session hash and the reads in flight.
func (c *SessionCache) ended(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.entries, hash)
}

// DeleteSession implements SessionStore.
func (c *SessionCache) DeleteSession(ctx context.Context, hash string) error {
	err := c.SessionStore.DeleteSession(ctx, hash)
	c.ended(hash)
	return err
}

// ReplaceSession implements SessionStore. Other instances are not told:
// they go on with what they read, which is why a session that must change
// its password (the mark this lifts) is never kept.
func (c *SessionCache) ReplaceSession(ctx context.Context, hash string, s Session, ttl time.Duration) error {
	err := c.SessionStore.ReplaceSession(ctx, hash, s, ttl)
	c.ended(hash)
	return err
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
// instance, as follow reports them, telling onRevoked (which closes their
// websockets) of each once it has left the cache, until ctx ends; a
// subscription that fails is retried. follow calls up each time it has
// subscribed.
func (c *SessionCache) Follow(ctx context.Context, follow func(ctx context.Context, fn func(hash string), up func()) error, onRevoked func(hash string), log *slog.Logger) {
	revoked := func(hash string) {
		c.ended(hash)
		onRevoked(hash)
	}
	for ctx.Err() == nil {
		err := follow(ctx, revoked, func() { c.setLive(true) })
		c.setLive(false)
		if err != nil && ctx.Err() == nil {
			if log != nil {
				log.Warn("following session revocations failed; retrying", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

// setLive empties the cache and sets whether it may fill: what was ended
// while the revocations were not followed was not heard.
func (c *SessionCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
	c.live = live
}
