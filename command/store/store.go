// Package store is Watchfloor's Redis edge: the key schema, the Lua script
// that changes state and appends its event in one step, stream reads for
// replay and live delivery, and the health watcher. It is the only package
// that imports go-redis.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
	"watchfloor/command/live"
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
	rdb    redis.UniversalClient
	prefix string // "wf:{deployment}:"
	wait   int
	waitT  time.Duration
	loc    *time.Location
	maxLen int64
	log    *slog.Logger
	ready  atomic.Bool
	ping   time.Duration
}

// Options configure Open.
type Options struct {
	URL          string
	Deployment   string
	StreamMaxLen int64
	PingInterval time.Duration
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
}

// Open connects to Redis at opts.URL and checks it answers.
func Open(ctx context.Context, opts Options) (*Store, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing redis url: %w", err)
	}
	// Fail fast while Redis is away instead of waiting out retries: the
	// watcher decides readiness and callers answer 503.
	ro.MaxRetries = 1
	ro.DialTimeout = 2 * time.Second
	ro.ReadTimeout = 2 * time.Second
	ro.WriteTimeout = 2 * time.Second
	ro.PoolSize = 64
	ro.MinIdleConns = 4
	var rdb redis.UniversalClient
	if len(opts.SentinelAddrs) > 0 {
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: opts.SentinelMaster, SentinelAddrs: opts.SentinelAddrs,
			DB: ro.DB, Username: ro.Username, Password: ro.Password,
			MaxRetries: ro.MaxRetries, DialTimeout: ro.DialTimeout, ReadTimeout: ro.ReadTimeout, WriteTimeout: ro.WriteTimeout,
			PoolSize: ro.PoolSize, MinIdleConns: ro.MinIdleConns,
		})
	} else {
		rdb = redis.NewClient(ro)
	}
	s := &Store{rdb: rdb, prefix: "wf:{" + opts.Deployment + "}:", maxLen: opts.StreamMaxLen, log: opts.Logger, ping: opts.PingInterval,
		wait: opts.WaitReplicas, waitT: opts.WaitTimeout, loc: opts.Location}
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
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connecting to redis: %w", err)
	}
	if err := s.checkDurability(ctx, opts.MinAppendFsync, opts.RequireDurability); err != nil {
		rdb.Close()
		return nil, err
	}
	s.ready.Store(true)
	return s, nil
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
	err := s.rdb.Close()
	if err != nil && (errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "use of closed network connection")) {
		return nil
	}
	return err
}

// Ready reports whether the last health check reached Redis.
func (s *Store) Ready() bool { return s.ready.Load() }

// Run pings Redis every interval and flips readiness until ctx ends.
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
		err := s.rdb.Ping(pctx).Err()
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

// wrap turns a go-redis error into one the caller can act on.
func (s *Store) wrap(op string, err error) error {
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

// check fails fast while the watcher sees Redis down.
func (s *Store) check(op string) error {
	if !s.ready.Load() {
		return fmt.Errorf("%s: %w", op, ErrUnavailable)
	}
	return nil
}

// Seq returns the current seq of a stream (0 when nothing was ever sent).
func (s *Store) Seq(ctx context.Context, stream string) (uint64, error) {
	v, err := s.rdb.Get(ctx, s.Key("seq", stream)).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return v, s.wrap("reading seq", err)
}

// Message is one event of a stream (see live.Message).
type Message = live.Message

// Range returns up to count messages of stream with seq ≥ from, in order,
// and the oldest seq the stream still holds (0 when it is empty).
func (s *Store) Range(ctx context.Context, stream string, from uint64, count int64) (msgs []Message, oldest uint64, err error) {
	key := s.Key("stream", stream)
	pipe := s.rdb.Pipeline()
	rng := pipe.XRangeN(ctx, key, strconv.FormatUint(from, 10)+"-0", "+", count)
	first := pipe.XRangeN(ctx, key, "-", "+", 1)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, s.wrap("reading stream "+stream, err)
	}
	if f := first.Val(); len(f) == 1 {
		oldest = idSeq(f[0].ID)
	}
	return toMessages(rng.Val()), oldest, nil
}

