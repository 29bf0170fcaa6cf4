package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/stats"
)

// Figures for bulletins and analyses are counted when things happen, in
// the same Lua step, per local day: stats:day:{YYYY-MM-DD} is a hash of
// counters, stats:day:{date}:ack and :scene lists of seconds. A year of
// figures is then 365 small hashes, read in one pipeline, never a scan of
// incidents. Drills never count.

// dayKey is the counter hash of t's local day.
func (s *Store) dayKey(t time.Time) string {
	return s.Key("stats", "day", t.In(s.loc).Format(time.DateOnly))
}

// Day is one local day's counters and samples (see stats.Day).
type Day = stats.Day

// Days reads the counters of local dates from..to (inclusive) in one pipeline.
func (s *Store) Days(ctx context.Context, from, to time.Time) ([]Day, error) {
	if err := s.check("reading figures"); err != nil {
		return nil, err
	}
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	pipe := s.rdb.Pipeline()
	counts := make([]*redis.MapStringStringCmd, len(dates))
	acks := make([]*redis.StringSliceCmd, len(dates))
	scenes := make([]*redis.StringSliceCmd, len(dates))
	for i, d := range dates {
		key := s.Key("stats", "day", d)
		counts[i] = pipe.HGetAll(ctx, key)
		acks[i] = pipe.LRange(ctx, key+":ack", 0, -1)
		scenes[i] = pipe.LRange(ctx, key+":scene", 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.wrap("reading figures", err)
	}
	out := make([]Day, len(dates))
	for i, d := range dates {
		day := Day{Date: d, Counts: map[string]int64{}}
		for k, v := range counts[i].Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			day.Counts[k] = n
		}
		for _, v := range acks[i].Val() {
			f, _ := strconv.ParseFloat(v, 64)
			day.Ack = append(day.Ack, f)
		}
		for _, v := range scenes[i].Val() {
			f, _ := strconv.ParseFloat(v, 64)
			day.ToScene = append(day.ToScene, f)
		}
		out[i] = day
	}
	return out, nil
}

// SetDay sets counters of a local date to values (a record made once for
// the day, such as its patrol minutes).
func (s *Store) SetDay(ctx context.Context, date string, fields map[string]int64) error {
	if err := s.check("recording figures"); err != nil {
		return err
	}
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		args = append(args, k, v)
	}
	return s.wrap("recording figures", s.rdb.HSet(ctx, s.Key("stats", "day", date), args...).Err())
}

// ScheduleOnce adds a timer unless it exists.
func (s *Store) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	return s.Daily().ScheduleOnce(ctx, member, due)
}
