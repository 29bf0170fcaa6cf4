package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"watchfloor/alerts"
	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/job"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
	"watchfloor/geo"
)

// Store is the storage the incident service needs: its reads, and Apply,
// which carries out a change (the incident with its timeline entries and
// events) atomically.
type Store interface {
	// NextID returns a new incident number for day (YYYYMMDD).
	NextID(ctx context.Context, day string) (int64, error)
	// Apply carries out a change atomically; a failed guard (the incident
	// changed meanwhile) is a *fault.Conflict. With an idempotency key
	// already used it changes nothing and returns the first value.
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// Load returns a stored incident.
	Load(ctx context.Context, id string) (*Incident, error)
	// Replayed returns what a change stored under the idempotency key
	// ("" when none, or it has expired).
	Replayed(ctx context.Context, key string) (string, error)
	// Timeline returns an incident's timeline, oldest first.
	Timeline(ctx context.Context, id string) ([]Entry, error)
	// List returns incidents matching q, most recently changed first.
	List(ctx context.Context, q Query) ([]*Incident, error)
	// Open returns, of the incidents not closed, the limit most serious
	// (then most recently changed, then highest id), and how many there
	// are in all: the screens' snapshot, read without touching the rest.
	Open(ctx context.Context, limit int) ([]*Incident, int, error)
	// Near returns the incidents not closed of category whose location is
	// within radiusM metres of at, nearest first, at most MaxNear: what a
	// duplicate search looks at, read without touching the rest.
	Near(ctx context.Context, category string, at orb.Point, radiusM float64) ([]*Incident, error)
	// Due returns, of the incidents not closed with a reporting deadline
	// still open, the limit whose earliest such deadline is due first, and
	// how many there are: what the leaders count down, however many
	// incidents are open.
	Due(ctx context.Context, limit int) ([]*Incident, int, error)
}

// MaxNear bounds how many incidents near a point Near returns.
const MaxNear = 1000

// Write is one atomic change of an incident, as the service decides it.
type Write struct {
	Incident *Incident
	Prev     *Incident // nil for a new incident
	Entries  []Entry
	// Event is the type of the screen event (incident.created, incident.updated).
	Event string
	Idem  *vocab.Idempotency
	// Alarm is raised with the change (a new level I or II).
	Alarm *alarm.Alarm
	// AddTimers and DelTimers schedule and cancel durable timers (members
	// as timer.Member makes them).
	AddTimers map[string]time.Time
	DelTimers []string
	// Extra events go to the screen stream after the incident's own.
	Extra []Extra
	// Jobs are follow-ups recorded with the change; Apply gives them their ids.
	Jobs []job.Job
}

// JobChanged is the kind of the follow-up of an incident created or raised:
// plans are proposed and units sent by the automatic dispatch rules.
const JobChanged = "incident.changed"

// Changed is the data of an incident.changed job.
type Changed struct {
	IncidentID string       `json:"incident_id"`
	Level      alerts.Level `json:"level"`
	// From is the level before a rise (absent for a new incident).
	From *alerts.Level `json:"from,omitempty"`
}

// changedJob returns the follow-up of a new incident (prev nil) or of a
// rise, or nil when the level did not rise. Its key is the incident and
// level: the follow-up of one level is done once.
func changedJob(prev, inc *Incident) *job.Job {
	if prev != nil && prev.Level >= inc.Level {
		return nil
	}
	d := Changed{IncidentID: inc.ID, Level: inc.Level}
	if prev != nil {
		d.From = &prev.Level
	}
	data, _ := json.Marshal(d)
	return &job.Job{Kind: JobChanged, Key: inc.ID + "@" + inc.Level.String(), IncidentID: inc.ID, Data: data, Local: &Held{Incident: inc}}
}

// Held is the incident a follow-up was recorded with, as this instance
// saved it: run at once, the follow-up acts on it without reading it back,
// and says whether it moved the incident on (a unit sent by rule).
type Held struct {
	Incident *Incident
	Moved    bool
}

func (w *Write) follow(prev *Incident) {
	if j := changedJob(prev, w.Incident); j != nil {
		w.Jobs = append(w.Jobs, *j)
	}
	if j := closedJob(prev, w.Incident); j != nil {
		w.Jobs = append(w.Jobs, *j)
	}
}

