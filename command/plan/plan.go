// Package plan is the "1+N" preset plans (预案): when an incident reaches a
// plan's conditions the plan is proposed; the roles the plan names for the
// incident's level approve or reject it; an approved plan sends its working
// groups their tasks and goes through its phases (启动, 行动, 恢复, 结束)
// until the same authority ends it. Plans that respond by procedure
// activate by themselves.
package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
	"watchfloor/config"
)

// Statuses of an activation.
const (
	Proposed = "proposed"
	Active   = "active"
	Rejected = "rejected"
	Ended    = "ended"
)

// Phases of an active plan.
const (
	PhaseAction   = "action"   // 行动
	PhaseRecovery = "recovery" // 恢复
)

// Activation is a plan proposed for, or active on, one incident.
type Activation struct {
	ID         string      `json:"id"`
	PlanID     string      `json:"plan_id"`
	PlanName   config.Text `json:"plan_name"`
	IncidentID string      `json:"incident_id"`
	// Level is the incident's level when the plan was proposed: it decides
	// who may approve and end it.
	Level     alerts.Level `json:"level"`
	Status    string       `json:"status"`
	Phase     string       `json:"phase,omitempty"`
	Why       []string     `json:"why"`
	Approvers []vocab.Role `json:"approvers"`
	Commander config.Text  `json:"commander"`
	Auto      bool         `json:"auto"`
	// Approver and ApproverName name the leader on duty (带班领导) when it
	// was proposed, the default approver; empty when no shift covered it.
	Approver     string `json:"approver,omitempty"`
	ApproverName string `json:"approver_name,omitempty"`

	ProposedAt time.Time  `json:"proposed_at"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAs  vocab.Role `json:"decided_role,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	EndedBy    string     `json:"ended_by,omitempty"`
	EndReason  string     `json:"end_reason,omitempty"`
	// Withdrawn marks a proposal the system rejected because its incident
	// was closed while it waited for a decision.
	Withdrawn bool      `json:"withdrawn,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	// Groups are the working groups and the units that get (or, while
	// proposed, would get) their tasks, with the tasks' progress.
	Groups []Group `json:"groups,omitempty"`
	// ByHand marks a plan a leader started (POST /api/v1/activations), for
	// its incident, on Request, a higher body's request with no incident,
	// or for the warning (预警) WarningID.
	ByHand    bool     `json:"by_hand,omitempty"`
	Request   *Request `json:"request,omitempty"`
	WarningID string   `json:"warning_id,omitempty"`
	// Drill marks a plan started for a drill warning (a drill incident's
	// plans are known by their incident).
	Drill bool `json:"drill,omitempty"`
}

// Request is a higher body's request (上级要求) a plan was started on.
type Request struct {
	From string    `json:"from"`
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Group is a working group of an activation: who gets its tasks and how far
// they got.
type Group struct {
	ID    string        `json:"id"`
	Name  config.Text   `json:"name"`
	Tasks []config.Text `json:"task_texts"`
	Units []string      `json:"units"`
	// Progress counts the group's tasks (kept apart, merged when read).
	Progress Progress `json:"tasks"`
}

// Progress counts a group's tasks: acknowledged counts done ones too.
type Progress struct {
	Total        int `json:"total"`
	Acknowledged int `json:"acknowledged"`
	Done         int `json:"done"`
}

// Task statuses.
const (
	TaskAssigned     = "assigned"
	TaskAcknowledged = "acknowledged"
	TaskDone         = "done"
)

// Task is what one unit of a working group is told to do, and how far it got.
type Task struct {
	ID           string        `json:"id"`
	ActivationID string        `json:"activation_id"`
	PlanID       string        `json:"plan_id"`
	PlanName     config.Text   `json:"plan_name"`
	GroupID      string        `json:"group_id"`
	GroupName    config.Text   `json:"group_name"`
	Tasks        []config.Text `json:"tasks"`
	UnitID       string        `json:"unit_id"`
	// Incident is the incident's brief as it stood when the task was
	// given (nil for a plan started on a request or for a warning).
	Incident *incident.Brief `json:"incident"`
	// WarningID and Drill name the warning a plan was started for and
	// whether it is a drill, so that phones show it.
	WarningID  string     `json:"warning_id,omitempty"`
	Drill      bool       `json:"drill,omitempty"`
	AssignedAt time.Time  `json:"assigned_at"`
	Status     string     `json:"status"`
	AckedAt    *time.Time `json:"acknowledged_at,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
	Note       string     `json:"note,omitempty"`
}

