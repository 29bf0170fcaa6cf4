// Package dispatch is orders to units (派警/派单): an operator or a rule
// sends the nearest suitable units, each responder acknowledges and
// reports its way to the scene and back to available, and an order not
// acknowledged in time expires, raises an alarm and is offered to the next
// nearest suitable unit not yet tried. Orders are stored before they are
// pushed; their timers live in Redis.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// Statuses of an order, in the order a responder moves it.
const (
	Offered   = "offered"
	Acked     = "acked"
	EnRoute   = "en_route"
	OnScene   = "on_scene"
	Cleared   = "cleared"
	Expired   = "expired"
	Cancelled = "cancelled"
)

// steps is the order of a responder's answers.
var steps = []string{Offered, Acked, EnRoute, OnScene, Cleared}

// Active reports whether an order still binds its unit.
func Active(status string) bool {
	return status == Offered || status == Acked || status == EnRoute || status == OnScene
}

// TimerKind is the kind of the acknowledgement timers.
const TimerKind = "ack"

// ReofferKind is the kind of the timer that offers an expired order to the
// next unit: written with the expiry, so a crash between the two loses nothing.
const ReofferKind = "reoffer"

// Dispatch is one order to one unit.
type Dispatch struct {
	ID         string `json:"id"`
	IncidentID string `json:"incident_id"`
	UnitID     string `json:"unit_id"`
	Callsign   string `json:"callsign"`
	Status     string `json:"status"`
	Note       string `json:"note"`
	// Rule is the automatic dispatch rule that sent it ("" for a person).
	Rule string `json:"rule,omitempty"`
	// Attempt counts offers for the incident's chain of re-offers.
	Attempt int `json:"attempt"`
	// Replaces is the expired order this one re-offers, or the order it
	// took the place of when redirected (Redirect).
	Replaces  string    `json:"replaces,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	AckDue    time.Time `json:"ack_due"`
	// AssemblyDue is when the unit must be on scene (集结时限); nil when
	// dispatch.assembly_deadline is off.
	AssemblyDue  *time.Time `json:"assembly_due,omitempty"`
	AckedAt      *time.Time `json:"acked_at,omitempty"`
	EnRouteAt    *time.Time `json:"en_route_at,omitempty"`
	OnSceneAt    *time.Time `json:"on_scene_at,omitempty"`
	ClearedAt    *time.Time `json:"cleared_at,omitempty"`
	ExpiredAt    *time.Time `json:"expired_at,omitempty"`
	CancelledAt  *time.Time `json:"cancelled_at,omitempty"`
	CancelReason string     `json:"cancel_reason,omitempty"`
	// RedirectedTo is the order that took this one's place (改派).
	RedirectedTo string `json:"redirected_to,omitempty"`
	// Redirect marks an order that replaces a redirected one (Replaces).
	Redirect  bool      `json:"redirect,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Drill: an order for a drill incident (never counted).
	Drill bool `json:"drill,omitempty"`
}

// JobRespond is the follow-up of the first order for an open incident: the
// incident moves from open to responding (接警 → 启动).
const JobRespond = "incident.respond"

// Store keeps orders: their reads, and Apply, which carries out a change
// atomically (a failed guard is a *fault.Conflict with the guard's Why).
type Store interface {
	NextID(ctx context.Context, day string) (int64, error)
	Load(ctx context.Context, id string) (*Dispatch, error)
	ByIncident(ctx context.Context, incidentID string) ([]*Dispatch, error)
	ActiveByUnit(ctx context.Context, unitID string) ([]*Dispatch, error)
	Active(ctx context.Context) ([]*Dispatch, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// Replayed returns what a change stored under the idempotency key
	// ("" when none did, or it expired).
	Replayed(ctx context.Context, key string) (string, error)
}

// Incidents is what dispatch needs of incidents.
type Incidents interface {
	Load(ctx context.Context, id string) (*incident.Incident, error)
}

// Deps are what the service is told of besides its storage.
type Deps struct {
	// Observe, when set, is told how long a unit took to acknowledge or to
	// reach the scene (metrics).
	Observe func(step string, d time.Duration)
	// RunJobs, when set, runs the follow-ups recorded with orders at once
	// (they stay recorded, so a failure is retried by the job runner);
	// when nil they are left to the job runner.
	RunJobs func(ctx context.Context, jobs []job.Job)
}

// Service carries out orders.
type Service struct {
	store     Store
	incidents Incidents
	fleet     *unit.Fleet
	opts      Options
	now       func() time.Time
	deps      Deps
}

// Options are what dispatch reads of the configuration.
type Options struct {
	// Dispatch is the dispatch section: the acknowledgement time limit and
	// the automatic dispatch rules.
	Dispatch config.Dispatch
	// Categories say which unit types suit an incident of each category.
	Categories []config.Category
	// Location is the deployment's time zone: orders are numbered by its
	// local day.
	Location *time.Location
}

// NewService builds the dispatch service.
func NewService(st Store, inc Incidents, fleet *unit.Fleet, opts Options, now func() time.Time, deps Deps) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, incidents: inc, fleet: fleet, opts: opts, now: now, deps: deps}
}

