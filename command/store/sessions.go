package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/auth"
)

// Sessions stores login sessions as session:{sha256 of token} → JSON, with
// a TTL that slides with use.
type Sessions struct{ s *Store }

// Sessions returns the session storage.
func (s *Store) Sessions() *Sessions { return &Sessions{s: s} }

var _ auth.SessionStore = (*Sessions)(nil)

// PutSession implements auth.SessionStore.
func (x *Sessions) PutSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	if err := x.s.check("storing session"); err != nil {
		return err
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encoding session: %w", err)
	}
	return x.s.wrap("storing session", x.s.rdb.Set(ctx, x.s.Key("session", hash), b, ttl).Err())
}

// TouchSession implements auth.SessionStore: one round trip reads the
// session and extends its TTL.
func (x *Sessions) TouchSession(ctx context.Context, hash string, ttl time.Duration) (auth.Session, error) {
	if err := x.s.check("reading session"); err != nil {
		return auth.Session{}, err
	}
	b, err := x.s.rdb.GetEx(ctx, x.s.Key("session", hash), ttl).Bytes()
	if errors.Is(err, redis.Nil) {
		return auth.Session{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return auth.Session{}, x.s.wrap("reading session", err)
	}
	var sess auth.Session
	if err := json.Unmarshal(b, &sess); err != nil {
		return auth.Session{}, fmt.Errorf("decoding session: %w", err)
	}
	return sess, nil
}

// DeleteSession implements auth.SessionStore.
func (x *Sessions) DeleteSession(ctx context.Context, hash string) error {
	return x.s.wrap("deleting session", x.s.rdb.Del(ctx, x.s.Key("session", hash)).Err())
}

// Failures implements auth.SessionStore.
func (x *Sessions) Failures(ctx context.Context, key string) (int, time.Duration, error) {
	if err := x.s.check("reading login failures"); err != nil {
		return 0, 0, err
	}
	k := x.s.Key("login", "fail", key)
	pipe := x.s.rdb.Pipeline()
	n := pipe.Get(ctx, k)
	ttl := pipe.PTTL(ctx, k)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, x.s.wrap("reading login failures", err)
	}
	count, _ := n.Int()
	return count, max(ttl.Val(), 0), nil
}

// Fail implements auth.SessionStore: the window runs from the first failure.
func (x *Sessions) Fail(ctx context.Context, window time.Duration, keys ...string) error {
	pipe := x.s.rdb.Pipeline()
	for _, key := range keys {
		k := x.s.Key("login", "fail", key)
		pipe.Incr(ctx, k)
		pipe.ExpireNX(ctx, k, window)
	}
	_, err := pipe.Exec(ctx)
	return x.s.wrap("counting a login failure", err)
}

// ClearFailures implements auth.SessionStore.
func (x *Sessions) ClearFailures(ctx context.Context, key string) error {
	return x.s.wrap("clearing login failures", x.s.rdb.Del(ctx, x.s.Key("login", "fail", key)).Err())
}
