package views

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store"
	"watchfloor/command/timer"
)

// Timers reads and leases the timers (see store.Store.TimersKey): member
// kind|id, score the due time in ms.
type Timers struct{ s *store.Store }

// NewTimers returns the timer storage of s.
func NewTimers(s *store.Store) *Timers { return &Timers{s: s} }

var _ timer.Store = (*Timers)(nil)

// Due implements timer.Store.
func (x *Timers) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := x.s.Check("reading timers"); err != nil {
		return nil, err
	}
	v, err := x.s.Client().ZRangeByScore(ctx, x.s.TimersKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	return v, x.s.Wrap("reading timers", err)
}

// Remove implements timer.Store.
func (x *Timers) Remove(ctx context.Context, member string) error {
	return x.s.Wrap("removing timer", x.s.Client().ZRem(ctx, x.s.TimersKey(), member).Err())
}

// claimScript leases a due timer to one instance: when its score is still
// due, it moves it to the end of the lease and returns the new score.
var claimScript = redis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return false end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return ARGV[3]
`)

// releaseScript removes a timer only if it still holds the lease score (a
// handler that rescheduled it gave it another).
var releaseScript = redis.NewScript(`
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and score == ARGV[2] then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0
`)

// Claim implements timer.Store.
func (x *Timers) Claim(ctx context.Context, member string, now time.Time, lease time.Duration) (string, bool, error) {
	until := strconv.FormatInt(now.Add(lease).UnixMilli(), 10)
	v, err := claimScript.Run(ctx, x.s.Client(), []string{x.s.TimersKey()}, member, now.UnixMilli(), until).Text()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, x.s.Wrap("claiming timer", err)
	}
	return v, true, nil
}

// Release implements timer.Store.
func (x *Timers) Release(ctx context.Context, member, lease string) error {
	return x.s.Wrap("releasing timer", releaseScript.Run(ctx, x.s.Client(), []string{x.s.TimersKey()}, member, lease).Err())
}
