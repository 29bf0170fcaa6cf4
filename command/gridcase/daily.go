package gridcase

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
)

// DailyTimerKind is the kind of the daily-report check; its id is the date.
const DailyTimerKind = "daily"

// DailyReport is a community's daily report (零报告 when there is nothing).
type DailyReport struct {
	Area            string    `json:"area"`
	Date            string    `json:"date"`
	NothingToReport bool      `json:"nothing_to_report"`
	Note            string    `json:"note"`
	By              string    `json:"by"`
	At              time.Time `json:"at"`
}

// DailyStore keeps daily reports: their reads, the daily check's timer,
// and Apply, which carries out a change atomically (a report submitted,
// the missing ones' alarms).
type DailyStore interface {
	Daily(ctx context.Context, date string) (map[string]DailyReport, error)
	// ScheduleOnce adds a timer unless it exists.
	ScheduleOnce(ctx context.Context, member string, due time.Time) error
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// dailyChange is the change of a report submitted: the report as the
// area's value of its date, its event to the screens, and its audit record.
func dailyChange(r DailyReport) (*change.Change, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the daily report of %s: %w", r.Area, err)
	}
	return &change.Change{At: r.At,
		Fields: []change.Field{{Kind: change.KindDaily, ID: r.Date, Field: r.Area, Value: string(b)}},
		Events: []vocab.Event{{Stream: vocab.ScreenStream, Type: vocab.DailyReportSubmitted, Data: r, Area: r.Area}},
		Audit:  []audit.Record{{At: r.At, Who: r.By, Action: vocab.DailyReportSubmitted, Object: r.Area + "/" + r.Date}},
	}, nil
}

// SubmitDaily records a daily report for an area configured to report.
func (s *Service) SubmitDaily(ctx context.Context, st DailyStore, who Actor, r DailyReport) (DailyReport, error) {
	bad := &fault.Invalid{}
	if !slices.Contains(s.opts.DailyReports.Areas, r.Area) {
		bad.Add("area", "%q is not an area that reports daily (%s)", r.Area, strings.Join(s.opts.DailyReports.Areas, ", "))
	}
	now := s.now()
	if r.Date == "" {
		r.Date = now.In(s.opts.Location).Format(time.DateOnly)
	} else if d, err := time.ParseInLocation(time.DateOnly, r.Date, s.opts.Location); err != nil || d.After(now) {
		bad.Add("date", "a date YYYY-MM-DD, not in the future")
	}
	r.Note = incident.CleanNote(r.Note)
	if !r.NothingToReport && r.Note == "" {
		bad.Add("note", "say what there is to report, or set nothing_to_report")
	}
	if len([]rune(r.Note)) > 4000 {
		bad.Add("note", "at most 4000 characters")
	}
	if err := bad.Err(); err != nil {
		return r, err
	}
	if !s.Visible(who.Area, r.Area) {
		return r, &fault.Forbidden{Detail: fmt.Sprintf("area %s is outside your area %s", r.Area, who.Area)}
	}
	if err := s.mayReportDaily(who, r.Area); err != nil {
		return r, err
	}
	r.By, r.At = who.Username, now.UTC()
	c, err := dailyChange(r)
	if err != nil {
		return r, err
	}
	_, err = st.Apply(ctx, c)
	return r, err
}

// mayReportDaily holds a responder (a unit's account, with no area of its
// own) to the area it works in: only a grid officer reports, for the
// community its grid lies in; another unit would hide that area's missing
// report or replace its real one.
func (s *Service) mayReportDaily(who Actor, area string) error {
	if who.Role != vocab.Responder {
		return nil
	}
	u, ok := s.unit(who.Unit)
	switch {
	case !ok || u.Type != "grid_officer":
		return &fault.Forbidden{Detail: fmt.Sprintf("unit %s is not a grid officer: only grid officers among units report daily", who.Unit)}
	case !s.Visible(area, u.HomeGrid):
		return &fault.Forbidden{Detail: fmt.Sprintf("grid officer %s works in grid %s, outside area %s", who.Unit, u.HomeGrid, area)}
	}
	return nil
}

// dueAt is when a date's reports are due, in local time.
func (s *Service) dueAt(date string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly+" 15:04", date+" "+s.opts.DailyReports.Due, s.opts.Location)
}

