// Package memoutbox keeps the notifications' outbox in memory
// (notify.Outbox) with the Redis outbox's semantics: the memory store's
// twin of it, held to the Redis one by the contract suite.
package memoutbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/job"
	"watchfloor/command/notify"
)

// Outbox keeps notifications in memory with the Redis outbox's semantics:
// a message is recorded once by id, one attempt at a time holds its lease,
// and a failed one may be put back in the queue.
type Outbox struct {
	mu     sync.Mutex
	msgs   map[string]*notify.Delivery
	order  []string // ids, oldest first
	leases map[string]time.Time
	jobs   int64
}

// New returns an empty outbox.
func New() *Outbox {
	return &Outbox{msgs: map[string]*notify.Delivery{}, leases: map[string]time.Time{}}
}

var _ notify.Outbox = (*Outbox)(nil)

func (o *Outbox) job(id, incident string, at time.Time) job.Job {
	o.jobs++
	return job.Job{ID: strconv.FormatInt(at.UnixMilli(), 10) + "-" + strconv.FormatInt(o.jobs, 10), Kind: notify.JobDeliver, Key: id, IncidentID: incident}
}

// Enqueue implements notify.Outbox.
func (o *Outbox) Enqueue(_ context.Context, msgs []notify.Message, at time.Time) ([]job.Job, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []job.Job
	for _, m := range msgs {
		if o.msgs[m.ID] != nil {
			continue
		}
		m.Phones = slices.Clone(m.Phones)
		o.msgs[m.ID] = &notify.Delivery{Message: m, State: notify.Queued, QueuedAt: at.UTC(), UpdatedAt: at.UTC()}
		o.order = append(o.order, m.ID)
		out = append(out, o.job(m.ID, m.IncidentID, at))
	}
	return out, nil
}

// Begin implements notify.Outbox.
func (o *Outbox) Begin(_ context.Context, id string, lease time.Duration, at time.Time) (notify.Delivery, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.msgs[id]
	if d == nil {
		return notify.Delivery{}, false, nil
	}
	if d.State != notify.Queued || at.Before(o.leases[id]) {
		return notify.Delivery{State: d.State}, false, nil
	}
	o.leases[id] = at.Add(lease)
	d.Attempts++
	d.UpdatedAt = at.UTC()
	return *d, true, nil
}

// Finish implements notify.Outbox.
func (o *Outbox) Finish(_ context.Context, id, state, cause string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.msgs[id]
	if d == nil {
		return fmt.Errorf("notification %s: %w", id, fault.ErrNotFound)
	}
	d.State, d.Error, d.UpdatedAt = state, cause, at.UTC()
	if state == notify.Sent {
		t := at.UTC()
		d.SentAt = &t
	}
	delete(o.leases, id)
	return nil
}

// List implements notify.Outbox.
func (o *Outbox) List(_ context.Context, state string, limit int) ([]notify.Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []notify.Delivery{}
	for i := len(o.order) - 1; i >= 0 && len(out) < limit; i-- {
		if d := o.msgs[o.order[i]]; state == "" || d.State == state {
			out = append(out, *d)
		}
	}
	return out, nil
}

// Load implements notify.Outbox.
func (o *Outbox) Load(_ context.Context, id string) (notify.Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.msgs[id]
	if d == nil {
		return notify.Delivery{}, fmt.Errorf("notification %s: %w", id, fault.ErrNotFound)
	}
	return *d, nil
}

// Requeue implements notify.Outbox.
func (o *Outbox) Requeue(_ context.Context, id string, at time.Time) (job.Job, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.msgs[id]
	switch {
	case d == nil:
		return job.Job{}, fmt.Errorf("notification %s: %w", id, fault.ErrNotFound)
	case d.State != notify.Failed:
		return job.Job{}, &fault.Conflict{Detail: fmt.Sprintf("notification %s is %s, not failed", id, d.State)}
	}
	d.State, d.Attempts, d.UpdatedAt = notify.Queued, 0, at.UTC()
	return o.job(id, d.IncidentID, at), nil
}
