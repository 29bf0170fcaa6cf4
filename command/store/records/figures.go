package records

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/stats"
	"watchfloor/command/store"
)

// Figures are the figures of bulletins and analyses, counted when things
// happen, in the same Lua step, per local day: stats:day:{YYYY-MM-DD} is a
// hash of counters, stats:day:{date}:ack and :scene lists of seconds. A
// year of figures is then 365 small hashes, read in one pipeline, never a
// scan of incidents. Drills never count.
type Figures struct{ s *store.Store }

// NewFigures returns the figures of s.
func NewFigures(s *store.Store) *Figures { return &Figures{s: s} }

// Days reads the counters of local dates from..to (inclusive) in one pipeline.
func (x *Figures) Days(ctx context.Context, from, to time.Time) ([]stats.Day, error) {
	if err := x.s.Check("reading figures"); err != nil {
		return nil, err
	}
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	pipe := x.s.Client().Pipeline()
	counts := make([]*redis.MapStringStringCmd, len(dates))
	acks := make([]*redis.StringSliceCmd, len(dates))
	scenes := make([]*redis.StringSliceCmd, len(dates))
	for i, d := range dates {
		key := x.s.Key("stats", "day", d)
		counts[i] = pipe.HGetAll(ctx, key)
		acks[i] = pipe.LRange(ctx, key+":ack", 0, -1)
		scenes[i] = pipe.LRange(ctx, key+":scene", 0, -1)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("reading figures", err)
	}
	out := make([]stats.Day, len(dates))
	for i, d := range dates {
		day := stats.Day{Date: d, Counts: map[string]int64{}}
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
func (x *Figures) SetDay(ctx context.Context, date string, fields map[string]int64) error {
	if err := x.s.Check("recording figures"); err != nil {
		return err
	}
	args := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		args = append(args, k, v)
	}
	return x.s.Wrap("recording figures", x.s.Client().HSet(ctx, x.s.Key("stats", "day", date), args...).Err())
}

// ScheduleOnce adds a timer unless it exists.
func (x *Figures) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	return x.s.ScheduleOnce(ctx, member, due)
}