// JobClosed is the kind of the follow-up of an incident closed: the plans
// still proposed for it are withdrawn (nobody may approve them now).
const JobClosed = "incident.closed"

// closedJob returns the follow-up of a close, or nil when inc was not
// closed by this change. Its key is the incident and its version: each
// close of an incident reopened in between has its own.
func closedJob(prev, inc *Incident) *job.Job {
	if prev == nil || prev.Status == StatusClosed || inc.Status != StatusClosed {
		return nil
	}
	data, _ := json.Marshal(Changed{IncidentID: inc.ID, Level: inc.Level})
	return &job.Job{Kind: JobClosed, Key: inc.ID + "@closed@" + strconv.FormatInt(inc.Version, 10), IncidentID: inc.ID, Data: data, Local: &Held{Incident: inc}}
}

// Extra is an event besides incident.created/updated.
type Extra struct {
	Type string
	Data any
}

// Timer kinds of reporting deadlines; their id is incidentID/kind.
const (
	TimerDeadlineDue     = "deadline.due"
	TimerDeadlineOverdue = "deadline.overdue"
)

// Query filters the incident list; empty fields do not filter.
type Query struct {
	Status   string
	Level    alerts.Level
	Category string
	Grid     string
	Since    time.Time
	Limit    int
}

// Service carries out incident requests.
type Service struct {
	store  Store
	grader *alerts.Grader
	geo    *geo.Map
	opts   Options
	now    func() time.Time
	hooks  Hooks
}

// Options are what the service reads of the configuration.
type Options struct {
	// Location is the deployment's time zone: incidents are numbered by
	// its local day.
	Location *time.Location
	// Deadlines are the reporting deadlines an incident's level starts.
	Deadlines []config.Deadline
	// DeadlineWarning is how long before a deadline deadline.due is raised.
	DeadlineWarning time.Duration
	// Duplicates says which open incidents a new call may repeat.
	Duplicates config.Duplicates
}

// Hooks are what the service tells others after a change is stored; each
// may be nil.
type Hooks struct {
	// Created is told of each new incident (metrics).
	Created func(*Incident)
	// RunJobs runs the follow-up jobs a change recorded (plan proposals,
	// automatic dispatch) at once, after it is stored. They were recorded
	// with the change, so a failure here leaves them to the job runner of
	// any live instance, retried until done.
	RunJobs func(ctx context.Context, jobs []job.Job)
	// Approvers names the leader on duty, the default approver an alarm
	// about a serious incident names (nil: none named). Notifications
	// (issue 20) are to take their recipient from the same place.
	Approvers Approvers
	// Log takes the failures of naming the approver (nil: dropped).
	Log *slog.Logger
	// Warnings answers which warnings (预警) cover a place, from memory
	// (nil: incidents carry none).
	Warnings warning.Finder
}

// Approvers names the default approver at a time: the leader on duty of
// the roster (duty.Service), "" when no shift covers it.
type Approvers interface {
	Approver(ctx context.Context, at time.Time) (name, username string, err error)
}

// NameApprover names the leader on duty at a time through ap (nil names
// nobody), best-effort: a failed lookup is logged on log (nil: dropped)
// with what, and names nobody, so that nothing fails for want of a roster.
func NameApprover(ctx context.Context, ap Approvers, at time.Time, log *slog.Logger, what string) (name, username string) {
	if ap == nil {
		return "", ""
	}
	name, username, err := ap.Approver(ctx, at)
	if err != nil {
		if log != nil {
			log.WarnContext(ctx, "naming the leader on duty failed; "+what+" names no approver", "err", err)
		}
		return "", ""
	}
	return name, username
}

// nameApprover fills the approver of a raised alarm (a nil one is left).
func (s *Service) nameApprover(ctx context.Context, a *alarm.Alarm) {
	if a != nil {
		a.ApproverName, a.Approver = NameApprover(ctx, s.hooks.Approvers, a.RaisedAt, s.hooks.Log, "alarm "+a.ID)
	}
}

