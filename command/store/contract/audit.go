package contract

import (
	"context"
	"maps"
	"testing"
	"time"

	"watchfloor/command/alarm"
	"watchfloor/command/audit"
	"watchfloor/command/change"
	"watchfloor/command/stats"
	"watchfloor/command/vocab"
)

// auditTrail: records written with changes or on their own come back in
// order, filtered by who, action prefix, object, incident and time.
func auditTrail(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	apply(t, st, &change.Change{At: t0, Audit: []audit.Record{
		{At: t0, Who: "alice", Role: vocab.Operator, Action: "dispatch.created", Object: "D-1", IncidentID: "INC-1", Detail: map[string]any{"unit_id": "car-1"}},
		{At: t0, Who: "bob", Role: vocab.Leader, Action: "incident.created", Object: "INC-2", Reason: "call"},
	}})
	if err := st.Audit.Append(ctx, audit.Record{At: t0, Who: "carol", Role: vocab.Viewer, Action: "login", Object: "carol"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    audit.Query
		want []string
	}{
		{"all", audit.Query{}, []string{"D-1", "INC-2", "carol"}},
		{"who", audit.Query{Who: "bob"}, []string{"INC-2"}},
		{"actionPrefix", audit.Query{Action: "dispatch"}, []string{"D-1"}},
		{"object", audit.Query{Object: "carol"}, []string{"carol"}},
		{"incident", audit.Query{IncidentID: "INC-1"}, []string{"D-1"}},
		{"limit", audit.Query{Limit: 2}, []string{"D-1", "INC-2"}},
		{"future", audit.Query{From: time.Now().Add(time.Hour)}, nil},
		{"past", audit.Query{To: time.Now().Add(-time.Hour)}, nil},
	} {
		recs, err := st.Audit.Audit(ctx, c.q)
		var got []string
		for _, r := range recs {
			got = append(got, r.Object)
		}
		if err != nil || len(got) != len(c.want) || len(got) > 0 && got[0] != c.want[0] || len(got) > 1 && got[len(got)-1] != c.want[len(c.want)-1] {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	recs, _ := st.Audit.Audit(ctx, audit.Query{Who: "alice"})
	if len(recs) != 1 || !recs[0].At.Equal(t0) || recs[0].Role != vocab.Operator || recs[0].Detail["unit_id"] != "car-1" {
		t.Fatalf("record read back: %+v", recs)
	}
}

// figures: counters set for a day, and those the events of the screen
// stream move (stats.Counts), are read back per local day.
func figures(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	if err := st.Figures.SetDay(ctx, "2026-12-03", map[string]int64{"patrol:min": 30, "patrol:units": 4}); err != nil {
		t.Fatal(err)
	}
	a := &alarm.Alarm{ID: "a-1", Kind: alarm.DeadlineOverdue, RaisedAt: t0}
	c := &change.Change{At: t0}
	c.Raise(a)
	c.Emit(vocab.AlarmRaised, a, "elsewhere") // counted on the screen stream only
	apply(t, st, c)
	want := map[string]map[string]int64{"2026-12-03": {"patrol:min": 30, "patrol:units": 4}, "2026-12-04": {}, "2026-12-05": {}}
	for _, s := range stats.Counts(c.Events[0], time.UTC) {
		if s.List == "" {
			want[s.At.UTC().Format(time.DateOnly)][s.Field]++
		}
	}
	days, err := st.Figures.Days(ctx, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC))
	if err != nil || len(days) != 3 {
		t.Fatalf("days: %+v %v", days, err)
	}
	for _, d := range days {
		if !maps.Equal(d.Counts, want[d.Date]) {
			t.Errorf("%s: %v, want %v", d.Date, d.Counts, want[d.Date])
		}
	}
}
