package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/incident"
	"watchfloor/command/timer"
	"watchfloor/command/unit"
	"watchfloor/command/vocab"
)

// Dispatches stores orders. Keys, under the deployment's prefix:
//
//	dispatch:{id}              hash: doc (JSON), status
//	dispatches:n:{day}         counter for ids
//	incident:{id}:dispatches   set of the incident's orders
//	unit:{id}:orders           set of the unit's active orders
//	dispatches:active          set of every active order
//
// Orders go to the screen stream and to their unit's stream unit:{id}.
type Dispatches struct{ s *Store }

// Dispatches returns the order storage.
func (s *Store) Dispatches() *Dispatches { return &Dispatches{s: s} }

var _ dispatch.Store = (*Dispatches)(nil)

// NextID implements dispatch.Store.
func (x *Dispatches) NextID(ctx context.Context, day string) (int64, error) {
	return x.s.nextID(ctx, "dispatches", day)
}

// Load implements dispatch.Store.
func (x *Dispatches) Load(ctx context.Context, id string) (*dispatch.Dispatch, error) {
	var v dispatch.Dispatch
	if err := x.s.loadDoc(ctx, "dispatch", id, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func (x *Dispatches) loadSet(ctx context.Context, key string) ([]*dispatch.Dispatch, error) {
	if err := x.s.check("listing orders"); err != nil {
		return nil, err
	}
	ids, err := x.s.rdb.SMembers(ctx, key).Result()
	if err != nil {
		return nil, x.s.wrap("listing orders", err)
	}
	pipe := x.s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, x.s.Key("dispatch", id), "doc")
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return nil, x.s.wrap("listing orders", err)
		}
	}
	out := make([]*dispatch.Dispatch, 0, len(ids))
	for _, c := range cmds {
		var d dispatch.Dispatch
		if json.Unmarshal([]byte(c.Val()), &d) == nil && d.ID != "" {
			out = append(out, &d)
		}
	}
	slices.SortFunc(out, func(a, b *dispatch.Dispatch) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ByIncident implements dispatch.Store.
func (x *Dispatches) ByIncident(ctx context.Context, incidentID string) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("incident", incidentID, "dispatches"))
}

// ActiveByUnit implements dispatch.Store.
func (x *Dispatches) ActiveByUnit(ctx context.Context, unitID string) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("unit", unitID, "orders"))
}

// Active implements dispatch.Store: every active order.
func (x *Dispatches) Active(ctx context.Context) ([]*dispatch.Dispatch, error) {
	return x.loadSet(ctx, x.s.Key("dispatches", "active"))
}

// orderEvent is the data of dispatch.created and dispatch.updated.
type orderEvent struct {
	DispatchID string             `json:"dispatch_id"`
	Dispatch   *dispatch.Dispatch `json:"dispatch"`
	Incident   *incident.Incident `json:"incident,omitempty"`
}