// ScheduleDaily makes sure today's check is scheduled (once, whichever
// instance starts first).
func (s *Service) ScheduleDaily(ctx context.Context, st DailyStore) error {
	if len(s.opts.DailyReports.Areas) == 0 {
		return nil
	}
	date := s.now().In(s.opts.Location).Format(time.DateOnly)
	due, err := s.dueAt(date)
	if err != nil {
		return err
	}
	return st.ScheduleOnce(ctx, DailyTimerKind+"|"+date, due)
}

// DailyDue is the daily check's timer handler: every area without a report
// for the date raises an alarm, and the next day's check is scheduled.
func (s *Service) DailyDue(ctx context.Context, st DailyStore, date string) (bool, error) {
	reports, err := st.Daily(ctx, date)
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	var missing []*alarm.Alarm
	for _, area := range s.opts.DailyReports.Areas {
		if _, ok := reports[area]; ok {
			continue
		}
		name := area
		if a := s.geo.Area(area); a != nil {
			name = a.Name
		}
		missing = append(missing, &alarm.Alarm{ID: alarm.ID("daily_report.missing", area+"/"+date), Kind: "daily_report.missing",
			Area: area, Title: name, Detail: fmt.Sprintf("no daily report from %s for %s by %s", area, date, s.opts.DailyReports.Due), RaisedAt: now})
	}
	if len(missing) > 0 {
		c := &change.Change{At: now}
		for _, a := range missing {
			c.Raise(a)
		}
		if _, err := st.Apply(ctx, c); err != nil {
			return false, err
		}
	}
	d, err := time.ParseInLocation(time.DateOnly, date, s.opts.Location)
	if err != nil {
		return true, nil
	}
	nextDate := d.AddDate(0, 0, 1).Format(time.DateOnly)
	due, err := s.dueAt(nextDate)
	if err == nil {
		err = st.ScheduleOnce(ctx, DailyTimerKind+"|"+nextDate, due)
	}
	return err == nil, err
}

// Stats are the case figures of a month per community: the mediation
// success rate of disputes (the usual target is 95% or more).
type Stats struct {
	Month       string           `json:"month"`
	Communities []CommunityStats `json:"communities"`
}

// CommunityStats are one community's figures.
type CommunityStats struct {
	Code        string         `json:"code"`
	Name        string         `json:"name"`
	Cases       int            `json:"cases"`
	ByKind      map[string]int `json:"by_kind"`
	Closed      int            `json:"closed"`
	Mediated    int            `json:"mediated"`
	MediatedOK  int            `json:"mediation_success"`
	SuccessRate *float64       `json:"mediation_success_rate"`
}

// MaxStatsCases bounds the cases read for a month's figures: those created
// in the month.
const MaxStatsCases = MaxLedgerCases

// MonthStats counts the cases created in a local month (YYYY-MM) that the
// actor may see; drills never count. More than MaxStatsCases created in the
// month is 400 on month (as the ledger refuses), not a count of some of
// them.
func (s *Service) MonthStats(ctx context.Context, who Actor, month string) (*Stats, error) {
	start, err := time.ParseInLocation("2006-01", month, s.opts.Location)
	if err != nil {
		return nil, fault.Field("month", "a month YYYY-MM")
	}
	end := start.AddDate(0, 1, 0)
	all, err := s.store.Created(ctx, start, end, MaxStatsCases+1)
	if err != nil {
		return nil, err
	}
	if len(all) > MaxStatsCases {
		return nil, fault.Field("month", "more than %d cases were created in the month: too many to count", MaxStatsCases)
	}
	byCode := map[string]*CommunityStats{}
	var order []string
	for _, c := range all {
		if c.Drill || !s.Visible(who.Area, c.Area) {
			continue
		}
		code := areaAt(c.Grid, "community")
		cs := byCode[code]
		if cs == nil {
			cs = &CommunityStats{Code: code, ByKind: map[string]int{}}
			if a := s.geo.Area(code); a != nil {
				cs.Name = a.Name
			}
			byCode[code] = cs
			order = append(order, code)
		}
		cs.Cases++
		cs.ByKind[c.Kind]++
		if c.Status == Closed || c.Status == Evaluated {
			cs.Closed++
		}
		if c.Mediation != "" {
			cs.Mediated++
			if c.Mediation == "success" {
				cs.MediatedOK++
			}
		}
	}
	slices.Sort(order)
	out := &Stats{Month: month, Communities: []CommunityStats{}}
	for _, code := range order {
		cs := byCode[code]
		if cs.Mediated > 0 {
			r := float64(cs.MediatedOK) / float64(cs.Mediated)
			cs.SuccessRate = &r
		}
		out.Communities = append(out.Communities, *cs)
	}
	return out, nil
}
