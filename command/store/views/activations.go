package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/plan"
	"watchfloor/command/store"
)

// Activations stores plan activations. Keys, under the deployment's prefix:
//
//	activation:{id}              hash: doc (JSON), status
//	activations:n:{day}          counter for ids
//	activations:{status}         sets by status
//	activations:{status}:latest  zset of the ended (or rejected) by last change (ms)
//	activations:latest           set once those zsets hold every one stored before they existed
//	incident:{id}:activations    set of the incident's activations
//	activation:{id}:progress     hash: {group}:ack, {group}:done, {group}:v (counters), {group}:total
//	task:{id}                    hash: doc (JSON), status
//	unit:{id}:tasks              set of the unit's task ids
type Activations struct{ base }

// NewActivations returns the activation storage of s.
func NewActivations(s *store.Store) *Activations { return &Activations{base{s}} }

var _ plan.Store = (*Activations)(nil)

// NextID implements plan.Store.
func (x *Activations) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.NextID(ctx, "activations", day)
}

// Load implements plan.Store.
func (x *Activations) Load(ctx context.Context, id string) (*plan.Activation, error) {
	var v plan.Activation
	if err := x.s.LoadDoc(ctx, "activation", id, &v); err != nil {
		return nil, err
	}
	if err := x.merge(ctx, []*plan.Activation{&v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// merge sets the groups' progress of activations from their counters.
func (x *Activations) merge(ctx context.Context, acts []*plan.Activation) error {
	pipe := x.s.Client().Pipeline()
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
		return x.s.Wrap("loading plan progress", err)
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
	if err := x.s.Check("listing activations"); err != nil {
		return nil, err
	}
	ids, err := x.s.Client().SUnion(ctx, keys...).Result()
	if err != nil {
		return nil, x.s.Wrap("listing activations", err)
	}
	out, err := x.loadIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *plan.Activation) int { return a.ProposedAt.Compare(b.ProposedAt) })
	return out, nil
}

// loadIDs reads the activations of ids that are stored, with their
// progress.
func (x *Activations) loadIDs(ctx context.Context, ids []string) ([]*plan.Activation, error) {
	out, err := x.decode(ctx, ids)
	if err != nil {
		return nil, err
	}
	if err := x.merge(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// decode reads the activations of ids that are stored, without progress.
func (x *Activations) decode(ctx context.Context, ids []string) ([]*plan.Activation, error) {
	docs, err := x.docs(ctx, "activation", "listing activations", ids)
	if err != nil {
		return nil, err
	}
	out := make([]*plan.Activation, 0, len(ids))
	for _, d := range docs {
		var a plan.Activation
		if json.Unmarshal([]byte(d), &a) == nil && a.ID != "" {
			out = append(out, &a)
		}
	}
	return out, nil
}

// Latest implements plan.Store: from the status's ranking by last change
// (activations:{status}:latest), filled once from the status's set for
// those stored before it was kept (marker activations:latest).
func (x *Activations) Latest(ctx context.Context, status string, limit int) ([]*plan.Activation, int, error) {
	if err := x.s.Check("listing activations"); err != nil {
		return nil, 0, err
	}
	if err := x.rankOnce(ctx); err != nil {
		return nil, 0, err
	}
	ids, total, err := x.ranked(ctx, x.s.Key("activations", status, "latest"), "listing activations", limit, true)
	if err != nil {
		return nil, 0, err
	}
	out, err := x.loadIDs(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(out, plan.NewestFirst)
	return out, total, nil
}

// rankOnce ranks the ended and rejected activations stored before their
// rankings were kept: once per deployment. Writes meanwhile rank
// themselves, with the same score, so a fill racing them changes nothing.
func (x *Activations) rankOnce(ctx context.Context) error {
	return x.once(ctx, x.s.Key("activations", "latest"), "ranking activations", func() error {
		for _, status := range []string{plan.Ended, plan.Rejected} {
			ids, err := x.s.Client().SMembers(ctx, x.s.Key("activations", status)).Result()
			if err != nil {
				return x.s.Wrap("ranking activations", err)
			}
			for chunk := range slices.Chunk(ids, 500) {
				acts, err := x.decode(ctx, chunk)
				if err != nil {
					return err
				}
				pipe := x.s.Client().Pipeline()
				for _, a := range acts {
					pipe.ZAdd(ctx, x.s.Key("activations", status, "latest"), redis.Z{Score: float64(store.LatestScore(a)), Member: a.ID})
				}
				if _, err := pipe.Exec(ctx); err != nil {
					return x.s.Wrap("ranking activations", err)
				}
			}
		}
		return nil
	})
}

// ByIncident implements plan.Store.
func (x *Activations) ByIncident(ctx context.Context, incidentID string) ([]*plan.Activation, error) {
	return x.loadSets(ctx, x.s.Key("incident", incidentID, "activations"))
}

// ByWarning implements plan.Store.
func (x *Activations) ByWarning(ctx context.Context, warningID string) ([]*plan.Activation, error) {
	return x.loadSets(ctx, x.s.Key("warning", warningID, "activations"))
}

// List implements plan.Store: "" lists proposed and active ones.
func (x *Activations) List(ctx context.Context, status string) ([]*plan.Activation, error) {
	if status == "" {
		return x.loadSets(ctx, x.s.Key("activations", plan.Proposed), x.s.Key("activations", plan.Active))
	}
	return x.loadSets(ctx, x.s.Key("activations", status))
}

// TasksExist implements plan.Store.
func (x *Activations) TasksExist(ctx context.Context, ids []string) ([]bool, error) {
	if err := x.s.Check("storing tasks"); err != nil {
		return nil, err
	}
	pipe := x.s.Client().Pipeline()
	cmds := make([]*redis.BoolCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HExists(ctx, x.s.Key("task", id), "status")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, x.s.Wrap("storing tasks", err)
		}
	}
	out := make([]bool, len(ids))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// LoadTask implements plan.Store.
func (x *Activations) LoadTask(ctx context.Context, id string) (*plan.Task, error) {
	var t plan.Task
	if err := x.s.LoadDoc(ctx, "task", id, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// UnitTasks implements plan.Store: the statuses of the unit's plans are
// read first, then only the tasks of those still active; the tasks of
// plans ended leave the unit's set (their documents stay), so a phone's
// snapshot does not grow with every plan it was ever sent. A task whose
// plan is not found is not listed, and stays in the set.
func (x *Activations) UnitTasks(ctx context.Context, unitID string) ([]*plan.Task, error) {
	if err := x.s.Check("listing tasks"); err != nil {
		return nil, err
	}
	key := x.s.Key("unit", unitID, "tasks")
	ids, err := x.s.Client().SMembers(ctx, key).Result()
	if err != nil {
		return nil, x.s.Wrap("listing tasks", err)
	}
	out := []*plan.Task{}
	if len(ids) == 0 {
		return out, nil
	}
	statuses := map[string]*redis.StringCmd{}
	pipe := x.s.Client().Pipeline()
	for _, id := range ids {
		if a := plan.ActivationOf(id); statuses[a] == nil {
			statuses[a] = pipe.HGet(ctx, x.s.Key("activation", a), "status")
		}
	}
	_, _ = pipe.Exec(ctx) // each answer is checked below: a missing activation is not a failure
	var active, past []string
	for _, id := range ids {
		status, err := statuses[plan.ActivationOf(id)].Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, x.s.Wrap("listing tasks", err)
		}
		switch status {
		case plan.Active:
			active = append(active, id)
		case plan.Ended, plan.Rejected:
			past = append(past, id) // for good: no activation becomes active again
		}
	}
	pipe = x.s.Client().Pipeline()
	docs := make([]*redis.StringCmd, len(active))
	for i, id := range active {
		docs[i] = pipe.HGet(ctx, x.s.Key("task", id), "doc")
	}
	if len(past) > 0 {
		pipe.SRem(ctx, key, past)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("listing tasks", err)
	}
	for _, c := range docs {
		doc, err := x.s.Whole(ctx, c.Val())
		if err != nil {
			return nil, fmt.Errorf("listing tasks: %w", err)
		}
		var t plan.Task
		if json.Unmarshal(doc, &t) != nil || t.ID == "" {
			continue
		}
		out = append(out, &t)
	}
	slices.SortFunc(out, func(a, b *plan.Task) int {
		if c := a.AssignedAt.Compare(b.AssignedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Standing implements plan.Store: the activation's status field and the
// group's total, in one round trip.
func (x *Activations) Standing(ctx context.Context, id, group string) (string, int, error) {
	if err := x.s.Check("loading an activation's standing"); err != nil {
		return "", 0, err
	}
	var status, total *redis.StringCmd
	_, err := x.s.Client().Pipelined(ctx, func(p redis.Pipeliner) error {
		status = p.HGet(ctx, x.s.Key("activation", id), "status")
		total = p.HGet(ctx, x.s.Key("activation", id, "progress"), group+":total")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", 0, x.s.Wrap("loading an activation's standing", err)
	}
	n, _ := strconv.Atoi(total.Val())
	return status.Val(), n, nil
}
