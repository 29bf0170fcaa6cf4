package duty

import (
	"context"
	"fmt"
	"time"
)

// UnitRef is a stand-by unit as the roster shows it.
type UnitRef struct {
	ID       string `json:"id"`
	Callsign string `json:"callsign"`
}

// OnDuty is who is on duty at a time: the shift, its leader, operators and
// stand-by units (Shift nil when no shift covers the time).
type OnDuty struct {
	At        time.Time  `json:"at"`
	Date      string     `json:"date,omitempty"`
	Shift     *Shift     `json:"shift"`
	From      *time.Time `json:"from,omitempty"`
	Until     *time.Time `json:"until,omitempty"`
	Leader    *Person    `json:"leader"`
	Operators []Person   `json:"operators"`
	Standby   []UnitRef  `json:"standby"`
}

// current finds the shift that covers at (from the day before, when it
// crosses midnight, or the day of at), if any.
func (s *Service) current(ctx context.Context, at time.Time) (*window, error) {
	date := at.In(s.loc).Format(time.DateOnly)
	prev, _ := neighbours(date)
	days, err := s.days(ctx, prev, date)
	if err != nil {
		return nil, err
	}
	return s.cover(days, prev, date, at), nil
}

// cover finds, among the days prev and date, the shift that covers at.
func (s *Service) cover(days map[string]Day, prev, date string, at time.Time) *window {
	for _, d := range []string{prev, date} {
		for _, sh := range days[d].Shifts {
			if w, ok := s.place(d, sh); ok && !at.Before(w.start) && at.Before(w.end) {
				return &w
			}
		}
	}
	return nil
}

// Now returns who is on duty at the service's present time.
func (s *Service) Now(ctx context.Context) (*OnDuty, error) { return s.At(ctx, s.now()) }

// At returns who is on duty at a time. Accounts no longer known are shown
// by their username; disabled ones are left out (no leader rather than a
// disabled one).
func (s *Service) At(ctx context.Context, at time.Time) (*OnDuty, error) {
	w, err := s.current(ctx, at)
	out := &OnDuty{At: at.UTC(), Operators: []Person{}, Standby: []UnitRef{}}
	if err != nil || w == nil {
		return out, err
	}
	sh := w.shift
	from, until := w.start.UTC(), w.end.UTC()
	out.Date, out.Shift, out.From, out.Until = w.date, &sh, &from, &until
	if out.Leader, err = s.leaderOf(ctx, w); err != nil {
		return nil, err
	}
	for _, op := range sh.Operators {
		p, err := s.person(ctx, op)
		if err != nil {
			return nil, err
		}
		if !p.Disabled {
			out.Operators = append(out.Operators, p)
		}
	}
	for _, u := range sh.Standby {
		cs, _ := s.units.Callsign(u)
		out.Standby = append(out.Standby, UnitRef{ID: u, Callsign: cs})
	}
	return out, nil
}

func (s *Service) person(ctx context.Context, username string) (Person, error) {
	p, ok, err := s.people.Person(ctx, username)
	if err != nil {
		return Person{}, fmt.Errorf("looking up %s: %w", username, err)
	}
	if !ok {
		return Person{Username: username, Name: username}, nil
	}
	return p, nil
}

// leaderOf is the leader of w's shift, nil when their account is disabled.
func (s *Service) leaderOf(ctx context.Context, w *window) (*Person, error) {
	p, err := s.person(ctx, w.shift.Leader)
	if err != nil || p.Disabled {
		return nil, err
	}
	return &p, nil
}

// Leader is the leader on duty at a time, nil when no shift covers it or
// the leader's account is disabled: one account read, not the whole shift's.
func (s *Service) Leader(ctx context.Context, at time.Time) (*Person, error) {
	w, err := s.current(ctx, at)
	if err != nil || w == nil {
		return nil, err
	}
	return s.leaderOf(ctx, w)
}

// Approver names the leader on duty at a time, the default approver of
// alarms: their name and username, or "" when there is none (Leader).
func (s *Service) Approver(ctx context.Context, at time.Time) (name, username string, err error) {
	p, err := s.Leader(ctx, at)
	if err != nil || p == nil {
		return "", "", err
	}
	return p.Name, p.Username, nil
}