// TaskID is the id of the task of unit in group of activation: fixed, so
// that delivering a plan's tasks again stores nothing twice.
func TaskID(activationID, groupID, unitID string) string {
	return activationID + "." + groupID + "." + unitID
}

// ActivationOf is the activation of a task id: what comes before its first
// dot (an activation's id, A-{day}-{n}, holds none).
func ActivationOf(taskID string) string {
	a, _, _ := strings.Cut(taskID, ".")
	return a
}

// Store keeps activations and their tasks: their reads, and Apply, which
// carries out a change atomically (a failed guard is a *fault.Conflict with
// the guard's Why).
type Store interface {
	NextID(ctx context.Context, day string) (int64, error)
	Load(ctx context.Context, id string) (*Activation, error)
	ByIncident(ctx context.Context, incidentID string) ([]*Activation, error)
	// ByWarning returns the activations started for a warning.
	ByWarning(ctx context.Context, warningID string) ([]*Activation, error)
	List(ctx context.Context, status string) ([]*Activation, error)
	// Latest returns the limit activations of a final status (ended or
	// rejected) changed last, newest first, and how many have it: a read
	// that does not grow with the plans of past years.
	Latest(ctx context.Context, status string, limit int) ([]*Activation, int, error)
	LoadTask(ctx context.Context, id string) (*Task, error)
	// TasksExist reports, for each id, whether that task is stored.
	TasksExist(ctx context.Context, ids []string) ([]bool, error)
	// UnitTasks returns a unit's tasks of plans still active.
	UnitTasks(ctx context.Context, unitID string) ([]*Task, error)
	// Standing returns an activation's status and how many members group
	// has, without its document; total is 0 when not recorded beside it.
	Standing(ctx context.Context, id, group string) (status string, total int, err error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
	// Replayed returns what a change stored under the idempotency key
	// ("" when none, or it has expired): a start by hand repeated with
	// its Idempotency-Key answers the first activation.
	Replayed(ctx context.Context, key string) (string, error)
}

// JobTasks is the kind of the job that delivers an approved plan's tasks.
const JobTasks = "plan.tasks"

// JobTasksClosed is the kind of the job that tells each unit of an ended
// plan that its tasks are closed.
const JobTasksClosed = "plan.tasks.closed"

// TaskChunk is how many tasks one atomic step stores: a plan sent to
// thousands of units never holds Redis in one long step. With TaskSteps
// steps under way at once, an incident filed during a fan-out may wait
// behind two: 50 keeps that to what one step of 100 held it before, and
// the fan-out reaches its last unit sooner (BENCHMARKS 94, 97).
const TaskChunk = 50

// Incidents is what plans need of incidents.
type Incidents interface {
	Load(ctx context.Context, id string) (*incident.Incident, error)
}

// Service proposes, approves and ends plans.
type Service struct {
	store     Store
	incidents Incidents
	grader    *alerts.Grader
	opts      Options
	plans     map[string]*config.Plan // by id
	now       func() time.Time
	runNow    func(ctx context.Context, jobs []job.Job)
	duty      incident.Approvers
}

// Options are what plans read of the configuration.
type Options struct {
	// Plans are the preset plans, in the order they are proposed.
	Plans []config.Plan
	// Members lists the units in service now (created and retired at run
	// time) of the teams a working group names. Nil: no unit is in any team.
	Members func(teams []string) []string
	// Location is the deployment's time zone: activations are numbered by
	// its local day.
	Location *time.Location
	// Log takes the failures of naming the leader on duty (nil: dropped).
	Log *slog.Logger
	// Warnings loads the warnings plans are started for (nil: a start for
	// a warning finds none).
	Warnings warning.Finder
}

// NewService builds the plan service. runJobs, when not nil, runs the jobs
// a change recorded at once (they stay recorded, so a failure is retried by
// the job runner); when nil they are run here, in line. duty, when not nil,
// names the leader on duty in each proposal.
func NewService(st Store, inc Incidents, grader *alerts.Grader, opts Options, now func() time.Time, runJobs func(ctx context.Context, jobs []job.Job), duty incident.Approvers) *Service {
	if now == nil {
		now = time.Now
	}
	plans := make(map[string]*config.Plan, len(opts.Plans))
	for i := range opts.Plans {
		plans[opts.Plans[i].ID] = &opts.Plans[i]
	}
	return &Service{store: st, incidents: inc, grader: grader, opts: opts, plans: plans, now: now, runNow: runJobs, duty: duty}
}

// Plans returns the configured plans.
func (s *Service) Plans() []config.Plan { return s.opts.Plans }

// why says why plan p matches inc, or returns nil when it does not.
func (s *Service) why(p *config.Plan, inc *incident.Incident) []string {
	if len(p.Categories) > 0 && !slices.Contains(p.Categories, inc.Category) {
		return nil
	}
	if inc.Level < p.MinLevel {
		return nil
	}
	why := []string{}
	if len(p.Categories) > 0 {
		why = append(why, "category "+inc.Category)
	} else {
		why = append(why, "any category (general plan)")
	}
	why = append(why, fmt.Sprintf("level %s reaches the plan's minimum %s", inc.Level, p.MinLevel))
	if p.When != nil {
		kinds := make([]string, 0, len(inc.Zones))
		for _, z := range inc.Zones {
			kinds = append(kinds, z.Kind)
		}
		if !s.grader.Holds(p.When, inc.Facts, alerts.Situation{ZoneKinds: kinds, At: inc.OccurredAt}) {
			return nil
		}
		why = append(why, "the plan's extra conditions hold")
	}
	return why
}

// approvers returns the roles that decide plan p at level l.
func approvers(p *config.Plan, l alerts.Level) []vocab.Role {
	return slices.Clone(p.Approvers[l.String()])
}

// Propose proposes every matching plan for an incident just created or
// raised: once per incident and plan, and again when the new level names
// stricter approvers. Plans that respond by procedure become active at once.
// The proposals are stored only while the incident is at the version read,
// so none is made after its close withdrew the others (Withdraw).
func (s *Service) Propose(ctx context.Context, inc *incident.Incident) ([]*Activation, error) {
	for attempt := 0; ; attempt++ {
		if inc.Status == incident.StatusClosed {
			return nil, nil
		}
		out, err := s.propose(ctx, inc)
		if incidentMoved(err, inc.ID) && attempt < 3 {
			// The incident changed meanwhile (closed, say): look at it again.
			fresh, lerr := s.incidents.Load(ctx, inc.ID)
			if lerr != nil {
				return nil, fmt.Errorf("reading the incident again: %w", lerr)
			}
			inc = fresh
			continue
		}
		if fault.IsConflict(err) && attempt < 3 {
			continue // another instance proposed first: look again
		}
		return out, err
	}
}

func (s *Service) propose(ctx context.Context, inc *incident.Incident) ([]*Activation, error) {
	// Most incidents match no plan: they cost no read.
	type match struct {
		p   *config.Plan
		why []string
	}
	var matches []match
	for i := range s.opts.Plans {
		if why := s.why(&s.opts.Plans[i], inc); why != nil {
			matches = append(matches, match{&s.opts.Plans[i], why})
		}
	}
	if len(matches) == 0 {
		return nil, nil
	}
	existing, err := s.store.ByIncident(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	w := &Write{At: now, Incident: inc}
	var out []*Activation
	name, user := incident.NameApprover(ctx, s.duty, now, s.opts.Log, "the proposals for "+inc.ID)
	for _, m := range matches {
		p, why := m.p, m.why
		roles := approvers(p, inc.Level)
		if slices.ContainsFunc(existing, func(a *Activation) bool {
			return a.PlanID == p.ID && !stricter(roles, a.Approvers)
		}) {
			continue
		}
		// A proposal still waiting under laxer approvers is superseded: only
		// the roles the new level names may decide now.
		for _, old := range existing {
			if old.PlanID == p.ID && old.Status == Proposed {
				prev := *old
				old.Status, old.DecidedAt, old.DecidedBy, old.DecidedAs = Rejected, &now, "rules", vocab.System
				old.Reason, old.UpdatedAt = fmt.Sprintf("superseded: level %s is decided by %s", inc.Level, vocab.JoinRoles(roles, " or ")), now
				w.Changes = append(w.Changes, Change{A: old, Prev: &prev, Event: "activation.rejected"})
			}
		}
		n, err := s.store.NextID(ctx, now.In(s.opts.Location).Format("20060102"))
		if err != nil {
			return nil, err
		}
		a := &Activation{
			ID: fmt.Sprintf("A-%s-%04d", now.In(s.opts.Location).Format("20060102"), n), PlanID: p.ID, PlanName: p.Name,
			IncidentID: inc.ID, Level: inc.Level, Status: Proposed, Why: why, Approvers: roles,
			Commander: p.Commander[inc.Level.String()], ProposedAt: now, UpdatedAt: now, Groups: s.groups(p),
			Approver: user, ApproverName: name,
		}
		w.Changes = append(w.Changes, Change{A: a, Event: "activation.proposed"})
		w.Entries = append(w.Entries, incident.Entry{At: now, Type: "plan.proposed", By: "rules", Role: vocab.System,
			Detail: map[string]any{"activation_id": a.ID, "plan_id": p.ID, "why": why, "approvers": roles}})
		if p.AutoActivate {
			a.Auto = true
			s.activate(a, p, Who{Username: "procedure", Role: vocab.System}, "responds by procedure", now, w)
			w.Changes[len(w.Changes)-1].Event = "activation.approved"
		}
		out = append(out, a)
	}
	if len(w.Changes) == 0 {
		return nil, nil
	}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	return out, s.runJobs(ctx, w.Jobs)
}

// runJobs runs the jobs just recorded: by the runner when there is one.
func (s *Service) runJobs(ctx context.Context, jobs []job.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if s.runNow != nil {
		s.runNow(ctx, jobs)
		return nil
	}
	var errs []error
	for _, j := range jobs {
		if h := s.Handlers()[j.Kind]; h != nil {
			errs = append(errs, h(ctx, j))
		}
	}
	return errors.Join(errs...)
}

// Handlers are the handlers of the plans' jobs, by kind: the server's
// runner takes them, and runJobs runs them itself without one.
func (s *Service) Handlers() map[string]job.Handler {
	return map[string]job.Handler{JobTasks: s.Deliver, JobTasksClosed: s.CloseTasks}
}

// stricter reports whether roles is a strict subset of before: fewer roles
// may decide, so the plan is proposed again to them.
func stricter(roles, before []vocab.Role) bool {
	if len(roles) >= len(before) {
		return false
	}
	for _, r := range roles {
		if !slices.Contains(before, r) {
			return false
		}
	}
	return true
}

// Who acts.
type Who = vocab.Actor

// may checks that who may decide activation a.
func may(a *Activation, who Who, what string) error {
	if !slices.Contains(a.Approvers, who.Role) {
		return &fault.Forbidden{Detail: fmt.Sprintf("plan %s at level %s is %s only by %s, not by %s",
			a.PlanID, a.Level, what, vocab.JoinRoles(a.Approvers, " or "), who.Role)}
	}
	return nil
}

// groups resolves plan p's working groups to the units that get their
// tasks: the units named and the members of the teams named.
func (s *Service) groups(p *config.Plan) []Group {
	out := make([]Group, 0, len(p.Groups))
	for _, g := range p.Groups {
		members := warning.GroupUnits(g, s.opts.Members)
		out = append(out, Group{ID: g.ID, Name: g.Name, Tasks: g.Tasks, Units: members, Progress: Progress{Total: len(members)}})
	}
	return out
}

// activate moves a to active and records the job that delivers the working
// groups' tasks (in chunks, after the approval itself is stored).
func (s *Service) activate(a *Activation, p *config.Plan, who Who, reason string, now time.Time, w *Write) {
	a.Status, a.Phase = Active, PhaseAction
	a.DecidedAt, a.DecidedBy, a.DecidedAs, a.Reason, a.UpdatedAt = &now, who.Username, who.Role, reason, now
	if !a.ByHand { // a start by hand keeps the groups chosen
		a.Groups = s.groups(p)
	}
	// Local: the instance that saves a runs the job at once with a as saved.
	w.Jobs = append(w.Jobs, job.Job{Kind: JobTasks, Key: a.ID, IncidentID: a.IncidentID, Local: a})
	w.Entries = append(w.Entries,
		incident.Entry{At: now, Type: "plan.activated", By: who.Username, Role: who.Role, Reason: reason,
			Detail: map[string]any{"activation_id": a.ID, "plan_id": p.ID, "phase": "启动"}},
		incident.Entry{At: now, Type: "plan.phase", By: who.Username, Role: who.Role,
			Detail: map[string]any{"activation_id": a.ID, "plan_id": p.ID, "phase": PhaseAction, "phase_zh": "行动"}})
}

// Deliver is the handler of JobTasks: it stores an active plan's tasks in
// chunks (AddTaskChunks), each announced to its unit, skipping those
// stored.
func (s *Service) Deliver(ctx context.Context, j job.Job) error {
	a, err := s.jobActivation(ctx, j)
	if a == nil || a.Status != Active {
		return err
	}
	var brief *incident.Brief
	if a.IncidentID != "" { // a plan started on a request has none
		inc, err := s.incidents.Load(ctx, a.IncidentID)
		if err != nil {
			return fmt.Errorf("delivering the tasks of %s: %w", a.ID, err)
		}
		brief = inc.Brief()
	}
	at := a.UpdatedAt
	if a.DecidedAt != nil {
		at = *a.DecidedAt
	}
	n := 0
	for _, g := range a.Groups {
		n += len(g.Units)
	}
	tasks := make([]Task, 0, n)
	for _, g := range a.Groups {
		for _, u := range g.Units {
			tasks = append(tasks, Task{ID: TaskID(a.ID, g.ID, u), ActivationID: a.ID, PlanID: a.PlanID, PlanName: a.PlanName,
				GroupID: g.ID, GroupName: g.Name, Tasks: g.Tasks, UnitID: u, Incident: brief, WarningID: a.WarningID, Drill: a.Drill,
				AssignedAt: at, Status: TaskAssigned})
		}
	}
	if err := AddTaskChunks(ctx, s.store, a, tasks, func() time.Time { return s.now().UTC() }); err != nil {
		return fmt.Errorf("delivering the tasks of %s: %w", a.ID, err)
	}
	return nil
}

// Task actions.
const (
	ActAcknowledge = "acknowledge"
	ActDone        = "done"
)

// TaskAction acknowledges a task or marks it done, for the unit it is for
// (an admin for any): another's task is not found. A repeat changes nothing.
func (s *Service) TaskAction(ctx context.Context, who Who, unitID, id, action, note string) (*Task, error) {
	note = incident.CleanNote(note)
	for attempt := 0; ; attempt++ {
		t, again, err := s.taskAction(ctx, who, unitID, id, action, note)
		if again && attempt < 20 {
			continue // the task or its plan moved meanwhile (another of the unit's phones, an end): look again
		}
		return t, err
	}
}

// taskAction is one attempt at TaskAction; again says that its write met
// a change made meanwhile, so another attempt may answer differently.
func (s *Service) taskAction(ctx context.Context, who Who, unitID, id, action, note string) (_ *Task, again bool, _ error) {
	t, err := s.store.LoadTask(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if who.Role != vocab.Admin && t.UnitID != unitID {
		return nil, false, fmt.Errorf("task %s: %w", id, fault.ErrNotFound)
	}
	if t.Status == TaskDone || (action == ActAcknowledge && t.Status == TaskAcknowledged) {
		return t, false, nil
	}
	status, total, err := s.standing(ctx, t.ActivationID, t.GroupID)
	if err != nil {
		return nil, false, err
	}
	if status != Active {
		return nil, false, &fault.Conflict{Detail: fmt.Sprintf("plan %s is %s: its tasks are closed", t.ActivationID, status)}
	}
	now := s.now().UTC()
	prev := *t
	if prev.Status == TaskAssigned {
		t.AckedAt = &now
	}
	event, typ := "task.acknowledged", "task.acknowledged"
	t.Status = TaskAcknowledged
	if action == ActDone {
		t.Status, t.DoneAt, t.Note = TaskDone, &now, note
		event, typ = "task.done", "task.done"
	}
	err = s.saveTask(ctx, &TaskWrite{Task: t, Prev: &prev, Total: total, Event: event, At: now,
		Entry: incident.Entry{At: now, Type: typ, By: who.Username, Role: who.Role, Reason: note,
			Detail: map[string]any{"activation_id": t.ActivationID, "task_id": t.ID, "group_id": t.GroupID, "unit_id": t.UnitID}}})
	return t, fault.IsConflict(err), err
}

// standing is an activation's status and a group's member count: read
// beside it, or from its document when activated before they were kept.
func (s *Service) standing(ctx context.Context, id, group string) (string, int, error) {
	status, total, err := s.store.Standing(ctx, id, group)
	switch {
	case err != nil:
		return "", 0, err
	case status == "":
		return "", 0, fmt.Errorf("activation %s: %w", id, fault.ErrNotFound)
	case total > 0:
		return status, total, nil
	}
	a, err := s.store.Load(ctx, id)
	if err != nil {
		return "", 0, err
	}
	for _, g := range a.Groups {
		if g.ID == group {
			total = g.Progress.Total
		}
	}
	return a.Status, total, nil
}

// UnitTasks returns the tasks of a unit's plans still active.
func (s *Service) UnitTasks(ctx context.Context, unitID string) ([]*Task, error) {
	return s.store.UnitTasks(ctx, unitID)
}

// decide loads a proposed activation for an approver.
func (s *Service) decide(ctx context.Context, id string, who Who, what string) (*Activation, *config.Plan, error) {
	a, err := s.store.Load(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := may(a, who, what); err != nil {
		return nil, nil, err
	}
	p := s.plans[a.PlanID]
	if p == nil {
		return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("plan %s is no longer configured", a.PlanID)}
	}
	return a, p, nil
}

// Approve activates a proposed plan.
func (s *Service) Approve(ctx context.Context, who Who, id, reason string) (*Activation, error) {
	for attempt := 0; ; attempt++ {
		a, w, err := s.approve(ctx, who, id, reason)
		if w != nil && w.Incident != nil && incidentMoved(err, w.Incident.ID) && attempt < 3 {
			continue // the incident changed meanwhile: look at it again
		}
		if err != nil {
			return nil, err
		}
		return a, s.runJobs(ctx, w.Jobs)
	}
}

// approve is one try of Approve: the activation, guarded by the incident's
// version when it has one, so that a close racing the approval is seen.
func (s *Service) approve(ctx context.Context, who Who, id, reason string) (*Activation, *Write, error) {
	a, p, err := s.decide(ctx, id, who, "approved")
	if err != nil {
		return nil, nil, err
	}
	if a.Status != Proposed {
		return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("activation %s is %s, not proposed", id, a.Status)}
	}
	now := s.now().UTC()
	w := &Write{At: now}
	// A proposal outlives its incident's close (nothing withdraws it): once
	// the incident is closed it may only be rejected, never send units.
	if a.IncidentID != "" {
		inc, err := s.incidents.Load(ctx, a.IncidentID)
		if err != nil {
			return nil, nil, fmt.Errorf("approving %s: %w", id, err)
		}
		if inc.Status == incident.StatusClosed {
			return nil, nil, &fault.Conflict{Detail: fmt.Sprintf("incident %s is closed: plan %s can no longer be approved, only rejected", inc.ID, a.ID)}
		}
		w.Incident = inc
	}
	prev := *a
	s.activate(a, p, who, strings.TrimSpace(reason), now, w)
	w.Changes = []Change{{A: a, Prev: &prev, Event: "activation.approved"}}
	return a, w, s.save(ctx, w)
}

// Reject turns a proposal down; a reason is required.
func (s *Service) Reject(ctx context.Context, who Who, id, reason string) (*Activation, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fault.Field("reason", "required when rejecting a plan")
	}
	a, _, err := s.decide(ctx, id, who, "rejected")
	if err != nil {
		return nil, err
	}
	if a.Status != Proposed {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("activation %s is %s, not proposed", id, a.Status)}
	}
	now := s.now().UTC()
	prev := *a
	a.Status, a.DecidedAt, a.DecidedBy, a.DecidedAs, a.Reason, a.UpdatedAt = Rejected, &now, who.Username, who.Role, strings.TrimSpace(reason), now
	return a, s.save(ctx, &Write{At: now, Changes: []Change{{A: a, Prev: &prev, Event: "activation.rejected"}},
		Entries: []incident.Entry{{At: now, Type: "plan.rejected", By: who.Username, Role: who.Role, Reason: a.Reason, Detail: map[string]any{"activation_id": a.ID, "plan_id": a.PlanID}}}})
}

