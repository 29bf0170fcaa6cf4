package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/gridcase"
	"watchfloor/command/vocab"
)

// Daily stores daily reports: daily:{date} hash area → JSON.
type Daily struct{ s *Store }

// Daily returns the daily-report storage.
func (s *Store) Daily() *Daily { return &Daily{s: s} }

var _ gridcase.DailyStore = (*Daily)(nil)

// PutDaily implements gridcase.DailyStore.
func (x *Daily) PutDaily(ctx context.Context, r gridcase.DailyReport) error {
	b, _ := json.Marshal(r)
	_, err := x.s.Commit(ctx, &Tx{At: r.At,
		Ops:    []Op{{Cmd: "HSET", Key: x.s.Key("daily", r.Date), Args: []string{r.Area, string(b)}}},
		Events: []Event{{Stream: vocab.ScreenStream, Type: "daily_report.submitted", Data: b, Area: r.Area}},
		Audit:  [][]byte{auditRecord(audit.Record{At: r.At, Who: r.By, Action: "daily_report.submitted", Object: r.Area + "/" + r.Date})},
	})
	return err
}

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

// RaiseAlarms implements gridcase.DailyStore.
func (x *Daily) RaiseAlarms(ctx context.Context, as []*alarm.Alarm) error {
	tx := &Tx{}
	for _, a := range as {
		ops, ev := x.s.Raise(a)
		tx.Ops = append(tx.Ops, ops...)
		tx.Events = append(tx.Events, ev)
		tx.At = a.RaisedAt
	}
	_, err := x.s.Commit(ctx, tx)
	return err
}
