package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/gridcase"
)

// Daily stores daily reports: daily:{date} hash area → JSON.
type Daily struct{ applier }

// Daily returns the daily-report storage.
func (s *Store) Daily() *Daily { return &Daily{applier{s}} }

var _ gridcase.DailyStore = (*Daily)(nil)

// Daily implements gridcase.DailyStore.
func (x *Daily) Daily(ctx context.Context, date string) (map[string]gridcase.DailyReport, error) {
	if err := x.s.check("reading daily reports"); err != nil {
		return nil, err
	}
	m, err := x.s.rdb.HGetAll(ctx, x.s.Key("daily", date)).Result()
	if err != nil {
		return nil, x.s.wrap("reading daily reports", err)
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
	if err := x.s.check("scheduling"); err != nil {
		return err
	}
	return x.s.wrap("scheduling", x.s.rdb.ZAddNX(ctx, x.s.TimersKey(), redis.Z{Score: float64(due.UnixMilli()), Member: member}).Err())
}
