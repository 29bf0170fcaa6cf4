// Package memstore keeps Watchfloor's state in memory, with the semantics
// of the Redis store: a change is carried out whole or not at all, each
// stream gives its own seqs, timers are leased, jobs are read by one
// consumer group. It is the twin the domain's unit tests run on (as
// centrifuge keeps a memory broker beside its Redis one), held to the Redis
// store by the contract suite of command/store/contract. Values read back
// are decoded copies, never shared; it is safe for concurrent use.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/job"
	"watchfloor/command/live"
	"watchfloor/command/timer"
	"watchfloor/command/vocab"
)

// Options configure New; the zero value works.
type Options struct {
	// Clock tells the time of idempotency expiry, leases, job and audit
	// ids (a timer.Manual in tests); nil is the system clock.
	Clock timer.Clock
	// Location is the local time zone of the day counters (UTC when nil).
	Location *time.Location
	// MaxLen caps each stream (100,000 when 0): the oldest go first.
	MaxLen int
}

// Store is the whole state in memory.
type Store struct {
	clock  timer.Clock
	loc    *time.Location
	maxLen int

	mu      sync.Mutex
	maps    map[ref]map[string]string
	docs    map[ref][]byte
	lists   map[ref][][]byte
	idem    map[string]idemValue
	streams map[string]*stream
	// wake is closed and replaced whenever an event is stored, waking Tail.
	wake    chan struct{}
	notices *Fanout[notice]
	timers  map[string]int64 // member → due, unix ms
	trail   trail
	jobs    jobs
	days    map[string]*day
	numbers map[string]int64 // kind:day → last number given

	unitsOnce sync.Once
	units     *Units
}

// ref names a document, a keyed map or a list: (Kind, ID).
type ref struct{ kind, id string }

type idemValue struct {
	value string
	until time.Time
}

// New returns an empty store.
func New(opts Options) *Store {
	s := &Store{clock: opts.Clock, loc: opts.Location, maxLen: opts.MaxLen,
		maps: map[ref]map[string]string{}, docs: map[ref][]byte{}, lists: map[ref][][]byte{},
		idem: map[string]idemValue{}, streams: map[string]*stream{}, wake: make(chan struct{}),
		notices: NewFanout[notice](followerQueue), timers: map[string]int64{}, days: map[string]*day{}, numbers: map[string]int64{}}
	if s.clock == nil {
		s.clock = timer.SystemClock{}
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.maxLen <= 0 {
		s.maxLen = 100000
	}
	s.jobs.init()
	return s
}

// encoded is a change with every value already encoded, so that an
// encoding error is found before anything is written.
type encoded struct {
	docs    [][]byte
	entries [][][]byte
	events  [][]byte
	audit   [][]byte
	jobs    []jobEntry
}

func encode(c *change.Change) (*encoded, error) {
	e := &encoded{}
	for _, d := range c.Docs {
		b, err := json.Marshal(d.Value)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", d.Kind, d.ID, err)
		}
		e.docs = append(e.docs, b)
	}
	for _, a := range c.Appends {
		var list [][]byte
		for _, v := range a.Entries {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("encoding an entry of %s %s: %w", a.Kind, a.ID, err)
			}
			list = append(list, b)
		}
		e.entries = append(e.entries, list)
	}
	for _, ev := range c.Events {
		if d, ok := ev.Data.(change.Counted); ok { // filled in once counted
			if err := d.Check(len(c.Counts)); err != nil {
				return nil, fmt.Errorf("encoding %s: %w", ev.Type, err)
			}
			e.events = append(e.events, nil)
			continue
		}
		b, err := eventData(ev)
		if err != nil {
			return nil, err
		}
		e.events = append(e.events, b)
	}
	for _, r := range c.Audit {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding audit record %s: %w", r.Action, err)
		}
		e.audit = append(e.audit, b)
	}
	for _, j := range c.Jobs {
		e.jobs = append(e.jobs, jobEntry{kind: j.Kind, key: j.Key, incident: j.IncidentID, data: slices.Clone(j.Data)})
	}
	return e, nil
}

// eventData is the JSON of an event's data; raw JSON is kept as it is.
func eventData(ev vocab.Event) ([]byte, error) {
	switch d := ev.Data.(type) {
	case json.RawMessage:
		return slices.Clone(d), nil
	case []byte:
		return slices.Clone(d), nil
	}
	b, err := json.Marshal(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ev.Type, err)
	}
	return b, nil
}

