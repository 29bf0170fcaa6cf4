package contract

import (
	"context"
	"slices"
	"testing"
	"time"

	"watchfloor/command/change"
)

// timers: timers scheduled with a change are due in order of time, as
// many as asked; cancelled or removed ones are not.
func timers(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	c := &change.Change{At: t0}
	c.Schedule(map[string]time.Time{"ack|D-2": t0.Add(time.Second), "ack|D-1": t0, "ack|D-3": t0.Add(time.Hour), "ack|D-0": t0.Add(time.Second)})
	apply(t, st, c)
	for _, tc := range []struct {
		at    time.Time
		limit int
		want  []string
	}{
		{t0.Add(-time.Millisecond), 10, []string{}},
		{t0, 10, []string{"ack|D-1"}},
		{t0.Add(time.Second), 10, []string{"ack|D-1", "ack|D-0", "ack|D-2"}},
		{t0.Add(time.Second), 2, []string{"ack|D-1", "ack|D-0"}},
	} {
		if due, err := st.Timers.Due(ctx, tc.at, tc.limit); err != nil || !slices.Equal(due, tc.want) {
			t.Errorf("due at %s (limit %d): %v %v, want %v", tc.at.Sub(t0), tc.limit, due, err, tc.want)
		}
	}
	c = &change.Change{At: t0}
	c.Cancel("ack|D-1")
	apply(t, st, c)
	if err := st.Timers.Remove(ctx, "ack|D-0"); err != nil {
		t.Fatal(err)
	}
	if due, err := st.Timers.Due(ctx, t0.Add(2*time.Hour), 10); err != nil || !slices.Equal(due, []string{"ack|D-2", "ack|D-3"}) {
		t.Fatalf("after cancel and remove: %v %v", due, err)
	}
}

// timerLease: a claim is exclusive until its lease runs out, then the
// timer is due again for another; a release removes the timer only when
// its handler did not reschedule it.
func timerLease(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	c := &change.Change{At: t0}
	c.Schedule(map[string]time.Time{"ack|D-1": t0, "ack|D-2": t0})
	apply(t, st, c)
	if _, ok, err := st.Timers.Claim(ctx, "ack|D-1", t0.Add(-time.Second), time.Minute); ok || err != nil {
		t.Fatalf("claimed before due: %v %v", ok, err)
	}
	lease, ok, err := st.Timers.Claim(ctx, "ack|D-1", t0, time.Minute)
	if !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if _, ok, _ := st.Timers.Claim(ctx, "ack|D-1", t0.Add(time.Second), time.Minute); ok {
		t.Fatal("a claimed timer was claimed again within its lease")
	}
	if due, _ := st.Timers.Due(ctx, t0.Add(time.Second), 10); !slices.Equal(due, []string{"ack|D-2"}) {
		t.Fatalf("due within the lease: %v", due)
	}
	lease2, ok, err := st.Timers.Claim(ctx, "ack|D-1", t0.Add(time.Minute), time.Minute)
	if !ok || err != nil || lease2 == lease {
		t.Fatalf("claim after the lease ran out: %v %v (lease %s, then %s)", ok, err, lease, lease2)
	}
	if err := st.Timers.Release(ctx, "ack|D-1", lease); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.Timers.Due(ctx, t0.Add(time.Hour), 10); !slices.Contains(due, "ack|D-1") {
		t.Fatal("a release with a lease run out removed the timer taken over")
	}
	if err := st.Timers.Release(ctx, "ack|D-1", lease2); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.Timers.Due(ctx, t0.Add(time.Hour), 10); slices.Contains(due, "ack|D-1") {
		t.Fatal("released timer still due")
	}
	// The handler of D-2 reschedules it: the release leaves it.
	lease, ok, err = st.Timers.Claim(ctx, "ack|D-2", t0, time.Minute)
	if !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	c = &change.Change{At: t0}
	c.Schedule(map[string]time.Time{"ack|D-2": t0.Add(time.Hour)})
	apply(t, st, c)
	if err := st.Timers.Release(ctx, "ack|D-2", lease); err != nil {
		t.Fatal(err)
	}
	if due, _ := st.Timers.Due(ctx, t0.Add(time.Hour), 10); !slices.Equal(due, []string{"ack|D-2"}) {
		t.Fatalf("rescheduled timer after release: %v", due)
	}
}
