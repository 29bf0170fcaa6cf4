package timer_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
)

var t0 = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)

// calls records the ids a handler was called with.
type calls struct {
	mu  sync.Mutex
	ids []string
}

func (c *calls) add(id string) { c.mu.Lock(); c.ids = append(c.ids, id); c.mu.Unlock() }

func (c *calls) get() []string { c.mu.Lock(); defer c.mu.Unlock(); return slices.Clone(c.ids) }

func schedule(t *testing.T, st *memstore.Store, due map[string]time.Time) {
	t.Helper()
	c := &change.Change{At: t0}
	c.Schedule(due)
	if _, err := st.Apply(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// record registers a handler of kind that records its calls and deals
// with each timer (then runs also, when set).
func record(s *timer.Scheduler, kind string, then func(n int, due time.Time)) *calls {
	got := &calls{}
	s.Handle(kind, func(_ context.Context, id string, due time.Time) (bool, error) {
		got.add(id)
		if then != nil {
			then(len(got.get()), due)
		}
		return true, nil
	})
	return got
}

func scheduler(st *memstore.Store, clock timer.Clock) *timer.Scheduler {
	return &timer.Scheduler{Store: st.Timers(), Clock: clock, Interval: time.Second, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestSchedulerRunsDueTimersOnce: a due timer runs once, a timer not yet
// due waits for its time, and one of an unknown kind is dropped.
func TestSchedulerRunsDueTimersOnce(t *testing.T) {
	st := memstore.New(memstore.Options{})
	clock := timer.NewManual(t0)
	s := scheduler(st, clock)
	got := record(s, "ack", nil)
	schedule(t, st, map[string]time.Time{"ack|D-1": t0, "ack|D-2": t0.Add(time.Minute), "gone|x": t0})
	ctx := context.Background()
	s.Poll(ctx)
	s.Poll(ctx)
	if ids := got.get(); !slices.Equal(ids, []string{"D-1"}) {
		t.Fatalf("ran %v", ids)
	}
	if _, ok := st.Timers().When("gone|x"); ok {
		t.Fatal("a timer of an unknown kind was kept")
	}
	clock.Advance(time.Minute)
	s.Poll(ctx)
	s.Poll(ctx)
	if ids := got.get(); !slices.Equal(ids, []string{"D-1", "D-2"}) {
		t.Fatalf("ran %v", ids)
	}
	if due, _ := st.Timers().Due(ctx, clock.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("timers left: %v", due)
	}
}

// TestSchedulerRetriesFailedHandler: a handler that fails (or is not done)
// keeps its timer, which runs again once its lease is over.
func TestSchedulerRetriesFailedHandler(t *testing.T) {
	for _, c := range []struct {
		name   string
		result func() (bool, error)
	}{
		{"error", func() (bool, error) { return false, errors.New("store down") }},
		{"notDone", func() (bool, error) { return false, nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := memstore.New(memstore.Options{})
			clock := timer.NewManual(t0)
			s := scheduler(st, clock)
			fail := true
			var got calls
			s.Handle("ack", func(_ context.Context, id string, due time.Time) (bool, error) {
				got.add(id)
				if fail {
					return c.result()
				}
				return true, nil
			})
			schedule(t, st, map[string]time.Time{"ack|D-1": t0})
			ctx := context.Background()
			s.Poll(ctx)
			clock.Advance(timer.Lease - time.Millisecond)
			s.Poll(ctx)
			if n := len(got.get()); n != 1 {
				t.Fatalf("ran %d times within the lease", n)
			}
			fail = false
			clock.Advance(time.Millisecond)
			s.Poll(ctx)
			if n := len(got.get()); n != 2 {
				t.Fatalf("ran %d times after the lease", n)
			}
			if _, ok := st.Timers().When("ack|D-1"); ok {
				t.Fatal("a timer dealt with was kept")
			}
		})
	}
}

// TestSchedulerTakesOverAfterLease: a timer claimed by an instance that
// died is left alone during its lease and run by another after it.
func TestSchedulerTakesOverAfterLease(t *testing.T) {
	st := memstore.New(memstore.Options{})
	clock := timer.NewManual(t0)
	schedule(t, st, map[string]time.Time{"ack|D-1": t0})
	ctx := context.Background()
	if _, ok, err := st.Timers().Claim(ctx, "ack|D-1", t0, timer.Lease); !ok || err != nil {
		t.Fatalf("the dead instance's claim: %v %v", ok, err)
	}
	alive := scheduler(st, clock)
	got := record(alive, "ack", nil)
	alive.Poll(ctx)
	if n := len(got.get()); n != 0 {
		t.Fatal("taken over within the lease")
	}
	clock.Advance(timer.Lease)
	alive.Poll(ctx)
	if ids := got.get(); !slices.Equal(ids, []string{"D-1"}) {
		t.Fatalf("after the lease: ran %v", ids)
	}
}

// TestSchedulerKeepsRescheduledTimer: a handler that schedules its timer
// again (a second reminder) keeps it for the new time.
func TestSchedulerKeepsRescheduledTimer(t *testing.T) {
	st := memstore.New(memstore.Options{})
	clock := timer.NewManual(t0)
	s := scheduler(st, clock)
	got := record(s, "remind", func(n int, due time.Time) {
		if n == 1 {
			schedule(t, st, map[string]time.Time{"remind|C-1": due.Add(time.Hour)})
		}
	})
	schedule(t, st, map[string]time.Time{"remind|C-1": t0})
	ctx := context.Background()
	s.Poll(ctx)
	if at, ok := st.Timers().When("remind|C-1"); !ok || !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("rescheduled timer: %v %v", at, ok)
	}
	clock.Advance(time.Hour)
	s.Poll(ctx)
	s.Poll(ctx)
	if n := len(got.get()); n != 2 {
		t.Fatalf("ran %d times", n)
	}
}
