package auth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/memstore/memsession"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
)

// countedStore counts the sessions read from the store and, while hold is
// set, holds each read after it read the session until release closes.
type countedStore struct {
	*memsession.Sessions
	reads   atomic.Int64
	hold    atomic.Bool
	held    chan struct{}
	release chan struct{}
	// beforeDelete, when set, runs as DeleteSession starts.
	beforeDelete func()
	// ttls are the expiries asked of the store (one reader at a time).
	ttls []time.Duration
}

func (s *countedStore) DeleteSession(ctx context.Context, hash string) error {
	if s.beforeDelete != nil {
		s.beforeDelete()
	}
	return s.Sessions.DeleteSession(ctx, hash)
}

func (s *countedStore) TouchSession(ctx context.Context, hash string, ttl time.Duration) (auth.Session, error) {
	s.reads.Add(1)
	sess, err := s.Sessions.TouchSession(ctx, hash, ttl)
	if s.hold.Load() {
		s.held <- struct{}{}
		<-s.release
	}
	s.ttls = append(s.ttls, ttl)
	return sess, err
}

// cacheCase is a cache of fresh over a store in memory holding the
// sessions h1 and h2 of alice and h3 of bob, by a manual clock.
type cacheCase struct {
	t     *testing.T
	clock *timer.Manual
	store *countedStore
	cache *auth.SessionCache
}

