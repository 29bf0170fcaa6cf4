package job_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"testing/synctest"
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

// counting counts a runner's reads of done marks, its acknowledgements
// and the jobs they named; with failDone its reads of marks fail.
type counting struct {
	job.Store
	dones, acks, acked int
	failDone           bool
}

func (c *counting) Done(ctx context.Context, ids ...string) ([]bool, error) {
	c.dones++
	if c.failDone {
		return nil, errors.New("marks unreadable")
	}
	return c.Store.Done(ctx, ids...)
}

func (c *counting) Ack(ctx context.Context, ids ...string) error {
	c.acks++
	c.acked += len(ids)
	return c.Store.Ack(ctx, ids...)
}

// A cycle reads the done marks of the jobs it takes up, and acknowledges
// those done or run, once for each read of up to 50 jobs, not once a job;
// a job that fails, or is young, is left pending; with the marks
// unreadable nothing is run or acknowledged. Each case runs in a
// testing/synctest bubble: its clock moves only when every goroutine
// waits, so no batch takes a second by chance.
func TestCycleAcknowledgesTogether(t *testing.T) {
	bubble := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) { synctest.Test(t, f) })
	}
	setup := func(t *testing.T) (*jobs, *counting, *job.Runner, map[string]int) {
		// Recorded a minute ago by the clock their ids carry: not young.
		st := newJobs(t, time.Now().Add(-time.Minute))
		c := &counting{Store: st.st.Jobs()}
		r := runner(c, "a")
		runs := map[string]int{}
		r.Handle("k", func(_ context.Context, j job.Job) error {
			runs[j.Key]++
			if j.Key == "bad" {
				return errors.New("refused")
			}
			return nil
		})
		return st, c, r, runs
	}
	bubble("together", func(t *testing.T) {
		st, c, r, runs := setup(t)
		var all []job.Job
		var bad job.Job
		for i := range 119 {
			all = append(all, st.add("k", strconv.Itoa(i)))
			if i == 69 {
				bad = st.add("k", "bad") // in the second read, between others
			}
		}
		st.idle(time.Minute) // now: the next is young
		young := st.add("k", "young")
		r.RunNow(context.Background(), all[:60]) // run at once by their instance: marked done
		r.Cycle(context.Background())
		for _, j := range all {
			if !st.acked(j) || runs[j.Key] != 1 {
				t.Fatalf("job %s: acknowledged %v, run %d times; want once", j.Key, st.acked(j), runs[j.Key])
			}
		}
		if st.acked(bad) || runs["bad"] != 1 {
			t.Fatalf("the failing job: acknowledged %v, run %d times; want pending, run once", st.acked(bad), runs["bad"])
		}
		if st.acked(young) || runs["young"] != 0 {
			t.Fatalf("the young job: acknowledged %v, run %d times; want it left to its instance", st.acked(young), runs["young"])
		}
		if c.dones != 3 || c.acks != 3 || c.acked != 119 {
			t.Fatalf("121 jobs taken up with %d reads of their marks and %d acknowledgements naming %d jobs, want 3 of each (50, 50, 21) naming 119", c.dones, c.acks, c.acked)
		}
	})
	bubble("stopped mid-read", func(t *testing.T) {
		st, _, r, runs := setup(t)
		ctx, stop := context.WithCancel(context.Background())
		r.Handle("k", func(_ context.Context, j job.Job) error {
			runs[j.Key]++
			if j.Key == "4" {
				stop() // the server stops while the fifth job runs
			}
			return nil
		})
		var all []job.Job
		for i := range 10 {
			all = append(all, st.add("k", strconv.Itoa(i)))
		}
		r.Cycle(ctx)
		for i, j := range all {
			if ran := runs[j.Key] == 1; ran != (i <= 4) || st.acked(j) != ran {
				t.Fatalf("job %d: run %d times, acknowledged %v; want the first five run and acknowledged, the rest left", i, runs[j.Key], st.acked(j))
			}
		}
	})
	bubble("a slow one", func(t *testing.T) { // the handler's sleep passes at once
		st, c, r, runs := setup(t)
		r.Handle("k", func(_ context.Context, j job.Job) error {
			runs[j.Key]++
			if j.Key == "2" {
				time.Sleep(2 * time.Second)
			}
			return nil
		})
		var all []job.Job
		for i := range 10 {
			all = append(all, st.add("k", strconv.Itoa(i)))
		}
		r.Cycle(context.Background())
		if len(runs) != 10 || c.acks != 2 || c.acked != 10 || !st.acked(all[9]) {
			t.Fatalf("ten jobs, the third taking 2 s: %d run, %d acknowledgements naming %d jobs; want the first three acknowledged after it, then the other seven", len(runs), c.acks, c.acked)
		}
	})
	bubble("marks unreadable", func(t *testing.T) {
		st, c, r, runs := setup(t)
		var all []job.Job
		for i := range 10 {
			all = append(all, st.add("k", strconv.Itoa(i)))
		}
		c.failDone = true
		r.Cycle(context.Background())
		if c.acks != 0 || len(runs) != 0 || st.acked(all[0]) {
			t.Fatalf("with the marks unreadable: %d acknowledgements, %d jobs run; want none", c.acks, len(runs))
		}
	})
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
