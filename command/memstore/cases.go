package memstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/gridcase"
)

// Cases reads grid cases (the reads of gridcase.Store).
type Cases struct{ kind[gridcase.Case] }

var _ gridcase.Store = (*Cases)(nil)

// Cases returns the case storage.
func (s *Store) Cases() *Cases { return &Cases{kind[gridcase.Case]{s, change.KindCase, "cases"}} }

// Timeline returns a case's timeline, oldest first.
func (x *Cases) Timeline(ctx context.Context, id string) ([]gridcase.Entry, error) {
	return List[gridcase.Entry](x.s, change.KindCaseTimeline, id)
}

// Timelines returns the timelines of cases.
func (x *Cases) Timelines(ctx context.Context, ids []string) (map[string][]gridcase.Entry, error) {
	out := make(map[string][]gridcase.Entry, len(ids))
	for _, id := range ids {
		tl, err := x.Timeline(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = tl
	}
	return out, nil
}

// List returns the cases matching q (status, kind, grid, since, limit),
// most recently changed first.
func (x *Cases) List(ctx context.Context, q gridcase.Query) ([]*gridcase.Case, error) {
	out, err := x.all(func(c *gridcase.Case) bool {
		return (q.Status == "" || c.Status == q.Status) && (q.Kind == "" || c.Kind == q.Kind) &&
			(q.Grid == "" || slices.Contains(c.Grid.Codes(), q.Grid)) && since(c.UpdatedAt, q.Since)
	})
	if err != nil {
		return nil, err
	}
	newestFirst(out, func(c *gridcase.Case) (int64, string) { return c.UpdatedAt.UnixMilli(), c.ID })
	return out[:min(len(out), q.Limit)], nil
}

// Created returns the cases created in [from, to), oldest first (then by
// id), at most limit.
func (x *Cases) Created(ctx context.Context, from, to time.Time, limit int) ([]*gridcase.Case, error) {
	out, err := x.all(func(c *gridcase.Case) bool { return !c.CreatedAt.Before(from) && c.CreatedAt.Before(to) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *gridcase.Case) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), limit)], nil
}

// Daily reads daily reports (the reads of gridcase.DailyStore).
type Daily struct{ kind[gridcase.DailyReport] }

var _ gridcase.DailyStore = (*Daily)(nil)

// Daily returns the daily-report storage.
func (s *Store) Daily() *Daily {
	return &Daily{kind[gridcase.DailyReport]{s, change.KindDaily, "daily"}}
}

// Daily returns the daily reports of a date by area.
func (x *Daily) Daily(ctx context.Context, date string) (map[string]gridcase.DailyReport, error) {
	raw := x.s.Fields(change.KindDaily, date)
	out := make(map[string]gridcase.DailyReport, len(raw))
	for area, b := range raw {
		if r, err := decode[gridcase.DailyReport]([]byte(b)); err == nil {
			out[area] = *r
		}
	}
	return out, nil
}

// ScheduleOnce adds a timer unless it exists.
func (x *Daily) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	return x.s.ScheduleOnce(ctx, member, due)
}
