package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"watchfloor/command/stats"
)

// day is one local day's counters and samples.
type day struct {
	counts     map[string]int64
	ack, scene []float64
}

// count takes the steps of the day figures (stats.Counts); it runs under
// s.mu.
func (s *Store) count(steps []stats.Step) {
	for _, st := range steps {
		date := st.At.In(s.loc).Format(time.DateOnly)
		d := s.days[date]
		if d == nil {
			d = &day{counts: map[string]int64{}}
			s.days[date] = d
		}
		// Samples are kept to a tenth of a second, as the Redis store
		// writes them.
		v, _ := strconv.ParseFloat(strconv.FormatFloat(st.Seconds, 'f', 1, 64), 64)
		switch st.List {
		case "":
			d.counts[st.Field]++
		case "ack":
			d.ack = append(d.ack, v)
		case "scene":
			d.scene = append(d.scene, v)
		}
	}
}

// Days reads the figures of local dates from..to (inclusive).
func (s *Store) Days(ctx context.Context, from, to time.Time) ([]stats.Day, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading figures: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []stats.Day
	for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
		date := t.Format(time.DateOnly)
		day := stats.Day{Date: date, Counts: map[string]int64{}}
		if d := s.days[date]; d != nil {
			day.Counts = maps.Clone(d.counts)
			day.Ack, day.ToScene = slices.Clone(d.ack), slices.Clone(d.scene)
		}
		out = append(out, day)
	}
	return out, nil
}

// SetDay sets counters of a local date to values.
func (s *Store) SetDay(ctx context.Context, date string, fields map[string]int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.days[date]
	if d == nil {
		d = &day{counts: map[string]int64{}}
		s.days[date] = d
	}
	maps.Copy(d.counts, fields)
	return nil
}
