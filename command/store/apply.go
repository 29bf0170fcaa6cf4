package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/stats"
	"watchfloor/command/vocab"
)

// Apply carries out c in one atomic step (the Lua commit). The store only
// lays things out: where a document, a field or a list lives in Redis, and
// the indexes of each kind of document; what happens is c's.
func (s *Store) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	tx, err := s.txOf(c)
	if err != nil {
		return change.Result{}, err
	}
	res, err := s.Commit(ctx, tx)
	if errors.Is(err, ErrConflict) {
		if res.Conflict >= 0 && res.Conflict < len(c.Guards) && c.Guards[res.Conflict].Why != "" {
			return change.Result{}, &fault.Conflict{Detail: c.Guards[res.Conflict].Why}
		}
		return change.Result{}, err
	}
	if err != nil {
		return change.Result{}, err
	}
	for i, id := range res.JobIDs {
		c.Jobs[i].ID = id
	}
	return change.Result{Duplicate: res.Duplicate, Seqs: res.Seqs}, nil
}

// mapKey is the key of the keyed map or list (kind, id): the kind's first
// word, the id, then its other words (incident.timeline, i-1 →
// incident:i-1:timeline), or the kind's words alone when id is "".
func (s *Store) mapKey(kind, id string) string {
	first, rest, dotted := strings.Cut(kind, ".")
	switch {
	case id == "":
		return s.prefix + strings.ReplaceAll(kind, ".", ":")
	case !dotted:
		return s.prefix + kind + ":" + id
	}
	return s.prefix + first + ":" + id + ":" + strings.ReplaceAll(rest, ".", ":")
}

// txOf lays c out as Redis writes.
func (s *Store) txOf(c *change.Change) (*Tx, error) {
	tx := &Tx{At: c.At, Jobs: c.Jobs, Guards: make([]Guard, 0, len(c.Guards)), Events: make([]Event, 0, len(c.Events)),
		// A document's write and its index (most kinds have one), and the
		// shared part most changes with docs of a part write once.
		Ops: make([]Op, 0, 2*len(c.Docs)+len(c.Fields)+len(c.Counts)+2*len(c.Appends)+len(c.Timers)+1)}
	if c.Idem != nil {
		tx.Idem = &Idem{Key: s.Key("idem", c.Idem.Key), Value: c.Idem.Value, TTL: c.Idem.TTL}
	}
	for _, g := range c.Guards {
		tx.Guards = append(tx.Guards, Guard{Key: s.mapKey(g.Kind, g.ID), Field: g.Field, Allowed: g.Allowed})
	}
	enc := encoder{byPointer: map[any][]byte{}}
	for _, d := range c.Docs {
		doc, err := enc.encode(d.Value)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", d.Kind, d.ID, err)
		}
		args := make([]string, 2, 2+2*len(d.Fields))
		args[0], args[1] = "doc", string(doc)
		args = appendFields(args, d.Fields)
		tx.Ops = append(tx.Ops, Op{Cmd: "HSET", Key: s.mapKey(d.Kind, d.ID), Args: args})
		tx.Ops = append(tx.Ops, s.indexOpsOf(d)...)
	}
	for _, f := range c.Fields {
		tx.Ops = append(tx.Ops, Op{Cmd: "HSET", Key: s.mapKey(f.Kind, f.ID), Args: []string{f.Field, f.Value}})
	}
	// The script keeps what each HINCRBY answers by its op's number.
	countOps := make([]int, len(c.Counts))
	for i, n := range c.Counts {
		tx.Ops = append(tx.Ops, Op{Cmd: "HINCRBY", Key: s.mapKey(n.Kind, n.ID), Args: []string{n.Field, strconv.FormatInt(n.By, 10)}})
		countOps[i] = len(tx.Ops)
	}
	for _, a := range c.Appends {
		ops, err := s.appendOps(a)
		if err != nil {
			return nil, err
		}
		tx.Ops = append(tx.Ops, ops...)
	}
	for _, t := range c.Timers {
		if t.Cancel {
			tx.Ops = append(tx.Ops, s.removeTimer(t.Member))
		} else {
			tx.Ops = append(tx.Ops, s.addTimer(t.Member, t.Due))
		}
	}
	for _, ev := range c.Events {
		e, err := eventOf(ev, &enc, countOps)
		if err != nil {
			return nil, err
		}
		tx.Events = append(tx.Events, e)
		if ev.Stream == vocab.ScreenStream {
			tx.Ops = append(tx.Ops, s.countOps(stats.Counts(ev, s.loc))...)
		}
	}
	// Each shared part is written once, in the same atomic step as what
	// refers to it; a part already there is left as it is (a key names one
	// content).
	for _, p := range enc.parts {
		tx.Ops = append(tx.Ops, Op{Cmd: "SET", Key: s.Key("part", p.Key), Args: []string{string(p.JSON), "NX"}})
		tx.Parts = append(tx.Parts, p)
	}
	for _, r := range c.Audit {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding the audit record of %s %s: %w", r.Action, r.Object, err)
		}
		tx.Audit = append(tx.Audit, b)
	}
	return tx, nil
}

