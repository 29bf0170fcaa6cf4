package views

import (
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/command/unit"
)

// TestUpkeepDue: which units' track upkeep a batch sends, step by step on
// one clock (upkeep every 6 s).
func TestUpkeepDue(t *testing.T) {
	const every = 6 * time.Second
	u := &upkeep{at: map[string]*atomic.Int64{}}
	t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		name  string
		at    time.Duration // after t0
		units []string      // the batch's fixes, in order
		do    func()        // before the batch, if any
		due   []string
	}{
		{name: "first written, each once though twice in the batch", units: []string{"a", "b", "a"}, due: []string{"a", "b"}},
		{name: "within every of it", at: every - time.Millisecond, units: []string{"a", "b"}},
		{name: "every after it, a new one beside", at: every, units: []string{"a", "c"}, due: []string{"a", "c"}},
		{name: "the clock went back", at: every / 2, units: []string{"a", "b", "c"}, due: []string{"a", "c"}},
		{name: "a failed write forgotten", at: every / 2, do: func() { u.forget(map[string]bool{"a": true, "c": false}) }, units: []string{"a", "b", "c"}, due: []string{"a", "c"}},
		{name: "marked done, one new", at: 2*every + time.Second, do: func() { u.mark(map[string]bool{"b": true, "d": true}, t0.Add(2*every)) }, units: []string{"b", "d"}},
		{name: "past the mark", at: 3 * every, units: []string{"b", "d"}, due: []string{"b", "d"}},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		fixes := make([]unit.Fix, len(st.units))
		for i, id := range st.units {
			fixes[i].UnitID = id
		}
		due := map[string]bool{}
		u.take(fixes, t0.Add(st.at), every, due)
		if got := slices.Sorted(maps.Keys(due)); !slices.Equal(got, st.due) {
			t.Errorf("%s: due %v, want %v", st.name, got, st.due)
		}
	}
}

// BenchmarkUpkeepTake: each of the cores' writers takes the upkeep of its
// own 1,000 units a batch at a time, as the ingest workers do, none due (the
// common case); ns/fix is the wall time over all writers' fixes.
func BenchmarkUpkeepTake(b *testing.B) {
	u := &upkeep{at: map[string]*atomic.Int64{}}
	var writer atomic.Int64
	now := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := writer.Add(1)
		fixes := make([]unit.Fix, 1000)
		for i := range fixes {
			fixes[i].UnitID = fmt.Sprintf("w%d-%d", w, i)
		}
		due := map[string]bool{}
		for pb.Next() {
			u.take(fixes, now, time.Minute, due)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/fix")
}
