// Package gridcase is everyday grid work (网格化管理): cases that grid
// officers find and report go through the seven-step closed loop (信息采集
// collect → 立案 accept → 派遣 dispatch → 处理 handle → 核查 verify → 结案
// close → 评价 evaluate), solved in the grid where possible and escalated to
// the community, street and district when not (小事不出社区, 大事不出街道).
// Each step has a time limit kept by a durable timer; accounts with an area
// see and act on cases only in it and below. (The package is not named
// case, a Go keyword.)
package gridcase

import (
	"context"
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
	"watchfloor/command/vocab"
	"watchfloor/config"
	"watchfloor/geo"
)

// Statuses of a case.
const (
	Collected  = "collected"
	Accepted   = "accepted"
	Dispatched = "dispatched"
	Handled    = "handled"
	Verified   = "verified"
	Closed     = "closed"
	Evaluated  = "evaluated"
	Rejected   = "rejected"
)

// Levels that handle cases, smallest first.
var Levels = []string{"grid", "community", "street", "district"}

// next says which action each status waits for, and the step whose time
// limit runs meanwhile.
var next = map[string]string{Collected: "accept", Accepted: "dispatch", Dispatched: "handle", Handled: "verify", Verified: "close"}

// allowed lists the actions each status allows.
var allowed = map[string][]string{
	Collected:  {"accept", "reject", "escalate", "delegate", "supervise", "assign_owner"},
	Accepted:   {"dispatch", "escalate", "delegate", "supervise", "assign_owner"},
	Dispatched: {"handle", "escalate", "delegate", "supervise", "assign_owner"},
	Handled:    {"verify", "escalate", "delegate", "supervise", "assign_owner"},
	Verified:   {"close", "supervise", "assign_owner"},
	Closed:     {"evaluate"},
	Evaluated:  {},
	Rejected:   {},
}

// TimerKind is the kind of case time-limit timers: id is caseID/status.
const TimerKind = "case"

// Case is one grid case.
type Case struct {
	ID            string             `json:"id"`
	Kind          string             `json:"kind"`
	Title         string             `json:"title"`
	Description   string             `json:"description"`
	Location      vocab.Location     `json:"location"`
	Grid          *geo.GridRef       `json:"grid"`
	Reporter      *incident.Reporter `json:"reporter,omitempty"`
	People        int64              `json:"people_involved"`
	Drill         bool               `json:"drill"`
	Status        string             `json:"status"`
	HandlingLevel string             `json:"handling_level"`
	// Area is the grid code of the handling level: who may see and act.
	Area         string       `json:"area"`
	Owner        string       `json:"owner"`
	LeaderOwner  string       `json:"leader_owner,omitempty"`
	Assignee     string       `json:"assignee,omitempty"`
	Handler      string       `json:"handler,omitempty"`
	Result       string       `json:"result,omitempty"`
	Mediation    string       `json:"mediation,omitempty"` // success or failed (disputes)
	Satisfaction int          `json:"satisfaction,omitempty"`
	Supervision  *Supervision `json:"supervision,omitempty"`
	DueAt        *time.Time   `json:"due_at"`
	Overdue      bool         `json:"overdue"`
	Photos       []Photo      `json:"photos"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	ClosedAt     *time.Time   `json:"closed_at,omitempty"`
	// IncidentID is the incident the case was raised into, once it grew.
	IncidentID string `json:"incident_id,omitempty"`
	Version    int64  `json:"version"`
}

// Supervision is 挂牌督办: a case listed to a date by a leader.
type Supervision struct {
	DueAt  time.Time `json:"due_at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	// OverdueAt is when the date passed with the case still open (the
	// supervision.overdue alarm was raised); nil until then.
	OverdueAt *time.Time `json:"overdue_at,omitempty"`
}