// seriousAlarm returns the alarm for an incident that became level II or I
// (from below, or from II to I), or nil.
func seriousAlarm(prev *Incident, inc *Incident, now time.Time) *alarm.Alarm {
	if inc.Level < alerts.LevelII || prev != nil && prev.Level >= inc.Level {
		return nil
	}
	return &alarm.Alarm{ID: alarm.ID(alarm.SeriousIncident, inc.ID), Kind: alarm.SeriousIncident, IncidentID: inc.ID,
		Level: inc.Level.String(), Title: inc.Title, Detail: inc.Category, RaisedAt: now, Drill: inc.Drill}
}

// NewService builds the service from its parts; now is the injected clock.
func NewService(st Store, grader *alerts.Grader, m *geo.Map, opts Options, now func() time.Time, hooks Hooks) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, grader: grader, geo: m, opts: opts, now: now, hooks: hooks}
}

// Classification is what grading says of a report, without storing it.
type Classification struct {
	alerts.Result
	Grid  *geo.GridRef  `json:"grid"`
	Zones []geo.ZoneRef `json:"zones"`
}

// Classify grades a report as a first report and stores nothing.
func (s *Service) Classify(in *Input) (*Classification, error) {
	if err := in.check(true, s.now(), s.grader, s.geo); err != nil {
		return nil, err
	}
	inc := &Incident{OccurredAt: s.now().UTC()}
	in.apply(inc)
	s.place(inc, in)
	res, err := s.grade(inc)
	if err != nil {
		return nil, err
	}
	return &Classification{Result: res, Grid: inc.Grid, Zones: inc.Zones}, nil
}

// place tags the incident with its grid, zones and the warnings in force
// there now, from its location or, failing that, the grid it names; a
// real incident carries no drill's warning.
func (s *Service) place(inc *Incident, in *Input) {
	s.locate(inc, in)
	inc.Warnings = nil
	if s.hooks.Warnings != nil && inc.Location != nil {
		inc.Warnings = s.hooks.Warnings.Covering(orb.Point{inc.Location.Lon, inc.Location.Lat}, s.now())
		if !inc.Drill {
			inc.Warnings = slices.DeleteFunc(inc.Warnings, func(r warning.Ref) bool { return r.Drill })
		}
	}
}

// locate tags the incident with its grid and zones, from its location or,
// failing that, the grid it names.
func (s *Service) locate(inc *Incident, in *Input) {
	if in.Location == nil && (in.Grid == nil || *in.Grid == "") {
		return
	}
	if in.Location == nil {
		area := s.geo.Area(*in.Grid)
		c := area.Centroid()
		inc.Location = &vocab.Location{Lon: c[0], Lat: c[1]}
		inc.LocationApproximate = true
		inc.Grid = s.geo.Ref(area.Code)
		inc.Zones = nil
		return
	}
	p := orb.Point{inc.Location.Lon, inc.Location.Lat}
	inc.Grid = s.geo.Locate(p)
	if in.Grid != nil && *in.Grid != "" && inc.Grid == nil {
		inc.Grid = s.geo.Ref(*in.Grid)
	}
	inc.Zones = s.geo.ZonesAt(p)
}

func (s *Service) grade(inc *Incident) (alerts.Result, error) {
	kinds := make([]string, 0, len(inc.Zones))
	for _, z := range inc.Zones {
		kinds = append(kinds, z.Kind)
	}
	return s.grader.Grade(inc.Category, inc.Facts, alerts.Situation{ZoneKinds: kinds, At: inc.OccurredAt})
}

