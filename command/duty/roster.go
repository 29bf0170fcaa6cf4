package duty

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// The most shifts a day may have, and operators and stand-by units a shift.
const (
	MaxShifts    = 8
	MaxOperators = 20
	MaxStandby   = 50
)

// Shift is one shift of a day: from Start to End (HH:MM in the configured
// time zone; an End not after Start ends on the next day).
type Shift struct {
	ID        string   `json:"id"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	Leader    string   `json:"leader"`
	Operators []string `json:"operators"`
	Standby   []string `json:"standby"`
}

// Day is a date's shifts and the version that guards their edits.
type Day struct {
	Date      string     `json:"date"`
	Shifts    []Shift    `json:"shifts"`
	Version   int        `json:"version"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// RosterEvent is the roster.changed event on the screen stream: the dates
// whose shifts changed, so that screens read who is on duty again.
type RosterEvent struct {
	Dates []string  `json:"dates"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// window is a shift placed in time.
type window struct {
	date       string
	shift      Shift
	start, end time.Time
}

// clock parses HH:MM into minutes after midnight.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// place puts a valid shift of date in time (an end not after the start is
// on the next day).
func (s *Service) place(date string, sh Shift) (window, bool) {
	d, err := time.ParseInLocation(time.DateOnly, date, s.loc)
	a, okA := clock(sh.Start)
	b, okB := clock(sh.End)
	if err != nil || !okA || !okB || a == b {
		return window{}, false
	}
	start := time.Date(d.Year(), d.Month(), d.Day(), a/60, a%60, 0, 0, s.loc)
	end := time.Date(d.Year(), d.Month(), d.Day(), b/60, b%60, 0, 0, s.loc)
	if b <= a {
		end = time.Date(d.Year(), d.Month(), d.Day()+1, b/60, b%60, 0, 0, s.loc)
	}
	return window{date: date, shift: sh, start: start, end: end}, true
}

// The years a roster date may fall in: the days around each (read to
// check overlaps) still have four-digit years.
const (
	MinYear = 1970
	MaxYear = 9998
)

// ParseDate checks a date (YYYY-MM-DD) of the years MinYear to MaxYear.
func ParseDate(date string) error {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil || len(date) != 10 {
		return fmt.Errorf("%q is not a date (YYYY-MM-DD)", date)
	}
	if y := t.Year(); y < MinYear || y > MaxYear {
		return fmt.Errorf("%q is out of range: the years %d to %d", date, MinYear, MaxYear)
	}
	return nil
}

// shiftIDOK reports whether id may name a shift: 1 to 32 bytes (as ids
// were always held, so days already saved keep theirs: 08:00-20:00, 白班 1),
// as typed text would be once cleaned (no control, bidirectional or
// zero-width characters, no space at either end), and not starting with
// what a spreadsheet reads as a formula (= + - @) in an exported month.
func shiftIDOK(id string) bool {
	return id != "" && len(id) <= 32 && cleantext.Clean(id, false) == id && cleantext.Visible(id) && !strings.ContainsAny(id[:1], "=+-@")
}

// monthOf is the month (YYYY-MM) of a date.
func monthOf(date string) string { return date[:7] }

// checkShift adds to bad what is wrong with one shift (at names it: the
// field prefix, or a CSV row).
func (s *Service) checkShift(ctx context.Context, bad *fault.Invalid, at string, sh Shift, known lookups) error {
	if !shiftIDOK(sh.ID) {
		bad.Add(at+"id", "1 to 32 bytes of visible text, without control or invisible characters, not starting with = + - or @")
	}
	if _, ok := clock(sh.Start); !ok {
		bad.Add(at+"start", "%q is not a time (HH:MM)", sh.Start)
	}
	if _, ok := clock(sh.End); !ok {
		bad.Add(at+"end", "%q is not a time (HH:MM)", sh.End)
	} else if sh.End == sh.Start {
		bad.Add(at+"end", "a shift ends after it starts (an end before the start is on the next day)")
	}
	if sh.Leader == "" {
		bad.Add(at+"leader", "the leader on duty is required")
	} else if err := s.checkPerson(ctx, bad, at+"leader", sh.Leader, known, vocab.Admin, vocab.Leader, vocab.Deputy); err != nil {
		return err
	}
	seen := make(map[string]bool, len(sh.Operators)+len(sh.Standby))
	for i, op := range sh.Operators {
		if seen[op] {
			bad.Add(fmt.Sprintf("%soperators[%d]", at, i), "%q is listed twice", op)
			continue
		}
		seen[op] = true
		if err := s.checkPerson(ctx, bad, fmt.Sprintf("%soperators[%d]", at, i), op, known, vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator); err != nil {
			return err
		}
	}
	clear(seen)
	for i, u := range sh.Standby {
		if _, ok := s.units.Callsign(u); !ok {
			bad.Add(fmt.Sprintf("%sstandby[%d]", at, i), "%q is not a unit", u)
		} else if seen[u] {
			bad.Add(fmt.Sprintf("%sstandby[%d]", at, i), "%q is listed twice", u)
		}
		seen[u] = true
	}
	return nil
}

// sizes refuses days of too many shifts and shifts of too many operators
// or stand-by units, before anything is looked up.
func sizes(byDate map[string][]Shift, field func(date string, i int) string) error {
	bad := &fault.Invalid{}
	for date, shifts := range byDate {
		if len(shifts) > MaxShifts {
			bad.Add("shifts", "at most %d shifts a day (%s has %d)", MaxShifts, date, len(shifts))
			continue
		}
		for i, sh := range shifts {
			if len(sh.Operators) > MaxOperators {
				bad.Add(field(date, i)+"operators", "at most %d operators a shift (%d given)", MaxOperators, len(sh.Operators))
			}
			if len(sh.Standby) > MaxStandby {
				bad.Add(field(date, i)+"standby", "at most %d stand-by units a shift (%d given)", MaxStandby, len(sh.Standby))
			}
		}
	}
	return bad.Err()
}

// lookups are the accounts already looked up while checking one edit or
// import, so that a name on many shifts is read once.
type lookups map[string]lookedUp

type lookedUp struct {
	p  Person
	ok bool
}

// checkPerson adds a field error unless username is an account of one of roles.
func (s *Service) checkPerson(ctx context.Context, bad *fault.Invalid, field, username string, known lookups, roles ...vocab.Role) error {
	l, done := known[username]
	if !done {
		p, ok, err := s.people.Person(ctx, username)
		if err != nil {
			return fmt.Errorf("looking up %s: %w", username, err)
		}
		l = lookedUp{p, ok}
		known[username] = l
	}
	p, ok := l.p, l.ok
	switch {
	case !ok:
		bad.Add(field, "%q is not an account", username)
	case p.Disabled:
		bad.Add(field, "the account %q is disabled", username)
	case !slices.Contains(roles, p.Role):
		bad.Add(field, "%q is a %s; this needs one of %s", username, p.Role, vocab.JoinRoles(roles, ", "))
	}
	return nil
}

// overlaps adds a field error for each shift that overlaps an earlier one
// (ws sorted by start); field names a shift being written ("" for one
// already stored), and the error goes to the one being written.
func overlaps(bad *fault.Invalid, ws []window, field func(w window) string) {
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].start.Before(ws[j].start) })
	for i := 1; i < len(ws); i++ {
		a, b := ws[i-1], ws[i]
		if !b.start.Before(a.end) {
			continue
		}
		if field(b) == "" {
			a, b = b, a
		}
		bad.Add(field(b)+"start", "overlaps shift %s of %s (%s–%s)", a.shift.ID, a.date, a.shift.Start, a.shift.End)
	}
}

// Month returns the roster of a month (YYYY-MM), day by day (days without
// shifts left out), by date.
func (s *Service) Month(ctx context.Context, month string) ([]Day, error) {
	if _, err := time.Parse("2006-01", month); err != nil || len(month) != 7 {
		return nil, fault.Field("month", "%q is not a month (YYYY-MM)", month)
	}
	m, err := s.store.Month(ctx, KindRoster, month)
	if err != nil {
		return nil, fmt.Errorf("reading the roster of %s: %w", month, err)
	}
	var out []Day
	for k, v := range m {
		if len(k) != 10 {
			continue
		}
		var d Day
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			return nil, fmt.Errorf("decoding the roster of %s: %w", k, err)
		}
		if len(d.Shifts) > 0 || d.Version > 0 {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Day) int { return strings.Compare(a.Date, b.Date) })
	return out, nil
}

// Day returns a date's shifts (none, version 0, when not yet planned).
func (s *Service) Day(ctx context.Context, date string) (Day, error) {
	if err := ParseDate(date); err != nil {
		return Day{}, fault.Field("date", "%v", err)
	}
	days, err := s.days(ctx, date)
	if err != nil {
		return Day{}, err
	}
	return days[date], nil
}

// days reads the days of the months the dates fall in, by date; a date
// without shifts maps to an empty Day of that date.
func (s *Service) days(ctx context.Context, dates ...string) (map[string]Day, error) {
	out := map[string]Day{}
	read := map[string]bool{}
	for _, date := range dates {
		if read[monthOf(date)] {
			continue
		}
		read[monthOf(date)] = true
		m, err := s.Month(ctx, monthOf(date))
		if err != nil {
			return nil, err
		}
		for _, d := range m {
			out[d.Date] = d
		}
	}
	for _, date := range dates {
		if out[date].Date == "" {
			out[date] = Day{Date: date, Shifts: []Shift{}}
		}
	}
	return out, nil
}

// neighbours are the dates before and after date.
func neighbours(date string) (string, string) {
	d, _ := time.Parse(time.DateOnly, date)
	return d.AddDate(0, 0, -1).Format(time.DateOnly), d.AddDate(0, 0, 1).Format(time.DateOnly)
}

// PutDay replaces a date's shifts when the day is still at version
// (0: not yet planned). Shifts may not overlap each other or the shifts of
// the days around it.
func (s *Service) PutDay(ctx context.Context, who vocab.Actor, date string, version int, shifts []Shift) (Day, error) {
	if err := ParseDate(date); err != nil {
		return Day{}, fault.Field("date", "%v", err)
	}
	c, days, err := s.plan(ctx, who, map[string][]Shift{date: shifts}, func(date string, i int) string {
		return fmt.Sprintf("shifts[%d].", i)
	})
	if err != nil {
		return Day{}, err
	}
	if cur := days[date].Version; cur != version {
		return Day{}, &fault.Conflict{Detail: fmt.Sprintf("the roster of %s changed meanwhile (version %d, not %d)", date, cur, version)}
	}
	c.Audit = append(c.Audit, audit.Record{At: c.At, Who: who.Username, Role: who.Role, Action: RosterChanged, Object: date,
		Detail: map[string]any{"shifts": len(shifts)}})
	if _, err := s.store.Apply(ctx, c); err != nil {
		return Day{}, fmt.Errorf("storing the roster of %s: %w", date, err)
	}
	d, err := s.Day(ctx, date)
	return d, err
}

// plan checks the new shifts of each date (field names a shift for errors)
// against each other and the days around them, and returns the change that
// writes them, each day guarded by the version it was read at, and the days
// as they were.
func (s *Service) plan(ctx context.Context, who vocab.Actor, byDate map[string][]Shift, field func(date string, i int) string) (*change.Change, map[string]Day, error) {
	if err := sizes(byDate, field); err != nil {
		return nil, nil, err
	}
	var dates []string
	for date := range byDate {
		prev, next := neighbours(date)
		dates = append(dates, date, prev, next)
	}
	days, err := s.days(ctx, dates...)
	if err != nil {
		return nil, nil, err
	}
	bad := &fault.Invalid{}
	var ws []window
	known := lookups{}
	for date, shifts := range byDate {
		for i := range shifts {
			sh, at := &shifts[i], field(date, i)
			if j := slices.IndexFunc(shifts[:i], func(o Shift) bool { return o.ID == sh.ID }); j >= 0 {
				bad.Add(at+"id", "%q is the id of another shift of %s", sh.ID, date)
			}
			if err := s.checkShift(ctx, bad, at, *sh, known); err != nil {
				return nil, nil, err
			}
			if w, ok := s.place(date, *sh); ok {
				ws = append(ws, w)
			}
		}
	}
	for date, d := range days {
		if _, replaced := byDate[date]; replaced {
			continue
		}
		for _, sh := range d.Shifts {
			if w, ok := s.place(date, sh); ok {
				ws = append(ws, w)
			}
		}
	}
	overlaps(bad, ws, func(w window) string {
		if i := slices.IndexFunc(byDate[w.date], func(o Shift) bool { return o.ID == w.shift.ID }); i >= 0 {
			return field(w.date, i)
		}
		return ""
	})
	if err := bad.Err(); err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	c := &change.Change{At: now}
	dates = dates[:0]
	for date := range byDate {
		dates = append(dates, date)
	}
	slices.Sort(dates)
	c.Emit(vocab.RosterChanged, RosterEvent{Dates: dates, By: who.Username, At: now}, vocab.ScreenStream)
	for date, shifts := range byDate {
		cur := days[date]
		d := Day{Date: date, Shifts: shifts, Version: cur.Version + 1, UpdatedBy: who.Username, UpdatedAt: &now}
		for i := range d.Shifts {
			d.Shifts[i].Operators = nonNil(d.Shifts[i].Operators)
			d.Shifts[i].Standby = nonNil(d.Shifts[i].Standby)
		}
		slices.SortFunc(d.Shifts, func(a, b Shift) int { return strings.Compare(a.Start, b.Start) })
		b, err := json.Marshal(d)
		if err != nil {
			return nil, nil, fmt.Errorf("encoding the roster of %s: %w", date, err)
		}
		allowed := ""
		if cur.Version > 0 {
			allowed = strconv.Itoa(cur.Version)
		}
		c.Guards = append(c.Guards, change.Guard{Kind: KindRoster, ID: monthOf(date), Field: "v:" + date, Allowed: []string{allowed},
			Why: "the roster of " + date + " changed meanwhile"})
		c.Fields = append(c.Fields,
			change.Field{Kind: KindRoster, ID: monthOf(date), Field: date, Value: string(b)},
			change.Field{Kind: KindRoster, ID: monthOf(date), Field: "v:" + date, Value: strconv.Itoa(d.Version)})
	}
	return c, days, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
