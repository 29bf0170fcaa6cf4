package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/timer"
)

// Timers is the zset timers: member kind|id, score the due time in ms.
type Timers struct{ s *Store }

// Timers returns the timer storage.
func (s *Store) Timers() *Timers { return &Timers{s: s} }

var _ timer.Store = (*Timers)(nil)

// TimersKey is the key of the timers zset, for Tx ops.
func (s *Store) TimersKey() string { return s.Key("timers") }

// AddTimer is the op that schedules member at due.
func (s *Store) AddTimer(member string, due time.Time) Op {
	return Op{Cmd: "ZADD", Key: s.TimersKey(), Args: []string{strconv.FormatInt(due.UnixMilli(), 10), member}}
}

// RemoveTimer is the op that cancels member.
func (s *Store) RemoveTimer(member string) Op {
	return Op{Cmd: "ZREM", Key: s.TimersKey(), Args: []string{member}}
}

// Due implements timer.Store.
func (x *Timers) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := x.s.check("reading timers"); err != nil {
		return nil, err
	}
	v, err := x.s.rdb.ZRangeByScore(ctx, x.s.TimersKey(), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	return v, x.s.wrap("reading timers", err)
}

// Remove implements timer.Store.
func (x *Timers) Remove(ctx context.Context, member string) error {
	return x.s.wrap("removing timer", x.s.rdb.ZRem(ctx, x.s.TimersKey(), member).Err())
}