// Create stores a first report. With an idempotency key that was used
// before, it returns the incident the first request created and replayed
// true. The key is looked up once the body is valid, before a number is
// taken: a repeat takes none (Apply still stores one of two sent at once).
func (s *Service) Create(ctx context.Context, who vocab.Actor, in *Input, idem *vocab.Idempotency) (inc *Incident, replayed bool, err error) {
	now := s.now().UTC()
	if err := in.check(true, now, s.grader, s.geo); err != nil {
		return nil, false, err
	}
	inc = &Incident{Status: StatusOpen, Source: "call", OccurredAt: now, CreatedAt: now, UpdatedAt: now, CreatedBy: who.Username, Version: 1}
	in.apply(inc)
	s.place(inc, in)
	res, err := s.grade(inc)
	if err != nil {
		return nil, false, err
	}
	inc.Level, inc.ComputedLevel, inc.LevelReasons = res.Level, res.Level, res.Reasons
	if inc.Zones == nil {
		inc.Zones = []geo.ZoneRef{}
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
	day := now.In(s.opts.Location).Format("20060102")
	n, err := s.store.NextID(ctx, day)
	if err != nil {
		return nil, false, fmt.Errorf("numbering incident: %w", err)
	}
	inc.ID = fmt.Sprintf("INC-%s-%04d", day, n)
	timers := s.startDeadlines(inc, now)
	entry := Entry{At: now, Type: "created", By: who.Username, Role: who.Role, Level: inc.Level, Status: inc.Status,
		Detail: map[string]any{"level_reasons": inc.LevelReasons}}
	if inc.CaseID != "" {
		entry.Detail["case_id"] = inc.CaseID
	}
	w := &Write{Incident: inc, Entries: append([]Entry{entry}, startedEntries(nil, inc, now)...), Event: "incident.created", Idem: idem, Alarm: seriousAlarm(nil, inc, now), AddTimers: timers}
	s.nameApprover(ctx, w.Alarm)
	w.follow(nil)
	done, err := s.store.Apply(ctx, w.change())
	if err != nil {
		return nil, false, fmt.Errorf("saving incident: %w", err)
	}
	if done.Duplicate != "" { // a repeat stored meanwhile: its number is spent
		return s.replay(ctx, done.Duplicate, idem)
	}
	if s.hooks.Created != nil {
		s.hooks.Created(inc)
	}
	if s.hooks.RunJobs != nil && len(w.Jobs) > 0 {
		s.hooks.RunJobs(ctx, w.Jobs)
		// Automatic steps (dispatch) may have moved it on: answer with it
		// as it stands. The incident is stored: when this read fails,
		// answer with it as created rather than fail a request that
		// succeeded (a retry without an Idempotency-Key would file it
		// twice).
		if held, ok := w.Jobs[0].Local.(*Held); !ok || held.Moved {
			if fresh, err := s.store.Load(ctx, inc.ID); err == nil {
				inc = fresh
			}
		}
	}
	return inc, false, nil
}

// replay answers a repeated create with the incident the first request
// stored (dup is its "id|fingerprint"), or a field error when the key came
// with another request.
func (s *Service) replay(ctx context.Context, dup string, idem *vocab.Idempotency) (*Incident, bool, error) {
	id, err := change.FirstOf(dup, idem)
	if err != nil {
		return nil, false, err
	}
	first, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, false, fmt.Errorf("loading the incident of a repeated request: %w", err)
	}
	return first, true, nil
}

// startDeadlines starts the reporting deadlines of the incident's level
// that are not running yet (running ones are never restarted) and returns
// their timers: a warning before each is due, and the deadline itself.
func (s *Service) startDeadlines(inc *Incident, now time.Time) map[string]time.Time {
	timers := map[string]time.Time{}
	for _, d := range s.opts.Deadlines {
		if !slices.Contains(d.Levels, inc.Level) {
			continue
		}
		if slices.ContainsFunc(inc.Deadlines, func(x Deadline) bool { return x.Kind == d.Kind }) {
			continue
		}
		due := now.Add(d.Within)
		inc.Deadlines = append(inc.Deadlines, Deadline{
			ID: d.Kind, Kind: d.Kind, Level: inc.Level.String(), StartedAt: now, DueAt: due, Status: "pending",
		})
		id := inc.ID + "/" + d.Kind
		timers[timer.Member(TimerDeadlineDue, id)] = due.Add(-s.opts.DeadlineWarning)
		timers[timer.Member(TimerDeadlineOverdue, id)] = due
	}
	if inc.Deadlines == nil {
		inc.Deadlines = []Deadline{}
	}
	return timers
}

