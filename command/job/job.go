// Package job runs durable follow-up jobs: what a change sets off (plan
// proposals and automatic dispatch after an incident is saved, the response
// started by a first order) is recorded as a job in the same atomic commit
// as the change, on a Redis stream read by a consumer group. The instance
// that made the change runs its jobs at once; whichever instance is alive
// carries out any job not done, at least once: a failed job is retried with
// a doubling wait, a job left by a dead instance is taken over after a
// lease, and a job that keeps failing raises a job.failing alarm while it is
// still retried. Handlers are idempotent by the job's key.
package job

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"watchfloor/command/alarm"
)

// AlarmKind is the kind of the alarm raised for a job that keeps failing.
const AlarmKind = alarm.JobFailing

// Job is one follow-up to carry out.
type Job struct {
	// ID is the stream entry id, given when the job is recorded.
	ID   string
	Kind string
	// Key names what the job does (incident and level, say): handlers are
	// idempotent by it, so running a job twice changes nothing more.
	Key string
	// IncidentID is the incident the job is about, named by its alarm.
	IncidentID string
	Data       []byte
	// Local is what the instance that recorded the job already holds (the
	// value it has just saved), so running it at once needs no read. It is
	// never stored: a job read back or run elsewhere has none.
	Local any
}

// Pending is a job delivered to a consumer and not acknowledged yet.
type Pending struct {
	ID         string
	Consumer   string
	Idle       time.Duration
	Deliveries int64
}

// Store keeps jobs on a stream with one consumer group.
type Store interface {
	// Group makes the consumer group (and the stream) if missing.
	Group(ctx context.Context) error
	// Read delivers up to n jobs never delivered before to consumer.
	Read(ctx context.Context, consumer string, n int) ([]Job, error)
	// Pending returns how many jobs are pending in all and up to n of
	// them, oldest first.
	Pending(ctx context.Context, n int) (int64, []Pending, error)
	// Claim takes a pending job over for consumer if it was idle at least
	// minIdle (only one claimer wins); ok is false when it was not taken.
	Claim(ctx context.Context, consumer string, minIdle time.Duration, id string) (j Job, ok bool, err error)
	// Ack acknowledges jobs done and forgets their marks, all in one step.
	Ack(ctx context.Context, ids ...string) error
	// MarkDone records that a job was done before it was acknowledged
	// (run at once by the instance that recorded it).
	MarkDone(ctx context.Context, id string) error
	// Done reports, for each of ids in turn, whether it was marked done
	// (one read for all).
	Done(ctx context.Context, ids ...string) ([]bool, error)
	// Failed counts a failed attempt and returns the attempts so far.
	Failed(ctx context.Context, id string) (int64, error)
	// Trim drops acknowledged jobs (never a pending or undelivered one) and
	// forgets consumers long idle with nothing pending.
	Trim(ctx context.Context, keep string) error
	// RaiseOnce raises an alarm unless it was raised before.
	RaiseOnce(ctx context.Context, a *alarm.Alarm) error
}

// Handler carries out a job of its kind. It must be idempotent by the
// job's key; an error leaves the job to be tried again.
type Handler func(ctx context.Context, j Job) error

// Runner reads jobs and runs their handlers.
type Runner struct {
	Store Store
	// Name is this instance's consumer name, unique among instances.
	Name       string
	Poll       time.Duration
	RetryBase  time.Duration
	RetryMax   time.Duration
	Lease      time.Duration
	AlarmAfter int
	Log        *slog.Logger
	// Counted, when set, is told of each job done, failed attempt and
	// retry (metrics).
	Counted func(result string)
	// PendingNow, when set, is told how many jobs are pending (metrics).
	PendingNow func(n int64)

	mu       sync.Mutex
	handlers map[string]Handler
	running  map[string]bool
	alarmed  map[string]bool
	wake     chan struct{}
}

// Results counted.
const (
	Done    = "done"
	Failed  = "failed"
	Retried = "retried"
)