// Save implements dispatch.Store.
func (x *Dispatches) Save(ctx context.Context, w *dispatch.Write) error {
	tx := &Tx{At: w.At}
	type guarded struct{ what string }
	var guards []guarded
	var masked *incident.Incident
	if w.Incident != nil {
		masked = w.Incident.Masked()
	}
	newUnits := map[string]bool{}
	for _, c := range w.Changes {
		d := c.D
		key := x.s.Key("dispatch", d.ID)
		tx.Guards = append(tx.Guards, Guard{Key: key, Field: "status", Allowed: []string{c.Prev}})
		if c.Prev == "" {
			guards = append(guards, guarded{"order " + d.ID + " already exists"})
			newUnits[d.UnitID] = true
		} else {
			guards = append(guards, guarded{fmt.Sprintf("order %s changed meanwhile (it is no longer %s)", d.ID, c.Prev)})
		}
		doc, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encoding order: %w", err)
		}
		tx.Ops = append(tx.Ops,
			Op{Cmd: "HSET", Key: key, Args: []string{"doc", string(doc), "status", d.Status}},
			Op{Cmd: "SADD", Key: x.s.Key("incident", d.IncidentID, "dispatches"), Args: []string{d.ID}},
		)
		orders, all := x.s.Key("unit", d.UnitID, "orders"), x.s.Key("dispatches", "active")
		if dispatch.Active(d.Status) {
			tx.Ops = append(tx.Ops, Op{Cmd: "SADD", Key: orders, Args: []string{d.ID}}, Op{Cmd: "SADD", Key: all, Args: []string{d.ID}})
		} else {
			tx.Ops = append(tx.Ops, Op{Cmd: "SREM", Key: orders, Args: []string{d.ID}}, Op{Cmd: "SREM", Key: all, Args: []string{d.ID}})
		}
		ev := orderEvent{DispatchID: d.ID, Dispatch: d}
		typ := "dispatch.updated"
		if c.Prev == "" {
			typ, ev.Incident = "dispatch.created", masked
		}
		data, _ := json.Marshal(ev)
		tx.Events = append(tx.Events,
			Event{Stream: vocab.ScreenStream, Type: typ, Data: data},
			Event{Stream: vocab.UnitStream(d.UnitID), Type: typ, Data: data, Notify: true})
		if !d.Drill {
			switch {
			case c.Prev == "":
				tx.Ops = append(tx.Ops, x.s.count(d.CreatedAt, "disp")...)
			case d.Status == dispatch.Acked && c.Prev == dispatch.Offered:
				tx.Ops = append(tx.Ops, x.s.sample(d.CreatedAt, "ack", d.AckedAt.Sub(d.CreatedAt)))
			case d.Status == dispatch.OnScene && c.Prev != dispatch.OnScene:
				tx.Ops = append(tx.Ops, x.s.sample(d.CreatedAt, "scene", d.OnSceneAt.Sub(d.CreatedAt)))
			}
		}
	}
	units := make([]string, 0, len(w.UnitStatus))
	for id := range w.UnitStatus {
		units = append(units, id)
	}
	slices.Sort(units)
	for _, id := range units {
		status := w.UnitStatus[id]
		if newUnits[id] {
			tx.Guards = append(tx.Guards, Guard{Key: x.s.Key("units", "status"), Field: id, Allowed: []string{"", unit.Available}})
			guards = append(guards, guarded{fmt.Sprintf("unit %s is no longer available", id)})
		}
		tx.Ops = append(tx.Ops, Op{Cmd: "HSET", Key: x.s.Key("units", "status"), Args: []string{id, status}})
		data, _ := json.Marshal(vocab.UnitStatusData{UnitID: id, Status: status, By: "dispatch", At: w.At})
		tx.Events = append(tx.Events,
			Event{Stream: vocab.ScreenStream, Type: "unit.status", Data: data},
			Event{Stream: vocab.UnitStream(id), Type: "unit.status", Data: data, Notify: true})
	}
	entries := w.Entries
	if w.Alarm != nil && w.Alarm.IncidentID != "" {
		entries = append(entries[:len(entries):len(entries)], incident.AlarmEntry(w.Alarm))
	}
	byIncident := map[string][]string{}
	for _, e := range entries {
		b, _ := json.Marshal(e)
		inc := w.Changes[0].D.IncidentID
		byIncident[inc] = append(byIncident[inc], string(b))
	}
	for inc, list := range byIncident {
		tx.Ops = append(tx.Ops, Op{Cmd: "RPUSH", Key: x.s.Key("incident", inc, "timeline"), Args: list})
		tx.Audit = auditOf(inc, entries)
	}
	for id, due := range w.AddTimers {
		tx.Ops = append(tx.Ops, x.s.AddTimer(timer.Member(dispatch.TimerKind, id), due))
	}
	for _, id := range w.DelTimers {
		tx.Ops = append(tx.Ops, x.s.RemoveTimer(timer.Member(dispatch.TimerKind, id)))
	}
	if w.Reoffer {
		tx.Ops = append(tx.Ops, x.s.AddTimer(timer.Member(dispatch.ReofferKind, w.Changes[0].D.ID), w.At))
	}
	if w.Alarm != nil {
		ops, ev := x.s.Raise(w.Alarm)
		tx.Ops = append(tx.Ops, ops...)
		tx.Events = append(tx.Events, ev)
	}
	if w.AutoRule != "" && len(w.Changes) > 0 {
		// One automatic dispatch per rule and incident, across instances.
		key := x.s.Key("incident", w.Changes[0].D.IncidentID, "auto")
		tx.Guards = append(tx.Guards, Guard{Key: key, Field: w.AutoRule, Allowed: []string{""}})
		guards = append(guards, guarded{fmt.Sprintf("rule %s already sent units to incident %s", w.AutoRule, w.Changes[0].D.IncidentID)})
		tx.Ops = append(tx.Ops, Op{Cmd: "HSET", Key: key, Args: []string{w.AutoRule, w.Changes[0].D.ID}})
	}
	tx.Jobs = w.Jobs
	res, err := x.s.Commit(ctx, tx)
	for i, id := range res.JobIDs {
		w.Jobs[i].ID = id
	}
	if errors.Is(err, ErrConflict) {
		what := "the order changed meanwhile"
		if res.Conflict >= 0 && res.Conflict < len(guards) {
			what = guards[res.Conflict].what
		}
		return &fault.Conflict{Detail: what}
	}
	return err
}
