package duty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// Handover statuses: opened and pre-filled, submitted with the outgoing
// operator's notes, accepted by the incoming operator.
const (
	Draft     = "draft"
	Submitted = "submitted"
	Accepted  = "accepted"
)

// NotesRunes bounds a handover's notes.
const NotesRunes = 4000

// Handover is one shift handover (交接班).
type Handover struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Date and ShiftID are the roster shift handed over ("" when no shift
	// covered the time it was opened: then From is twelve hours before).
	Date     string    `json:"date"`
	ShiftID  string    `json:"shift_id,omitempty"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Outgoing string    `json:"outgoing"`
	OpenedAt time.Time `json:"opened_at"`
	Lists
	Notes       string     `json:"notes"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	Incoming    string     `json:"incoming,omitempty"`
	AcceptNote  string     `json:"accept_note,omitempty"`
	AcceptedAt  *time.Time `json:"accepted_at,omitempty"`
}

var handoverID = regexp.MustCompile(`^H-(\d{4})(\d{2})\d{2}-\d{1,6}$`)

// handoverMonth is the month a handover id is kept under.
func handoverMonth(id string) (string, error) {
	m := handoverID.FindStringSubmatch(id)
	if m == nil {
		return "", fmt.Errorf("handover %q: %w", id, fault.ErrNotFound)
	}
	return m[1] + "-" + m[2], nil
}

// window of a handover opened at now: the shift that covers now, or the
// one that ended last within twelve hours, or the last twelve hours.
func (s *Service) handoverWindow(ctx context.Context, now time.Time) (window, error) {
	date := now.In(s.loc).Format(time.DateOnly)
	prev, _ := neighbours(date)
	days, err := s.days(ctx, prev, date)
	if err != nil {
		return window{}, err
	}
	if w := s.cover(days, prev, date, now); w != nil {
		return *w, nil
	}
	last := window{date: date, start: now.Add(-12 * time.Hour), end: now}
	for _, d := range []string{prev, date} {
		for _, sh := range days[d].Shifts {
			if w, ok := s.place(d, sh); ok && !w.end.After(now) && now.Sub(w.end) < 12*time.Hour && (last.shift.ID == "" || w.end.After(last.end)) {
				last = w
			}
		}
	}
	return last, nil
}

// OpenHandover opens a handover of the shift ending now, pre-filled with
// its open items (created true); when who already has a draft it is that
// draft, its pre-fill read afresh.
func (s *Service) OpenHandover(ctx context.Context, who vocab.Actor) (*Handover, bool, error) {
	now := s.now().UTC()
	last, _, err := s.store.Field(ctx, KindHandovers, DraftsID, who.Username)
	if err != nil {
		return nil, false, fmt.Errorf("reading %s's draft: %w", who.Username, err)
	}
	if last != "" {
		h, err := s.Handover(ctx, last)
		if err != nil && !errors.Is(err, fault.ErrNotFound) {
			return nil, false, err
		}
		if err == nil && h.Status == Draft {
			h, err := s.refresh(ctx, who, h, now)
			return h, false, err
		}
	}
	w, err := s.handoverWindow(ctx, now)
	if err != nil {
		return nil, false, err
	}
	lists, err := s.prefill(ctx, w.start, now)
	if err != nil {
		return nil, false, err
	}
	day := now.In(s.loc).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, false, fmt.Errorf("numbering a handover: %w", err)
	}
	h := &Handover{ID: fmt.Sprintf("H-%s-%d", day, n), Status: Draft, Date: w.date, ShiftID: w.shift.ID,
		From: w.start.UTC(), To: w.end.UTC(), Outgoing: who.Username, OpenedAt: now, Lists: lists}
	c, err := handoverChange(h, "", audit.Record{At: now, Who: who.Username, Role: who.Role, Action: HandoverOpened, Object: h.ID,
		Detail: map[string]any{"items": lists.Count()}})
	if err != nil {
		return nil, false, err
	}
	// One draft an account: opening twice at once leaves one.
	c.Guards = append(c.Guards, change.Guard{Kind: KindHandovers, ID: DraftsID, Field: who.Username, Allowed: []string{last},
		Why: who.Username + " opened a handover meanwhile"})
	c.Fields = append(c.Fields, change.Field{Kind: KindHandovers, ID: DraftsID, Field: who.Username, Value: h.ID})
	if _, err := s.store.Apply(ctx, c); err != nil {
		return nil, false, fmt.Errorf("storing handover %s: %w", h.ID, err)
	}
	return h, true, nil
}