// save carries out w.
func (s *Service) save(ctx context.Context, w *Write) error {
	res, err := s.store.Apply(ctx, w.Change())
	if err == nil && res.Duplicate != "" {
		return &duplicate{first: res.Duplicate}
	}
	return err
}

// duplicate is save's answer when another request with the same
// Idempotency-Key stored its orders first: first is what it recorded.
type duplicate struct{ first string }

func (d *duplicate) Error() string { return "a repeated request: " + d.first }

// Who is the person or rule acting.
type Who = vocab.Actor

var system = Who{Username: "system", Role: vocab.System}

// Create sends units to an incident; all of them or none.
func (s *Service) Create(ctx context.Context, who Who, incidentID string, unitIDs []string, note string) ([]*Dispatch, error) {
	ds, _, err := s.CreateOnce(ctx, who, incidentID, unitIDs, note, nil)
	return ds, err
}

// CreateOnce is Create with the request's Idempotency-Key (idem nil: none).
// A repeat of the key answers the orders the first request created
// (replayed true) and sends no one again: an operator who presses 派警
// again after a lost answer would otherwise be told the units are busy. The
// key is read before the units are checked (the first request made them
// busy); with another body it is a field error.
func (s *Service) CreateOnce(ctx context.Context, who Who, incidentID string, unitIDs []string, note string, idem *vocab.Idempotency) (_ []*Dispatch, replayed bool, _ error) {
	if idem != nil {
		if ds, ok, err := s.replayed(ctx, idem); ok || err != nil {
			return ds, ok, err
		}
	}
	ds, err := s.create0(ctx, who, incidentID, unitIDs, note, idem)
	var dup *duplicate
	switch {
	case errors.As(err, &dup):
		return s.replay(ctx, dup.first, idem)
	case idem != nil && fault.IsConflict(err):
		// The same request, sent twice at once, found its units busy
		// with the other's orders: answer those.
		if ds, ok, rerr := s.replayed(ctx, idem); ok || rerr != nil {
			return ds, ok, rerr
		}
	}
	return ds, false, err
}

// replayed answers a repeat of idem's key, if it is one (ok).
func (s *Service) replayed(ctx context.Context, idem *vocab.Idempotency) (_ []*Dispatch, ok bool, _ error) {
	first, err := s.store.Replayed(ctx, idem.Key)
	if err != nil {
		return nil, false, fmt.Errorf("reading an idempotency key: %w", err)
	}
	if first == "" {
		return nil, false, nil
	}
	return s.replay(ctx, first, idem)
}

// replay answers a repeated request with the orders the first stored
// (first is "D-…,D-…|fingerprint"), as they stand now, or refuses a key
// reused for another body.
func (s *Service) replay(ctx context.Context, first string, idem *vocab.Idempotency) ([]*Dispatch, bool, error) {
	ids, err := change.FirstOf(first, idem)
	if err != nil {
		return nil, false, err
	}
	var out []*Dispatch
	live := false
	for _, id := range strings.Split(ids, ",") {
		d, err := s.store.Load(ctx, id)
		if err != nil {
			return nil, false, fmt.Errorf("loading order %s of a repeated request: %w", id, err)
		}
		out = append(out, d)
		live = live || Active(d.Status)
	}
	if !live && len(out) > 0 {
		// Redirected (改派) or re-offered, an order's place is taken by
		// one that names it (Replaces): still under way if that one is.
		var err error
		if live, err = s.carriedOn(ctx, out); err != nil {
			return nil, false, err
		}
	}
	if !live {
		// Answering "sent" would send no one: the units are free again.
		return nil, false, &fault.Conflict{Detail: fmt.Sprintf("the orders of this request have ended (%s): send the units again as a new request", ids)}
	}
	return out, true, nil
}

