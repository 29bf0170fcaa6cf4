package contract

import (
	"context"
	"strconv"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/warning"
)

// warningReads: warnings written as documents are read back by id and
// listed newest issued first by status (active, ended, all), within
// [from, to] and up to a limit; one lifted leaves the active ones; ids
// are numbered per day.
func warningReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	mk := func(id, status string, at time.Duration) *warning.Warning {
		return &warning.Warning{ID: id, Type: warning.Rainstorm, Colour: warning.Red, Status: status, Area: warning.Area{Kind: warning.AreaCity},
			IssuedAt: t0.Add(at), UpdatedAt: t0.Add(at), StartsAt: t0, EndsAt: t0.Add(time.Hour), Version: 1}
	}
	ws := []*warning.Warning{mk("W-1", warning.Active, 0), mk("W-2", warning.Lifted, time.Minute), mk("W-3", warning.Active, 2*time.Minute),
		mk("W-4", warning.Expired, 3*time.Minute)}
	c := &change.Change{At: t0}
	for _, w := range ws {
		c.Docs = append(c.Docs, change.Doc{Kind: warning.Kind, ID: w.ID, Value: w, Fields: map[string]string{"ver": "1", "status": w.Status}})
	}
	apply(t, st, c)
	list := func(name string, q warning.Query, want string) read[warning.Warning] {
		return read[warning.Warning]{name, func() ([]*warning.Warning, error) { return st.Warnings.List(ctx, q) }, want}
	}
	id := func(w *warning.Warning) string { return w.ID }
	reads(t, id,
		list("active", warning.Query{Status: warning.Active, Limit: 10}, "W-3,W-1"),
		list("ended", warning.Query{Status: warning.Ended, Limit: 10}, "W-4,W-2"),
		list("ended, one", warning.Query{Status: warning.Ended, Limit: 1}, "W-4"),
		list("all", warning.Query{Limit: 10}, "W-4,W-3,W-2,W-1"),
		list("all, two", warning.Query{Limit: 2}, "W-4,W-3"),
		list("from", warning.Query{From: t0.Add(time.Minute), Limit: 10}, "W-4,W-3,W-2"),
		list("to", warning.Query{To: t0.Add(2 * time.Minute), Limit: 10}, "W-3,W-2,W-1"),
		list("active in range", warning.Query{Status: warning.Active, From: t0.Add(time.Second), To: t0.Add(time.Hour), Limit: 10}, "W-3"))
	// W-3 lifted: it leaves the active ones.
	lifted := *ws[2]
	lifted.Status, lifted.Version = warning.Lifted, 2
	apply(t, st, &change.Change{At: t0, Docs: []change.Doc{{Kind: warning.Kind, ID: "W-3", Value: &lifted, Prev: ws[2], Fields: map[string]string{"ver": "2", "status": warning.Lifted}}}})
	reads(t, id, list("active after the lift", warning.Query{Status: warning.Active, Limit: 10}, "W-1"),
		list("ended after the lift", warning.Query{Status: warning.Ended, Limit: 10}, "W-4,W-3,W-2"))
	got, err := st.Warnings.Load(ctx, "W-3")
	if err != nil || got.Status != warning.Lifted || got.Version != 2 || !got.IssuedAt.Equal(ws[2].IssuedAt) {
		t.Errorf("load W-3: %+v %v", got, err)
	}
	if _, err := st.Warnings.Load(ctx, "W-9"); !fault.IsNotFound(err) {
		t.Errorf("load W-9: %v", err)
	}
	for i := 1; i <= 2; i++ {
		if n, err := st.Warnings.NextID(ctx, "20261204"); err != nil || n != int64(i) {
			t.Errorf("next id %d: %d %v", i, n, err)
		}
	}
	if n, _ := st.Warnings.NextID(ctx, "20261205"); n != 1 {
		t.Errorf("next id of another day: %s", strconv.FormatInt(n, 10))
	}
	// An idempotency key reads back what the change stored under it.
	apply(t, st, &change.Change{At: t0, Idem: &change.Idem{Key: "operator:warning:k1", Value: "W-5|fp", TTL: time.Hour},
		Docs: []change.Doc{{Kind: warning.Kind, ID: "W-5", Value: mk("W-5", warning.Active, 4*time.Minute), Fields: map[string]string{"ver": "1", "status": warning.Active}}}})
	for key, want := range map[string]string{"operator:warning:k1": "W-5|fp", "operator:warning:k2": ""} {
		if got, err := st.Warnings.Replayed(ctx, key); got != want || err != nil {
			t.Errorf("replayed %s: %q %v, want %q", key, got, err, want)
		}
	}
}
