package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/vocab"
)

// Activations stores plan activations. Keys, under the deployment's prefix:
//
//	activation:{id}              hash: doc (JSON), status
//	activations:n:{day}          counter for ids
//	activations:{status}         sets by status
//	incident:{id}:activations    set of the incident's activations
//	activation:{id}:progress     hash: {group}:ack, {group}:done, {group}:v
//	task:{id}                    hash: doc (JSON), status
//	unit:{id}:tasks              set of the unit's task ids
type Activations struct{ s *Store }

// Activations returns the activation storage.
func (s *Store) Activations() *Activations { return &Activations{s: s} }

var _ plan.Store = (*Activations)(nil)

// NextID implements plan.Store.
func (x *Activations) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID(ctx, "activations", day)
}

// Load implements plan.Store.
func (x *Activations) Load(ctx context.Context, id string) (*plan.Activation, error) {
	var v plan.Activation
	if err := x.s.loadDoc(ctx, "activation", id, &v); err != nil {
		return nil, err
	}
	if err := x.merge(ctx, []*plan.Activation{&v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// merge sets the groups' progress of activations from their counters.
func (x *Activations) merge(ctx context.Context, acts []*plan.Activation) error {
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(acts))
	n := 0
	for i, a := range acts {
		if len(a.Groups) > 0 {
			cmds[i] = pipe.HGetAll(ctx, x.s.Key("activation", a.ID, "progress"))
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return x.s.wrap("loading plan progress", err)
	}
	for i, a := range acts {
		if cmds[i] == nil {
			continue
		}
		m := cmds[i].Val()
		for j := range a.Groups {
			g := &a.Groups[j]
			g.Progress.Acknowledged, _ = strconv.Atoi(m[g.ID+":ack"])
			g.Progress.Done, _ = strconv.Atoi(m[g.ID+":done"])
		}
	}
	return nil
}

func (x *Activations) loadSets(ctx context.Context, keys ...string) ([]*plan.Activation, error) {
	if err := x.s.check("listing activations"); err != nil {
		return nil, err
	}
	ids, err := x.s.rdb.SUnion(ctx, keys...).Result()
	if err != nil {
		return nil, x.s.wrap("listing activations", err)
	}
	out := make([]*plan.Activation, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("activation", id), "doc")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.wrap("listing activations", err)
	}
	for _, c := range cmds {
		var a plan.Activation
		if json.Unmarshal([]byte(c.Val()), &a) == nil && a.ID != "" {
			out = append(out, &a)
		}
	}
	slices.SortFunc(out, func(a, b *plan.Activation) int { return a.ProposedAt.Compare(b.ProposedAt) })
	if err := x.merge(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ByIncident implements plan.Store.
func (x *Activations) ByIncident(ctx context.Context, incidentID string) ([]*plan.Activation, error) {
	return x.loadSets(ctx, x.s.Key("incident", incidentID, "activations"))
}

// List implements plan.Store: "" lists proposed and active ones.
func (x *Activations) List(ctx context.Context, status string) ([]*plan.Activation, error) {
	if status == "" {
		return x.loadSets(ctx, x.s.Key("activations", plan.Proposed), x.s.Key("activations", plan.Active))
	}
	return x.loadSets(ctx, x.s.Key("activations", status))
}

// Save implements plan.Store.
func (x *Activations) Save(ctx context.Context, w *plan.Write) error {
	tx := &Tx{At: w.At}
	var what []string
	var incidentID string
	for _, c := range w.Changes {
		a := c.A
		incidentID = a.IncidentID
		key := x.s.Key("activation", a.ID)
		tx.Guards = append(tx.Guards, Guard{Key: key, Field: "status", Allowed: []string{c.Prev}})
		what = append(what, fmt.Sprintf("activation %s changed meanwhile", a.ID))
		if c.Prev == "" {
			// A plan is proposed once per incident and level, across instances.
			slot := x.s.Key("incident", a.IncidentID, "proposed")
			tx.Guards = append(tx.Guards, Guard{Key: slot, Field: a.PlanID + "@" + a.Level.String(), Allowed: []string{""}})
			what = append(what, fmt.Sprintf("plan %s was already proposed for incident %s at level %s", a.PlanID, a.IncidentID, a.Level))
			tx.Ops = append(tx.Ops, Op{Cmd: "HSET", Key: slot, Args: []string{a.PlanID + "@" + a.Level.String(), a.ID}})
		}
		doc, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encoding activation: %w", err)
		}
		tx.Ops = append(tx.Ops,
			Op{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "status", a.Status}},
			Op{Cmd: "SADD", Key: x.s.Key("incident", a.IncidentID, "activations"), Args: []string{a.ID}},
			Op{Cmd: "SADD", Key: x.s.Key("activations", a.Status), Args: []string{a.ID}})
		if c.Prev != "" && c.Prev != a.Status {
			tx.Ops = append(tx.Ops, Op{Cmd: "SREM", Key: x.s.Key("activations", c.Prev), Args: []string{a.ID}})
		}
		tx.Events = append(tx.Events,
			Event{Stream: vocab.ScreenStream, Type: c.Event, Data: doc},
			Event{Stream: vocab.LeaderStream, Type: c.Event, Data: doc})
	}
	tx.Jobs = w.Jobs
	if len(w.Entries) > 0 && incidentID != "" {
		args := make([]string, len(w.Entries))
		for i, e := range w.Entries {
			b, _ := json.Marshal(e)
			args[i] = string(b)
		}
		tx.Ops = append(tx.Ops, Op{Cmd: "RPUSH", Key: x.s.Key("incident", incidentID, "timeline"), Args: args})
		tx.Audit = auditOf(incidentID, w.Entries)
	}
	res, err := x.s.Commit(ctx, tx)
	if errors.Is(err, ErrConflict) {
		detail := "the activation changed meanwhile"
		if res.Conflict >= 0 && res.Conflict < len(what) {
			detail = what[res.Conflict]
		}
		return &fault.Conflict{Detail: detail}
	}
	if err != nil {
		return err
	}
	for i, id := range res.JobIDs {
		w.Jobs[i].ID = id
	}
	return nil
}

// AddTasks implements plan.Store: one atomic step per call, storing only
// the tasks not stored yet (each guarded, so two deliveries racing store
// and announce a task once).
func (x *Activations) AddTasks(ctx context.Context, a *plan.Activation, tasks []plan.Task, at time.Time) error {
	for attempt := 0; ; attempt++ {
		if err := x.s.check("storing tasks"); err != nil {
			return err
		}
		pipe := x.s.rdb.Pipeline()
		cmds := make([]*redis.BoolCmd, len(tasks))
		for i := range tasks {
			cmds[i] = pipe.HExists(ctx, x.s.Key("task", tasks[i].ID), "status")
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return x.s.wrap("storing tasks", err)
		}
		tx := &Tx{At: at}
		for i := range tasks {
			if cmds[i].Val() {
				continue
			}
			t := &tasks[i]
			doc, err := json.Marshal(t)
			if err != nil {
				return fmt.Errorf("encoding task: %w", err)
			}
			key := x.s.Key("task", t.ID)
			tx.Guards = append(tx.Guards, Guard{Key: key, Field: "status", Allowed: []string{""}})
			tx.Ops = append(tx.Ops,
				Op{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "status", t.Status}},
				Op{Cmd: "SADD", Key: x.s.Key("unit", t.UnitID, "tasks"), Args: []string{t.ID}})
			tx.Events = append(tx.Events, Event{Stream: vocab.UnitStream(t.UnitID), Type: "task.assigned", Data: doc, Notify: true})
		}
		if len(tx.Ops) == 0 {
			return nil
		}
		_, err := x.s.Commit(ctx, tx)
		if errors.Is(err, ErrConflict) && attempt < 3 {
			continue // another delivery stored some meanwhile: skip them
		}
		if err != nil {
			return fmt.Errorf("storing the tasks of %s: %w", a.ID, err)
		}
		return nil
	}
}

// LoadTask implements plan.Store.
func (x *Activations) LoadTask(ctx context.Context, id string) (*plan.Task, error) {
	var t plan.Task
	if err := x.s.loadDoc(ctx, "task", id, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// UnitTasks implements plan.Store.
func (x *Activations) UnitTasks(ctx context.Context, unitID string) ([]*plan.Task, error) {
	if err := x.s.check("listing tasks"); err != nil {
		return nil, err
	}
	ids, err := x.s.rdb.SMembers(ctx, x.s.Key("unit", unitID, "tasks")).Result()
	if err != nil {
		return nil, x.s.wrap("listing tasks", err)
	}
	out := []*plan.Task{}
	if len(ids) == 0 {
		return out, nil
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("task", id), "doc")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.wrap("listing tasks", err)
	}
	acts := map[string]*redis.StringCmd{}
	pipe = x.s.rdb.Pipeline()
	for _, c := range cmds {
		var t plan.Task
		if json.Unmarshal([]byte(c.Val()), &t) != nil || t.ID == "" {
			continue
		}
		out = append(out, &t)
		if acts[t.ActivationID] == nil {
			acts[t.ActivationID] = pipe.HGet(ctx, x.s.Key("activation", t.ActivationID), "status")
		}
	}
	if len(acts) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, x.s.wrap("listing tasks", err)
		}
	}
	out = slices.DeleteFunc(out, func(t *plan.Task) bool { return acts[t.ActivationID].Val() != plan.Active })
	slices.SortFunc(out, func(a, b *plan.Task) int {
		if c := a.AssignedAt.Compare(b.AssignedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Progress implements plan.Store.
func (x *Activations) Progress(ctx context.Context, activationID, groupID string) (plan.Progress, int64, error) {
	if err := x.s.check("loading plan progress"); err != nil {
		return plan.Progress{}, 0, err
	}
	vals, err := x.s.rdb.HMGet(ctx, x.s.Key("activation", activationID, "progress"), groupID+":ack", groupID+":done", groupID+":v").Result()
	if err != nil {
		return plan.Progress{}, 0, x.s.wrap("loading plan progress", err)
	}
	num := func(v any) int64 {
		s, _ := v.(string)
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	return plan.Progress{Acknowledged: int(num(vals[0])), Done: int(num(vals[1]))}, num(vals[2]), nil
}

// TaskEvent is the data of task.acknowledged and task.done.
type TaskEvent struct {
	Task         *plan.Task    `json:"task"`
	ActivationID string        `json:"activation_id"`
	GroupID      string        `json:"group_id"`
	Progress     plan.Progress `json:"progress"`
}

// SaveTask implements plan.Store: the task, its group's counts (guarded by
// their version), its events on the unit's, the screens' and the leaders'
// streams and its audit record, in one step.
func (x *Activations) SaveTask(ctx context.Context, w *plan.TaskWrite) error {
	t := w.Task
	doc, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encoding task: %w", err)
	}
	ev, _ := json.Marshal(TaskEvent{Task: t, ActivationID: t.ActivationID, GroupID: t.GroupID, Progress: w.Progress})
	progress := x.s.Key("activation", t.ActivationID, "progress")
	version := ""
	if w.Version > 0 {
		version = strconv.FormatInt(w.Version, 10)
	}
	incidentID := ""
	if t.Incident != nil {
		incidentID = t.Incident.ID
	}
	tx := &Tx{At: w.At,
		Guards: []Guard{
			{Key: x.s.Key("task", t.ID), Field: "status", Allowed: []string{w.Prev}},
			{Key: progress, Field: t.GroupID + ":v", Allowed: []string{version}},
		},
		Ops: []Op{
			{Cmd: "HSET", Key: x.s.Key("task", t.ID), Args: []string{"doc", string(doc), "status", t.Status}},
			{Cmd: "HSET", Key: progress, Args: []string{
				t.GroupID + ":ack", strconv.Itoa(w.Progress.Acknowledged), t.GroupID + ":done", strconv.Itoa(w.Progress.Done),
				t.GroupID + ":v", strconv.FormatInt(w.Version+1, 10)}},
		},
		Events: []Event{
			{Stream: vocab.UnitStream(t.UnitID), Type: w.Event, Data: ev, Notify: true},
			{Stream: vocab.ScreenStream, Type: w.Event, Data: ev},
			{Stream: vocab.LeaderStream, Type: w.Event, Data: ev},
		},
	}
	// Audited, but kept off the incident's timeline: a plan sent to
	// thousands of units would bury the timeline under their answers.
	tx.Audit = auditOf(incidentID, []incident.Entry{w.Entry})
	if _, err := x.s.Commit(ctx, tx); errors.Is(err, ErrConflict) {
		return &fault.Conflict{Detail: fmt.Sprintf("task %s changed meanwhile", t.ID)}
	} else if err != nil {
		return fmt.Errorf("saving task %s: %w", t.ID, err)
	}
	return nil
}