// Tail blocks up to block for messages of stream after seq after. It
// returns as soon as ctx ends (go-redis does not abort a blocking read on
// cancel, so the read finishes in the background and is dropped).
func (s *Store) Tail(ctx context.Context, stream string, after uint64, block time.Duration) ([]Message, error) {
	type result struct {
		res []redis.XStream
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := s.rdb.XRead(context.WithoutCancel(ctx), &redis.XReadArgs{
			Streams: []string{s.Key("stream", stream), strconv.FormatUint(after, 10) + "-0"},
			Count:   1000,
			Block:   block,
		}).Result()
		done <- result{res, err}
	}()
	var r result
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r = <-done:
	}
	if errors.Is(r.err, redis.Nil) {
		return nil, nil
	}
	if r.err != nil {
		return nil, s.wrap("tailing stream "+stream, r.err)
	}
	if len(r.res) == 0 {
		return nil, nil
	}
	return toMessages(r.res[0].Messages), nil
}

func toMessages(xs []redis.XMessage) []Message {
	out := make([]Message, 0, len(xs))
	for _, x := range xs {
		m, _ := x.Values["m"].(string)
		out = append(out, Message{Seq: idSeq(x.ID), JSON: []byte(m)})
	}
	return out
}

func idSeq(id string) uint64 {
	if i := strings.IndexByte(id, '-'); i >= 0 {
		id = id[:i]
	}
	v, _ := strconv.ParseUint(id, 10, 64)
	return v
}

var _ live.Source = (*Store)(nil)

// Notifications calls fn with every event published with Notify on any
// instance, until ctx ends. Pub/sub may drop messages while a connection is
// down: clients of such streams check their seq on every heartbeat.
func (s *Store) Notifications(ctx context.Context, fn func(stream string, m Message)) error {
	return s.subscribe(ctx, "notify", 4096, func(payload string) {
		stream, rest, ok1 := strings.Cut(payload, "\n")
		seq, msg, ok2 := strings.Cut(rest, "\n")
		n, err := strconv.ParseUint(seq, 10, 64)
		if !ok1 || !ok2 || err != nil {
			return
		}
		fn(stream, Message{Seq: n, JSON: []byte(msg)})
	})
}

// subscribe calls fn with every message published on the channel named
// name until ctx ends; size is how many messages may wait for fn.
func (s *Store) subscribe(ctx context.Context, name string, size int, fn func(payload string)) error {
	sub := s.rdb.Subscribe(ctx, s.Key(name))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		return s.wrap("subscribing to "+name, err)
	}
	ch := sub.Channel(redis.WithChannelSize(size))
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-ch:
			if !ok {
				return fmt.Errorf("%s subscription closed", name)
			}
			fn(m.Payload)
		}
	}
}

// loadDoc reads the JSON doc of the object kind:id into v (the hash field
// doc that every object of the key schema keeps).
func (s *Store) loadDoc(ctx context.Context, kind, id string, v any) error {
	if err := s.check("loading " + kind); err != nil {
		return err
	}
	doc, err := s.rdb.HGet(ctx, s.Key(kind, id), "doc").Bytes()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return s.wrap("loading "+kind, err)
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return fmt.Errorf("decoding %s %s: %w", kind, id, err)
	}
	return nil
}

// nextID returns the next number of kind for a local day (kind:n:{day}).
func (s *Store) nextID(ctx context.Context, kind, day string) (int64, error) {
	if err := s.check("numbering"); err != nil {
		return 0, err
	}
	n, err := s.rdb.Incr(ctx, s.Key(kind, "n", day)).Result()
	return n, s.wrap("numbering "+kind, err)
}

// indexOps moves id between the filter sets {kind}:idx:{index}: out of
// those of prev it no longer belongs to, into all of now.
func (s *Store) indexOps(kind, id string, prev, now []string) []Op {
	var ops []Op
	for _, ix := range prev {
		if !slices.Contains(now, ix) {
			ops = append(ops, Op{Cmd: "SREM", Key: s.Key(kind, "idx", ix), Args: []string{id}})
		}
	}
	for _, ix := range now {
		ops = append(ops, Op{Cmd: "SADD", Key: s.Key(kind, "idx", ix), Args: []string{id}})
	}
	return ops
}
