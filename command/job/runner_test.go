package job_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/job"
	"watchfloor/command/memstore"
	"watchfloor/command/timer"
)

// jobs is the memory store under a runner, on a clock the test moves (it
// starts at the real time: a runner tells a new job by its id's time).
type jobs struct {
	t     *testing.T
	st    *memstore.Store
	clock *timer.Manual
}

func newJobs(t *testing.T, start time.Time) *jobs {
	clock := timer.NewManual(start)
	return &jobs{t: t, st: memstore.New(memstore.Options{Clock: clock}), clock: clock}
}

// add records a job with a change and returns it with its id.
func (s *jobs) add(kind, key string) job.Job {
	s.t.Helper()
	c := &change.Change{At: s.clock.Now(), Jobs: []job.Job{{Kind: kind, Key: key, IncidentID: "INC-" + key}}}
	if _, err := s.st.Apply(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
	return c.Jobs[0]
}

// acked reports whether the job was delivered and acknowledged.
func (s *jobs) acked(j job.Job) bool { return s.st.Jobs().Acked(j.ID) }

// idle lets d pass for the pending jobs.
func (s *jobs) idle(d time.Duration) { s.clock.Advance(d) }

func runner(st job.Store, name string) *job.Runner {
	return &job.Runner{Store: st, Name: name, Poll: time.Second, RetryBase: time.Second, RetryMax: 8 * time.Second, Lease: 30 * time.Second,
		AlarmAfter: 3, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// A job run at once by its instance is acknowledged by the runner without
// running it again; a new job is left to its instance for a while.
func TestJobRunNowIsNotRunTwice(t *testing.T) {
	st := newJobs(t, time.Now())
	r := runner(st.st.Jobs(), "a")
	runs := 0
	r.Handle("k", func(context.Context, job.Job) error { runs++; return nil })
	j := st.add("k", "1")
	r.RunNow(context.Background(), []job.Job{j})
	young := st.add("k", "2")
	r.Cycle(context.Background())
	if runs != 1 || !st.acked(j) || st.acked(young) {
		t.Fatalf("runs %d, acked %v %v", runs, st.acked(j), st.acked(young))
	}
	st.idle(time.Second)
	r.Cycle(context.Background())
	if runs != 2 || !st.acked(young) {
		t.Fatalf("the young job after its wait: runs %d, acked %v", runs, st.acked(young))
	}
}

// A failing job is retried, raises one alarm after AlarmAfter failures,
// goes on being retried, and is acknowledged once it succeeds.
func TestJobFailingIsRetriedAndAlarmed(t *testing.T) {
	st := newJobs(t, time.Now().Add(-time.Minute))
	j := st.add("k", "1")
	st.idle(time.Minute)
	r := runner(st.st.Jobs(), "a")
	fail := true
	runs := 0
	r.Handle("k", func(context.Context, job.Job) error {
		runs++
		if fail {
			return errors.New("store down")
		}
		return nil
	})
	ctx := context.Background()
	for range 5 {
		r.Cycle(ctx)
		st.idle(time.Minute)
	}
	if runs != 5 || st.acked(j) {
		t.Fatalf("runs %d, acked %v", runs, st.acked(j))
	}
	alarms, err := st.st.Alarms().List(ctx, false, 100)
	if err != nil || len(alarms) != 1 {
		t.Fatalf("alarms %+v %v", alarms, err)
	}
	if a := alarms[0]; a.ID != alarm.ID(job.AlarmKind, j.ID) || a.IncidentID != "INC-1" || a.Kind != "job.failing" {
		t.Fatalf("alarm %+v", a)
	}
	fail = false
	r.Cycle(ctx)
	if runs != 6 || !st.acked(j) {
		t.Fatalf("after recovery: runs %d, acked %v", runs, st.acked(j))
	}
}

// A job held by another instance is taken over only after the lease.
func TestJobTakenOverAfterLease(t *testing.T) {
	st := newJobs(t, time.Now())
	j := st.add("k", "1")
	if _, err := st.st.Jobs().Read(context.Background(), "dead", 10); err != nil {
		t.Fatal(err)
	}
	r := runner(st.st.Jobs(), "alive")
	runs := 0
	r.Handle("k", func(context.Context, job.Job) error { runs++; return nil })
	st.idle(5 * time.Second)
	r.Cycle(context.Background())
	if runs != 0 {
		t.Fatal("taken over before the lease ran out")
	}
	st.idle(30 * time.Second)
	r.Cycle(context.Background())
	if runs != 1 || !st.acked(j) {
		t.Fatalf("runs %d acked %v", runs, st.acked(j))
	}
}
