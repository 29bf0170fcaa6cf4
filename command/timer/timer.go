// Package timer runs durable timers: acknowledgement timeouts, reporting
// deadlines and case time limits live in Redis, scored by when they are
// due, so they survive a restart and fire once whichever instances run.
// Each instance polls for due timers; the handler that acts on one checks
// the state it guards in the same atomic step that removes the timer, so an
// acknowledgement racing its timeout has exactly one winner.
package timer

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Store keeps timers as kind|id members scored by their due time.
type Store interface {
	// Due returns up to limit timers due at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Remove drops a timer that needs no action.
	Remove(ctx context.Context, member string) error
	// Claim leases a due timer to this instance until now+lease: only one
	// instance gets it; if that instance dies, the lease runs out and the
	// timer is due again. It returns the lease to release it with.
	Claim(ctx context.Context, member string, now time.Time, d time.Duration) (lease string, ok bool, err error)
	// Release removes a claimed timer unless its handler rescheduled it.
	Release(ctx context.Context, member, lease string) error
}

// Lease is how long a claimed timer is this instance's before another may
// take it up (the handler failed or the instance died).
const Lease = 5 * time.Second

// Handler acts on a due timer of its kind. It returns done when the timer
// is dealt with (acted on, or found moot) and may be removed; an error
// leaves it to be tried again on the next poll.
type Handler func(ctx context.Context, id string, due time.Time) (done bool, err error)

// Member is how a timer of kind for id is stored.
func Member(kind, id string) string { return kind + "|" + id }

// Clock tells the time; tests inject one they control.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told: tests run minutes of rules
// in milliseconds with it.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a clock standing at t.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time { m.mu.Lock(); defer m.mu.Unlock(); return m.t }

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) { m.mu.Lock(); m.t = m.t.Add(d); m.mu.Unlock() }

// Scheduler polls for due timers and runs their handlers, each timer on
// one instance only (claimed with a lease).
type Scheduler struct {
	Store    Store
	Clock    Clock
	Interval time.Duration
	Log      *slog.Logger

	mu       sync.Mutex
	handlers map[string]Handler
}

// Handle registers the handler of a kind.
func (s *Scheduler) Handle(kind string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handlers == nil {
		s.handlers = map[string]Handler{}
	}
	s.handlers[kind] = h
}

// Run polls until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.Poll(ctx)
	}
}

// Poll runs every timer due now once.
func (s *Scheduler) Poll(ctx context.Context) {
	now := s.Clock.Now()
	due, err := s.Store.Due(ctx, now, 200)
	if err != nil {
		if ctx.Err() == nil {
			s.Log.Debug("looking for due timers failed", "err", err)
		}
		return
	}
	for _, m := range due {
		kind, id, _ := strings.Cut(m, "|")
		s.mu.Lock()
		h := s.handlers[kind]
		s.mu.Unlock()
		if h == nil {
			s.Log.Warn("timer of unknown kind dropped", "timer", m)
			_ = s.Store.Remove(ctx, m)
			continue
		}
		// The lease runs from now, not from the start of the batch: handlers
		// before this one took their time.
		lease, ok, err := s.Store.Claim(ctx, m, s.Clock.Now(), Lease)
		if err != nil || !ok {
			continue // another instance has it
		}
		done, err := h(ctx, id, now)
		if err != nil {
			s.Log.Warn("timer handler failed; will retry", "timer", m, "err", err)
			continue
		}
		if done {
			_ = s.Store.Release(ctx, m, lease)
		}
	}
}