// carriedOn reports whether an order that took the place of one of ds
// (redirected or re-offered, at any remove) is still under way.
func (s *Service) carriedOn(ctx context.Context, ds []*Dispatch) (bool, error) {
	all, err := s.store.ByIncident(ctx, ds[0].IncidentID)
	if err != nil {
		return false, fmt.Errorf("reading the orders of %s: %w", ds[0].IncidentID, err)
	}
	next := map[string][]*Dispatch{}
	for _, d := range all {
		if d.Replaces != "" {
			next[d.Replaces] = append(next[d.Replaces], d)
		}
	}
	seen := map[string]bool{}
	queue := make([]string, 0, len(ds))
	for _, d := range ds {
		queue = append(queue, d.ID)
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, d := range next[id] {
			if Active(d.Status) {
				return true, nil
			}
			if !seen[d.ID] {
				seen[d.ID] = true
				queue = append(queue, d.ID)
			}
		}
	}
	return false, nil
}

// create0 checks a person's request and creates its orders.
func (s *Service) create0(ctx context.Context, who Who, incidentID string, unitIDs []string, note string, idem *vocab.Idempotency) ([]*Dispatch, error) {
	if len(unitIDs) == 0 || len(unitIDs) > 20 {
		// Alone: thousands of entries would each be named in the answer.
		return nil, fault.Field("unit_ids", "name 1 to 20 units")
	}
	note = incident.CleanNote(note) // shown on timelines and responders' screens
	bad := &fault.Invalid{}
	seen := map[string]bool{}
	for i, id := range unitIDs {
		switch {
		case !s.fleet.Known(id):
			bad.Add(fmt.Sprintf("unit_ids[%d]", i), "unknown unit %q", id)
		case seen[id]:
			bad.Add(fmt.Sprintf("unit_ids[%d]", i), "unit %q is named twice", id)
		}
		seen[id] = true
	}
	if len([]rune(note)) > 1000 {
		bad.Add("note", "at most 1000 characters")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return s.create(ctx, who, incidentID, unitIDs, note, "", nil, idem)
}

// create writes new orders for units, after checking they are available.
func (s *Service) create(ctx context.Context, who Who, incidentID string, unitIDs []string, note, rule string, replaces *Dispatch, idem *vocab.Idempotency) ([]*Dispatch, error) {
	inc, err := s.incidents.Load(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	if inc.Status == incident.StatusClosed {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("incident %s is closed", inc.ID)}
	}
	for _, id := range unitIDs {
		if st := s.fleet.Status(id); st != unit.Available {
			return nil, &fault.Conflict{Detail: fmt.Sprintf("unit %s is %s, not available", id, st)}
		}
	}
	now := s.now().UTC()
	day := now.In(s.opts.Location).Format("20060102")
	w := &Write{Incident: inc, UnitStatus: map[string]string{}, AddTimers: map[string]time.Time{}, At: now, Idem: idem}
	var out []*Dispatch
	for _, uid := range unitIDs {
		n, err := s.store.NextID(ctx, day)
		if err != nil {
			return nil, fmt.Errorf("numbering order: %w", err)
		}
		v, _ := s.fleet.Get(uid, false)
		d := &Dispatch{
			ID: fmt.Sprintf("D-%s-%04d", day, n), IncidentID: inc.ID, UnitID: uid, Callsign: v.Callsign, Status: Offered,
			Note: strings.TrimSpace(note), Rule: rule, Attempt: 1, CreatedAt: now, CreatedBy: who.Username,
			AckDue: now.Add(s.opts.Dispatch.AckTimeout), AssemblyDue: s.assemblyDue(now), UpdatedAt: now, Drill: inc.Drill,
		}
		if replaces != nil {
			d.Attempt, d.Replaces = replaces.Attempt+1, replaces.ID
		}
		out = append(out, d)
		w.Changes = append(w.Changes, Change{D: d})
		w.UnitStatus[uid] = unit.Dispatched
		w.AddTimers[d.ID] = d.AckDue
		w.Entries = append(w.Entries, incident.Entry{At: now, Type: "dispatch.created", By: who.Username, Role: who.Role,
			Detail: map[string]any{"dispatch_id": d.ID, "unit_id": uid, "callsign": d.Callsign, "rule": rule, "replaces": d.Replaces, "reoffer": d.Replaces != "", "note": d.Note}})
	}
	w.AutoRule = rule
	if replaces != nil {
		w.AutoRule = "" // a re-offer continues the rule's one dispatch
	}
	if inc.Status == incident.StatusOpen {
		// 接警 → 启动: the first order starts the response, for sure.
		w.Jobs = []job.Job{{Kind: JobRespond, Key: inc.ID, IncidentID: inc.ID}}
	}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	for _, d := range out {
		s.fleet.SetStatus(d.UnitID, unit.Dispatched)
	}
	if len(w.Jobs) > 0 && s.deps.RunJobs != nil {
		s.deps.RunJobs(ctx, w.Jobs)
	}
	return out, nil
}

// owned loads an order and checks it is unit's. Another unit's order is not
// found, in the words storage uses for an unknown one: telling them apart
// would tell a responder which order ids exist (as GET /api/v1/dispatches/{id}).
func (s *Service) owned(ctx context.Context, unitID, id string) (*Dispatch, error) {
	d, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if unitID != "" && d.UnitID != unitID {
		return nil, fmt.Errorf("dispatch %s: %w", id, fault.ErrNotFound)
	}
	return d, nil
}

// Ack acknowledges an order. A repeated ack (after a reconnect) is
// answered with the order as it stands; a late one is refused.
func (s *Service) Ack(ctx context.Context, who Who, unitID, id string) (*Dispatch, error) {
	d, err := s.owned(ctx, unitID, id)
	if err != nil {
		return nil, err
	}
	switch d.Status {
	case Acked, EnRoute, OnScene, Cleared:
		return d, nil
	case Expired:
		return nil, &fault.Conflict{Detail: fmt.Sprintf("order %s expired at %s: it was offered to another unit", id, d.ExpiredAt.Format(time.RFC3339))}
	case Cancelled:
		return nil, &fault.Conflict{Detail: fmt.Sprintf("order %s was cancelled: %s", id, d.CancelReason)}
	}
	now := s.now().UTC()
	prev := *d
	d.Status, d.AckedAt, d.UpdatedAt = Acked, &now, now
	w := &Write{Changes: []Change{{D: d, Prev: &prev}}, DelTimers: []string{d.ID}, At: now,
		Entries: []incident.Entry{{At: now, Type: "dispatch.acked", By: who.Username, Role: who.Role, Detail: orderDetail(d)}}}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	if s.deps.Observe != nil {
		s.deps.Observe("ack", now.Sub(d.CreatedAt))
	}
	return d, nil
}

// Step moves an acknowledged order to en_route, on_scene or cleared, in
// that order; repeating the current step is answered with the order.
func (s *Service) Step(ctx context.Context, who Who, unitID, id, status string) (*Dispatch, error) {
	next := slices.Index(steps, status)
	if next < 2 {
		return nil, fault.Field("status", "must be en_route, on_scene or cleared")
	}
	d, err := s.owned(ctx, unitID, id)
	if err != nil {
		return nil, err
	}
	if d.Status == status {
		return d, nil
	}
	cur := slices.Index(steps, d.Status)
	if cur < 0 {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("order %s is %s", id, d.Status)}
	}
	if next != cur+1 {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("order %s is %s: the next step is %s, not %s", id, d.Status, steps[min(cur+1, len(steps)-1)], status)}
	}
	now := s.now().UTC()
	prev := *d
	d.Status, d.UpdatedAt = status, now
	unitStatus := status
	switch status {
	case EnRoute:
		d.EnRouteAt = &now
	case OnScene:
		d.OnSceneAt = &now
	case Cleared:
		d.ClearedAt = &now
		unitStatus = unit.Available
	}
	w := &Write{Changes: []Change{{D: d, Prev: &prev}}, UnitStatus: map[string]string{d.UnitID: unitStatus}, At: now,
		Entries: []incident.Entry{{At: now, Type: "dispatch." + status, By: who.Username, Role: who.Role, Detail: orderDetail(d)}}}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	s.fleet.SetStatus(d.UnitID, unitStatus)
	if status == OnScene && s.deps.Observe != nil {
		s.deps.Observe("on_scene", now.Sub(d.CreatedAt))
	}
	return d, nil
}