// Get returns an incident and its timeline.
func (s *Service) Get(ctx context.Context, id string) (*Incident, []Entry, error) {
	inc, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	tl, err := s.store.Timeline(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return inc, tl, nil
}

// Load returns an incident without its timeline.
func (s *Service) Load(ctx context.Context, id string) (*Incident, error) {
	return s.store.Load(ctx, id)
}

// Due returns the incidents with a reporting deadline still open, the
// earliest due first, at most limit (200 when not 1 to 1000), and how many
// there are.
func (s *Service) Due(ctx context.Context, limit int) ([]*Incident, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	return s.store.Due(ctx, limit)
}

// List returns incidents matching q.
func (s *Service) List(ctx context.Context, q Query) ([]*Incident, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	return s.store.List(ctx, q)
}

// Open returns the limit most serious incidents not closed (most recently
// changed first within a level), and how many are not closed: for the
// screens, which summarise them.
func (s *Service) Open(ctx context.Context, limit int) ([]*Incident, int, error) {
	return s.store.Open(ctx, limit)
}

// update loads an incident, lets edit modify a copy, and saves it with
// its timeline entries, retrying when another instance changed it first.
func (s *Service) update(ctx context.Context, id string, edit func(inc *Incident, now time.Time) ([]Entry, error)) (*Incident, error) {
	return s.Update(ctx, id, func(inc *Incident, now time.Time, w *Write) error {
		entries, err := edit(inc, now)
		w.Entries = entries
		return err
	})
}

// Update loads an incident, lets edit modify a copy and fill in the rest
// of the change (entries, timers, events), and saves it, retrying when
// another instance changed it first. An edit returning ErrNoChange leaves
// the incident as it is.
func (s *Service) Update(ctx context.Context, id string, edit func(inc *Incident, now time.Time, w *Write) error) (*Incident, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.store.Load(ctx, id)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		next, err := clone(prev)
		if err != nil {
			return nil, err
		}
		w := &Write{Incident: next, Prev: prev, Event: "incident.updated"}
		if err := edit(next, now, w); err != nil {
			if errors.Is(err, ErrNoChange) {
				return prev, nil
			}
			return nil, err
		}
		next.UpdatedAt = now
		next.Version = prev.Version + 1
		w.Entries = append(w.Entries, startedEntries(prev, next, now)...)
		if w.Alarm == nil {
			w.Alarm = seriousAlarm(prev, next, now)
		}
		s.nameApprover(ctx, w.Alarm)
		w.follow(prev)
		res, err := s.store.Apply(ctx, w.change())
		if errors.Is(err, fault.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("saving incident %s: %w", id, err)
		}
		if res.Duplicate != "" {
			// A repeated request (same Idempotency-Key): nothing was written.
			if _, err := change.FirstOf(res.Duplicate, w.Idem); err != nil {
				return nil, err
			}
			return prev, nil
		}
		if s.hooks.RunJobs != nil && len(w.Jobs) > 0 {
			s.hooks.RunJobs(ctx, w.Jobs)
		}
		return next, nil
	}
}

// startedEntries are the deadline.started entries of the deadlines next
// has and prev had not.
func startedEntries(prev, next *Incident, now time.Time) []Entry {
	var out []Entry
	for _, d := range next.Deadlines {
		if prev != nil && prev.Deadline(d.ID) != nil {
			continue
		}
		out = append(out, Entry{At: now, Type: "deadline.started", By: "system", Role: vocab.System, Level: next.Level,
			Detail: map[string]any{"deadline": d.Kind, "due_at": d.DueAt}})
	}
	return out
}

// ErrNoChange tells Update that nothing needs writing.
var ErrNoChange = errors.New("no change")

// clone returns a deep copy of inc, for an edit that may be thrown away.
func clone(inc *Incident) (*Incident, error) {
	b, err := json.Marshal(inc)
	if err != nil {
		return nil, fmt.Errorf("copying incident %s: %w", inc.ID, err)
	}
	var c Incident
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("copying incident %s: %w", inc.ID, err)
	}
	return &c, nil
}

