package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/job"
	"watchfloor/command/vocab"
	"watchfloor/command/warning"
)

// Change is an activation written: new (Prev nil) or moved on from Prev,
// the activation as it was.
type Change struct {
	A    *Activation
	Prev *Activation
	// Event is the event it causes (activation.proposed, .approved …).
	Event string
	// Slot, for a new activation started by hand, is the incident's (or
	// the warning's) slot it takes instead of its plan's one proposal per
	// level, and Free the values that slot may hold (ended or rejected
	// starts).
	Slot string
	Free []string
}

// Write is one atomic change of activations; Change turns it into the
// change a store carries out.
type Write struct {
	Changes []Change
	Entries []incident.Entry
	// Jobs are recorded with the change (the delivery of an approved
	// plan's tasks); Apply sets their ids.
	Jobs []job.Job
	At   time.Time
	// Idem, for a start by hand, records its request's Idempotency-Key
	// with the new activation (value "id|fingerprint"), so that a repeat
	// never starts the plan a second time.
	Idem *vocab.Idempotency
	// Incident, when set, must still be at this version (an approval or
	// a start by hand checked that it is not closed).
	Incident *incident.Incident
}

// incidentChanged is the Why of Write.Incident's guard.
func incidentChanged(id string) string { return fmt.Sprintf("incident %s changed meanwhile", id) }

// Change is what w changes: each activation guarded by its status (a new
// one also by its plan's one slot per incident and level), its event to the
// screens and the leaders, the incident's timeline and its audit records,
// and the jobs.
func (w *Write) Change() *change.Change {
	c := &change.Change{At: w.At, Jobs: w.Jobs}
	if w.Idem != nil && len(w.Changes) > 0 {
		a := w.Changes[len(w.Changes)-1].A
		c.Idem = change.IdemOf(w.Idem, a.ID)
	}
	if inc := w.Incident; inc != nil {
		c.Guards = append(c.Guards, change.Guard{Kind: change.KindIncident, ID: inc.ID, Field: "ver",
			Allowed: []string{strconv.FormatInt(inc.Version, 10)}, Why: incidentChanged(inc.ID)})
	}
	incidentID := ""
	for _, ch := range w.Changes {
		a := ch.A
		incidentID = a.IncidentID
		g := change.Guard{Kind: change.KindActivation, ID: a.ID, Field: "status", Allowed: []string{""}, Why: fmt.Sprintf("activation %s changed meanwhile", a.ID)}
		var prev any
		if ch.Prev != nil {
			g.Allowed, prev = []string{ch.Prev.Status}, ch.Prev
		}
		c.Guards = append(c.Guards, g)
		if ch.Prev == nil && ch.Slot != "" {
			// A plan is started by hand once per incident, or per warning, at a time.
			owner, what := a.IncidentID, "incident"
			if owner == "" {
				owner, what = a.WarningID, "warning"
			}
			c.Guards = append(c.Guards, change.Guard{Kind: change.KindProposed, ID: owner, Field: ch.Slot, Allowed: append([]string{""}, ch.Free...),
				Why: fmt.Sprintf("plan %s was already started for %s %s", a.PlanID, what, owner)})
			c.Fields = append(c.Fields, change.Field{Kind: change.KindProposed, ID: owner, Field: ch.Slot, Value: a.ID})
		} else if ch.Prev == nil && a.IncidentID != "" {
			// A plan is proposed once per incident and level, across instances.
			slot := a.PlanID + "@" + a.Level.String()
			c.Guards = append(c.Guards, change.Guard{Kind: change.KindProposed, ID: a.IncidentID, Field: slot, Allowed: []string{""},
				Why: fmt.Sprintf("plan %s was already proposed for incident %s at level %s", a.PlanID, a.IncidentID, a.Level)})
			c.Fields = append(c.Fields, change.Field{Kind: change.KindProposed, ID: a.IncidentID, Field: slot, Value: a.ID})
		}
		if ch.Prev == nil && a.WarningID != "" {
			// Its warning was active when read: a lift or an expiry since refuses it.
			c.Guards = append(c.Guards, change.Guard{Kind: warning.Kind, ID: a.WarningID, Field: "status", Allowed: []string{warning.Active},
				Why: fmt.Sprintf("warning %s was lifted meanwhile", a.WarningID)})
		}
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Prev: prev, Fields: map[string]string{"status": a.Status}})
		if a.Status == Active { // what a task's answer reads of it, beside the document
			for _, g := range a.Groups {
				c.Fields = append(c.Fields, change.Field{Kind: change.KindProgress, ID: a.ID, Field: g.ID + ":total", Value: strconv.Itoa(g.Progress.Total)})
			}
		}
		c.Events = append(c.Events,
			vocab.Event{Stream: vocab.ScreenStream, Type: ch.Event, Data: a, Prev: prev},
			vocab.Event{Stream: vocab.LeaderStream, Type: ch.Event, Data: a, Prev: prev})
	}
	if len(w.Entries) > 0 && incidentID != "" {
		entries := make([]any, len(w.Entries))
		for i, e := range w.Entries {
			entries[i] = e
		}
		c.Appends = append(c.Appends, change.Append{Kind: change.KindIncidentTimeline, ID: incidentID, Entries: entries})
	}
	if len(w.Entries) > 0 && len(w.Changes) > 0 {
		// A plan started on a higher body's request has no incident: its
		// records are the activation's alone.
		c.Audit = incident.AuditRecords(incidentID, w.Entries)
	}
	return c
}

