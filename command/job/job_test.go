package job

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"watchfloor/command/alarm"
)

// memStore is a Store in memory: enough to hold the runner's rules.
type memStore struct {
	mu       sync.Mutex
	jobs     []Job
	next     int // index of the first job never delivered
	pending  map[string]*Pending
	done     map[string]bool
	acked    map[string]bool
	attempts map[string]int64
	alarms   map[string]*alarm.Alarm
}

func newMem() *memStore {
	return &memStore{pending: map[string]*Pending{}, done: map[string]bool{}, acked: map[string]bool{}, attempts: map[string]int64{}, alarms: map[string]*alarm.Alarm{}}
}

func (m *memStore) add(kind, key string, at time.Time) Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := Job{ID: strconv.FormatInt(at.UnixMilli(), 10) + "-" + strconv.Itoa(len(m.jobs)), Kind: kind, Key: key, IncidentID: "INC-" + key}
	m.jobs = append(m.jobs, j)
	return j
}

func (m *memStore) Group(context.Context) error { return nil }
func (m *memStore) Read(_ context.Context, consumer string, n int) ([]Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Job
	for ; m.next < len(m.jobs) && len(out) < n; m.next++ {
		j := m.jobs[m.next]
		m.pending[j.ID] = &Pending{ID: j.ID, Consumer: consumer, Deliveries: 1}
		out = append(out, j)
	}
	return out, nil
}
func (m *memStore) Pending(context.Context, int) (int64, []Pending, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Pending
	for _, j := range m.jobs {
		if p := m.pending[j.ID]; p != nil {
			out = append(out, *p)
		}
	}
	return int64(len(out)), out, nil
}
func (m *memStore) Claim(_ context.Context, consumer string, minIdle time.Duration, id string) (Job, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pending[id]
	if p == nil || p.Idle < minIdle {
		return Job{}, false, nil
	}
	p.Consumer, p.Idle = consumer, 0
	p.Deliveries++
	for _, j := range m.jobs {
		if j.ID == id {
			return j, true, nil
		}
	}
	return Job{}, false, nil
}
func (m *memStore) Ack(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pending, id)
	m.acked[id] = true
	return nil
}
func (m *memStore) MarkDone(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done[id] = true
	return nil
}
func (m *memStore) Done(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done[id], nil
}
func (m *memStore) Failed(_ context.Context, id string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts[id]++
	return m.attempts[id], nil
}
func (m *memStore) Trim(context.Context, string) error { return nil }
func (m *memStore) RaiseOnce(_ context.Context, a *alarm.Alarm) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.alarms[a.ID] == nil {
		m.alarms[a.ID] = a
	}
	return nil
}

// idle makes every pending job idle for d.
func (m *memStore) idle(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.pending {
		p.Idle += d
	}
}

func runner(st Store, name string) *Runner {
	return &Runner{Store: st, Name: name, Poll: time.Second, RetryBase: time.Second, RetryMax: 8 * time.Second, Lease: 30 * time.Second,
		AlarmAfter: 3, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestJobBackoffDoublesUpToMax(t *testing.T) {
	r := runner(newMem(), "a")
	for n, want := range map[int64]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 10: 8 * time.Second} {
		if got := r.backoff(n); got != want {
			t.Errorf("backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// A job run at once by its instance is acknowledged by the runner without
// running it again; a new job is left to its instance for a while.
func TestJobRunNowIsNotRunTwice(t *testing.T) {
	st := newMem()
	r := runner(st, "a")
	runs := 0
	r.Handle("k", func(context.Context, Job) error { runs++; return nil })
	j := st.add("k", "1", time.Now())
	r.RunNow(context.Background(), []Job{j})
	young := st.add("k", "2", time.Now())
	r.Cycle(context.Background())
	if runs != 1 || !st.acked[j.ID] || st.acked[young.ID] {
		t.Fatalf("runs %d, acked %v", runs, st.acked)
	}
	st.idle(time.Second)
	r.Cycle(context.Background())
	if runs != 2 || !st.acked[young.ID] {
		t.Fatalf("the young job after its wait: runs %d, acked %v", runs, st.acked)
	}
}

// A failing job is retried, raises one alarm after AlarmAfter failures,
// goes on being retried, and is acknowledged once it succeeds.
func TestJobFailingIsRetriedAndAlarmed(t *testing.T) {
	st := newMem()
	r := runner(st, "a")
	fail := true
	runs := 0
	r.Handle("k", func(context.Context, Job) error {
		runs++
		if fail {
			return errors.New("store down")
		}
		return nil
	})
	j := st.add("k", "1", time.Now().Add(-time.Minute))
	ctx := context.Background()
	for range 5 {
		r.Cycle(ctx)
		st.idle(time.Minute)
	}
	if runs != 5 || st.acked[j.ID] {
		t.Fatalf("runs %d, acked %v", runs, st.acked[j.ID])
	}
	a := st.alarms[alarm.ID(AlarmKind, j.ID)]
	if len(st.alarms) != 1 || a == nil || a.IncidentID != "INC-1" || a.Kind != "job.failing" {
		t.Fatalf("alarms %+v", st.alarms)
	}
	fail = false
	r.Cycle(ctx)
	if runs != 6 || !st.acked[j.ID] {
		t.Fatalf("after recovery: runs %d, acked %v", runs, st.acked[j.ID])
	}
}

// A job held by another instance is taken over only after the lease.
func TestJobTakenOverAfterLease(t *testing.T) {
	st := newMem()
	j := st.add("k", "1", time.Now())
	if _, err := st.Read(context.Background(), "dead", 10); err != nil {
		t.Fatal(err)
	}
	r := runner(st, "alive")
	runs := 0
	r.Handle("k", func(context.Context, Job) error { runs++; return nil })
	st.idle(5 * time.Second)
	r.Cycle(context.Background())
	if runs != 0 {
		t.Fatal("taken over before the lease ran out")
	}
	st.idle(30 * time.Second)
	r.Cycle(context.Background())
	if runs != 1 || !st.acked[j.ID] {
		t.Fatalf("runs %d acked %v", runs, st.acked)
	}
}