// Report applies a follow-up report (续报): the facts are totals as now
// known; the incident is graded again and its level only rises by itself.
//
// A report may carry the whole form of a new call, drill included when it
// matches the incident's (drill is fixed at creation). With an
// idempotency key already used it records nothing and returns the incident
// as it stands.
func (s *Service) Report(ctx context.Context, who vocab.Actor, id string, in *Input, idem *vocab.Idempotency) (*Incident, error) {
	if err := in.check(false, s.now(), s.grader, s.geo); err != nil {
		return nil, err
	}
	return s.Update(ctx, id, func(inc *Incident, now time.Time, w *Write) error {
		w.Idem = idem
		if in.Drill != nil && *in.Drill != inc.Drill {
			return fault.Field("drill", "is fixed when the incident is created (this incident has drill %t)", inc.Drill)
		}
		if inc.Status == StatusClosed {
			return &fault.Conflict{Detail: fmt.Sprintf("incident %s is closed: reopen it before reporting on it", inc.ID)}
		}
		exact := inc.Location != nil && !inc.LocationApproximate
		in.apply(inc)
		if in.Location != nil || (in.Grid != nil && !exact) {
			s.place(inc, in)
			if inc.Zones == nil {
				inc.Zones = []geo.ZoneRef{}
			}
		}
		res, err := s.grade(inc)
		if err != nil {
			return err
		}
		inc.Reports++
		inc.ReportedAt = &now
		entries := []Entry{{At: now, Type: "report", By: who.Username, Role: who.Role, Detail: in.changes()}}
		inc.ComputedLevel, inc.LevelReasons = res.Level, res.Reasons
		floor := inc.Level
		if d := inc.LevelDecision; d != nil && d.ComputedLevel > floor {
			floor = d.ComputedLevel
		}
		if res.Level > inc.Level && res.Level > floor {
			from := inc.Level
			inc.Level = res.Level
			w.AddTimers = s.startDeadlines(inc, now)
			entries = append(entries, Entry{At: now, Type: "level.raised", By: "rules", Role: vocab.System, Level: inc.Level,
				Detail: map[string]any{"from": from.String(), "level_reasons": res.Reasons}})
		}
		w.Entries = entries
		return nil
	})
}

// SetLevel records a person's decision on the level; lowering needs a
// reason.
func (s *Service) SetLevel(ctx context.Context, who vocab.Actor, id string, level alerts.Level, reason string) (*Incident, error) {
	return s.Update(ctx, id, func(inc *Incident, now time.Time, w *Write) error {
		if inc.Status == StatusClosed {
			return &fault.Conflict{Detail: fmt.Sprintf("incident %s is closed: reopen it before changing its level", inc.ID)}
		}
		if level < inc.Level && reason == "" {
			return fault.Field("reason", "required when lowering the level")
		}
		from := inc.Level
		inc.Level = level
		inc.LevelDecision = &LevelDecision{Level: level, By: who.Username, Role: who.Role, At: now, Reason: reason, ComputedLevel: inc.ComputedLevel}
		if level > from {
			w.AddTimers = s.startDeadlines(inc, now)
		}
		w.Entries = []Entry{{At: now, Type: "level.set", By: who.Username, Role: who.Role, Level: level, Reason: reason,
			Detail: map[string]any{"from": from.String()}}}
		return nil
	})
}

// SetStatus moves the incident along its lifecycle (see Transition); it
// cannot close, which needs an after-action summary.
func (s *Service) SetStatus(ctx context.Context, who vocab.Actor, id, status, reason string) (*Incident, error) {
	return s.Transition(ctx, who, id, status, reason, nil)
}