// prefill reads the open items from..to, each list bounded by MaxItems.
func (s *Service) prefill(ctx context.Context, from, to time.Time) (Lists, error) {
	l, err := s.items.Open(ctx, from, to)
	if err != nil {
		return l, err
	}
	l.bound(MaxItems)
	return l, nil
}

// refresh reads a draft's open items afresh (from its shift's start).
func (s *Service) refresh(ctx context.Context, who vocab.Actor, h *Handover, now time.Time) (*Handover, error) {
	lists, err := s.prefill(ctx, h.From, now)
	if err != nil {
		return nil, err
	}
	h.Lists = lists
	c, err := handoverChange(h, Draft, audit.Record{At: now, Who: who.Username, Role: who.Role, Action: HandoverRefresh, Object: h.ID,
		Detail: map[string]any{"items": lists.Count()}})
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Apply(ctx, c); err != nil {
		return nil, fmt.Errorf("storing handover %s: %w", h.ID, err)
	}
	return h, nil
}

// handoverChange writes h, guarded by the status it had (prev, "" when new).
func handoverChange(h *Handover, prev string, rec audit.Record) (*change.Change, error) {
	month, err := handoverMonth(h.ID)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("encoding handover %s: %w", h.ID, err)
	}
	return &change.Change{At: rec.At,
		Guards: []change.Guard{{Kind: KindHandovers, ID: month, Field: "s:" + h.ID, Allowed: []string{prev},
			Why: "handover " + h.ID + " changed meanwhile"}},
		Fields: []change.Field{{Kind: KindHandovers, ID: month, Field: h.ID, Value: string(b)},
			{Kind: KindHandovers, ID: month, Field: "s:" + h.ID, Value: h.Status}},
		Audit: []audit.Record{rec}}, nil
}

// Handover returns a stored handover.
func (s *Service) Handover(ctx context.Context, id string) (*Handover, error) {
	month, err := handoverMonth(id)
	if err != nil {
		return nil, err
	}
	raw, ok, err := s.store.Field(ctx, KindHandovers, month, id)
	if err != nil {
		return nil, fmt.Errorf("reading handover %s: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("handover %s: %w", id, fault.ErrNotFound)
	}
	var h Handover
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		return nil, fmt.Errorf("decoding handover %s: %w", id, err)
	}
	return &h, nil
}

// CleanNotes cleans notes as every typed text (cleantext.Note): control and
// format characters dropped but for new lines and tabs; nothing visible is none.
func CleanNotes(s string) string { return cleantext.Note(s) }

// Submit hands a draft over with the outgoing operator's notes; only the
// one who opened it may.
func (s *Service) Submit(ctx context.Context, who vocab.Actor, id, notes string) (*Handover, error) {
	return s.advance(ctx, who, id, "notes", notes, HandoverSubmit, func(h *Handover) error {
		if h.Outgoing != who.Username {
			return &fault.Forbidden{Detail: fmt.Sprintf("handover %s is %s's to submit", id, h.Outgoing)}
		}
		if h.Status != Draft {
			return &fault.Conflict{Detail: fmt.Sprintf("handover %s is already %s", id, h.Status)}
		}
		return nil
	}, func(h *Handover, text string, now time.Time) {
		h.Status, h.Notes, h.SubmittedAt, h.To = Submitted, text, &now, now
	})
}

