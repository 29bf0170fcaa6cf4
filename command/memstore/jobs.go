package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/job"
)

// jobs is the jobs stream with its one consumer group, as in Redis: ids
// ms-seq in order, a last-delivered mark, the pending entries of each
// consumer, done marks and failed attempts.
type jobs struct {
	last     streamID
	entries  []jobEntry // oldest first
	next     int        // index of the first entry never delivered
	pending  map[string]*pendingJob
	done     map[string]time.Time // id → until
	attempts map[string]int64
}

type jobEntry struct {
	id                  streamID
	kind, key, incident string
	data                []byte
}

type pendingJob struct {
	consumer   string
	delivered  time.Time
	deliveries int64
}

// streamID is a Redis stream id: ms-seq.
type streamID struct{ ms, seq uint64 }

func (id streamID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

func (id streamID) less(o streamID) bool {
	return id.ms < o.ms || id.ms == o.ms && id.seq < o.seq
}

// nextStreamID is the id after last for an entry added at now, as XADD *
// gives it.
func nextStreamID(last streamID, now time.Time) streamID {
	ms := uint64(max(now.UnixMilli(), 0))
	if ms > last.ms {
		return streamID{ms: ms}
	}
	return streamID{ms: last.ms, seq: last.seq + 1}
}

func (j *jobs) init() {
	j.pending = map[string]*pendingJob{}
	j.done = map[string]time.Time{}
	j.attempts = map[string]int64{}
}

// add records e at now and returns its id.
func (j *jobs) add(now time.Time, e jobEntry) string {
	j.last = nextStreamID(j.last, now)
	e.id = j.last
	j.entries = append(j.entries, e)
	return e.id.String()
}

func (e jobEntry) job() job.Job {
	return job.Job{ID: e.id.String(), Kind: e.kind, Key: e.key, IncidentID: e.incident, Data: slices.Clone(e.data)}
}

// doneTTL is how long a done mark lasts (as in the Redis store).
const doneTTL = 24 * time.Hour

// Jobs is the job storage (job.Store).
type Jobs struct{ s *Store }

// Jobs returns the job storage.
func (s *Store) Jobs() *Jobs { return &Jobs{s: s} }

// Group implements job.Store; the group always exists in memory.
func (x *Jobs) Group(ctx context.Context) error { return nil }

// Read implements job.Store.
func (x *Jobs) Read(ctx context.Context, consumer string, n int) ([]job.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading jobs: %w", err)
	}
	now := x.s.now()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	var out []job.Job
	for ; x.s.jobs.next < len(x.s.jobs.entries) && len(out) < n; x.s.jobs.next++ {
		e := x.s.jobs.entries[x.s.jobs.next]
		x.s.jobs.pending[e.id.String()] = &pendingJob{consumer: consumer, delivered: now, deliveries: 1}
		out = append(out, e.job())
	}
	return out, nil
}

// Pending implements job.Store.
func (x *Jobs) Pending(ctx context.Context, n int) (int64, []job.Pending, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, fmt.Errorf("listing pending jobs: %w", err)
	}
	now := x.s.now()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	var out []job.Pending
	for _, e := range x.s.jobs.entries {
		if p := x.s.jobs.pending[e.id.String()]; p != nil && len(out) < n {
			out = append(out, job.Pending{ID: e.id.String(), Consumer: p.consumer, Idle: now.Sub(p.delivered), Deliveries: p.deliveries})
		}
	}
	return int64(len(x.s.jobs.pending)), out, nil
}

// Claim implements job.Store.
func (x *Jobs) Claim(ctx context.Context, consumer string, minIdle time.Duration, id string) (job.Job, bool, error) {
	if err := ctx.Err(); err != nil {
		return job.Job{}, false, fmt.Errorf("claiming a job: %w", err)
	}
	now := x.s.now()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	p := x.s.jobs.pending[id]
	if p == nil || now.Sub(p.delivered) < minIdle {
		return job.Job{}, false, nil
	}
	for _, e := range x.s.jobs.entries {
		if e.id.String() == id {
			p.consumer, p.delivered = consumer, now
			p.deliveries++
			return e.job(), true, nil
		}
	}
	return job.Job{}, false, nil
}

// Ack implements job.Store.
func (x *Jobs) Ack(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("acknowledging jobs: %w", err)
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	for _, id := range ids {
		delete(x.s.jobs.pending, id)
		delete(x.s.jobs.done, id)
		delete(x.s.jobs.attempts, id)
	}
	return nil
}

// MarkDone implements job.Store.
func (x *Jobs) MarkDone(ctx context.Context, id string) error {
	now := x.s.now()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.jobs.done[id] = now.Add(doneTTL)
	return nil
}

// Done implements job.Store.
func (x *Jobs) Done(ctx context.Context, ids ...string) ([]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading jobs' marks: %w", err)
	}
	now := x.s.now()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	done := make([]bool, len(ids))
	for i, id := range ids {
		until, ok := x.s.jobs.done[id]
		done[i] = ok && now.Before(until)
	}
	return done, nil
}

// Failed implements job.Store.
func (x *Jobs) Failed(ctx context.Context, id string) (int64, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.jobs.attempts[id]++
	return x.s.jobs.attempts[id], nil
}

// Trim implements job.Store: it drops the jobs below the oldest pending
// one, or below the last delivered when none is pending (consumers are not
// kept in memory, so there are none to forget).
func (x *Jobs) Trim(ctx context.Context, keep string) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.jobs.next == 0 {
		return nil
	}
	keepFrom := x.s.jobs.next - 1 // the last delivered stays, as XTRIM MINID keeps it
	for i, e := range x.s.jobs.entries[:x.s.jobs.next] {
		if x.s.jobs.pending[e.id.String()] != nil {
			keepFrom = i
			break
		}
	}
	x.s.jobs.entries = slices.Clone(x.s.jobs.entries[keepFrom:])
	x.s.jobs.next -= keepFrom
	return nil
}

// All returns every job still on the stream, oldest first.
func (x *Jobs) All() []job.Job {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	out := make([]job.Job, len(x.s.jobs.entries))
	for i, e := range x.s.jobs.entries {
		out[i] = e.job()
	}
	return out
}

// Acked reports whether the job id was delivered and acknowledged (a job
// trimmed off the stream was).
func (x *Jobs) Acked(id string) bool {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	for i, e := range x.s.jobs.entries {
		if e.id.String() == id {
			return i < x.s.jobs.next && x.s.jobs.pending[id] == nil
		}
	}
	return len(x.s.jobs.entries) > 0 && lessID(id, x.s.jobs.entries[0].id)
}

// lessID reports whether the stream id s is below id.
func lessID(s string, id streamID) bool {
	ms, seq, _ := strings.Cut(s, "-")
	m, err1 := strconv.ParseUint(ms, 10, 64)
	n, err2 := strconv.ParseUint(seq, 10, 64)
	return err1 == nil && err2 == nil && (streamID{m, n}).less(id)
}

// RaiseOnce implements job.Store: the alarm is raised unless an alarm with
// its id exists.
func (x *Jobs) RaiseOnce(ctx context.Context, a *alarm.Alarm) error {
	c := &change.Change{At: a.RaisedAt,
		Guards: []change.Guard{{Kind: change.KindAlarm, ID: a.ID, Field: "acked", Allowed: []string{""}, Why: "alarm " + a.ID + " was raised before"}}}
	c.Raise(a)
	_, err := x.s.Apply(ctx, c)
	if errors.Is(err, fault.ErrConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("raising alarm %s: %w", a.ID, err)
	}
	return nil
}