// Handle registers the handler of a kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers == nil {
		r.handlers = map[string]Handler{}
	}
	r.handlers[kind] = h
}

func (r *Runner) init() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wake == nil {
		r.wake = make(chan struct{}, 1)
		r.running = map[string]bool{}
		r.alarmed = map[string]bool{}
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
}

// Kick wakes the runner to look for jobs now.
func (r *Runner) Kick() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) count(result string) {
	if r.Counted != nil {
		r.Counted(result)
	}
}

// trimEvery is how often acknowledged jobs are trimmed off the stream.
const trimEvery = time.Minute

// Run reads and retries jobs until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	for {
		err := r.Store.Group(ctx)
		if err == nil {
			break
		}
		r.Log.Warn("making the job consumer group failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.Poll):
		}
	}
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	lastTrim := time.Now()
	for {
		r.Cycle(ctx)
		if time.Since(lastTrim) > trimEvery {
			lastTrim = time.Now()
			if err := r.Store.Trim(ctx, r.Name); err != nil && ctx.Err() == nil {
				r.Log.Debug("trimming jobs failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
	}
}

// Cycle takes up new jobs, then jobs due for a retry or left by a dead
// instance.
func (r *Runner) Cycle(ctx context.Context) {
	r.init()
	for {
		jobs, err := r.Store.Read(ctx, r.Name, 50)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Debug("reading jobs failed", "err", err)
			}
			return
		}
		r.take(ctx, jobs, true)
		if len(jobs) < 50 {
			break
		}
	}
	total, pending, err := r.Store.Pending(ctx, 200)
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Debug("listing pending jobs failed", "err", err)
		}
		return
	}
	if r.PendingNow != nil {
		r.PendingNow(total)
	}
	for _, p := range pending {
		wait := r.backoff(p.Deliveries)
		if p.Consumer != r.Name {
			wait = max(wait, r.Lease) // its instance may still be at it
		} else if r.isRunning(p.ID) {
			continue
		}
		if p.Idle < wait {
			continue
		}
		j, ok, err := r.Store.Claim(ctx, r.Name, wait, p.ID)
		if err != nil || !ok {
			continue // another instance took it first
		}
		r.take(ctx, []Job{j}, false)
	}
}

// backoff is the wait before a job delivered n times is taken up again.
func (r *Runner) backoff(n int64) time.Duration {
	d := r.RetryBase
	for i := int64(1); i < n && d < r.RetryMax; i++ {
		d *= 2
	}
	return min(d, r.RetryMax)
}

// take handles delivered jobs (fresh: for the first time, not claimed for
// a retry) with one read of their done marks, runs those not done, and
// acknowledges the done and the run together: at the end, or at a job's
// end once the oldest waiting has waited ackWithin.
func (r *Runner) take(ctx context.Context, jobs []Job, fresh bool) {
	if len(jobs) == 0 {
		return
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	done, err := r.Store.Done(ctx, ids...)
	if err != nil {
		return // left pending: taken up again once due for a retry
	}
	acks := make([]string, 0, len(jobs))
	var oldest time.Time // when the first acknowledgement waiting was due
	for i, j := range jobs {
		if ctx.Err() != nil {
			break // the rest stay pending
		}
		if done[i] || r.runOne(ctx, j, fresh) {
			if len(acks) == 0 {
				oldest = time.Now()
			}
			acks = append(acks, j.ID)
		}
		if len(acks) > 0 && time.Since(oldest) > ackWithin {
			r.ack(ctx, acks...)
			acks = acks[:0]
		}
	}
	r.ack(ctx, acks...)
}

// ackTimeout bounds each acknowledgement, made even once the runner's
// context has ended.
const ackTimeout = 2 * time.Second

// ackWithin is how long a job done or run may wait for its batch's end
// before what waits is acknowledged (a slow batch's are not left to the lease).
const ackWithin = time.Second

// runOne runs a job not marked done and reports whether it ran to the end;
// a fresh one still young is left to the instance that recorded it (it
// runs its jobs at once) until it is due for a retry.
func (r *Runner) runOne(ctx context.Context, j Job, fresh bool) bool {
	if fresh && r.isRunning(j.ID) || fresh && age(j.ID) < r.RetryBase {
		return false
	}
	if !fresh {
		r.count(Retried)
	}
	r.setRunning(j.ID, true)
	err := r.run(ctx, j)
	r.setRunning(j.ID, false)
	if err != nil {
		r.failed(ctx, j, err)
		return false
	}
	r.mu.Lock()
	delete(r.alarmed, j.ID)
	r.mu.Unlock()
	r.count(Done)
	return true
}

// ack acknowledges jobs done, in one step, even once ctx has ended: their
// work is done.
func (r *Runner) ack(ctx context.Context, ids ...string) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	defer cancel()
	if err := r.Store.Ack(ctx, ids...); err != nil {
		// Not acknowledged: each runs again later and finds nothing to do.
		r.Log.Warn("acknowledging jobs failed", "jobs", len(ids), "first", ids[0], "err", err)
	}
}