// WithdrawnReason is the reason of a proposal withdrawn at its incident's
// close.
const WithdrawnReason = "incident closed"

// withdrawer is who withdraws the proposals of a closed incident.
var withdrawer = Who{Username: "system", Role: vocab.System}

// Withdraw rejects, as the system, the plans still proposed for inc, which
// was closed: nobody may approve them any more, and a leader should not
// have to reject each. It is stored only while inc is still at the version
// read (a reopened incident keeps its proposals), all in one atomic step,
// and returns what it withdrew; it is idempotent.
func (s *Service) Withdraw(ctx context.Context, inc *incident.Incident) ([]*Activation, error) {
	for attempt := 0; ; attempt++ {
		if inc.Status != incident.StatusClosed {
			return nil, nil
		}
		list, err := s.store.ByIncident(ctx, inc.ID)
		if err != nil {
			return nil, fmt.Errorf("withdrawing the plans of %s: %w", inc.ID, err)
		}
		now := s.now().UTC()
		w := &Write{At: now, Incident: inc}
		var out []*Activation
		for _, a := range list {
			if a.Status != Proposed {
				continue
			}
			prev := *a
			a.Status, a.DecidedAt, a.DecidedBy, a.DecidedAs, a.Reason, a.Withdrawn, a.UpdatedAt = Rejected, &now, withdrawer.Username, withdrawer.Role, WithdrawnReason, true, now
			w.Changes = append(w.Changes, Change{A: a, Prev: &prev, Event: "activation.rejected"})
			w.Entries = append(w.Entries, incident.Entry{At: now, Type: "plan.rejected", By: withdrawer.Username, Role: withdrawer.Role, Reason: WithdrawnReason,
				Detail: map[string]any{"activation_id": a.ID, "plan_id": a.PlanID, "withdrawn": true}})
			out = append(out, a)
		}
		if len(out) == 0 {
			return nil, nil
		}
		err = s.save(ctx, w)
		if err == nil {
			return out, nil
		}
		if !fault.IsConflict(err) || attempt >= 3 {
			return nil, fmt.Errorf("withdrawing the plans of %s: %w", inc.ID, err)
		}
		// A leader decided one meanwhile, or the incident changed: look again.
		id := inc.ID
		if inc, err = s.incidents.Load(ctx, id); err != nil {
			return nil, fmt.Errorf("withdrawing the plans of %s: %w", id, err)
		}
	}
}

