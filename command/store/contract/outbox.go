package contract

import (
	"context"
	"errors"
	"testing"
	"time"

	"watchfloor/command/fault"
	note "watchfloor/command/notify"
)

// outbox: a message is recorded once by id with its delivery job; one
// attempt at a time holds its lease and is counted; its outcome is kept
// with the cause; a failed message (and only a failed one) goes back to the
// queue; listing is newest first, by state.
func outbox(t *testing.T, open Open) {
	st := open(t)
	o, ctx := st.Outbox, context.Background()
	m := func(id string) note.Message {
		return note.Message{ID: id, Event: "incident.serious", Channel: "ops", Title: "t " + id, Text: "x", Phones: []string{"13800000001"}, IncidentID: "i-1", At: t0}
	}
	for i, id := range []string{"a@ops", "b@ops"} {
		jobs, err := o.Enqueue(ctx, []note.Message{m(id)}, t0.Add(time.Duration(i)*time.Second))
		if err != nil || len(jobs) != 1 || jobs[0].Key != id || jobs[0].Kind != note.JobDeliver || jobs[0].ID == "" || jobs[0].IncidentID != "i-1" {
			t.Fatalf("enqueue %s: %+v %v", id, jobs, err)
		}
	}
	if jobs, err := o.Enqueue(ctx, []note.Message{m("a@ops")}, t0.Add(time.Minute)); err != nil || len(jobs) != 0 {
		t.Fatalf("a repeat was queued again: %+v %v", jobs, err)
	}
	if ds, _ := o.List(ctx, "", 10); len(ds) != 2 || ds[0].ID != "b@ops" || ds[1].ID != "a@ops" || ds[1].State != note.Queued ||
		!ds[1].QueuedAt.Equal(t0) || !ds[1].At.Equal(t0) || len(ds[1].Phones) != 1 {
		t.Fatalf("list %+v", ds)
	}
	d, ok, err := o.Begin(ctx, "a@ops", time.Minute, t0)
	if err != nil || !ok || d.Attempts != 1 || d.Title != "t a@ops" {
		t.Fatalf("begin: %+v %v %v", d, ok, err)
	}
	if d, ok, _ := o.Begin(ctx, "a@ops", time.Minute, t0); ok || d.State != note.Queued {
		t.Fatalf("a second attempt while the lease is held: %+v %v", d, ok)
	}
	if err := o.Finish(ctx, "a@ops", note.Queued, "answered 500", t0); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := o.Begin(ctx, "a@ops", time.Minute, t0); !ok || d.Attempts != 2 || d.Error != "answered 500" {
		t.Fatalf("begin after a failed attempt: %+v %v", d, ok)
	}
	if err := o.Finish(ctx, "a@ops", note.Failed, "gave up", t0); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := o.Begin(ctx, "a@ops", time.Minute, t0); ok || d.State != note.Failed {
		t.Fatalf("begin of a failed message: %+v %v", d, ok)
	}
	if d, _ := o.Load(ctx, "a@ops"); d.State != note.Failed || d.Error != "gave up" || d.Attempts != 2 {
		t.Fatalf("failed: %+v", d)
	}
	if ds, _ := o.List(ctx, note.Failed, 10); len(ds) != 1 || ds[0].ID != "a@ops" {
		t.Fatalf("failed list %+v", ds)
	}
	j, err := o.Requeue(ctx, "a@ops", t0)
	if err != nil || j.Key != "a@ops" || j.Kind != note.JobDeliver || j.ID == "" {
		t.Fatalf("requeue: %+v %v", j, err)
	}
	if d, _ := o.Load(ctx, "a@ops"); d.State != note.Queued || d.Attempts != 0 {
		t.Fatalf("requeued: %+v", d)
	}
	if _, err := o.Requeue(ctx, "a@ops", t0); !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("requeue of a queued message: %v", err)
	}
	if _, err := o.Requeue(ctx, "nope", t0); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("requeue of a missing message: %v", err)
	}
	if _, err := o.Load(ctx, "nope"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("load of a missing message: %v", err)
	}
	if _, ok, _ := o.Begin(ctx, "b@ops", time.Minute, t0); !ok {
		t.Fatal("begin b")
	}
	if err := o.Finish(ctx, "b@ops", note.Sent, "", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if d, _ := o.Load(ctx, "b@ops"); d.State != note.Sent || d.SentAt == nil || !d.SentAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("sent: %+v", d)
	}
}
