package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/fault"
	"watchfloor/command/plan"
)

// LeaderStream is the stream of the leaders' approvals.
const LeaderStream = "leader"

// Activations stores plan activations. Keys, under the deployment's prefix:
//
//	activation:{id}              hash: doc (JSON), status
//	activations:n:{day}          counter for ids
//	activations:{status}         sets by status
//	incident:{id}:activations    set of the incident's activations
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
	return &v, nil
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
			Event{Stream: ScreenStream, Type: c.Event, Data: doc},
			Event{Stream: LeaderStream, Type: c.Event, Data: doc})
	}
	for _, t := range w.Tasks {
		data, _ := json.Marshal(t)
		tx.Events = append(tx.Events, Event{Stream: UnitStream(t.UnitID), Type: "task.assigned", Data: data, Notify: true})
	}
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
	return err
}
