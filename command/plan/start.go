package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/cleantext"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
)

// Start is a leader's start of a plan by hand: for an incident, on a
// higher body's request with no incident, or for a warning (预警):
// exactly one of the three.
type Start struct {
	PlanID     string
	IncidentID string
	Request    *Request
	WarningID  string
	// Level is the scale's level ("" for an incident: its level; for a
	// warning: its colour's).
	Level string
	// Groups are the plan's working groups chosen (启动规模); empty: all.
	Groups []string
	Reason string
}

// StartByHand starts a plan at once, approved by who (who must be one of
// the plan's approvers at the level), sending tasks to the chosen groups'
// units only. A plan already active for the incident (or warning) is a
// conflict naming it.
func (s *Service) StartByHand(ctx context.Context, who Who, st Start) (*Activation, error) {
	a, _, err := s.StartByHandOnce(ctx, who, st, nil)
	return a, err
}

// StartByHandOnce is StartByHand with the request's Idempotency-Key (idem
// nil: none). A repeat of idem's Idempotency-Key returns the first activation
// (replayed true) without starting anything: a leader who presses again
// after a lost answer must not send every member its tasks twice. The
// key is looked up before st is checked (the first start has made the
// plan active, which a second check would refuse as a conflict); the key
// with another body is a field error.
func (s *Service) StartByHandOnce(ctx context.Context, who Who, st Start, idem *vocab.Idempotency) (_ *Activation, replayed bool, _ error) {
	if idem != nil {
		dup, err := s.store.Replayed(ctx, idem.Key)
		if err != nil {
			return nil, false, fmt.Errorf("read an idempotency key: %w", err)
		}
		if dup != "" {
			return s.replay(ctx, dup, idem)
		}
	}
	a, err := s.startByHand(ctx, who, st, idem)
	for attempt := 1; ; attempt++ {
		// Refused as a conflict: the same request, sent twice, may have
		// started the plan meanwhile (then it is "already active").
		var cf *fault.Conflict
		if idem != nil && errors.As(err, &cf) {
			dup, rerr := s.store.Replayed(ctx, idem.Key)
			if rerr != nil {
				return nil, false, fmt.Errorf("read an idempotency key: %w", rerr)
			}
			if dup != "" {
				return s.replay(ctx, dup, idem)
			}
		}
		if attempt >= 4 || !incidentMoved(err, st.IncidentID) {
			break
		}
		a, err = s.startByHand(ctx, who, st, idem) // the incident changed meanwhile: look at it again
	}
	var dup *duplicate
	if errors.As(err, &dup) {
		return s.replay(ctx, dup.first, idem)
	}
	return a, false, err
}

// duplicate is startByHand's answer when another request with the same
// Idempotency-Key stored its activation meanwhile: first is what that
// request recorded under the key.
type duplicate struct{ first string }

func (d *duplicate) Error() string { return "a repeated start: " + d.first }

// replay answers a repeated start with the activation the first request
// stored (dup is "id|fingerprint"), or refuses a key reused for another
// body.
func (s *Service) replay(ctx context.Context, dup string, idem *vocab.Idempotency) (*Activation, bool, error) {
	id, err := change.FirstOf(dup, idem)
	if err != nil {
		return nil, false, err
	}
	first, err := s.Load(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("load the activation of a repeated start: %w", err)
	}
	return first, true, nil
}

func (s *Service) startByHand(ctx context.Context, who Who, st Start, idem *vocab.Idempotency) (*Activation, error) {
	p, sub, level, err := s.checkStart(ctx, st)
	if err != nil {
		return nil, err
	}
	roles := approvers(p, level)
	if !slices.Contains(roles, who.Role) {
		return nil, &fault.Forbidden{Detail: fmt.Sprintf("plan %s at level %s is started only by %s, not by %s",
			p.ID, level, vocab.JoinRoles(roles, " or "), who.Role)}
	}
	now := s.now().UTC()
	if st.Request != nil && st.Request.At.IsZero() {
		st.Request.At = now
	}
	w := &Write{At: now, Idem: idem}
	inc := sub.incident
	// Guarded by the incident's version: a close at the same moment is seen.
	w.Incident = inc
	slot, free := "", []string(nil)
	switch {
	case inc != nil:
		slot, free, err = s.superseded(ctx, who, p, level, inc, now, w)
	case sub.warning != nil:
		slot, free, err = s.warningSlot(ctx, p, sub.warning)
	}
	if err != nil {
		return nil, err
	}
	day := now.In(s.opts.Location).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, err
	}
	a := &Activation{
		ID: fmt.Sprintf("A-%s-%04d", day, n), PlanID: p.ID, PlanName: p.Name, Level: level, Status: Proposed,
		Why: []string{"started by hand by " + who.Username}, Approvers: roles, Commander: p.Commander[level.String()],
		ProposedAt: now, UpdatedAt: now, Groups: chosen(s.groups(p), st.Groups), ByHand: true, Request: st.Request,
		WarningID: st.WarningID,
	}
	if inc != nil {
		a.IncidentID = inc.ID
	}
	if sub.warning != nil {
		a.Drill = sub.warning.Drill
	}
	detail := map[string]any{"activation_id": a.ID, "plan_id": p.ID, "by_hand": true, "level": level.String(), "groups": groupIDs(a.Groups)}
	if st.Request != nil {
		detail["request_from"], detail["request_at"], detail["request_text"] = st.Request.From, st.Request.At, st.Request.Text
	}
	if st.WarningID != "" {
		detail["warning_id"] = st.WarningID
	}
	w.Entries = append(w.Entries, incident.Entry{At: now, Type: "plan.started", By: who.Username, Role: who.Role, Reason: st.Reason, Detail: detail})
	s.activate(a, p, who, st.Reason, now, w)
	w.Changes = append(w.Changes, Change{A: a, Event: vocab.ActivationApproved, Slot: slot, Free: free})
	res, err := s.store.Apply(ctx, w.Change())
	if err != nil {
		return nil, err
	}
	if res.Duplicate != "" { // a repeat stored meanwhile: nothing was written
		return nil, &duplicate{first: res.Duplicate}
	}
	return a, s.runJobs(ctx, w.Jobs)
}

