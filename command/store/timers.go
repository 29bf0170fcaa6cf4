package store

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timers live in the zset timers: member kind|id, score the due time in ms.

// TimersKey is the key of the timers zset.
func (s *Store) TimersKey() string { return s.Key("timers") }

// addTimer is the op that schedules member at due.
func (s *Store) addTimer(member string, due time.Time) Op {
	return Op{Cmd: "ZADD", Key: s.TimersKey(), Args: []string{strconv.FormatInt(due.UnixMilli(), 10), member}}
}

// removeTimer is the op that cancels member.
func (s *Store) removeTimer(member string) Op {
	return Op{Cmd: "ZREM", Key: s.TimersKey(), Args: []string{member}}
}

// ScheduleOnce adds a timer unless it exists.
func (s *Store) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	if err := s.Check("scheduling"); err != nil {
		return err
	}
	return s.Wrap("scheduling", s.rdb.ZAddNX(ctx, s.TimersKey(), redis.Z{Score: float64(due.UnixMilli()), Member: member}).Err())
}