// Phase moves an active plan from action (行动) to recovery (恢复).
func (s *Service) Phase(ctx context.Context, who Who, id, phase, reason string) (*Activation, error) {
	if phase != PhaseRecovery {
		return nil, fault.Field("phase", "must be recovery (an approved plan is in action; end it to close it)")
	}
	a, _, err := s.decide(ctx, id, who, "moved")
	if err != nil {
		return nil, err
	}
	if a.Status != Active || a.Phase != PhaseAction {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("activation %s is %s %s, not active in action", id, a.Status, a.Phase)}
	}
	now := s.now().UTC()
	prev := *a
	a.Phase, a.UpdatedAt = PhaseRecovery, now
	return a, s.save(ctx, &Write{At: now, Changes: []Change{{A: a, Prev: &prev, Event: "activation.phase"}},
		Entries: []incident.Entry{{At: now, Type: "plan.phase", By: who.Username, Role: who.Role, Reason: strings.TrimSpace(reason),
			Detail: map[string]any{"activation_id": a.ID, "plan_id": a.PlanID, "phase": PhaseRecovery, "phase_zh": "恢复"}}}})
}

// End ends an active plan (结束) with the authority that started it.
func (s *Service) End(ctx context.Context, who Who, id, reason string) (*Activation, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fault.Field("reason", "required when ending a plan")
	}
	a, _, err := s.decide(ctx, id, who, "ended")
	if err != nil {
		return nil, err
	}
	if a.Status != Active {
		return nil, &fault.Conflict{Detail: fmt.Sprintf("activation %s is %s, not active", id, a.Status)}
	}
	now := s.now().UTC()
	prev := *a
	a.Status, a.Phase, a.EndedAt, a.EndedBy, a.EndReason, a.UpdatedAt = Ended, "", &now, who.Username, strings.TrimSpace(reason), now
	w := &Write{At: now, Changes: []Change{{A: a, Prev: &prev, Event: "activation.ended"}},
		Entries: []incident.Entry{{At: now, Type: "plan.ended", By: who.Username, Role: who.Role, Reason: a.EndReason,
			Detail: map[string]any{"activation_id": a.ID, "plan_id": a.PlanID, "phase": "结束"}}},
		Jobs: []job.Job{{Kind: JobTasksClosed, Key: a.ID, IncidentID: a.IncidentID, Local: a}}}
	if err := s.save(ctx, w); err != nil {
		return nil, err
	}
	return a, s.runJobs(ctx, w.Jobs)
}