// MaxReason is the longest reason for a cancel, in characters, as for an
// incident's level or status.
const MaxReason = 2000

// Cancel withdraws an active order; its unit is available again.
func (s *Service) Cancel(ctx context.Context, who Who, id, reason string) (*Dispatch, error) {
	// Told to the responder and kept on the timeline: cleaned, and visible
	// (a zero-width space is no reason).
	reason = incident.CleanText(reason, false)
	switch {
	case !incident.Visible(reason):
		return nil, fault.Field("reason", "required")
	case utf8.RuneCountInString(reason) > MaxReason:
		return nil, fault.Field("reason", "at most %d characters", MaxReason)
	}
	d, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !Active(d.Status) {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("order %s is already %s", id, d.Status)}
	}
	now := s.now().UTC()
	prev := *d
	d.Status, d.CancelledAt, d.CancelReason, d.UpdatedAt = Cancelled, &now, reason, now
	w := &Write{Changes: []Change{{D: d, Prev: &prev}}, UnitStatus: map[string]string{d.UnitID: unit.Available}, DelTimers: []string{d.ID}, At: now,
		Entries: []incident.Entry{{At: now, Type: "dispatch.cancelled", By: who.Username, Role: who.Role, Reason: d.CancelReason, Detail: orderDetail(d)}}}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	s.fleet.SetStatus(d.UnitID, unit.Available)
	return d, nil
}