// save carries out w.
func (s *Service) save(ctx context.Context, w *Write) error {
	_, err := s.store.Apply(ctx, w.Change())
	return err
}

// TaskWrite is one atomic change of a task: from Prev, the task as it was,
// in a group of Total members.
type TaskWrite struct {
	Task  *Task
	Prev  *Task
	Total int
	Event string
	Entry incident.Entry
	At    time.Time
}

// TaskEvent is the data of task.acknowledged and task.done.
type TaskEvent struct {
	Task         *Task    `json:"task"`
	ActivationID string   `json:"activation_id"`
	GroupID      string   `json:"group_id"`
	Progress     Progress `json:"progress"`
}

// The counts a task's change moves, in Change's Counts.
const (
	countAck = iota
	countDone
)

// Change is what w changes: the task guarded by its status, its group's
// counts moved by the step (no guard between members answering at once),
// its events with the counts after it, and its audit record.
func (w *TaskWrite) Change() (*change.Change, error) {
	t := w.Task
	var prev any
	prevStatus := ""
	if w.Prev != nil {
		prev, prevStatus = w.Prev, w.Prev.Status
	}
	incidentID := ""
	if t.Incident != nil {
		incidentID = t.Incident.ID
	}
	acked, done := int64(0), int64(0)
	if prevStatus == TaskAssigned && t.Status != TaskAssigned {
		acked = 1
	}
	if prevStatus != TaskDone && t.Status == TaskDone {
		done = 1
	}
	ev, err := taskEvent(t, w.Total)
	if err != nil {
		return nil, err
	}
	c := &change.Change{At: w.At,
		Guards: []change.Guard{{Kind: change.KindTask, ID: t.ID, Field: "status", Allowed: []string{prevStatus},
			Why: fmt.Sprintf("task %s changed meanwhile", t.ID)},
			// Its plan still active: an answer racing the end is not stored
			// after the unit was told its tasks are closed.
			{Kind: change.KindActivation, ID: t.ActivationID, Field: "status", Allowed: []string{Active},
				Why: fmt.Sprintf("plan %s ended meanwhile", t.ActivationID)}},
		Docs: []change.Doc{{Kind: change.KindTask, ID: t.ID, Value: t, Prev: prev, Fields: map[string]string{"status": t.Status}}},
		Counts: []change.Count{
			countAck:  {Kind: change.KindProgress, ID: t.ActivationID, Field: t.GroupID + ":ack", By: acked},
			countDone: {Kind: change.KindProgress, ID: t.ActivationID, Field: t.GroupID + ":done", By: done},
			// Instances older than the counters guard on it: they retry.
			{Kind: change.KindProgress, ID: t.ActivationID, Field: t.GroupID + ":v", By: 1},
		},
		Events: []vocab.Event{
			{Stream: vocab.UnitStream(t.UnitID), Type: w.Event, Data: ev, Notify: true},
			{Stream: vocab.ScreenStream, Type: w.Event, Data: ev},
			{Stream: vocab.LeaderStream, Type: w.Event, Data: ev},
		},
		// Audited, but kept off the incident's timeline: a plan sent to
		// thousands of units would bury the timeline under their answers.
		Audit: incident.AuditRecords(incidentID, []incident.Entry{w.Entry}),
	}
	return c, nil
}

// taskEvent is t's TaskEvent with the group's counts left for the store to
// fill in as they stand after the change.
func taskEvent(t *Task, total int) (change.Counted, error) {
	head, err := json.Marshal(struct {
		Task         *Task  `json:"task"`
		ActivationID string `json:"activation_id"`
		GroupID      string `json:"group_id"`
	}{t, t.ActivationID, t.GroupID})
	if err != nil {
		return change.Counted{}, fmt.Errorf("encoding the event of task %s: %w", t.ID, err)
	}
	head = append(head[:len(head)-1], `,"progress":{"total":`...)
	head = strconv.AppendInt(head, int64(total), 10)
	head = append(head, `,"acknowledged":`...)
	return change.Counted{Parts: [][]byte{head, []byte(`,"done":`), []byte(`}}`)}, Holes: []int{countAck, countDone}}, nil
}

// saveTask carries out w.
func (s *Service) saveTask(ctx context.Context, w *TaskWrite) error {
	c, err := w.Change()
	if err != nil {
		return err
	}
	_, err = s.store.Apply(ctx, c)
	if err != nil && !fault.IsConflict(err) {
		return fmt.Errorf("saving task %s: %w", w.Task.ID, err)
	}
	return err // a conflict says what changed
}

// TaskStore is what storing a plan's tasks needs.
type TaskStore interface {
	TasksExist(ctx context.Context, ids []string) ([]bool, error)
	Apply(ctx context.Context, c *change.Change) (change.Result, error)
}