// Photo is a picture attached to a case, kept on disk.
type Photo struct {
	N           int       `json:"n"`
	File        string    `json:"file"`
	ContentType string    `json:"content_type"`
	Bytes       int       `json:"bytes"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// Entry is one step in a case's timeline.
type Entry struct {
	At     time.Time      `json:"at"`
	Action string         `json:"action"`
	By     string         `json:"by"`
	Role   vocab.Role     `json:"role"`
	Reason string         `json:"reason,omitempty"`
	Status string         `json:"status"`
	Detail map[string]any `json:"detail,omitempty"`
}

// Actor is who acts, with the area an account is limited to ("" for all).
type Actor struct {
	Username   string
	Role       vocab.Role
	Unit, Area string
}

// Query filters the case list.
type Query struct {
	Status, Kind, Grid string
	Overdue            *bool
	Since              time.Time
	Limit              int
}

// Store keeps cases: their reads, and Apply, which carries out a change
// atomically.
type Store interface {
	NextID(ctx context.Context, day string) (int64, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	Load(ctx context.Context, id string) (*Case, error)
	Timeline(ctx context.Context, id string) ([]Entry, error)
	// Timelines returns the timelines of many cases in one round trip.
	Timelines(ctx context.Context, ids []string) (map[string][]Entry, error)
	List(ctx context.Context, q Query) ([]*Case, error)
	// Created returns the cases created in [from, to), oldest first, at
	// most limit (the ledger's and the month figures' read).
	Created(ctx context.Context, from, to time.Time, limit int) ([]*Case, error)
	// Replayed returns what a change stored under the idempotency key
	// ("" when none, or it has expired).
	Replayed(ctx context.Context, key string) (string, error)
}

// Service carries out case requests.
type Service struct {
	store Store
	opts  Options
	kinds map[string]*config.CaseKind // by id
	geo   *geo.Map
	units func(id string) bool
	now   func() time.Time
}

// Options are what cases read of the configuration.
type Options struct {
	// CaseKinds are the everyday case kinds and their time limits.
	CaseKinds []config.CaseKind
	// DailyReports says which areas report daily, and by when.
	DailyReports config.DailyReports
	// Categories are the incident categories a case may be raised to.
	Categories []config.Category
	// Unit looks a unit in service up now (units are created and retired at
	// run time): grid officers among them handle cases. Nil: none is.
	Unit func(id string) (config.Unit, bool)
	// Location is the deployment's time zone: case numbers, days and
	// months are local to it.
	Location *time.Location
	// Approvers, when set, names the leader on duty in a supervision.overdue
	// alarm.
	Approvers incident.Approvers
}

// NewService builds the case service; unitKnown says whether an assignee
// is a configured unit.
func NewService(st Store, opts Options, m *geo.Map, unitKnown func(string) bool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	kinds := make(map[string]*config.CaseKind, len(opts.CaseKinds))
	for i := range opts.CaseKinds {
		kinds[opts.CaseKinds[i].ID] = &opts.CaseKinds[i]
	}
	return &Service{store: st, opts: opts, kinds: kinds, geo: m, units: unitKnown, now: now}
}

// Input is a case as reported.
type Input struct {
	Kind        string             `json:"kind"`
	Title       string             `json:"title"`
	Description string             `json:"description"`
	Location    *vocab.Location    `json:"location"`
	Reporter    *incident.Reporter `json:"reporter"`
	People      int64              `json:"people_involved"`
	Drill       bool               `json:"drill"`
}

// areaAt returns the code of the grid path at a handling level.
func areaAt(g *geo.GridRef, level string) string {
	for _, r := range g.Path {
		if string(r.Level) == level {
			return r.Code
		}
	}
	if len(g.Path) > 0 {
		return g.Path[0].Code
	}
	return ""
}

// Kinds returns the configured case kinds, in their configured order.
func (s *Service) Kinds() []config.CaseKind { return s.opts.CaseKinds }

// Kind returns the case kind with id, or nil when none is configured.
func (s *Service) Kind(id string) *config.CaseKind { return s.kinds[id] }

// Visible reports whether an account limited to area may see a case
// handled at caseArea: the case's area is the account's or below it.
func (s *Service) Visible(area, caseArea string) bool {
	if area == "" {
		return true
	}
	ref := s.geo.Ref(caseArea)
	return ref != nil && slices.Contains(ref.Codes(), area)
}

func (s *Service) limit(kind, status string) (time.Duration, bool) {
	k := s.kinds[kind]
	if k == nil {
		return 0, false
	}
	d, ok := k.Limits[next[status]]
	return d, ok
}

// timers schedules the time limit of the step the case now waits for.
func (s *Service) timers(c *Case, now time.Time, w *Write, prevStatus string) {
	if prevStatus != "" && prevStatus != c.Status {
		w.DelTimers = append(w.DelTimers, c.ID+"/"+prevStatus)
	}
	c.DueAt, c.Overdue = nil, false
	if d, ok := s.limit(c.Kind, c.Status); ok {
		due := now.Add(d)
		c.DueAt = &due
		if w.AddTimers == nil {
			w.AddTimers = map[string]time.Time{}
		}
		w.AddTimers[c.ID+"/"+c.Status] = due
	}
}

// Create records a case (信息采集), owned by whoever received it (首问负责).
// A repeated Idempotency-Key, looked up once the request is valid and
// allowed, returns the first case (replayed true) and takes no number.
func (s *Service) Create(ctx context.Context, who Actor, in *Input, idem *vocab.Idempotency) (*Case, bool, error) {
	bad := &fault.Invalid{}
	kind := s.kinds[in.Kind]
	if kind == nil {
		bad.Add("kind", "unknown case kind %q", in.Kind)
	}
	in.Title, in.Description = incident.CleanText(in.Title, false), incident.CleanText(in.Description, true)
	if in.Reporter != nil {
		r := incident.Reporter{Name: incident.CleanText(in.Reporter.Name, false), Phone: incident.CleanText(in.Reporter.Phone, false)}
		in.Reporter = &r
	}
	if !incident.Visible(in.Title) || len([]rune(in.Title)) > 200 {
		bad.Add("title", "required: visible characters, at most 200")
	}
	if len([]rune(in.Description)) > 4000 {
		bad.Add("description", "at most 4000 characters")
	}
	var ref *geo.GridRef
	if in.Location == nil {
		bad.Add("location", "required: {lon, lat}")
	} else if !geo.ValidPoint(in.Location.Lon, in.Location.Lat) {
		bad.Add("location", "lon and lat out of range")
	} else if ref = s.geo.Locate(orb.Point{in.Location.Lon, in.Location.Lat}); ref == nil {
		bad.Add("location", "outside every grid of this command centre")
	}
	if in.Reporter != nil && (len([]rune(in.Reporter.Name)) > 64 || len([]rune(in.Reporter.Phone)) > 32) {
		bad.Add("reporter", "name at most 64 characters, phone at most 32")
	}
	if in.People < 0 || in.People > 1_000_000 {
		bad.Add("people_involved", "a whole number from 0 to 1000000")
	}
	if err := bad.Err(); err != nil {
		return nil, false, err
	}
	if who.Role == vocab.Responder && !s.isGridOfficer(who.Unit) {
		return nil, false, &fault.Forbidden{Detail: "only grid officers among responders report cases"}
	}
	area := areaAt(ref, kind.FirstLevel)
	if !s.Visible(who.Area, area) {
		return nil, false, &fault.Forbidden{Detail: fmt.Sprintf("the case falls in %s, outside your area %s", area, who.Area)}
	}
	if idem != nil {
		dup, err := s.store.Replayed(ctx, idem.Key)
		if err != nil {
			return nil, false, fmt.Errorf("reading an idempotency key: %w", err)
		}
		if dup != "" {
			return s.replay(ctx, dup, idem)
		}
	}
	now := s.now().UTC()
	day := now.In(s.opts.Location).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, false, err
	}
	c := &Case{ID: fmt.Sprintf("C-%s-%04d", day, n), Kind: in.Kind, Title: strings.TrimSpace(in.Title), Description: in.Description,
		Location: *in.Location, Grid: ref, Reporter: in.Reporter, People: in.People, Drill: in.Drill, Status: Collected,
		HandlingLevel: kind.FirstLevel, Area: area, Owner: who.Username, Photos: []Photo{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	w := &Write{Case: c, Event: "case.created", Idem: idem,
		Entries: []Entry{{At: now, Action: "collect", By: who.Username, Role: who.Role, Status: Collected}}}
	s.timers(c, now, w, "")
	dup, err := s.save(ctx, w)
	if err != nil {
		return nil, false, err
	}
	if dup != "" { // a repeat stored meanwhile: its number is spent
		return s.replay(ctx, dup, idem)
	}
	return c, false, nil
}

// replay answers a repeated create with the case the first request stored
// (dup is its "id|fingerprint"), or a field error when the key came with
// another request.
func (s *Service) replay(ctx context.Context, dup string, idem *vocab.Idempotency) (*Case, bool, error) {
	id, err := change.FirstOf(dup, idem)
	if err != nil {
		return nil, false, err
	}
	first, err := s.store.Load(ctx, id)
	return first, true, err
}

// unit is a unit in service now.
func (s *Service) unit(id string) (config.Unit, bool) {
	if s.opts.Unit == nil {
		return config.Unit{}, false
	}
	return s.opts.Unit(id)
}

func (s *Service) isGridOfficer(unitID string) bool {
	u, ok := s.unit(unitID)
	return ok && u.Type == "grid_officer"
}

// Get returns a case the actor may see, with its timeline.
func (s *Service) Get(ctx context.Context, who Actor, id string) (*Case, []Entry, error) {
	c, err := s.load(ctx, who, id)
	if err != nil {
		return nil, nil, err
	}
	tl, err := s.store.Timeline(ctx, id)
	return c, tl, err
}

// load reads a case the actor may see; one outside its area is not found,
// as if it did not exist (a 403 would tell which ids exist).
func (s *Service) load(ctx context.Context, who Actor, id string) (*Case, error) {
	c, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.Visible(who.Area, c.Area) {
		return nil, fmt.Errorf("case %s: %w", id, fault.ErrNotFound)
	}
	return c, nil
}

// List returns the cases the actor may see that match q.
func (s *Service) List(ctx context.Context, who Actor, q Query) ([]*Case, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	all, err := s.store.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]*Case, 0, len(all))
	for _, c := range all {
		if s.Visible(who.Area, c.Area) && (q.Overdue == nil || c.Overdue == *q.Overdue) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Action is a step asked for.
type Action struct {
	Action       string `json:"action"`
	Reason       string `json:"reason"`
	Assignee     string `json:"assignee"`
	Result       string `json:"result"`
	Mediation    string `json:"mediation"`
	Passed       *bool  `json:"passed"`
	Note         string `json:"note"`
	Satisfaction int    `json:"satisfaction"`
	DueAt        string `json:"due_at"`
	Account      string `json:"account"`
}

// Limits of an action's texts, in characters once cleaned: a reason and a
// note as an incident's, a result as a long text.
const (
	MaxReason = 2000
	MaxNote   = 2000
	MaxResult = 4000
)

// Account is what the case service needs to know of an account named in
// an action.
type Account struct {
	Role vocab.Role
	Area string
}

// handlers are the roles whose accounts may be given a case to handle (a
// responder is given its unit instead).
var handlers = []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator}

// Act carries out one action on a case; accounts looks up an account by
// name.
func (s *Service) Act(ctx context.Context, who Actor, id string, a *Action, accounts func(string) (Account, bool)) (*Case, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.load(ctx, who, id)
		if err != nil {
			return nil, err
		}
		c := *prev
		c.Photos = slices.Clone(prev.Photos)
		now := s.now().UTC()
		w := &Write{Case: &c, Prev: prev, Event: "case.updated"}
		if err := s.apply(&c, who, a, now, w, accounts); err != nil {
			return nil, err
		}
		c.UpdatedAt, c.Version = now, prev.Version+1
		_, err = s.save(ctx, w)
		if fault.IsConflict(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
}

func (s *Service) apply(c *Case, who Actor, a *Action, now time.Time, w *Write, accounts func(string) (Account, bool)) error {
	if !slices.Contains(allowed[c.Status], a.Action) {
		if _, known := map[string]bool{"accept": true, "reject": true, "dispatch": true, "handle": true, "verify": true, "close": true, "evaluate": true, "escalate": true, "delegate": true, "supervise": true, "assign_owner": true}[a.Action]; !known {
			return fault.Field("action", "unknown action %q", a.Action)
		}
		return &fault.Conflict{Detail: fmt.Sprintf("case %s is %s: it allows %s, not %s", c.ID, c.Status, strings.Join(orNone(allowed[c.Status]), ", "), a.Action)}
	}
	prevStatus := c.Status
	a.Reason, a.Result, a.Note = incident.CleanText(a.Reason, true), incident.CleanText(a.Result, true), incident.CleanText(a.Note, true)
	bad := &fault.Invalid{}
	for _, f := range []struct {
		field, text string
		max         int
	}{{"reason", a.Reason, MaxReason}, {"result", a.Result, MaxResult}, {"note", a.Note, MaxNote}} {
		if utf8.RuneCountInString(f.text) > f.max {
			bad.Add(f.field, "at most %d characters", f.max)
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if !incident.Visible(a.Reason) {
		a.Reason = ""
	}
	if !incident.Visible(a.Result) {
		a.Result = ""
	}
	entry := Entry{At: now, Action: a.Action, By: who.Username, Role: who.Role, Reason: a.Reason}
	var err error
	switch a.Action {
	case "escalate", "delegate", "supervise", "assign_owner":
		err = s.manage(c, who, a, now, &entry, accounts)
	default:
		err = s.step(c, who, a, now, &entry, w, accounts)
	}
	if err != nil {
		return err
	}
	entry.Status = c.Status
	w.Entries = []Entry{entry}
	supervision(c, prevStatus, w)
	if c.Status != prevStatus || a.Action == "escalate" || a.Action == "delegate" {
		// A new step, or the same step at a new level: its time limit
		// starts again (ZADD moves an existing timer).
		s.timers(c, now, w, prevStatus)
	}
	return nil
}

// step carries out an action of the seven steps (accept to evaluate) on c,
// with its timeline entry.
func (s *Service) step(c *Case, who Actor, a *Action, now time.Time, entry *Entry, w *Write, accounts func(string) (Account, bool)) error {
	switch a.Action {
	case "accept":
		c.Status = Accepted
	case "reject":
		if entry.Reason == "" {
			return fault.Field("reason", "required when rejecting a case")
		}
		c.Status = Rejected
	case "dispatch":
		if err := s.assignable(c, a.Assignee, accounts); err != nil {
			return err
		}
		c.Status, c.Assignee = Dispatched, a.Assignee
		if s.units(a.Assignee) {
			w.AssignedUnit = a.Assignee
		}
		entry.Detail = map[string]any{"assignee": a.Assignee}
	case "handle":
		if strings.TrimSpace(a.Result) == "" {
			return fault.Field("result", "required: what was done")
		}
		if k := s.kinds[c.Kind]; k != nil && k.Mediation {
			if a.Mediation != "success" && a.Mediation != "failed" {
				return fault.Field("mediation", "a dispute records its mediation outcome: success or failed")
			}
			c.Mediation = a.Mediation
		}
		c.Status, c.Result, c.Handler = Handled, strings.TrimSpace(a.Result), who.Username
		entry.Detail = map[string]any{"result": c.Result, "mediation": c.Mediation}
	case "verify":
		if a.Passed == nil {
			return fault.Field("passed", "required: true or false")
		}
		if who.Username == c.Handler {
			return &fault.Forbidden{Detail: fmt.Sprintf("%s handled case %s: someone else verifies it", who.Username, c.ID)}
		}
		if *a.Passed {
			c.Status = Verified
		} else {
			c.Status = Dispatched // back to handling
		}
		entry.Detail = map[string]any{"passed": *a.Passed, "note": a.Note}
	case "close":
		c.Status = Closed
		c.ClosedAt = &now
		entry.Detail = map[string]any{"note": a.Note}
	case "evaluate":
		if a.Satisfaction < 1 || a.Satisfaction > 5 {
			return fault.Field("satisfaction", "from 1 to 5")
		}
		c.Status, c.Satisfaction = Evaluated, a.Satisfaction
		entry.Detail = map[string]any{"satisfaction": a.Satisfaction, "note": a.Note}
	}
	return nil
}

// manage carries out an action that moves a case between levels or puts
// it under a leader's eye (escalate, delegate, supervise, assign_owner).
func (s *Service) manage(c *Case, who Actor, a *Action, now time.Time, entry *Entry, accounts func(string) (Account, bool)) error {
	leader := who.Role == vocab.Leader || who.Role == vocab.Admin
	switch a.Action {
	case "escalate":
		if entry.Reason == "" {
			return fault.Field("reason", "required when escalating")
		}
		if err := s.escalate(c, entry.Detail); err != nil {
			return err
		}
		entry.Detail = map[string]any{"to": c.HandlingLevel, "area": c.Area}
	case "delegate":
		if entry.Reason == "" {
			return fault.Field("reason", "required when handing a case back down")
		}
		i := slices.Index(Levels, c.HandlingLevel)
		if i <= 0 {
			return &fault.Conflict{Detail: fmt.Sprintf("case %s is already handled by the %s", c.ID, c.HandlingLevel)}
		}
		c.HandlingLevel = Levels[i-1]
		c.Area = areaAt(c.Grid, c.HandlingLevel)
		entry.Detail = map[string]any{"to": c.HandlingLevel, "area": c.Area}
	case "supervise":
		if !leader {
			return &fault.Forbidden{Detail: "挂牌督办 (supervision) is a leader's decision"}
		}
		bad := &fault.Invalid{}
		due, err := time.Parse(time.RFC3339, a.DueAt)
		if err != nil || !due.After(now) {
			bad.Add("due_at", "an RFC 3339 time in the future")
		}
		if entry.Reason == "" {
			bad.Add("reason", "required")
		}
		if err := bad.Err(); err != nil {
			return err
		}
		c.Supervision = &Supervision{DueAt: due.UTC(), By: who.Username, Reason: entry.Reason}
		entry.Detail = map[string]any{"due_at": due.UTC()}
	case "assign_owner":
		if !leader {
			return &fault.Forbidden{Detail: "领导包案 (a leader owning a case) is a leader's decision"}
		}
		acct, ok := accounts(a.Account)
		switch {
		case !ok:
			return fault.Field("account", "unknown account %q", a.Account)
		case acct.Role != vocab.Leader && acct.Role != vocab.Deputy:
			return fault.Field("account", "account %s is a %s: a case is owned by a leader or a deputy", a.Account, acct.Role)
		case !s.Visible(acct.Area, c.Area):
			return fault.Field("account", "account %s leads area %s, which does not cover this case's area %s", a.Account, acct.Area, c.Area)
		}
		c.LeaderOwner = a.Account
		entry.Detail = map[string]any{"account": a.Account}
	}
	return nil
}

// assignable checks that a case may be dispatched to assignee: a configured
// unit, or an account of a role that handles cases whose area covers the
// case's.
func (s *Service) assignable(c *Case, assignee string, accounts func(string) (Account, bool)) error {
	if assignee != "" && s.units(assignee) {
		if u, ok := s.unit(assignee); ok {
			switch {
			case u.Type != "grid_officer":
				return fault.Field("assignee", "unit %s is a %s: only grid officers among units handle cases (or give an account)", assignee, u.Type)
			case !s.Visible(c.Area, u.HomeGrid):
				return fault.Field("assignee", "grid officer %s works in grid %s, outside this case's area %s", assignee, u.HomeGrid, c.Area)
			}
		}
		return nil
	}
	acct, ok := accounts(assignee)
	switch {
	case !ok:
		return fault.Field("assignee", "must be a configured unit or account, not %q", assignee)
	case acct.Role == vocab.Responder:
		return fault.Field("assignee", "account %s is a responder: dispatch the case to its unit", assignee)
	case !slices.Contains(handlers, acct.Role):
		return fault.Field("assignee", "account %s (%s) cannot handle cases: give a unit or an account of role %s", assignee, acct.Role, vocab.JoinRoles(handlers, ", "))
	case !s.Visible(acct.Area, c.Area):
		return fault.Field("assignee", "account %s works in area %s, which does not cover this case's area %s", assignee, acct.Area, c.Area)
	}
	return nil
}

func orNone(xs []string) []string {
	if len(xs) == 0 {
		return []string{"nothing more"}
	}
	return xs
}

// escalate moves a case up one level: the micro, small and big cycles.
func (s *Service) escalate(c *Case, _ map[string]any) error {
	i := slices.Index(Levels, c.HandlingLevel)
	if i < 0 || i == len(Levels)-1 {
		return &fault.Conflict{Detail: fmt.Sprintf("case %s is already handled by the %s", c.ID, c.HandlingLevel)}
	}
	c.HandlingLevel = Levels[i+1]
	c.Area = areaAt(c.Grid, c.HandlingLevel)
	return nil
}

// Overdue is the time-limit timer's handler: a case still waiting in the
// same step raises an alarm and, where its kind says so, moves up a level
// by itself (with a new time limit there).
func (s *Service) Overdue(ctx context.Context, id string, _ time.Time) (bool, error) {
	caseID, status, ok := strings.Cut(id, "/")
	if !ok {
		return true, nil
	}
	prev, err := s.store.Load(ctx, caseID)
	if fault.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	now := s.now().UTC()
	if prev.Status != status || prev.DueAt != nil && prev.DueAt.After(now) {
		return true, nil // moved on, or its limit was started again
	}
	c := *prev
	w := &Write{Case: &c, Prev: prev, Event: "case.updated"}
	c.Overdue = true
	entry := Entry{At: now, Action: "overdue", By: "system", Role: vocab.System, Status: c.Status, Detail: map[string]any{"step": next[status]}}
	w.Alarm = &alarm.Alarm{ID: alarm.ID(alarm.CaseOverdue, id), Kind: alarm.CaseOverdue, Title: c.Title, Drill: c.Drill, Area: c.Area,
		Detail: fmt.Sprintf("case %s: step %s is past its time limit", c.ID, next[status]), RaisedAt: now}
	if k := s.kinds[c.Kind]; k != nil && k.EscalateOnOverdue && s.escalate(&c, nil) == nil {
		entry.Action = "escalate"
		entry.Reason = "time limit passed"
		entry.Detail["to"] = c.HandlingLevel
		s.timers(&c, now, w, "") // the step's limit starts again at the new level
		c.Overdue = true
	}
	w.Entries = []Entry{entry}
	c.UpdatedAt, c.Version = now, prev.Version+1
	if _, err := s.save(ctx, w); err != nil {
		if fault.IsConflict(err) {
			return false, nil // changed meanwhile: look again next poll
		}
		return false, err
	}
	return true, nil // a rescheduled timer keeps its new due time: Release leaves it
}

// MaxPhotos is how many photos a case holds.
const MaxPhotos = 20

// AddPhoto records a photo on a case: name gives the file name of photo
// number n. The caller keeps the file under a temporary name until AddPhoto
// succeeds, then moves it to p.File of the photo returned, and removes it
// when AddPhoto fails, so that no file outlives a refused upload. A race
// with another change is retried; past MaxPhotos it is a conflict.
func (s *Service) AddPhoto(ctx context.Context, who Actor, id string, p Photo, name func(n int) string) (*Case, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.load(ctx, who, id)
		if err != nil {
			return nil, err
		}
		if len(prev.Photos) >= MaxPhotos {
			return nil, &fault.Conflict{Detail: fmt.Sprintf("a case holds at most %d photos", MaxPhotos)}
		}
		c := *prev
		p.N = len(prev.Photos) + 1
		p.File = name(p.N)
		c.Photos = append(slices.Clone(prev.Photos), p)
		now := s.now().UTC()
		c.UpdatedAt, c.Version = now, prev.Version+1
		_, err = s.save(ctx, &Write{Case: &c, Prev: prev, Event: "case.updated",
			Entries: []Entry{{At: now, Action: "photo", By: who.Username, Role: who.Role, Status: c.Status, Detail: map[string]any{"n": p.N, "bytes": p.Bytes}}}})
		if fault.IsConflict(err) && attempt < 10 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
}
