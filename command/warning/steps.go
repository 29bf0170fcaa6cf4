package warning

import (
	"context"
	"fmt"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// ColourInput raises or lowers a warning; Version, when given, must be
// the warning's.
type ColourInput struct {
	Colour  Colour `json:"colour"`
	Reason  string `json:"reason"`
	Version *int64 `json:"version"`
}

// ExtendInput moves a warning's end later.
type ExtendInput struct {
	EndsAt  string `json:"ends_at"`
	Reason  string `json:"reason"`
	Version *int64 `json:"version"`
}

// LiftInput lifts a warning; the reason is required.
type LiftInput struct {
	Reason  string `json:"reason"`
	Version *int64 `json:"version"`
}

// Raise raises a warning's colour; plans whose triggers the new colour
// meets join its stand-by.
func (s *Service) Raise(ctx context.Context, who Who, id string, in *ColourInput) (*Warning, error) {
	return s.recolour(ctx, who, id, in, true)
}

// Lower lowers a warning's colour (a reason is required); plans whose
// triggers are no longer met leave its stand-by.
func (s *Service) Lower(ctx context.Context, who Who, id string, in *ColourInput) (*Warning, error) {
	return s.recolour(ctx, who, id, in, false)
}

func (s *Service) recolour(ctx context.Context, who Who, id string, in *ColourInput, up bool) (*Warning, error) {
	bad := &fault.Invalid{}
	in.Reason = cleanText(bad, "reason", in.Reason, MaxReason, !up, true)
	if !in.Colour.Valid() {
		bad.Add("colour", "unknown colour %q: one of blue, yellow, orange, red", in.Colour)
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	prev, err := s.changeable(ctx, who, id, in.Version)
	if err != nil {
		return nil, err
	}
	switch {
	case up && in.Colour.Rank() <= prev.Colour.Rank():
		return nil, fault.Field("colour", "must be above %s", prev.Colour)
	case !up && in.Colour.Rank() >= prev.Colour.Rank():
		return nil, fault.Field("colour", "must be below %s", prev.Colour)
	}
	now := s.now().UTC()
	w := next(prev, now)
	w.Colour = in.Colour
	w.StandBy = s.standBy(w.Type, w.Colour, prev.StandBy, now)
	action := StepRaised
	if !up {
		action = StepLowered
	}
	w.History = append(w.History, Step{At: now, Action: action, By: who.Username, Role: who.Role,
		From: string(prev.Colour), To: string(in.Colour), Reason: in.Reason})
	_, err = s.save(ctx, &write{w: w, prev: prev, event: vocab.WarningUpdated})
	return w, err
}

// Extend moves a warning's end later, into the future and at most
// MaxPeriod after its start.
func (s *Service) Extend(ctx context.Context, who Who, id string, in *ExtendInput) (*Warning, error) {
	bad := &fault.Invalid{}
	in.Reason = cleanText(bad, "reason", in.Reason, MaxReason, false, true)
	ends, err := time.Parse(time.RFC3339, in.EndsAt)
	switch {
	case err != nil:
		bad.Add("ends_at", "required: an RFC 3339 time")
	case !ends.After(s.now()):
		bad.Add("ends_at", "must be in the future")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	prev, err := s.changeable(ctx, who, id, in.Version)
	if err != nil {
		return nil, err
	}
	ends = ends.UTC()
	switch {
	case !ends.After(prev.EndsAt):
		return nil, fault.Field("ends_at", "must be after the current end %s", prev.EndsAt.Format(time.RFC3339))
	case ends.Sub(prev.StartsAt) > MaxPeriod:
		return nil, fault.Field("ends_at", "at most 30 days after starts_at")
	}
	now := s.now().UTC()
	w := next(prev, now)
	w.EndsAt = ends
	w.History = append(w.History, Step{At: now, Action: StepExtended, By: who.Username, Role: who.Role,
		From: prev.EndsAt.Format(time.RFC3339), To: ends.Format(time.RFC3339), Reason: in.Reason})
	_, err = s.save(ctx, &write{w: w, prev: prev, event: vocab.WarningUpdated, expiry: &w.EndsAt})
	return w, err
}

// Lift ends a warning before its time: its stand-by is cleared.
func (s *Service) Lift(ctx context.Context, who Who, id string, in *LiftInput) (*Warning, error) {
	bad := &fault.Invalid{}
	in.Reason = cleanText(bad, "reason", in.Reason, MaxReason, true, true)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	prev, err := s.changeable(ctx, who, id, in.Version)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	w := end(prev, now, Lifted, Step{At: now, Action: StepLifted, By: who.Username, Role: who.Role, Reason: in.Reason})
	_, err = s.save(ctx, &write{w: w, prev: prev, event: vocab.WarningEnded, cancel: true})
	return w, err
}

// Expire is the expiry timer's handler: a warning still active at its end
// expires (by "system"), once across instances (its version guards the
// write); one lifted, or extended to a later end, is left as it is.
func (s *Service) Expire(ctx context.Context, id string, _ time.Time) (bool, error) {
	prev, err := s.store.Load(ctx, id)
	if fault.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	if prev.Status != Active || prev.EndsAt.After(now) {
		return true, nil
	}
	w := end(prev, now, Expired, Step{At: now, Action: StepExpired, By: "system", Role: vocab.System})
	if _, err := s.save(ctx, &write{w: w, prev: prev, event: vocab.WarningEnded}); err != nil {
		if fault.IsConflict(err) {
			return false, nil // changed meanwhile: look again next poll
		}
		return false, err
	}
	return true, nil
}

// changeable loads a warning who may change: active and not past its end
// (the expiry timer ends it), of the version asked for, in who's area.
func (s *Service) changeable(ctx context.Context, who Who, id string, version *int64) (*Warning, error) {
	w, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if w.Status != Active {
		at := w.UpdatedAt
		if w.EndedAt != nil {
			at = *w.EndedAt
		}
		return nil, &fault.Conflict{Detail: fmt.Sprintf("warning %s was %s at %s", w.ID, w.Status, at.In(s.opts.Location).Format("2006-01-02 15:04"))}
	}
	if !w.EndsAt.After(s.now()) {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("warning %s ended at %s", w.ID, w.EndsAt.In(s.opts.Location).Format("2006-01-02 15:04"))}
	}
	if version != nil && *version != w.Version {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("warning %s changed meanwhile: it is at version %d, not %d", w.ID, w.Version, *version)}
	}
	if err := s.mayAct(who, w.Area); err != nil {
		return nil, err
	}
	return w, nil
}

// next is a copy of prev as the step at now makes it: a version more.
func next(prev *Warning, now time.Time) *Warning {
	w := *prev
	w.History = append([]Step(nil), prev.History...)
	w.UpdatedAt, w.Version = now, prev.Version+1
	return &w
}

// end is prev ended at now with status and step: its stand-by cleared.
func end(prev *Warning, now time.Time, status string, step Step) *Warning {
	w := next(prev, now)
	w.Status, w.EndedAt, w.StandBy = status, &now, []StandBy{}
	w.History = append(w.History, step)
	return w
}