// TaskSteps is how many of a delivery's steps are under way at once: one
// is built and sent while Redis runs another, so the last unit has its task
// sooner, and Redis still runs one short step at a time, with other
// writers' commands between them.
const TaskSteps = 2

// AddTaskChunks stores tasks with AddTasks, TaskChunk to a step, TaskSteps
// steps under way at once (each stamped with now's time when sent). Once a
// step fails or finds the plan ended no further step is sent; the first
// error is returned (a plan ended meanwhile is none: nothing more to
// deliver). A failed delivery is tried again whole, and AddTasks skips
// what an earlier try stored.
func AddTaskChunks(ctx context.Context, st TaskStore, a *Activation, tasks []Task, now func() time.Time) error {
	chunks := slices.Collect(slices.Chunk(tasks, TaskChunk))
	var next atomic.Int64
	var stop atomic.Bool
	errs := make([]error, TaskSteps) // each step's, in turn
	var wg sync.WaitGroup
	for w := range min(TaskSteps, len(chunks)) {
		wg.Go(func() {
			defer func() {
				// As the job runner does for its handlers: a failed step,
				// not a dead server.
				if p := recover(); p != nil {
					stop.Store(true)
					errs[w] = fmt.Errorf("storing the tasks of %s: a step panicked: %v", a.ID, p)
				}
			}()
			for i := int(next.Add(1)) - 1; i < len(chunks) && !stop.Load(); i = int(next.Add(1)) - 1 {
				if err := AddTasks(ctx, st, a, chunks[i], now()); err != nil {
					stop.Store(true)
					if !errors.Is(err, ErrNotActive) {
						errs[w] = err
					}
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ErrNotActive is AddTasks's answer when the activation is no longer
// active: it stored nothing.
var ErrNotActive = errors.New("the plan is no longer active")

// AddTasks stores those of tasks not stored yet, each with its
// task.assigned event to its unit, in one atomic step: each is guarded, so
// two deliveries racing store and announce a task once, and a repeat adds
// nothing. The first attempt assumes none is stored (a first delivery
// saves the read); a conflict reads which are and tries again. Once the
// activation is no longer active (ended meanwhile: its units were told, or
// are being told, that its tasks are closed) it stores nothing and returns
// ErrNotActive.
func AddTasks(ctx context.Context, st TaskStore, a *Activation, tasks []Task, at time.Time) error {
	active := change.Guard{Kind: change.KindActivation, ID: a.ID, Field: "status", Allowed: []string{Active},
		Why: fmt.Sprintf("activation %s is no longer active", a.ID)}
	ids := make([]string, len(tasks))
	for i := range tasks {
		ids[i] = tasks[i].ID
	}
	stored := make([]bool, len(tasks))
	// Each task is stored and announced with its group's part shared: one
	// copy of the orders per group in Redis, not one per unit.
	var shared sharedTasks
	values := make([]*change.Shared, len(tasks))
	for i := range tasks {
		v, err := shared.of(&tasks[i])
		if err != nil {
			return fmt.Errorf("storing the tasks of %s: %w", a.ID, err)
		}
		values[i] = v
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			var err error
			if stored, err = st.TasksExist(ctx, ids); err != nil {
				return fmt.Errorf("storing the tasks of %s: %w", a.ID, err)
			}
		}
		c := &change.Change{At: at, Guards: make([]change.Guard, 0, len(tasks)+1), Docs: make([]change.Doc, 0, len(tasks)),
			Events: make([]vocab.Event, 0, len(tasks))}
		// Every task of a step starts unstored and (a delivery's) assigned:
		// one slice and one map serve them all (stores only read them).
		absent := []string{""}
		var fields map[string]string
		for i := range tasks {
			if stored[i] {
				continue
			}
			t := &tasks[i]
			if fields == nil || fields["status"] != t.Status {
				fields = map[string]string{"status": t.Status}
			}
			c.Guards = append(c.Guards, change.Guard{Kind: change.KindTask, ID: t.ID, Field: "status", Allowed: absent,
				Why: "task " + t.ID + " was stored meanwhile"})
			c.Docs = append(c.Docs, change.Doc{Kind: change.KindTask, ID: t.ID, Value: values[i], Fields: fields})
			c.Events = append(c.Events, vocab.Event{Stream: vocab.UnitStream(t.UnitID), Type: vocab.TaskAssigned, Data: values[i], Notify: true})
		}
		if len(c.Docs) == 0 {
			return nil
		}
		c.Guards = append(c.Guards, active)
		_, err := st.Apply(ctx, c)
		if cf := (*fault.Conflict)(nil); errors.As(err, &cf) && cf.Detail == active.Why {
			return fmt.Errorf("storing the tasks of %s: %w", a.ID, ErrNotActive)
		}
		if fault.IsConflict(err) && attempt < 4 {
			continue // another delivery stored some meanwhile: skip them
		}
		if err != nil {
			return fmt.Errorf("storing the tasks of %s: %w", a.ID, err)
		}
		return nil
	}
}
