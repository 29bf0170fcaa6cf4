// Package store is Watchfloor's Redis edge: the key schema, the Lua script
// that changes state and appends its event in one step (Apply lays a
// domain's change out, with the indexes of each kind of document), stream
// reads for replay and live delivery, and the health watcher. Its
// subpackages views (the domains' reads) and records (jobs, sessions, audit,
// figures, system alarms) build on its primitives; only these import go-redis.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
)

// Errors callers map to responses.
var (
	// ErrUnavailable means Redis cannot be reached now; retry later (503).
	ErrUnavailable = fault.ErrUnavailable
	// ErrConflict means the object changed since it was read.
	ErrConflict = fault.ErrConflict
	// ErrNotFound means no such object.
	ErrNotFound = fault.ErrNotFound
)

// Store is a connection to Redis under one deployment's key prefix.
type Store struct {
	rdb  redis.UniversalClient
	subs redis.UniversalClient // pub/sub only, over RESP2 (see client)
	// watch is Run's own connection: its ping never queues behind the
	// pool's commands, so a burst that keeps every pooled connection busy
	// (thousands of phones reconnecting) is not taken for Redis gone.
	watch  redis.UniversalClient
	prefix string // "wf:{deployment}:"
	wait   int
	waitT  time.Duration
	loc    *time.Location
	maxLen int64
	// unitMaxLen caps the streams that Notify events go to (one per unit).
	unitMaxLen int64
	log        *slog.Logger
	ready      atomic.Bool
	ping       time.Duration
	// parts caches the shared parts read or written (see Whole).
	parts partCache
	// seqs gathers the streams' seqs asked for at once into one read.
	seqs seqReads
}

// Options configure Open.
type Options struct {
	URL          string
	Deployment   string
	StreamMaxLen int64
	// UnitStreamMaxLen caps each unit's stream (default 1000).
	UnitStreamMaxLen int64
	PingInterval     time.Duration
	// MinAppendFsync is the least durability required of Redis: always,
	// everysec, or "" and no for none. Open reads Redis's settings and never
	// changes them.
	MinAppendFsync string
	// RequireDurability makes Open fail when Redis is below MinAppendFsync;
	// otherwise it logs a warning.
	RequireDurability bool
	// SentinelAddrs and SentinelMaster find the master through Sentinel.
	SentinelAddrs  []string
	SentinelMaster string
	// WaitReplicas makes each commit wait for that many replicas.
	WaitReplicas int
	WaitTimeout  time.Duration
	// Location is the local time zone: daily counters count local days.
	Location *time.Location
	Logger   *slog.Logger
	// Pipelines is how many callers keep a pipeline of their own under way
	// at all times (the ingest workers): the pool holds that many
	// connections more than its 64 for everything else.
	Pipelines int
}

// Open connects to Redis at opts.URL and checks it answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing redis url: %w", urlCause(err))
	}
	// Fail fast while Redis is away instead of waiting out retries: the
	// watcher decides readiness and callers answer 503. And never send a
	// command again: one whose answer timed out still runs once Redis
	// reads it, so a second sending stored a commit or a fix twice
	// (TestCommitNotSentTwiceAfterATimeout); the caller's client retries,
	// with its idempotency key where the API takes one.
	ro.MaxRetries = -1
	ro.DialTimeout = 2 * time.Second
	ro.ReadTimeout = 2 * time.Second
	ro.WriteTimeout = 2 * time.Second
	ro.PoolSize = 64 + max(0, opts.Pipelines)
	ro.MinIdleConns = 4
	rdb := client(ro, opts, ro.Protocol)
	wo := *ro
	wo.PoolSize, wo.MinIdleConns = 1, 0
	s := &Store{rdb: rdb, subs: client(ro, opts, 2), watch: client(&wo, opts, ro.Protocol), prefix: "wf:{" + opts.Deployment + "}:", maxLen: opts.StreamMaxLen, unitMaxLen: opts.UnitStreamMaxLen, log: opts.Logger, ping: opts.PingInterval,
		wait: opts.WaitReplicas, waitT: opts.WaitTimeout, loc: opts.Location}
	s.seqs.get = func(ctx context.Context, keys []string) ([]any, error) {
		v, err := rdb.MGet(ctx, keys...).Result()
		return v, s.Wrap("reading seqs", err)
	}
	s.seqs.wait = seqWait
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.ping <= 0 {
		s.ping = 500 * time.Millisecond
	}
	if s.maxLen <= 0 {
		s.maxLen = 100000
	}
	if s.unitMaxLen <= 0 {
		s.unitMaxLen = 1000
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		s.Close()
		return nil, fmt.Errorf("connecting to redis: %w", err)
	}
	if err := s.checkDurability(ctx, opts.MinAppendFsync, opts.RequireDurability); err != nil {
		s.Close()
		return nil, err
	}
	s.ready.Store(true)
	return s, nil
}

