package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
	"watchfloor/command/vocab"
)

// storeIncidents stores n incidents from id 0, levels IV to I in turn, one
// ms apart, status st.
func storeIncidents(tb testing.TB, x *views.Incidents, from, n int, st string) {
	tb.Helper()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i += 500 {
		c := &change.Change{At: now}
		for j := i; j < min(i+500, from+n); j++ {
			inc := &incident.Incident{ID: fmt.Sprintf("I-%06d", j), Category: "traffic", Level: alerts.Level(1 + j%4), Status: st,
				Title: "解放路下穿隧道积水，两辆车被困", Address: "和平区解放路与南京路交口下穿隧道", Location: &vocab.Location{Lon: 117.2, Lat: 39.1},
				CreatedAt: now, UpdatedAt: now.Add(time.Duration(j) * time.Millisecond), OccurredAt: now}
			c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
		}
		if _, err := x.Apply(context.Background(), c); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestOpenIncidentsRankedOnceWhenTheIndexIsNew: incidents stored before
// the index of those not closed existed (its key missing) are ranked into
// it on the first read, closed ones left out.
func TestOpenIncidentsRankedOnceWhenTheIndexIsNew(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(t, x, 0, 8, incident.StatusOpen)
	storeIncidents(t, x, 8, 4, incident.StatusClosed)
	if err := st.Client().Del(ctx, st.Key("incidents", "open")).Err(); err != nil {
		t.Fatal(err)
	}
	got, total, err := x.Open(ctx, 5)
	// Levels I (ids 3, 7), II (2, 6), III (1, 5): latest first in each.
	if err != nil || incidentList(got) != "I-000007,I-000003,I-000006,I-000002,I-000005" || total != 8 {
		t.Fatalf("open %s of %d %v", incidentList(got), total, err)
	}
	if n, _ := st.Client().ZCard(ctx, st.Key("incidents", "open")).Result(); n != 8 {
		t.Fatalf("the index holds %d", n)
	}
}

func incidentList(incs []*incident.Incident) string {
	s := ""
	for i, inc := range incs {
		if i > 0 {
			s += ","
		}
		s += inc.ID
	}
	return s
}

// BenchmarkOpenIncidents20000 reads a screen snapshot's 500 incidents with
// 20,000 open: the longest time Redis was held by one read is what every
// other writer waited at most.
func BenchmarkOpenIncidents20000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(b, x, 0, 20000, incident.StatusOpen)
	rdb := st.Client()
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "100"}, {"slowlog-max-len", "10000"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			b.Fatal(err)
		}
	}
	if err := rdb.SlowLogReset(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		list, total, err := x.Open(ctx, 500)
		if err != nil || len(list) != 500 || total != 20000 {
			b.Fatal(len(list), total, err)
		}
	}
	logged, err := rdb.SlowLogGet(ctx, -1).Result()
	if err != nil {
		b.Fatal(err)
	}
	var held time.Duration
	for _, e := range logged {
		held = max(held, e.Duration)
	}
	b.ReportMetric(float64(held.Microseconds())/1000, "ms/longest-redis")
}