// subject is what a plan is started for: an incident, a warning, or
// neither (a higher body's request).
type subject struct {
	incident *incident.Incident
	warning  *warning.Warning
}

// checkStart checks every field of st at once and returns the plan, what
// it is started for and the level.
func (s *Service) checkStart(ctx context.Context, st Start) (*config.Plan, subject, alerts.Level, error) {
	bad := &fault.Invalid{}
	p := s.plans[st.PlanID]
	if st.PlanID == "" {
		bad.Add("plan_id", "required")
	} else if p == nil {
		bad.Add("plan_id", "unknown plan %q", st.PlanID)
	}
	sub, err := s.checkSubject(ctx, st, bad)
	if err != nil {
		return nil, subject{}, 0, err
	}
	level, err := alerts.ParseLevel(st.Level)
	switch {
	case st.Level == "" && sub.incident != nil:
		level = sub.incident.Level
		if !level.Valid() {
			bad.Add("level", "required: incident %s is not graded", sub.incident.ID)
		}
	case st.Level == "" && sub.warning != nil:
		level, _ = alerts.ParseLevel(sub.warning.Colour.Level())
	case st.Level == "" && st.IncidentID == "" && st.WarningID == "":
		bad.Add("level", "required: I, II, III or IV")
	case st.Level != "" && err != nil:
		bad.Add("level", "must be I, II, III or IV")
	}
	if p != nil {
		for i, g := range st.Groups {
			if !slices.ContainsFunc(p.Groups, func(c config.Group) bool { return c.ID == g }) {
				bad.Add(fmt.Sprintf("groups[%d]", i), "%q is not a working group of plan %s", g, p.ID)
			} else if slices.Contains(st.Groups[:i], g) {
				bad.Add(fmt.Sprintf("groups[%d]", i), "%q is given twice", g)
			}
		}
		if level.Valid() && len(p.Approvers[level.String()]) == 0 {
			bad.Add("level", "plan %s names no approver at level %s", p.ID, level)
		}
	}
	if len([]rune(st.Reason)) > 2000 {
		bad.Add("reason", "at most 2000 characters")
	}
	if err := bad.Err(); err != nil {
		return nil, subject{}, 0, err
	}
	return p, sub, level, nil
}

// checkSubject checks that st names exactly one of an open incident, a
// request and an active warning, adding what is wrong to bad.
func (s *Service) checkSubject(ctx context.Context, st Start, bad *fault.Invalid) (subject, error) {
	given := 0
	for _, k := range []struct {
		field string
		set   bool
	}{{"incident_id", st.IncidentID != ""}, {"request", st.Request != nil}, {"warning_id", st.WarningID != ""}} {
		if k.set {
			if given++; given > 1 {
				bad.Add(k.field, "give exactly one of incident_id, request and warning_id")
			}
		}
	}
	var sub subject
	switch {
	case given > 1:
	case st.IncidentID != "":
		i, err := s.incidents.Load(ctx, st.IncidentID)
		if fault.IsNotFound(err) {
			bad.Add("incident_id", "unknown incident %q", st.IncidentID)
		} else if err != nil {
			return sub, err
		} else if i.Status == incident.StatusClosed {
			bad.Add("incident_id", "incident %s is closed", st.IncidentID)
		} else {
			sub.incident = i
		}
	case st.Request != nil:
		CleanRequest(st.Request)
		switch {
		case !cleantext.Visible(st.Request.From):
			bad.Add("request.from", "required: who asked")
		case utf8.RuneCountInString(st.Request.From) > maxRequestFrom:
			bad.Add("request.from", "at most %d characters", maxRequestFrom)
		}
		switch {
		case !cleantext.Visible(st.Request.Text):
			bad.Add("request.text", "required: what was asked")
		case utf8.RuneCountInString(st.Request.Text) > maxRequestText:
			bad.Add("request.text", "at most %d characters", maxRequestText)
		}
	case st.WarningID != "":
		w, err := s.activeWarning(ctx, st.WarningID, bad)
		if err != nil {
			return sub, err
		}
		sub.warning = w
	default:
		bad.Add("incident_id", "give incident_id, warning_id, or request with from, at and text")
	}
	return sub, nil
}

