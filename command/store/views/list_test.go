package views

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/memstore"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
)

// putBoth stores incs in Redis and in the memory store.
func putBoth(t *testing.T, x *Incidents, mem incident.Store, incs ...*incident.Incident) {
	t.Helper()
	c := &change.Change{At: time.Now()}
	for _, inc := range incs {
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
	}
	for _, s := range []incident.Store{x, mem} {
		if _, err := s.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(list []*incident.Incident) string {
	out := make([]string, len(list))
	for i, inc := range list {
		out[i] = inc.ID
	}
	return strings.Join(out, ",")
}

// TestListInStepsMatchesTheMemoryStore: a list walked in steps of every
// size, intersecting at once or never, is the memory store's, for random
// incidents and random filters.
func TestListInStepsMatchesTheMemoryStore(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	x := NewIncidents(st)
	mem := memstore.New(memstore.Options{}).Incidents()
	rnd := rand.New(rand.NewPCG(6, 12))
	statuses := []string{incident.StatusOpen, incident.StatusResponding, incident.StatusRecovery, incident.StatusClosed}
	categories := []string{"fire", "flood", "traffic"}
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	const n = 600
	var all []*incident.Incident
	for j := range n {
		s := statuses[0]
		if rnd.IntN(100) < 5 || j < 100 { // closed and settled ones are rare among the newest
			s = statuses[1+rnd.IntN(3)]
		}
		all = append(all, &incident.Incident{ID: fmt.Sprintf("I-%04d", j), Category: categories[rnd.IntN(3)], Level: alerts.Level(rnd.IntN(5)), Status: s,
			CreatedAt: t0, UpdatedAt: t0.Add(time.Duration(j/3) * time.Second)}) // threes share a time: ties go by id
	}
	putBoth(t, x, mem, all...)
	walks := []walk{{step: 1, intersect: 0}, {step: 7, intersect: 0}, {step: 50, intersect: 3}, {step: 13, intersect: 1000}, defaultWalk}
	for q := range 80 {
		query := incident.Query{Limit: 1 + rnd.IntN(120)}
		if rnd.IntN(2) == 0 {
			query.Status = statuses[rnd.IntN(4)]
		}
		if rnd.IntN(3) == 0 {
			query.Level = alerts.Level(1 + rnd.IntN(4))
		}
		if rnd.IntN(2) == 0 {
			query.Category = categories[rnd.IntN(3)]
		}
		if rnd.IntN(3) == 0 {
			query.Since = t0.Add(time.Duration(rnd.IntN(n/3)) * time.Second)
		}
		want, _ := mem.List(ctx, query)
		for _, w := range walks {
			x.list = w
			got, err := x.List(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != ids(want) {
				t.Fatalf("query %d %+v, walk %+v:\n redis  %s\n memory %s", q, query, w, ids(got), ids(want))
			}
		}
	}
}

// changedAfter returns a walk in steps of size that runs change once,
// after its n-th step, and the count of its steps.
func changedAfter(size, n int, change func()) (walk, *int) {
	steps := new(int)
	return walk{step: size, between: func() {
		if *steps++; *steps == n {
			change()
		}
	}}, steps
}

// fortyFires stores I-000 to I-039, open fires changed a second apart from
// t0, in Redis (x) and in the memory store; mk makes I-{j} changed at at.
func fortyFires(t *testing.T) (x *Incidents, mem incident.Store, t0 time.Time, mk func(j int, at time.Time) *incident.Incident) {
	x = NewIncidents(storetest.Open(t, store.Options{}))
	mem = memstore.New(memstore.Options{}).Incidents()
	t0 = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	mk = func(j int, at time.Time) *incident.Incident {
		return &incident.Incident{ID: fmt.Sprintf("I-%03d", j), Category: "fire", Status: incident.StatusOpen, CreatedAt: t0, UpdatedAt: at}
	}
	for j := range 40 {
		putBoth(t, x, mem, mk(j, t0.Add(time.Duration(j)*time.Second)))
	}
	return x, mem, t0, mk
}

// TestListWalkSeesChangesMeanwhile: incidents changed between two steps
// of a walk (one not walked yet moved before the cursor, one walked moved
// again, a new one, and one stamped a little before the newest the walk
// saw) are each listed once, at the place of their change; every incident
// left alone is listed in its place.
func TestListWalkSeesChangesMeanwhile(t *testing.T) {
	ctx := context.Background()
	x, mem, t0, mk := fortyFires(t)
	var steps *int
	x.list, steps = changedAfter(10, 1, func() { // walked I-039 to I-030
		later := t0.Add(time.Hour)
		putBoth(t, x, mem, mk(5, later), mk(35, later.Add(time.Second)), mk(40, later.Add(2*time.Second)),
			mk(41, t0.Add(38500*time.Millisecond))) // stamped by a clock a little behind, before the newest seen
	})
	got, err := x.List(ctx, incident.Query{Status: incident.StatusOpen, Category: "fire", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := "I-040,I-035,I-005,I-039,I-041,I-038,I-037,I-036,I-034,I-033,I-032,I-031,I-030,I-029,I-028,I-027,I-026,I-025,I-024,I-023,I-022,I-021,I-020,I-019,I-018,I-017,I-016,I-015,I-014,I-013,I-012,I-011,I-010,I-009,I-008,I-007,I-006,I-004,I-003,I-002,I-001,I-000"
	if ids(got) != want || *steps < 4 {
		t.Fatalf("after %d steps:\n got  %s\n want %s", *steps, ids(got), want)
	}
	// The same list read again after the changes is the memory store's.
	x.list = walk{step: 10}
	got, _ = x.List(ctx, incident.Query{Status: incident.StatusOpen, Category: "fire", Limit: 100})
	again, _ := mem.List(ctx, incident.Query{Status: incident.StatusOpen, Category: "fire", Limit: 100})
	if ids(got) != ids(again) {
		t.Fatalf("read again:\n redis  %s\n memory %s", ids(got), ids(again))
	}
}

// TestListCatchUpPlacesWhatTheWalkHad: a catch-up that meets an incident
// the walk had found before it changed places it by its change and counts
// it once, so a full list of changes does not end the catch-up before newer
// incidents the walk never saw (the review's case: D changed, N1 to N3 new,
// a list of 3, one member a step).
func TestListCatchUpPlacesWhatTheWalkHad(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	x := NewIncidents(st)
	mem := memstore.New(memstore.Options{}).Incidents()
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	mk := func(id, category string, at time.Time) *incident.Incident {
		return &incident.Incident{ID: id, Category: category, Status: incident.StatusOpen, CreatedAt: at, UpdatedAt: at}
	}
	for j := range 5 {
		putBoth(t, x, mem, mk(fmt.Sprintf("X-%d", j), "flood", t0.Add(time.Duration(10+j)*time.Second)))
	}
	putBoth(t, x, mem, mk("M", "fire", t0.Add(2*time.Second)), mk("D", "fire", t0.Add(time.Second)), mk("E", "fire", t0.Add(500*time.Millisecond)))
	var steps *int
	x.list, steps = changedAfter(1, 7, func() { // M and D walked
		later := t0.Add(time.Hour)
		putBoth(t, x, mem, mk("D", "fire", later.Add(3*time.Millisecond)), mk("N1", "fire", later.Add(2*time.Millisecond)),
			mk("N2", "fire", later.Add(time.Millisecond)), mk("N3", "fire", later))
	})
	q := incident.Query{Status: incident.StatusOpen, Category: "fire", Limit: 3}
	got, err := x.List(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mem.List(ctx, q)
	if ids(got) != ids(want) || ids(got) != "D,N1,N2" {
		t.Fatalf("after %d steps:\n got    %s\n memory %s", *steps, ids(got), ids(want))
	}
	if got[0].UpdatedAt.Before(t0.Add(time.Hour)) {
		t.Fatalf("D listed as it was before it changed: %v", got[0].UpdatedAt)
	}
}

// TestListWalkSeesMoreChangesThanAStep: a walk meanwhile outrun by more
// changes than one step holds (here 25 new incidents against steps of 10,
// as 400 a second would outrun steps of 2,000 over catchUp) finds every one.
func TestListWalkSeesMoreChangesThanAStep(t *testing.T) {
	ctx := context.Background()
	x, mem, t0, mk := fortyFires(t)
	var steps *int
	x.list, steps = changedAfter(10, 3, func() { // walked past the head: only the last step can find them
		for j := range 25 {
			putBoth(t, x, mem, mk(100+j, t0.Add(time.Hour+time.Duration(j)*time.Millisecond)))
		}
	})
	q := incident.Query{Status: incident.StatusOpen, Category: "fire", Limit: 100}
	got, err := x.List(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mem.List(ctx, q)
	if ids(got) != ids(want) {
		t.Fatalf("after %d steps:\n got  %s\n want %s", *steps, ids(got), ids(want))
	}
	// A limit the walk fills before its catch-up, in steps of 5: the 25
	// changed meanwhile still take their places at the head.
	x.list, steps = changedAfter(5, 1, func() {
		for j := range 25 {
			putBoth(t, x, mem, mk(200+j, t0.Add(2*time.Hour+time.Duration(j)*time.Millisecond)))
		}
	})
	q.Limit = 40
	if got, err = x.List(ctx, q); err != nil {
		t.Fatal(err)
	}
	want, _ = mem.List(ctx, q)
	if ids(got) != ids(want) {
		t.Fatalf("limited, after %d steps:\n got  %s\n want %s", *steps, ids(got), ids(want))
	}
}