// Transition moves the incident along its lifecycle. Steps go forward;
// closing needs a reason and the after-action summary; reopening a closed
// incident needs a leader or an admin and a reason, and keeps the summary.
func (s *Service) Transition(ctx context.Context, who vocab.Actor, id, status, reason string, summary *SummaryInput) (*Incident, error) {
	bad := &fault.Invalid{}
	if _, ok := statusOrder[status]; !ok {
		bad.Add("status", "must be one of open, responding, recovery, closed")
	}
	if status == StatusClosed {
		if reason == "" {
			bad.Add("reason", "required when closing")
		}
		summary.check(bad)
	} else if summary != nil {
		bad.Add("summary", "only when closing (status closed)")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(inc *Incident, now time.Time) ([]Entry, error) {
		from := inc.Status
		detail := map[string]any{"from": from}
		switch {
		case status == from:
			return nil, &fault.Conflict{Detail: fmt.Sprintf("incident %s is already %s", inc.ID, status)}
		case from == StatusClosed:
			if who.Role != vocab.Leader && who.Role != vocab.Admin {
				return nil, &fault.Forbidden{Detail: fmt.Sprintf("incident %s is closed: only a leader or an admin may reopen it", inc.ID)}
			}
			if reason == "" {
				return nil, fault.Field("reason", "required when reopening")
			}
			inc.ClosedAt, inc.ReopenedAt = nil, &now
			detail["reopened"] = true
		case status == StatusClosed:
			inc.ClosedAt = &now
			inc.Summary = summary.afterAction(who, now)
			detail["summary"] = inc.Summary
		case statusOrder[status] < statusOrder[from]:
			return nil, &fault.Conflict{Detail: fmt.Sprintf("incident %s is %s: it cannot go back to %s (the lifecycle runs open → responding → recovery → closed; only a closed incident is reopened, by a leader or an admin)", inc.ID, from, status)}
		}
		inc.Status = status
		return []Entry{{At: now, Type: "status", By: who.Username, Role: who.Role, Status: status, Reason: reason, Detail: detail}}, nil
	})
}

// Deadline returns the incident's deadline with id, or nil.
func (inc *Incident) Deadline(id string) *Deadline {
	for i := range inc.Deadlines {
		if inc.Deadlines[i].ID == id {
			return &inc.Deadlines[i]
		}
	}
	return nil
}

// DeadlineEvent is the data of deadline.due and deadline.overdue.
type DeadlineEvent struct {
	IncidentID string   `json:"incident_id"`
	Title      string   `json:"title"`
	Level      string   `json:"level"`
	Deadline   Deadline `json:"deadline"`
}

// DeadlineDue is the timer handler that warns before a deadline
// (deadline.due). It is done when the report was sent meanwhile.
func (s *Service) DeadlineDue(ctx context.Context, id string, _ time.Time) (bool, error) {
	return s.deadlineTimer(ctx, id, false)
}

// DeadlineOverdue is the timer handler of a missed deadline: the deadline
// is overdue, an alarm is raised and deadline.overdue goes to the screens.
func (s *Service) DeadlineOverdue(ctx context.Context, id string, _ time.Time) (bool, error) {
	return s.deadlineTimer(ctx, id, true)
}

func (s *Service) deadlineTimer(ctx context.Context, id string, overdue bool) (bool, error) {
	incID, kind, ok := strings.Cut(id, "/")
	if !ok {
		return true, nil
	}
	_, err := s.Update(ctx, incID, func(inc *Incident, now time.Time, w *Write) error {
		d := inc.Deadline(kind)
		if d == nil || d.Status != "pending" || (!overdue && d.WarnedAt != nil) {
			return ErrNoChange
		}
		ev := DeadlineEvent{IncidentID: inc.ID, Title: inc.Title, Level: inc.Level.String()}
		if overdue {
			d.Status, d.OverdueAt = "overdue", &now
			w.Alarm = &alarm.Alarm{ID: alarm.ID(alarm.DeadlineOverdue, id), Kind: alarm.DeadlineOverdue, IncidentID: inc.ID,
				Level: inc.Level.String(), Title: inc.Title, Detail: d.Kind, RaisedAt: now, Drill: inc.Drill}
			w.Entries = []Entry{{At: now, Type: "deadline.overdue", By: "system", Role: vocab.System, Detail: map[string]any{"deadline": d.Kind, "due_at": d.DueAt}}}
			ev.Deadline = *d
			w.Extra = []Extra{{Type: "deadline.overdue", Data: ev}}
		} else {
			d.WarnedAt = &now
			w.Entries = []Entry{{At: now, Type: "deadline.due", By: "system", Role: vocab.System, Detail: map[string]any{"deadline": d.Kind, "due_at": d.DueAt}}}
			ev.Deadline = *d
			w.Extra = []Extra{{Type: "deadline.due", Data: ev}}
		}
		return nil
	})
	if fault.IsNotFound(err) {
		return true, nil
	}
	return err == nil, err
}
