package gridcase

import (
	"context"
	"fmt"
	"slices"
	"time"

	"watchfloor/command/fault"
)

// MaxLedgerDays and MaxLedgerCases bound one ledger export.
const (
	MaxLedgerDays  = 366
	MaxLedgerCases = 10000
)

// LedgerRow is one case of the electronic ledger (电子台帐) with its timeline.
type LedgerRow struct {
	Case     *Case
	Timeline []Entry
}

// ParsePeriod reads a ledger's from and to (local dates YYYY-MM-DD, both
// included) and returns the half-open interval they cover; every bad field
// is named.
func (s *Service) ParsePeriod(from, to string) (time.Time, time.Time, error) {
	bad := &fault.Invalid{}
	f, errF := time.ParseInLocation(time.DateOnly, from, s.opts.Location)
	if errF != nil {
		bad.Add("from", "required: a date YYYY-MM-DD")
	}
	t, errT := time.ParseInLocation(time.DateOnly, to, s.opts.Location)
	if errT != nil {
		bad.Add("to", "required: a date YYYY-MM-DD")
	}
	if errF == nil && errT == nil {
		switch {
		case t.Before(f):
			bad.Add("to", "must not be before from (%s)", from)
		case t.Sub(f) >= MaxLedgerDays*24*time.Hour:
			bad.Add("to", "the period is at most %d days", MaxLedgerDays)
		}
	}
	if err := bad.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return f, t.AddDate(0, 0, 1), nil
}

// Ledger returns the cases created in [from, to) that the actor may see,
// oldest first, each with its timeline; more than MaxLedgerCases created in
// the period is 400 on from, asking for a shorter period.
func (s *Service) Ledger(ctx context.Context, who Actor, from, to time.Time) ([]LedgerRow, error) {
	all, err := s.store.Created(ctx, from, to, MaxLedgerCases+1)
	if err != nil {
		return nil, err
	}
	if len(all) > MaxLedgerCases {
		return nil, fault.Field("from", "more than %d cases were created in the period: export a shorter one", MaxLedgerCases)
	}
	var rows []LedgerRow
	var ids []string
	for _, c := range all {
		if !s.Visible(who.Area, c.Area) {
			continue
		}
		rows = append(rows, LedgerRow{Case: c})
		ids = append(ids, c.ID)
	}
	tls, err := s.store.Timelines(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	for i := range rows {
		rows[i].Timeline = tls[rows[i].Case.ID]
	}
	slices.SortFunc(rows, func(a, b LedgerRow) int { return a.Case.CreatedAt.Compare(b.Case.CreatedAt) })
	return rows, nil
}

// AreaReport is one reporting area's state in the day's roll-up.
type AreaReport struct {
	Code            string     `json:"code"`
	Name            string     `json:"name"`
	NameEN          string     `json:"name_en"`
	Reported        bool       `json:"reported"`
	At              *time.Time `json:"at"`
	By              string     `json:"by"`
	NothingToReport bool       `json:"nothing_to_report"`
	Note            string     `json:"note"`
}

// DailyRollup is which areas have sent the day's report (零报告 included).
type DailyRollup struct {
	Date  string       `json:"date"`
	DueAt time.Time    `json:"due_at"`
	Areas []AreaReport `json:"areas"`
}

// Rollup returns the day's reports of the configured areas the actor may
// see; date is YYYY-MM-DD, "" for today (local).
func (s *Service) Rollup(ctx context.Context, st DailyStore, who Actor, date string) (*DailyRollup, error) {
	if date == "" {
		date = s.now().In(s.opts.Location).Format(time.DateOnly)
	} else if _, err := time.ParseInLocation(time.DateOnly, date, s.opts.Location); err != nil {
		return nil, fault.Field("date", "a date YYYY-MM-DD")
	}
	due, err := s.dueAt(date)
	if err != nil {
		return nil, fmt.Errorf("daily roll-up: %w", err)
	}
	reports, err := st.Daily(ctx, date)
	if err != nil {
		return nil, err
	}
	out := &DailyRollup{Date: date, DueAt: due.UTC(), Areas: []AreaReport{}}
	for _, code := range s.opts.DailyReports.Areas {
		if !s.Visible(who.Area, code) {
			continue
		}
		ar := AreaReport{Code: code, Name: code}
		if a := s.geo.Area(code); a != nil {
			ar.Name, ar.NameEN = a.Name, a.NameEN
		}
		if r, ok := reports[code]; ok {
			at := r.At
			ar.Reported, ar.At, ar.By, ar.NothingToReport, ar.Note = true, &at, r.By, r.NothingToReport, r.Note
		}
		out.Areas = append(out.Areas, ar)
	}
	return out, nil
}

// WasOverdue reports whether any step of the case passed its time limit.
func (r LedgerRow) WasOverdue() bool {
	for _, e := range r.Timeline {
		if e.Action == "overdue" || e.Action == "escalate" && e.By == "system" {
			return true
		}
	}
	return false
}