// Apply carries out c atomically: a repeat of its idempotency key changes
// nothing and returns the first value; a failing guard changes nothing and
// returns a *fault.Conflict naming why; otherwise every write, event,
// timer, audit record and job of c is stored. Jobs get their ids in c.Jobs.
func (s *Store) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	if err := ctx.Err(); err != nil {
		return change.Result{}, fmt.Errorf("applying a change: %w", err)
	}
	enc, err := encode(c)
	if err != nil {
		return change.Result{}, err
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Idem != nil {
		if v, ok := s.idem[c.Idem.Key]; ok && now.Before(v.until) {
			return change.Result{Duplicate: v.value}, nil
		}
	}
	for i, g := range c.Guards {
		if cur := s.maps[ref{g.Kind, g.ID}][g.Field]; !slices.Contains(g.Allowed, cur) {
			if g.Why == "" {
				return change.Result{}, fmt.Errorf("commit: guard %d: %w", i, fault.ErrConflict)
			}
			return change.Result{}, &fault.Conflict{Detail: g.Why}
		}
	}
	if c.Idem != nil {
		s.idem[c.Idem.Key] = idemValue{value: c.Idem.Value, until: now.Add(c.Idem.TTL)}
	}
	s.write(c, enc)
	s.counters(c, enc)
	at := c.At
	if at.IsZero() {
		at = now
	}
	res := change.Result{Seqs: make([]uint64, 0, len(c.Events))}
	for i, ev := range c.Events {
		res.Seqs = append(res.Seqs, s.emit(ev, at, enc.events[i]))
	}
	if len(c.Events) > 0 {
		close(s.wake)
		s.wake = make(chan struct{})
	}
	for _, t := range c.Timers {
		if t.Cancel {
			delete(s.timers, t.Member)
		} else {
			s.timers[t.Member] = t.Due.UnixMilli()
		}
	}
	for _, r := range enc.audit {
		s.trail.add(now, r)
	}
	for i, j := range enc.jobs {
		c.Jobs[i].ID = s.jobs.add(now, j)
	}
	return res, nil
}

// write stores the documents, fields and list entries of c.
func (s *Store) write(c *change.Change, enc *encoded) {
	for i, d := range c.Docs {
		r := ref{d.Kind, d.ID}
		s.docs[r] = enc.docs[i]
		for f, v := range d.Fields {
			s.setField(r, f, v)
		}
	}
	for _, f := range c.Fields {
		s.setField(ref{f.Kind, f.ID}, f.Field, f.Value)
	}
	for i, a := range c.Appends {
		r := ref{a.Kind, a.ID}
		list := append(s.lists[r], enc.entries[i]...)
		if a.Keep > 0 && len(list) > a.Keep {
			list = slices.Clone(list[len(list)-a.Keep:])
		}
		s.lists[r] = list
	}
}

// counters moves the counters of c and fills its counted events' data.
func (s *Store) counters(c *change.Change, enc *encoded) {
	if len(c.Counts) == 0 {
		return
	}
	values := make([]int64, len(c.Counts))
	for i, n := range c.Counts {
		r := ref{n.Kind, n.ID}
		cur, _ := strconv.ParseInt(s.maps[r][n.Field], 10, 64)
		values[i] = cur + n.By
		s.setField(r, n.Field, strconv.FormatInt(values[i], 10))
	}
	for i, ev := range c.Events {
		if d, ok := ev.Data.(change.Counted); ok {
			enc.events[i] = d.Fill(values)
		}
	}
}

func (s *Store) setField(r ref, field, value string) {
	m := s.maps[r]
	if m == nil {
		m = map[string]string{}
		s.maps[r] = m
	}
	m[field] = value
}

// Field returns the field of the keyed map (kind, id), "" when absent.
func (s *Store) Field(kind, id, field string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maps[ref{kind, id}][field]
}

// Fields returns a copy of the keyed map (kind, id).
func (s *Store) Fields(kind, id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.maps[ref{kind, id}]))
	for k, v := range s.maps[ref{kind, id}] {
		out[k] = v
	}
	return out
}

// Doc decodes the document (kind, id) into a new T; fault.ErrNotFound
// when there is none.
func Doc[T any](s *Store, kind, id string) (*T, error) {
	s.mu.Lock()
	b, ok := s.docs[ref{kind, id}]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", kind, id, fault.ErrNotFound)
	}
	v, err := decode[T](b)
	if err != nil {
		return nil, fmt.Errorf("decoding %s %s: %w", kind, id, err)
	}
	return v, nil
}

// decode decodes b into a new T.
func decode[T any](b []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Docs decodes every document of kind that keep accepts (nil keeps all),
// in the order of their ids.
func Docs[T any](s *Store, kind string, keep func(*T) bool) ([]*T, error) {
	s.mu.Lock()
	var ids []string
	raw := map[string][]byte{}
	for r, b := range s.docs {
		if r.kind == kind {
			ids = append(ids, r.id)
			raw[r.id] = b
		}
	}
	s.mu.Unlock()
	slices.Sort(ids)
	out := make([]*T, 0, len(ids))
	for _, id := range ids {
		v, err := decode[T](raw[id])
		if err != nil {
			return nil, fmt.Errorf("decoding %s %s: %w", kind, id, err)
		}
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// List decodes the entries of the list (kind, id), oldest first.
func List[T any](s *Store, kind, id string) ([]T, error) {
	s.mu.Lock()
	raw := slices.Clone(s.lists[ref{kind, id}])
	s.mu.Unlock()
	out := make([]T, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, fmt.Errorf("decoding an entry of %s %s: %w", kind, id, err)
		}
	}
	return out, nil
}

var (
	_ live.Source   = (*Store)(nil)
	_ live.Notifier = (*Store)(nil)
	_ timer.Store   = (*Timers)(nil)
	_ job.Store     = (*Jobs)(nil)
	_ alarm.Store   = (*Alarms)(nil)
)

// now is the clock's time.
func (s *Store) now() time.Time { return s.clock.Now() }