// Accept takes a submitted handover over: by another account than the one
// that handed it over.
func (s *Service) Accept(ctx context.Context, who vocab.Actor, id, note string) (*Handover, error) {
	return s.advance(ctx, who, id, "note", note, HandoverAccepted, func(h *Handover) error {
		switch {
		case h.Outgoing == who.Username:
			return &fault.Forbidden{Detail: fmt.Sprintf("handover %s is accepted by the incoming operator, not by %s who hands it over", id, who.Username)}
		case h.Status != Submitted:
			return &fault.Conflict{Detail: fmt.Sprintf("handover %s is %s, not submitted", id, h.Status)}
		}
		return nil
	}, func(h *Handover, text string, now time.Time) {
		h.Status, h.Incoming, h.AcceptNote, h.AcceptedAt = Accepted, who.Username, text, &now
	})
}

// advance moves a handover on by one step: text (the body's field) is
// cleaned and bounded, check says whether who may take the step, set
// takes it; the change is guarded by the status it had and audited as
// action.
func (s *Service) advance(ctx context.Context, who vocab.Actor, id, field, text, action string,
	check func(*Handover) error, set func(h *Handover, text string, now time.Time)) (*Handover, error) {
	text = CleanNotes(text)
	if utf8.RuneCountInString(text) > NotesRunes {
		return nil, fault.Field(field, "at most %d characters", NotesRunes)
	}
	h, err := s.Handover(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := check(h); err != nil {
		return nil, err
	}
	now, prev := s.now().UTC(), h.Status
	set(h, text, now)
	c, err := handoverChange(h, prev, audit.Record{At: now, Who: who.Username, Role: who.Role, Action: action, Object: id,
		Detail: map[string]any{"outgoing": h.Outgoing}})
	if err != nil {
		return nil, err
	}
	if _, err := s.store.Apply(ctx, c); err != nil {
		return nil, fmt.Errorf("storing handover %s: %w", id, err)
	}
	return h, nil
}

// Query searches the handover log: opened between From and To (dates,
// inclusive), by or to Person, with Text in notes or items; Status filters.
type Query struct {
	From, To     string
	Person, Text string
	Status       string
	Limit        int
}

// MaxMonths bounds a search of the log.
const MaxMonths = 13

// Handovers searches the log, newest first.
func (s *Service) Handovers(ctx context.Context, q Query) ([]*Handover, error) {
	bad := &fault.Invalid{}
	from, errF := time.Parse(time.DateOnly, q.From)
	to, errT := time.Parse(time.DateOnly, q.To)
	if errF != nil {
		bad.Add("from", "%q is not a date (YYYY-MM-DD)", q.From)
	}
	if errT != nil {
		bad.Add("to", "%q is not a date (YYYY-MM-DD)", q.To)
	}
	if errF == nil && errT == nil && (to.Before(from) || to.Sub(from) > MaxMonths*31*24*time.Hour) {
		bad.Add("to", "on or after from, at most %d months after it", MaxMonths)
	}
	if q.Status != "" && !slices.Contains([]string{Draft, Submitted, Accepted}, q.Status) {
		bad.Add("status", "one of draft, submitted, accepted")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	var out []*Handover
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		raw, err := s.store.Month(ctx, KindHandovers, m.Format("2006-01"))
		if err != nil {
			return nil, fmt.Errorf("reading handovers: %w", err)
		}
		for k, v := range raw {
			var h Handover
			if strings.HasPrefix(k, "H-") && json.Unmarshal([]byte(v), &h) == nil && q.match(&h, s.loc) {
				out = append(out, &h)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Handover) int { return b.OpenedAt.Compare(a.OpenedAt) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (q *Query) match(h *Handover, loc *time.Location) bool {
	day := h.OpenedAt.In(loc).Format(time.DateOnly)
	if day < q.From || day > q.To || q.Status != "" && h.Status != q.Status {
		return false
	}
	if q.Person != "" && h.Outgoing != q.Person && h.Incoming != q.Person {
		return false
	}
	if q.Text == "" {
		return true
	}
	text := strings.ToLower(q.Text)
	hay := []string{h.Notes, h.AcceptNote, h.ID}
	for _, rs := range [][]Ref{h.Incidents, h.Orders, h.Cases, h.Reports, h.Alarms} {
		for _, r := range rs {
			hay = append(hay, r.ID, r.Summary)
		}
	}
	return slices.ContainsFunc(hay, func(s string) bool { return strings.Contains(strings.ToLower(s), text) })
}
