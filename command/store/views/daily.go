package views

import (
	"context"
	"encoding/json"
	"time"

	"watchfloor/command/gridcase"
	"watchfloor/command/store"
)

// Daily stores daily reports: daily:{date} hash area → JSON.
type Daily struct{ base }

// NewDaily returns the daily-report storage of s.
func NewDaily(s *store.Store) *Daily { return &Daily{base{s}} }

var _ gridcase.DailyStore = (*Daily)(nil)

// Daily implements gridcase.DailyStore.
func (x *Daily) Daily(ctx context.Context, date string) (map[string]gridcase.DailyReport, error) {
	if err := x.s.Check("reading daily reports"); err != nil {
		return nil, err
	}
	m, err := x.s.Client().HGetAll(ctx, x.s.Key("daily", date)).Result()
	if err != nil {
		return nil, x.s.Wrap("reading daily reports", err)
	}
	out := map[string]gridcase.DailyReport{}
	for area, raw := range m {
		var r gridcase.DailyReport
		if json.Unmarshal([]byte(raw), &r) == nil {
			out[area] = r
		}
	}
	return out, nil
}

// ScheduleOnce implements gridcase.DailyStore.
func (x *Daily) ScheduleOnce(ctx context.Context, member string, due time.Time) error {
	return x.s.ScheduleOnce(ctx, member, due)
}