// urlCause is a URL's parse error without the URL: url.Parse's error quotes
// it whole, password included, and this one is printed at start. An escape
// that is not one is named without its characters (they are the password's).
func urlCause(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	var esc url.EscapeError
	if errors.As(ue.Err, &esc) {
		return errors.New("invalid URL escape: a % not followed by two hex digits (write a % in the password as %25)")
	}
	return ue.Err
}

// client connects with ro's settings (through Sentinel when opts names
// it) speaking protocol. Pub/sub uses RESP2: go-redis v9.17's RESP3 push
// handling drops a pub/sub message whose head is split at the end of its
// read buffer (it reads the name cut short and discards the message as a
// notification of its own; TestNotificationsLoseNoneOfABurst).
func client(ro *redis.Options, opts Options, protocol int) redis.UniversalClient {
	o := *ro
	o.Protocol = protocol
	if protocol == 2 {
		o.MinIdleConns = 0 // one connection per subscription, dialled when needed
	}
	if len(opts.SentinelAddrs) > 0 {
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: opts.SentinelMaster, SentinelAddrs: opts.SentinelAddrs, Protocol: o.Protocol,
			Dialer: newSegmentDialer(o.DialTimeout, nil, opts.Logger).dial, // no TLS through Sentinel, as before
			DB:     o.DB, Username: o.Username, Password: o.Password,
			MaxRetries: o.MaxRetries, DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
			PoolSize: o.PoolSize, MinIdleConns: o.MinIdleConns,
		})
	}
	o.Dialer = newSegmentDialer(o.DialTimeout, o.TLSConfig, opts.Logger).dial
	return redis.NewClient(&o)
}

// durabilityRank orders fsync policies: the append-only file off or never
// fsynced (0) < everysec (1) < always (2).
func durabilityRank(appendonly, fsync string) int {
	if appendonly != "yes" {
		return 0
	}
	switch fsync {
	case "always":
		return 2
	case "everysec":
		return 1
	}
	return 0
}

// checkDurability compares Redis's own appendonly and appendfsync with the
// least durability required; it reads them and changes nothing (no CONFIG
// SET, no CONFIG REWRITE): an operator's stronger setting stays. Below the
// minimum it fails when require is set and warns otherwise.
func (s *Store) checkDurability(ctx context.Context, min string, require bool) error {
	if min == "" || min == "no" {
		return nil
	}
	refuse := func(msg string, args ...any) error {
		if require {
			return fmt.Errorf("redis durability: "+msg+" (redis.durability: require; set redis.durability: warn to start anyway)", args...)
		}
		s.log.Warn("redis durability below the configured minimum", "problem", fmt.Sprintf(msg, args...))
		return nil
	}
	got, err := s.rdb.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return refuse("cannot read Redis's appendonly and appendfsync to check the required appendfsync %s: %v", min, err)
	}
	aof, fsync := got["appendonly"], got["appendfsync"]
	if durabilityRank(aof, fsync) < durabilityRank("yes", min) {
		return refuse("Redis runs with appendonly %s, appendfsync %s, below the required appendfsync %s: "+
			"set appendonly yes and appendfsync %s in Redis's own configuration", aof, fsync, min, min)
	}
	s.log.Info("redis durability", "appendonly", aof, "appendfsync", fsync, "required", min)
	return nil
}

// Close closes the connection pool. A connection the other side already
// closed (a Sentinel after a failover) is not an error of closing.
func (s *Store) Close() error {
	err := errors.Join(s.rdb.Close(), s.subs.Close(), s.watch.Close())
	if err != nil && (errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection")) {
		return nil
	}
	return err
}

// Ready reports whether the last health check reached Redis.
func (s *Store) Ready() bool { return s.ready.Load() }