func newCacheCase(t *testing.T, fresh time.Duration) *cacheCase {
	clock := timer.NewManual(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	st := &countedStore{Sessions: memsession.New(clock), held: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(sync.OnceFunc(func() { close(st.release) })) // a failure leaves no read held
	for h, user := range map[string]string{"h1": "alice", "h2": "alice", "h3": "bob"} {
		s := auth.Session{Username: user, Role: vocab.Operator, CreatedAt: clock.Now()}
		if err := st.PutSession(context.Background(), h, s, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	return &cacheCase{t: t, clock: clock, store: st, cache: auth.NewSessionCache(st, fresh, clock.Now)}
}

// follow runs the cache's Follow on the store's revocations, with then
// (may be nil), until the test ends, and returns once it is up.
func (c *cacheCase) follow(then func(hash string)) {
	if then == nil {
		then = func(string) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.cache.Follow(ctx, func(ctx context.Context, fn func(string), on func()) error {
			return c.store.Revocations(ctx, fn, func() {
				on()
				select {
				case up <- struct{}{}:
				default:
				}
			})
		}, then, slog.New(slog.DiscardHandler))
	}()
	c.t.Cleanup(func() { cancel(); <-done })
	select {
	case <-up:
	case <-time.After(5 * time.Second):
		c.t.Fatal("Follow never came up")
	}
}

// touch touches hash through the cache and returns the store reads it
// took and its error.
func (c *cacheCase) touch(hash string, ttl time.Duration) (auth.Session, int64, error) {
	c.t.Helper()
	before := c.store.reads.Load()
	s, err := c.cache.TouchSession(context.Background(), hash, ttl)
	if err == nil && s.Username == "" {
		c.t.Fatalf("touch %s: an empty session", hash)
	}
	return s, c.store.reads.Load() - before, err
}

// want checks a touch of hash for an hour: reads store reads, and ended
// or not.
func (c *cacheCase) want(what, hash string, reads int64, ended bool) auth.Session {
	c.t.Helper()
	s, n, err := c.touch(hash, time.Hour)
	if n != reads || errors.Is(err, auth.ErrUnauthenticated) != ended || (err != nil && !ended) {
		c.t.Errorf("%s: touch %s read the store %d times (want %d), err %v (ended: want %v)", what, hash, n, reads, err, ended)
	}
	return s
}

// wait receives from ch within 5 s.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing within 5 s", what)
		panic("unreachable")
	}
}

func TestSessionCacheAnswersWithinFresh(t *testing.T) {
	c := newCacheCase(t, 2*time.Second)
	c.want("not following revocations yet", "h1", 1, false)
	c.want("not following revocations yet, again", "h1", 1, false)
	c.follow(nil)
	c.want("first read", "h1", 1, false)
	c.want("read again at once", "h1", 0, false)
	c.clock.Advance(1999 * time.Millisecond)
	c.want("read again within fresh", "h1", 0, false)
	c.clock.Advance(time.Millisecond)
	c.want("read again at fresh", "h1", 1, false)
	c.want("and then from memory", "h1", 0, false)
	c.want("an unknown session", "nope", 1, true)
	c.want("an unknown session is not kept", "nope", 1, true)

	// A session that must change its password is never kept.
	must := auth.Session{Username: "carol", Role: vocab.Viewer, CreatedAt: c.clock.Now(), MustChangePassword: true}
	if err := c.store.PutSession(context.Background(), "h4", must, time.Hour); err != nil {
		t.Fatal(err)
	}
	c.want("must change its password", "h4", 1, false)
	c.want("must change its password, again", "h4", 1, false)

	// A clock set back finds nothing fresh.
	c.clock.Advance(-time.Minute)
	c.want("a clock set back", "h1", 1, false)

	off := newCacheCase(t, 0)
	off.follow(nil)
	off.want("fresh 0", "h1", 1, false)
	off.want("fresh 0, again", "h1", 1, false)
	if cached, read := c.cache.Hits(), c.cache.Reads(); cached != 3 || read != 9 {
		t.Errorf("lookups: %d cached, %d read; want 3 and 9", cached, read)
	}
}

// TestSessionCacheEndsAtOnce: what this instance ends is never answered
// from memory again, not even within fresh.
func TestSessionCacheEndsAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		end   func(c *auth.SessionCache) error
		ended map[string]bool // h1, h2, h3: true when it must be gone
		reads map[string]int64
	}{
		{"DeleteSession", func(c *auth.SessionCache) error { return c.DeleteSession(ctx, "h1") },
			map[string]bool{"h1": true}, map[string]int64{"h1": 1}},
		{"EndSessions", func(c *auth.SessionCache) error { return c.EndSessions(ctx, "alice") },
			map[string]bool{"h1": true, "h2": true}, map[string]int64{"h1": 1, "h2": 1}},
		{"EndOtherSessions", func(c *auth.SessionCache) error { return c.EndOtherSessions(ctx, "alice", "h2") },
			map[string]bool{"h1": true}, map[string]int64{"h1": 1}},
		{"ReplaceSession", func(c *auth.SessionCache) error {
			return c.ReplaceSession(ctx, "h1", auth.Session{Username: "alice", Role: vocab.Viewer}, time.Hour)
		}, map[string]bool{}, map[string]int64{"h1": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCacheCase(t, time.Hour)
			c.follow(nil)
			for _, h := range []string{"h1", "h2", "h3"} {
				c.want("first read", h, 1, false)
			}
			if err := tc.end(c.cache); err != nil {
				t.Fatal(err)
			}
			// No wait for the revocation: the instance's own end is at once.
			for _, h := range []string{"h1", "h2", "h3"} {
				c.want("after "+tc.name, h, tc.reads[h], tc.ended[h])
			}
			again := int64(0)
			if tc.ended["h1"] {
				again = 1 // an ended session is not kept either
			}
			if s := c.want("and then", "h1", again, tc.ended["h1"]); tc.name == "ReplaceSession" && s.Role != vocab.Viewer {
				t.Errorf("the replaced session read back as %+v", s)
			}
		})
	}
}

// TestSessionCacheRevokedElsewhere: a session ended on another instance
// (straight in the store) leaves the cache when its revocation comes, and
// the cache has let go of it before then hears of it.
func TestSessionCacheRevokedElsewhere(t *testing.T) {
	c := newCacheCase(t, time.Hour)
	heard := make(chan error, 1)
	c.follow(func(hash string) {
		_, err := c.cache.TouchSession(context.Background(), hash, time.Hour)
		heard <- err
	})
	c.want("first read", "h1", 1, false)
	c.want("from memory", "h1", 0, false)
	if err := c.store.DeleteSession(context.Background(), "h1"); err != nil { // another instance's logout
		t.Fatal(err)
	}
	if err := wait(t, heard, "the revocation"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the session, as onRevoked saw it: %v", err)
	}
	c.want("after the revocation", "h1", 1, true)
}