// activeWarning loads warning id when it is active, else adds why not to
// bad and returns nil.
func (s *Service) activeWarning(ctx context.Context, id string, bad *fault.Invalid) (*warning.Warning, error) {
	var w *warning.Warning
	err := fault.ErrNotFound
	if s.opts.Warnings != nil {
		w, err = s.opts.Warnings.Load(ctx, id)
	}
	switch {
	case fault.IsNotFound(err) || err == nil && w == nil:
		bad.Add("warning_id", "warning %s is unknown", id)
	case err != nil:
		return nil, err
	case w.Status == warning.Active:
		return w, nil
	default:
		when := ""
		if w.EndedAt != nil {
			when = " at " + w.EndedAt.In(s.opts.Location).Format("2006-01-02 15:04")
		}
		bad.Add("warning_id", "warning %s %s%s", id, map[string]string{warning.Lifted: "was lifted", warning.Expired: "expired"}[w.Status], when)
	}
	return nil, nil
}

// superseded refuses a start when plan p is already active for inc,
// rejects its proposals still waiting (the start decides them: one at a
// more serious level than the start's only when who may reject it), and
// returns the incident's start slot and the values it may hold.
func (s *Service) superseded(ctx context.Context, who Who, p *config.Plan, level alerts.Level, inc *incident.Incident, now time.Time, w *Write) (string, []string, error) {
	existing, err := s.store.ByIncident(ctx, inc.ID)
	if err != nil {
		return "", nil, err
	}
	var free []string
	for _, old := range existing {
		if old.PlanID != p.ID {
			continue
		}
		switch old.Status {
		case Active:
			return "", nil, &fault.Conflict{Detail: fmt.Sprintf("plan %s is already active for incident %s as %s", p.ID, inc.ID, old.ID)}
		case Proposed:
			// A start at a less serious level (laxer approvers) must not
			// decide the proposal its stricter approvers are waiting on; a
			// start at the same level or a more serious one, whose
			// approvers the starter is among, supersedes it.
			if level < old.Level && may(old, who, "rejected") != nil {
				return "", nil, &fault.Forbidden{Detail: fmt.Sprintf("plan %s is proposed for incident %s as %s at level %s, which only %s may decide: approve or reject it, not %s",
					p.ID, inc.ID, old.ID, old.Level, vocab.JoinRoles(old.Approvers, " or "), who.Role)}
			}
			prev := *old
			old.Status, old.DecidedAt, old.DecidedBy, old.DecidedAs = Rejected, &now, "rules", vocab.System
			old.Reason, old.UpdatedAt = "superseded: the plan was started by hand", now
			w.Changes = append(w.Changes, Change{A: old, Prev: &prev, Event: vocab.ActivationRejected})
		default:
			if old.ByHand {
				free = append(free, old.ID)
			}
		}
	}
	return p.ID + "@hand", free, nil
}

// warningSlot refuses a start when plan p is already active for warning
// w and returns the warning's start slot and the values it may hold (the
// starts for it that ended or were rejected).
func (s *Service) warningSlot(ctx context.Context, p *config.Plan, w *warning.Warning) (string, []string, error) {
	existing, err := s.store.ByWarning(ctx, w.ID)
	if err != nil {
		return "", nil, err
	}
	var free []string
	for _, old := range existing {
		switch {
		case old.PlanID != p.ID:
		case old.Status == Active || old.Status == Proposed:
			return "", nil, &fault.Conflict{Detail: fmt.Sprintf("plan %s is already active for warning %s as %s", p.ID, w.ID, old.ID)}
		default:
			free = append(free, old.ID)
		}
	}
	return p.ID + "@hand", free, nil
}

// chosen keeps the groups whose ids are in ids (all when ids is empty).
func chosen(groups []Group, ids []string) []Group {
	if len(ids) == 0 {
		return groups
	}
	return slices.DeleteFunc(groups, func(g Group) bool { return !slices.Contains(ids, g.ID) })
}

// groupIDs lists the ids of groups.
func groupIDs(groups []Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.ID
	}
	return out
}

// Limits of a higher body's request: who asked is one line, as a
// warning's source; what was asked a long text.
const (
	maxRequestFrom = 200
	maxRequestText = 4000
)

// CleanRequest cleans a request's text fields as every typed text
// (cleantext): from on one line, text keeping its lines.
func CleanRequest(r *Request) {
	if r != nil {
		r.From, r.Text = cleantext.Clean(r.From, false), cleantext.Clean(r.Text, true)
	}
}

// incidentMoved reports whether err is a write's guard on incident id
// failing: the incident changed between its read and the write.
func incidentMoved(err error, id string) bool {
	var cf *fault.Conflict
	return id != "" && errors.As(err, &cf) && cf.Detail == incidentChanged(id)
}