// jobActivation is the activation a plan job is for: as saved by this
// instance, or read (nil, and no error, when it is gone).
func (s *Service) jobActivation(ctx context.Context, j job.Job) (*Activation, error) {
	if a, _ := j.Local.(*Activation); a != nil && a.ID == j.Key {
		return a, nil
	}
	a, err := s.store.Load(ctx, j.Key)
	if fault.IsNotFound(err) {
		return nil, nil
	}
	return a, err
}

// TasksClosed is the data of tasks.closed, on the stream of each unit of
// an ended plan: its tasks of that activation are closed.
type TasksClosed struct {
	ActivationID string      `json:"activation_id"`
	PlanID       string      `json:"plan_id"`
	PlanName     config.Text `json:"plan_name"`
	Reason       string      `json:"reason"`
	At           time.Time   `json:"at"`
}

// CloseTasks is the handler of JobTasksClosed: it tells each unit of an
// ended plan, TaskChunk units to a step, that its tasks are closed. A
// repeat tells them again, which a phone takes as it took the first.
func (s *Service) CloseTasks(ctx context.Context, j job.Job) error {
	a, err := s.jobActivation(ctx, j)
	if a == nil || a.Status != Ended || a.EndedAt == nil {
		return err
	}
	var units []string
	seen := map[string]bool{}
	for _, g := range a.Groups {
		for _, u := range g.Units {
			if !seen[u] {
				seen[u] = true
				units = append(units, u)
			}
		}
	}
	data := &TasksClosed{ActivationID: a.ID, PlanID: a.PlanID, PlanName: a.PlanName, Reason: a.EndReason, At: *a.EndedAt}
	for chunk := range slices.Chunk(units, TaskChunk) {
		c := &change.Change{At: s.now().UTC(), Events: make([]vocab.Event, 0, len(chunk))}
		for _, u := range chunk {
			c.Events = append(c.Events, vocab.Event{Stream: vocab.UnitStream(u), Type: vocab.TasksClosed, Data: data, Notify: true})
		}
		if _, err := s.store.Apply(ctx, c); err != nil {
			return fmt.Errorf("closing the tasks of %s: %w", a.ID, err)
		}
	}
	return nil
}