// TestSessionCacheDropsAReadRacingAnEnd: a read that found the session
// before this instance ended it in the store, and returned after, is not
// kept, whether it began before the end or while it was under way.
func TestSessionCacheDropsAReadRacingAnEnd(t *testing.T) {
	for _, during := range []bool{false, true} {
		c := newCacheCase(t, time.Hour)
		c.follow(nil)
		done := make(chan error, 1)
		read := func() {
			c.store.hold.Store(true)
			go func() {
				_, err := c.cache.TouchSession(context.Background(), "h1", time.Hour)
				done <- err
			}()
			wait(t, c.store.held, "the read") // it has the session
			c.store.hold.Store(false)
		}
		if during {
			c.store.beforeDelete = read
		} else {
			read()
		}
		if err := c.cache.DeleteSession(context.Background(), "h1"); err != nil {
			t.Fatal(err)
		}
		c.store.release <- struct{}{}
		if err := wait(t, done, "the read's end"); err != nil {
			t.Fatalf("the read that raced: %v", err)
		}
		c.want(fmt.Sprintf("after the end (read begun during it: %v)", during), "h1", 1, true)
	}
}

// TestSessionCacheStartsAfreshWhenUp: each time the revocations are
// subscribed again the cache is emptied (what was ended meanwhile was not
// heard), and while they are not followed, nothing is kept.
func TestSessionCacheStartsAfreshWhenUp(t *testing.T) {
	c := newCacheCase(t, time.Hour)
	ups := make(chan func(), 1)
	fail := make(chan error)
	again := make(chan struct{}) // lets a retried follow come up
	retried := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		first := true
		c.cache.Follow(ctx, func(ctx context.Context, _ func(string), up func()) error {
			if !first {
				retried <- struct{}{}
				select {
				case <-again:
				case <-ctx.Done():
					return nil
				}
			}
			first = false
			up()
			ups <- up
			select {
			case err := <-fail:
				return err
			case <-ctx.Done():
				return nil
			}
		}, func(string) {}, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	up := wait(t, ups, "up")
	c.want("first read", "h1", 1, false)
	c.want("from memory", "h1", 0, false)
	up() // subscribed again on a new connection
	c.want("after a new subscription", "h1", 1, false)
	c.want("from memory again", "h1", 0, false)
	fail <- errors.New("connection lost")
	wait(t, retried, "the retry")
	c.want("while not following", "h1", 1, false)
	c.want("while not following, again", "h1", 1, false)
	close(again)
	wait(t, ups, "up again")
	c.want("up again", "h1", 1, false)
	c.want("and from memory", "h1", 0, false)
}

// TestSessionCacheCutsTheExpiry: a touch asking an earlier expiry than the
// cached read set (a session near its maximum age) goes to the store.
func TestSessionCacheCutsTheExpiry(t *testing.T) {
	c := newCacheCase(t, time.Hour)
	c.follow(nil)
	for _, step := range []struct {
		ttl   time.Duration
		reads int64
	}{{12 * time.Hour, 1}, {12 * time.Hour, 0}, {time.Hour, 1}, {time.Hour, 0}, {12 * time.Hour, 0}} {
		c.clock.Advance(time.Second)
		if _, n, err := c.touch("h1", step.ttl); err != nil || n != step.reads {
			t.Errorf("touch for %s: %d reads (want %d), %v", step.ttl, n, step.reads, err)
		}
	}
	if !slices.Equal(c.store.ttls, []time.Duration{12 * time.Hour, time.Hour}) {
		t.Errorf("expiries asked of the store: %v", c.store.ttls)
	}
}