// appendOps are the writes of one Append.
func (s *Store) appendOps(a change.Append) ([]Op, error) {
	if len(a.Entries) == 0 {
		return nil, nil
	}
	key := s.mapKey(a.Kind, a.ID)
	args := make([]string, len(a.Entries))
	for i, e := range a.Entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encoding an entry of %s %s: %w", a.Kind, a.ID, err)
		}
		args[i] = string(b)
	}
	ops := []Op{{Cmd: "RPUSH", Key: key, Args: args}}
	if a.Keep > 0 {
		ops = append(ops, Op{Cmd: "LTRIM", Key: key, Args: []string{strconv.Itoa(-a.Keep), "-1"}})
	}
	return ops, nil
}

// appendFields appends a document's fields, in name order (one field needs
// no sorting: the common case).
func appendFields(args []string, fields map[string]string) []string {
	if len(fields) == 1 {
		for f, v := range fields {
			return append(args, f, v)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		args = append(args, f, fields[f])
	}
	return args
}

// encoder encodes each value a change carries by pointer once: a document
// and the event that carries the same value share one encoding. A
// *change.Shared value is encoded slim, and its part kept for writing.
type encoder struct {
	byPointer map[any][]byte
	parts     []change.Part
}

// encode returns v as JSON (slim for a *change.Shared).
func (e *encoder) encode(v any) ([]byte, error) {
	// Only pointers are keys: a map or a slice cannot be one.
	byPointer := reflect.ValueOf(v).Kind() == reflect.Pointer
	if byPointer {
		if b, ok := e.byPointer[v]; ok {
			return b, nil
		}
	}
	var b []byte
	var err error
	if sh, ok := v.(*change.Shared); ok {
		b = sh.Slim()
		if !slices.ContainsFunc(e.parts, func(p change.Part) bool { return p.Key == sh.Part.Key }) {
			e.parts = append(e.parts, sh.Part)
		}
	} else {
		b, err = json.Marshal(v)
	}
	if err == nil && byPointer {
		e.byPointer[v] = b
	}
	return b, err
}

// eventOf encodes an event's data, raw JSON as it is; Counted data as '#'
// and its parts around \x01{op}\x01, the HINCRBY op the script fills in.
func eventOf(ev vocab.Event, enc *encoder, countOps []int) (Event, error) {
	var data []byte
	switch d := ev.Data.(type) {
	case json.RawMessage:
		data = d
	case []byte:
		data = d
	case change.Counted:
		if err := d.Check(len(countOps)); err != nil {
			return Event{}, fmt.Errorf("encoding %s: %w", ev.Type, err)
		}
		data = append(data, '#')
		for i, p := range d.Parts {
			data = append(data, p...)
			if i < len(d.Holes) {
				data = append(data, 1)
				data = strconv.AppendInt(data, int64(countOps[d.Holes[i]]), 10)
				data = append(data, 1)
			}
		}
	default:
		b, err := enc.encode(d)
		if err != nil {
			return Event{}, fmt.Errorf("encoding %s: %w", ev.Type, err)
		}
		data = b
	}
	return Event{Stream: ev.Stream, Type: ev.Type, Data: data, Notify: ev.Notify, Area: ev.Area}, nil
}

// dayKey is the figures' counter hash of t's local day
// (stats:day:{YYYY-MM-DD}; :ack and :scene are its lists of seconds).
func (s *Store) dayKey(t time.Time) string {
	return s.Key("stats", "day", t.In(s.loc).Format(time.DateOnly))
}

// countOps are the writes of the figures an event moves.
func (s *Store) countOps(cs []stats.Step) []Op {
	ops := make([]Op, 0, len(cs))
	for _, c := range cs {
		key := s.dayKey(c.At)
		if c.List != "" {
			ops = append(ops, Op{Cmd: "RPUSH", Key: key + ":" + c.List, Args: []string{strconv.FormatFloat(c.Seconds, 'f', 1, 64)}})
		} else {
			ops = append(ops, Op{Cmd: "HINCRBY", Key: key, Args: []string{c.Field, "1"}})
		}
	}
	return ops
}