// Run pings Redis every interval on its own connection and flips
// readiness until ctx ends.
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.ping)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.ping)
		err := s.watch.Ping(pctx).Err()
		cancel()
		was := s.ready.Swap(err == nil)
		if was && err != nil && ctx.Err() == nil {
			s.log.Warn("redis unreachable", "err", err)
		} else if !was && err == nil {
			s.log.Info("redis reachable again")
		}
	}
}

// Key returns the full key of parts under the deployment's prefix.
func (s *Store) Key(parts ...string) string {
	return s.prefix + strings.Join(parts, ":")
}

// Client is the underlying client, for the store's own adapters.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Logger is where the store's adapters log what they skip or retry.
func (s *Store) Logger() *slog.Logger { return s.log }

// Wrap turns a go-redis error of op into one the caller can act on:
// ErrNotFound, ErrUnavailable, or the error as it is.
func (s *Store) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var rerr redis.Error
	if errors.As(err, &rerr) && !strings.HasPrefix(rerr.Error(), "LOADING") && !strings.HasPrefix(rerr.Error(), "OOM") && !strings.HasPrefix(rerr.Error(), "MISCONF") {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
}

// Check fails op fast while the watcher sees Redis down.
func (s *Store) Check(op string) error {
	if !s.ready.Load() {
		return fmt.Errorf("%s: %w", op, ErrUnavailable)
	}
	return nil
}

// Subscribe calls fn with every message published on the channel named
// name (under the prefix) until ctx ends; size is how many messages may
// wait for fn. up, when set, is called each time the channel is subscribed:
// at first and whenever go-redis subscribes again on a new connection, for
// what was published while it was down is lost (read storage then).
func (s *Store) Subscribe(ctx context.Context, name string, size int, fn func(payload string), up func()) error {
	sub := s.subs.Subscribe(ctx, s.Key(name))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return s.Wrap("subscribing to "+name, err)
	}
	if up != nil {
		up()
	}
	ch := sub.ChannelWithSubscriptions(redis.WithChannelSize(size))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return fmt.Errorf("%s subscription closed", name)
			}
			switch m := m.(type) {
			case *redis.Message:
				fn(m.Payload)
			case *redis.Subscription:
				if m.Kind != "subscribe" {
					continue
				}
				s.log.Warn("subscribed again after the connection broke; messages published meanwhile are lost", "channel", name)
				if up != nil {
					up()
				}
			}
		}
	}
}

// LoadDoc reads the JSON doc of the object kind:id into v (the hash field
// doc that every object of the key schema keeps).
func (s *Store) LoadDoc(ctx context.Context, kind, id string, v any) error {
	if err := s.Check("loading " + kind); err != nil {
		return err
	}
	stored, err := s.rdb.HGet(ctx, s.Key(kind, id), "doc").Result()
	if Missing(err) {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return s.Wrap("loading "+kind, err)
	}
	doc, err := s.Whole(ctx, stored)
	if err != nil {
		return fmt.Errorf("loading %s %s: %w", kind, id, err)
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("decoding %s %s: %w", kind, id, err)
	}
	return nil
}

// Missing reports whether err of reading one document by id means there is
// none: no key, or a key of another type, which an id naming a sub-key
// reaches ("X:timeline" is incident X's timeline list, not an incident).
func Missing(err error) bool {
	var rerr redis.Error
	return errors.Is(err, redis.Nil) || errors.As(err, &rerr) && strings.HasPrefix(rerr.Error(), "WRONGTYPE")
}

// NextID returns the next number of kind for a local day (kind:n:{day}).
// The day's counter expires two days on (in the same round trip): a past
// day is numbered no more, and a counter a day would stay for ever.
func (s *Store) NextID(ctx context.Context, kind, day string) (int64, error) {
	if err := s.Check("numbering"); err != nil {
		return 0, err
	}
	key := s.Key(kind, "n", day)
	var incr *redis.IntCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, key)
		p.Expire(ctx, key, dayCounterTTL)
		return nil
	})
	if err != nil {
		return 0, s.Wrap("numbering "+kind, err)
	}
	return incr.Val(), nil
}

// dayCounterTTL is how long a day's numbering counter lives after its
// last number: past the day in every time zone, and a margin.
const dayCounterTTL = 48 * time.Hour