// List returns activations by status ("" for proposed and active).
func (s *Service) List(ctx context.Context, status string) ([]*Activation, error) {
	list, err := s.store.List(ctx, status)
	for _, a := range list {
		s.fillGroups(a)
	}
	return list, err
}

// Latest returns the limit activations of a status ("" for proposed and
// active) changed last, newest first, and how many have it.
func (s *Service) Latest(ctx context.Context, status string, limit int) ([]*Activation, int, error) {
	limit = max(limit, 0)
	if status == Ended || status == Rejected {
		return s.store.Latest(ctx, status, limit)
	}
	list, err := s.List(ctx, status) // proposed and active: what is live
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(list, NewestFirst)
	return list[:min(limit, len(list))], len(list), nil
}

// NewestFirst orders activations by their last change to the millisecond,
// newest first, then by id, the greater first (as Redis ranks them).
func NewestFirst(a, b *Activation) int {
	if c := cmp.Compare(b.UpdatedAt.UnixMilli(), a.UpdatedAt.UnixMilli()); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// Load returns one activation.
func (s *Service) Load(ctx context.Context, id string) (*Activation, error) {
	a, err := s.store.Load(ctx, id)
	if err == nil {
		s.fillGroups(a)
	}
	return a, err
}

// fillGroups shows who would get the tasks of a proposal stored before
// proposals named their groups, from the plan as configured now.
func (s *Service) fillGroups(a *Activation) {
	if a.Status != Proposed || a.Groups != nil {
		return
	}
	if p := s.plans[a.PlanID]; p != nil {
		a.Groups = s.groups(p)
	}
}
