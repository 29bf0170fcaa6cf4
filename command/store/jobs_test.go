package store_test

import (
	"context"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/dispatch"
	"watchfloor/command/fault"
	"watchfloor/command/job"
	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
)

func open(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, store.Options{})
}

// TestJobRecordedWithCommitAndTrimKeepsPending: jobs are written by the
// commit that makes the change, and trimming drops acknowledged jobs only,
// never one pending or not yet delivered.
func TestJobRecordedWithCommitAndTrimKeepsPending(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	jobs := records.NewJobs(st)
	if err := jobs.Group(ctx); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range []string{"a", "b", "c"} {
		res, err := st.Commit(ctx, &store.Tx{Ops: []store.Op{{Cmd: "SET", Key: st.Key("x", k), Args: []string{"1"}}},
			Jobs: []job.Job{{Kind: "k", Key: k, IncidentID: "INC-" + k, Data: []byte(`{"n":1}`)}}})
		if err != nil || len(res.JobIDs) != 1 {
			t.Fatalf("commit: %+v %v", res, err)
		}
		ids = append(ids, res.JobIDs[0])
	}
	got, err := jobs.Read(ctx, "one", 2) // a and b delivered, c not
	if err != nil || len(got) != 2 || got[0].Key != "a" || got[1].IncidentID != "INC-b" || string(got[1].Data) != `{"n":1}` {
		t.Fatalf("read: %+v %v", got, err)
	}
	if err := jobs.Ack(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Trim(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	left, err := st.Client().XRange(ctx, st.JobsKey(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0].ID != ids[1] || left[1].ID != ids[2] {
		t.Fatalf("after trimming: %+v (ids %v)", left, ids)
	}
	// The pending one is taken over by another consumer only when idle long enough.
	if _, ok, err := jobs.Claim(ctx, "two", time.Hour, ids[1]); ok || err != nil {
		t.Fatalf("claimed a job not idle: %v %v", ok, err)
	}
	time.Sleep(20 * time.Millisecond)
	j, ok, err := jobs.Claim(ctx, "two", 10*time.Millisecond, ids[1])
	if !ok || err != nil || j.Key != "b" {
		t.Fatalf("claim: %+v %v %v", j, ok, err)
	}
	if n, p, err := jobs.Pending(ctx, 10); err != nil || n != 1 || p[0].Consumer != "two" || p[0].Deliveries != 2 {
		t.Fatalf("pending: %d %+v %v", n, p, err)
	}
}

// TestAutoDispatchOncePerRule: a second automatic dispatch of the same
// rule for the same incident (another instance running the same job) is a
// conflict and writes nothing.
func TestAutoDispatchOncePerRule(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	write := func(id, unit string) *dispatch.Write {
		d := &dispatch.Dispatch{ID: id, IncidentID: "INC-1", UnitID: unit, Status: dispatch.Offered, Rule: "r", CreatedAt: now, UpdatedAt: now}
		return &dispatch.Write{Changes: []dispatch.Change{{D: d}}, UnitStatus: map[string]string{unit: "dispatched"}, AutoRule: "r", At: now}
	}
	if _, err := views.NewDispatches(st).Apply(ctx, write("D-1", "car-01").Change()); err != nil {
		t.Fatal(err)
	}
	_, err := views.NewDispatches(st).Apply(ctx, write("D-2", "car-02").Change())
	if !fault.IsConflict(err) {
		t.Fatalf("second dispatch by the same rule: %v", err)
	}
	if ds, _ := views.NewDispatches(st).ByIncident(ctx, "INC-1"); len(ds) != 1 {
		t.Fatalf("orders: %d", len(ds))
	}
}

// TestPlanProposedOncePerLevel: a plan proposed twice for the same incident
// and level (two instances at once) is stored once.
func TestPlanProposedOncePerLevel(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	propose := func(id string, l alerts.Level) error {
		a := &plan.Activation{ID: id, PlanID: "p", IncidentID: "INC-1", Level: l, Status: plan.Proposed, ProposedAt: now, UpdatedAt: now}
		_, err := views.NewActivations(st).Apply(ctx, (&plan.Write{Changes: []plan.Change{{A: a, Event: "activation.proposed"}}, At: now}).Change())
		return err
	}
	if err := propose("A-1", alerts.LevelII); err != nil {
		t.Fatal(err)
	}
	if err := propose("A-2", alerts.LevelII); !fault.IsConflict(err) {
		t.Fatalf("second proposal at the same level: %v", err)
	}
	if err := propose("A-3", alerts.LevelI); err != nil {
		t.Fatalf("proposal at another level: %v", err)
	}
	if as, _ := views.NewActivations(st).ByIncident(ctx, "INC-1"); len(as) != 2 {
		t.Fatalf("activations: %d", len(as))
	}
}
