package contract

import (
	"context"
	"slices"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/change"
	"watchfloor/command/job"
	"watchfloor/command/vocab"
)

// record records jobs of keys with one change and returns their ids.
func record(t *testing.T, st Stores, keys ...string) []string {
	t.Helper()
	c := &change.Change{At: t0}
	for _, k := range keys {
		c.Jobs = append(c.Jobs, job.Job{Kind: "propose", Key: k, IncidentID: "INC-" + k, Data: []byte(`{"n":1}`)})
	}
	apply(t, st, c)
	ids := make([]string, len(keys))
	for i, j := range c.Jobs {
		ids[i] = j.ID
	}
	return ids
}

// jobsRecordedAndRead: jobs recorded with a change get ids in order and
// are delivered once, to the first reader, then pending for it.
func jobsRecordedAndRead(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	ids := append(record(t, st, "a", "b"), record(t, st, "c")...)
	if ids[0] == "" || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("ids %v", ids)
	}
	got, err := st.Jobs.Read(ctx, "one", 2)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[0].Key != "a" || got[0].Kind != "propose" ||
		got[1].IncidentID != "INC-b" || string(got[1].Data) != `{"n":1}` {
		t.Fatalf("read: %+v %v", got, err)
	}
	if got, err := st.Jobs.Read(ctx, "two", 10); err != nil || len(got) != 1 || got[0].ID != ids[2] {
		t.Fatalf("second reader: %+v %v", got, err)
	}
	if got, err := st.Jobs.Read(ctx, "one", 10); err != nil || len(got) != 0 {
		t.Fatalf("read again: %+v %v", got, err)
	}
	n, ps, err := st.Jobs.Pending(ctx, 2)
	if err != nil || n != 3 || len(ps) != 2 || ps[0].ID != ids[0] || ps[0].Consumer != "one" || ps[0].Deliveries != 1 || ps[1].ID != ids[1] {
		t.Fatalf("pending: %d %+v %v", n, ps, err)
	}
}

// jobsClaimAfterIdle: a pending job is taken over only once it was idle
// long enough, by one claimer.
func jobsClaimAfterIdle(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	id := record(t, st, "a")[0]
	if _, err := st.Jobs.Read(ctx, "dead", 10); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := st.Jobs.Claim(ctx, "alive", time.Hour, id); ok || err != nil {
		t.Fatalf("claimed a job not idle: %v %v", ok, err)
	}
	// Idle 1.5 s, then claimed with 1 s: a claim resets the idle time, so
	// a second at once finds it idle not 1.5 s but nearly none (a second
	// of slack for a loaded machine on Redis's real clock).
	st.Elapse(1500 * time.Millisecond)
	j, ok, err := st.Jobs.Claim(ctx, "alive", time.Second, id)
	if !ok || err != nil || j.ID != id || j.Key != "a" || j.IncidentID != "INC-a" {
		t.Fatalf("claim: %+v %v %v", j, ok, err)
	}
	if _, ok, _ := st.Jobs.Claim(ctx, "late", time.Second, id); ok {
		t.Fatal("a job just claimed was claimed again")
	}
	if n, ps, err := st.Jobs.Pending(ctx, 10); err != nil || n != 1 || ps[0].Consumer != "alive" || ps[0].Deliveries != 2 {
		t.Fatalf("pending: %d %+v %v", n, ps, err)
	}
}

// jobsDoneAndFailed: done marks and failed attempts are kept per job and
// forgotten when it is acknowledged; the marks of several jobs are read,
// and several jobs acknowledged, at once, each as alone.
func jobsDoneAndFailed(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	ids := record(t, st, "a", "b", "c", "d")
	if _, err := st.Jobs.Read(ctx, "one", 10); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ids[0], ids[2]} {
		if err := st.Jobs.MarkDone(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := st.Jobs.Done(ctx, ids[0]); len(done) != 1 || !done[0] || err != nil {
		t.Fatalf("done: %v %v", done, err)
	}
	if done, err := st.Jobs.Done(ctx, ids[1]); len(done) != 1 || done[0] || err != nil {
		t.Fatalf("the other done: %v %v", done, err)
	}
	if done, err := st.Jobs.Done(ctx, ids[3], ids[2], ids[1], ids[0]); !slices.Equal(done, []bool{false, true, false, true}) || err != nil {
		t.Fatalf("four read at once: %v %v, want [false true false true]", done, err)
	}
	if done, err := st.Jobs.Done(ctx); len(done) != 0 || err != nil {
		t.Fatalf("none read: %v %v", done, err)
	}
	for want := int64(1); want <= 2; want++ {
		if n, err := st.Jobs.Failed(ctx, ids[1]); n != want || err != nil {
			t.Fatalf("attempts %d %v, want %d", n, err, want)
		}
	}
	if err := st.Jobs.Ack(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if n, _, err := st.Jobs.Pending(ctx, 10); n != 3 || err != nil {
		t.Fatalf("pending after one ack: %d %v, want 3", n, err)
	}
	if err := st.Jobs.Ack(ctx); err != nil {
		t.Fatalf("none acknowledged: %v", err)
	}
	if err := st.Jobs.Ack(ctx, ids[1:]...); err != nil {
		t.Fatal(err)
	}
	if n, _, err := st.Jobs.Pending(ctx, 10); n != 0 || err != nil {
		t.Fatalf("pending after ack: %d %v", n, err)
	}
	if done, _ := st.Jobs.Done(ctx, ids...); slices.Contains(done, true) {
		t.Fatalf("done marks kept after ack: %v", done)
	}
	if n, _ := st.Jobs.Failed(ctx, ids[1]); n != 1 {
		t.Fatalf("attempts kept after ack: %d", n)
	}
}

// jobsTrimKeepsPending: trimming drops acknowledged jobs only: a pending
// job can still be claimed and an undelivered one read. A job's alarm is
// raised once however often it is raised.
func jobsTrimKeepsPending(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	group(t, st)
	ids := record(t, st, "a", "b", "c")
	if _, err := st.Jobs.Read(ctx, "one", 2); err != nil {
		t.Fatal(err)
	}
	if err := st.Jobs.Ack(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := st.Jobs.Trim(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	st.Elapse(50 * time.Millisecond)
	if j, ok, err := st.Jobs.Claim(ctx, "two", 40*time.Millisecond, ids[1]); !ok || err != nil || j.Key != "b" {
		t.Fatalf("claim of the pending job after trim: %+v %v %v", j, ok, err)
	}
	if got, err := st.Jobs.Read(ctx, "two", 10); err != nil || len(got) != 1 || got[0].ID != ids[2] {
		t.Fatalf("read of the undelivered job after trim: %+v %v", got, err)
	}
	a := &alarm.Alarm{ID: alarm.ID(alarm.JobFailing, ids[1]), Kind: alarm.JobFailing, IncidentID: "INC-b", RaisedAt: t0}
	for range 2 {
		if err := st.Jobs.RaiseOnce(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.Alarms.Load(ctx, a.ID); err != nil || got.IncidentID != "INC-b" {
		t.Fatalf("alarm: %+v %v", got, err)
	}
	if seq, err := st.Source.Seq(ctx, vocab.ScreenStream); err != nil || seq != 1 {
		t.Fatalf("screen events of two raises: %d %v", seq, err)
	}
}