// orderDetail is the timeline detail of a step of order d.
func orderDetail(d *Dispatch) map[string]any {
	return map[string]any{"dispatch_id": d.ID, "unit_id": d.UnitID, "callsign": d.Callsign}
}

// Expire is the acknowledgement timer's handler: an order still offered
// expires, raises an alarm and is offered to the next nearest suitable unit
// not yet tried for the incident. It reports done when the order no longer
// needs it (acknowledged meanwhile, or expired by another instance).
func (s *Service) Expire(ctx context.Context, id string, _ time.Time) (bool, error) {
	d, err := s.store.Load(ctx, id)
	if err != nil {
		if fault.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	if d.Status != Offered {
		return true, nil
	}
	prev := *d
	now := s.now().UTC()
	d.Status, d.ExpiredAt, d.UpdatedAt = Expired, &now, now
	a := &alarm.Alarm{ID: alarm.ID(alarm.OrderExpired, d.ID), Kind: alarm.OrderExpired, IncidentID: d.IncidentID, DispatchID: d.ID, UnitID: d.UnitID, Drill: d.Drill,
		Title: d.Callsign, Detail: fmt.Sprintf("order %s to %s was not acknowledged within %s", d.ID, d.Callsign, s.opts.Dispatch.AckTimeout), RaisedAt: now}
	w := &Write{Changes: []Change{{D: d, Prev: &prev}}, UnitStatus: map[string]string{d.UnitID: unit.Available}, DelTimers: []string{d.ID}, Alarm: a, Reoffer: true, At: now,
		Entries: []incident.Entry{{At: now, Type: "dispatch.expired", By: system.Username, Role: system.Role, Detail: orderDetail(d)}}}
	if err := s.save(ctx, w); err != nil {
		if fault.IsConflict(err) {
			return true, nil // acknowledged or expired elsewhere first
		}
		return false, err
	}
	s.fleet.SetStatus(d.UnitID, unit.Available)
	return true, nil
}

// Reoffer is the handler of the timer written with an expiry: it offers the
// expired order to the next nearest suitable unit not yet tried for the
// incident, once; when none is left, the alarm alone remains. A failure
// leaves the timer to be tried again.
func (s *Service) Reoffer(ctx context.Context, id string, _ time.Time) (bool, error) {
	expired, err := s.store.Load(ctx, id)
	if fault.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	inc, err := s.incidents.Load(ctx, expired.IncidentID)
	if err != nil {
		return fault.IsNotFound(err), err
	}
	if inc.Status == incident.StatusClosed || inc.Location == nil {
		return true, nil
	}
	all, err := s.store.ByIncident(ctx, inc.ID)
	if err != nil {
		return false, err
	}
	tried := map[string]bool{}
	for _, d := range all {
		if d.Replaces == expired.ID {
			return true, nil // offered already
		}
		tried[d.UnitID] = true
	}
	cands := s.fleet.Nearest(orb.Point{inc.Location.Lon, inc.Location.Lat}, s.UnitTypes(inc.Category), 3, func(id string) bool { return tried[id] })
	for _, c := range cands {
		note := fmt.Sprintf("re-offered: %s did not acknowledge %s", expired.Callsign, expired.ID)
		_, err := s.create(ctx, system, inc.ID, []string{c.ID}, note, expired.Rule, expired, nil)
		if err == nil {
			return true, nil
		}
		if !fault.IsConflict(err) {
			return false, err // storage trouble: try again on the next poll
		}
	}
	return true, nil // every candidate was taken meanwhile: the alarm alone remains
}

// UnitTypes returns the unit types suited to an incident of category, as
// its category configures them; nil means any type.
func (s *Service) UnitTypes(category string) []string {
	if i := slices.IndexFunc(s.opts.Categories, func(c config.Category) bool { return c.ID == category }); i >= 0 {
		return s.opts.Categories[i].UnitTypes
	}
	return nil
}

// Auto applies the automatic dispatch rules to an incident just created or
// raised: each matching rule sends its nearest suitable units once per
// incident, even when two instances run it at the same time.
func (s *Service) Auto(ctx context.Context, inc *incident.Incident) ([]*Dispatch, error) {
	return s.auto(ctx, inc, 0)
}

func (s *Service) auto(ctx context.Context, inc *incident.Incident, attempt int) ([]*Dispatch, error) {
	var rules []config.DispatchRule
	for _, r := range s.opts.Dispatch.Rules {
		if slices.Contains(r.Categories, inc.Category) && slices.Contains(r.Levels, inc.Level) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 || inc.Location == nil || inc.Status == incident.StatusClosed {
		return nil, nil
	}
	existing, err := s.store.ByIncident(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	var out []*Dispatch
	for _, r := range rules {
		if slices.ContainsFunc(existing, func(d *Dispatch) bool { return d.Rule == r.ID }) {
			continue
		}
		tried := map[string]bool{}
		for _, d := range existing {
			tried[d.UnitID] = true
		}
		cands := s.fleet.Nearest(orb.Point{inc.Location.Lon, inc.Location.Lat}, s.UnitTypes(inc.Category), r.Units, func(id string) bool { return tried[id] })
		if len(cands) == 0 {
			continue
		}
		ids := make([]string, len(cands))
		for i, c := range cands {
			ids[i] = c.ID
		}
		ds, err := s.create(ctx, Who{Username: "rule:" + r.ID, Role: vocab.System}, inc.ID, ids, fmt.Sprintf("automatic: level %s %s", inc.Level, inc.Category), r.ID, nil, nil)
		if fault.IsConflict(err) && attempt < 3 {
			// Another instance sent this rule's units first, or a unit was
			// taken meanwhile: look again.
			more, err := s.auto(ctx, inc, attempt+1)
			return append(out, more...), err
		}
		if err != nil {
			return out, err
		}
		out = append(out, ds...)
		existing = append(existing, ds...)
	}
	return out, nil
}

// ForIncident returns an incident's orders.
func (s *Service) ForIncident(ctx context.Context, incidentID string) ([]*Dispatch, error) {
	return s.store.ByIncident(ctx, incidentID)
}

// Pending returns a unit's active orders, oldest first.
func (s *Service) Pending(ctx context.Context, unitID string) ([]*Dispatch, error) {
	return s.store.ActiveByUnit(ctx, unitID)
}

// Active returns every active order.
func (s *Service) Active(ctx context.Context) ([]*Dispatch, error) { return s.store.Active(ctx) }

// Load returns one order.
func (s *Service) Load(ctx context.Context, id string) (*Dispatch, error) {
	return s.store.Load(ctx, id)
}