// RunNow runs jobs just recorded by this instance, at once. It is an
// optimisation: the recorded job is what makes it happen, so a failure is
// logged and left to the retries (a cycle is woken for it). Jobs done are
// acknowledged by the next regular cycle, in a batch.
func (r *Runner) RunNow(ctx context.Context, jobs []Job) {
	r.init()
	failed := false
	for _, j := range jobs {
		if j.ID == "" {
			continue
		}
		r.setRunning(j.ID, true)
		err := r.run(ctx, j)
		if err == nil {
			err = r.Store.MarkDone(ctx, j.ID)
		}
		r.setRunning(j.ID, false)
		if err != nil {
			r.failed(ctx, j, err)
			failed = true
			continue
		}
		r.count(Done)
	}
	if failed {
		r.Kick()
	}
}

func (r *Runner) run(ctx context.Context, j Job) (err error) {
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	if h == nil {
		// Perhaps a newer instance knows it: keep it, and alarm.
		return fmt.Errorf("no handler for jobs of kind %q", j.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("job %s panicked: %v", j.ID, p)
		}
	}()
	return h(ctx, j)
}

// failed counts a failed attempt and raises the alarm once it failed
// AlarmAfter times.
func (r *Runner) failed(ctx context.Context, j Job, cause error) {
	r.count(Failed)
	if ctx.Err() != nil {
		return
	}
	n, err := r.Store.Failed(ctx, j.ID)
	r.Log.Warn("follow-up job failed; it will be retried", "job", j.ID, "kind", j.Kind, "key", j.Key, "attempts", n, "err", cause)
	if err != nil || n < int64(r.AlarmAfter) {
		return
	}
	r.mu.Lock()
	seen := r.alarmed[j.ID]
	r.mu.Unlock()
	if seen {
		return
	}
	a := &alarm.Alarm{ID: alarm.ID(AlarmKind, j.ID), Kind: AlarmKind, IncidentID: j.IncidentID, Title: j.Kind,
		// The cause stays in the log: it may name storage internals, and
		// the alarm shows on every screen.
		Detail: fmt.Sprintf("follow-up %s (%s) failed %d times and is still being retried; the cause is in the server log (job %s)", j.Kind, j.Key, n, j.ID), RaisedAt: time.Now().UTC()}
	if err := r.Store.RaiseOnce(ctx, a); err != nil {
		r.Log.Warn("raising the alarm of a failing job failed", "job", j.ID, "err", err)
		return
	}
	r.mu.Lock()
	r.alarmed[j.ID] = true
	r.mu.Unlock()
}

func (r *Runner) isRunning(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id]
}

func (r *Runner) setRunning(id string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.running[id] = true
	} else {
		delete(r.running, id)
	}
}

// age is how long ago a stream entry id (ms-seq) was made.
func age(id string) time.Duration {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0
	}
	return time.Since(time.UnixMilli(n))
}
