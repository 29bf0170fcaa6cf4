package unit

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// GridPatrol is a grid's patrol for one day: the minutes its grid officers
// spent inside it (网格巡查) against the daily target.
type GridPatrol struct {
	Code     string         `json:"code"`
	Name     string         `json:"name"`
	Officers map[string]int `json:"officers"`
	Minutes  int            `json:"minutes"`
	Target   int            `json:"target"`
	Met      bool           `json:"met"`
}

// Minutes counts the time between consecutive fixes that both lie inside
// (by the inside test) and are at most maxGap apart: time inside the grid.
func Minutes(fixes []Fix, inside func(orb.Point) bool, maxGap time.Duration) float64 {
	var total time.Duration
	for i := 1; i < len(fixes); i++ {
		a, b := fixes[i-1], fixes[i]
		gap := b.At.Sub(a.At)
		if gap <= 0 || gap > maxGap || a.Flags&Implausible != 0 || b.Flags&Implausible != 0 {
			continue
		}
		if inside(orb.Point{a.Lon, a.Lat}) && inside(orb.Point{b.Lon, b.Lat}) {
			total += gap
		}
	}
	return total.Minutes()
}

// Patrol returns, for every grid with grid officers, their minutes inside
// it between from and to (a local day).
func (s *Service) Patrol(ctx context.Context, from, to time.Time, target int, maxGap time.Duration) ([]GridPatrol, error) {
	byGrid := map[string]*GridPatrol{}
	var order []string
	for _, u := range s.Fleet.registered() {
		if u.Type != "grid_officer" || u.HomeGrid == "" {
			continue
		}
		area := s.Fleet.geo.Area(u.HomeGrid)
		if area == nil {
			continue
		}
		fixes, err := s.store.Track(ctx, u.ID, from, to, 100000)
		if err != nil {
			return nil, err
		}
		gp := byGrid[u.HomeGrid]
		if gp == nil {
			gp = &GridPatrol{Code: area.Code, Name: area.Name, Officers: map[string]int{}, Target: target}
			byGrid[u.HomeGrid] = gp
			order = append(order, u.HomeGrid)
		}
		m := int(Minutes(fixes, area.Contains, maxGap))
		gp.Officers[u.ID] = m
		gp.Minutes += m
	}
	out := make([]GridPatrol, 0, len(order))
	for _, code := range order {
		gp := byGrid[code]
		gp.Met = gp.Minutes >= gp.Target
		out = append(out, *gp)
	}
	return out, nil
}

// PatrolTimerKind is the kind of the nightly patrol record; its id is the
// local date it records.
const PatrolTimerKind = "patrol"

// DayWriter keeps the day's patrol minutes among its counters, and
// schedules timers once.
type DayWriter interface {
	SetDay(ctx context.Context, date string, fields map[string]int64) error
	ScheduleOnce(ctx context.Context, member string, due time.Time) error
}

// PatrolRecorder writes each day's patrol minutes per grid into the day's
// figures shortly after local midnight, while the tracks (kept 24 h) still
// hold the day: analyses of a month or a quarter then read them like any
// other counter.
type PatrolRecorder struct {
	Units  *Service
	Days   DayWriter
	Loc    *time.Location
	Now    func() time.Time
	Target int
	MaxGap time.Duration
}

// due is when date's patrol is recorded: ten minutes into the next day.
func (r *PatrolRecorder) due(date time.Time) time.Time {
	return date.AddDate(0, 0, 1).Add(10 * time.Minute)
}

// Schedule makes sure today's record is scheduled.
func (r *PatrolRecorder) Schedule(ctx context.Context) error {
	now := r.Now().In(r.Loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, r.Loc)
	return r.Days.ScheduleOnce(ctx, PatrolTimerKind+"|"+day.Format(time.DateOnly), r.due(day))
}

// Record is the timer handler: it writes date's minutes and schedules the
// next day's record.
func (r *PatrolRecorder) Record(ctx context.Context, date string, _ time.Time) (bool, error) {
	day, err := time.ParseInLocation(time.DateOnly, date, r.Loc)
	if err != nil {
		return true, nil
	}
	grids, err := r.Units.Patrol(ctx, day, day.AddDate(0, 0, 1), r.Target, r.MaxGap)
	if err != nil {
		return false, err
	}
	fields := map[string]int64{}
	for _, g := range grids {
		fields["patrol:"+g.Code] = int64(g.Minutes)
	}
	if len(fields) > 0 {
		if err := r.Days.SetDay(ctx, date, fields); err != nil {
			return false, err
		}
	}
	next := day.AddDate(0, 0, 1)
	return true, r.Days.ScheduleOnce(ctx, PatrolTimerKind+"|"+next.Format(time.DateOnly), r.due(next))
}
