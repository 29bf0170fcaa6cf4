package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/redis/go-redis/v9"

	"watchfloor/alerts"
	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// storeIncidents stores n incidents from id from, levels IV to I in turn,
// one ms apart, status st, on a grid 200 wide about 130 m apart.
func storeIncidents(tb testing.TB, x *views.Incidents, from, n int, st string) {
	tb.Helper()
	putIncidents(tb, x, from, n, func(j int, now time.Time) *incident.Incident {
		return &incident.Incident{ID: fmt.Sprintf("I-%06d", j), Category: "traffic", Level: alerts.Level(1 + j%4), Status: st,
			Title: "解放路下穿隧道积水，两辆车被困", Address: "和平区解放路与南京路交口下穿隧道", Location: &vocab.Location{Lon: 117 + float64(j%200)*0.0015, Lat: 39 + float64(j/200)*0.0015},
			CreatedAt: now, UpdatedAt: now.Add(time.Duration(j) * time.Millisecond), OccurredAt: now}
	})
}

// putIncidents stores the incidents mk makes for from to from+n-1, 500 to
// an atomic step.
func putIncidents(tb testing.TB, x *views.Incidents, from, n int, mk func(j int, now time.Time) *incident.Incident) {
	tb.Helper()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for i := from; i < from+n; i += 500 {
		c := &change.Change{At: now}
		for j := i; j < min(i+500, from+n); j++ {
			inc := mk(j, now)
			c.Docs = append(c.Docs, change.Doc{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "1"}})
		}
		if _, err := x.Apply(context.Background(), c); err != nil {
			tb.Fatal(err)
		}
	}
}

// storeDue stores n incidents from I-{from} with status st, each with a
// reporting deadline pending, due in the order of their ids.
func storeDue(tb testing.TB, x *views.Incidents, from, n int, st string) {
	tb.Helper()
	putIncidents(tb, x, from, n, func(j int, now time.Time) *incident.Incident {
		return &incident.Incident{ID: fmt.Sprintf("I-%06d", j), Category: "traffic", Level: alerts.Level(1 + j%4), Status: st,
			Title: "解放路下穿隧道积水，两辆车被困", CreatedAt: now, UpdatedAt: now, OccurredAt: now,
			Deadlines: []incident.Deadline{{ID: "report_higher", Kind: "report_higher", Level: "IV", StartedAt: now, DueAt: now.Add(time.Hour + time.Duration(j)*time.Millisecond), Status: "pending"}}}
	})
}

// TestDueIncidentsFoundOnceWhenTheIndexIsNew: incidents with a deadline
// open stored before incidents:due was kept are put in it at the first
// read, closed ones left out, beside one written by the upgraded instance.
func TestDueIncidentsFoundOnceWhenTheIndexIsNew(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeDue(t, x, 0, 3, incident.StatusOpen)
	storeDue(t, x, 3, 2, incident.StatusClosed)
	storeDue(t, x, 5, 1, incident.StatusRecovery)
	if err := st.Client().Del(ctx, st.Key("incidents", "due"), st.Key("incidents", "dued")).Err(); err != nil {
		t.Fatal(err)
	}
	storeDue(t, x, 6, 1, incident.StatusOpen) // the upgraded instance's first write
	got, total, err := x.Due(ctx, 10)
	if err != nil || incidentList(got) != "I-000000,I-000001,I-000002,I-000005,I-000006" || total != 5 {
		t.Fatalf("due %s of %d %v", incidentList(got), total, err)
	}
}

// BenchmarkDueIncidents20000 reads the leaders' countdown (the 200 due
// first) with 20,000 incidents open, each with a deadline; the first read
// (which puts none in the index: each write did) timed apart.
func BenchmarkDueIncidents20000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeDue(b, x, 0, 20000, incident.StatusOpen)
	start := time.Now()
	if _, _, err := x.Due(ctx, 200); err != nil { // the first read marks the index filled
		b.Fatal(err)
	}
	first := time.Since(start)
	for b.Loop() {
		if got, total, err := x.Due(ctx, 200); err != nil || len(got) != 200 || total != 20000 {
			b.Fatalf("%d of %d, %v", len(got), total, err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "ms/first-read")
}

// TestOpenIncidentsRankedOnceWhenTheIndexIsNew: incidents stored before
// the index of those not closed existed are ranked into it on the first
// read, closed ones left out, even when an incident was written between
// the upgrade and that read.
func TestOpenIncidentsRankedOnceWhenTheIndexIsNew(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(t, x, 0, 7, incident.StatusOpen)
	storeIncidents(t, x, 8, 4, incident.StatusClosed)
	if err := st.Client().Del(ctx, st.Key("incidents", "open"), st.Key("incidents", "ranked")).Err(); err != nil {
		t.Fatal(err)
	}
	storeIncidents(t, x, 7, 1, incident.StatusOpen) // the upgraded instance's first write
	got, total, err := x.Open(ctx, 5)
	// Levels I (ids 3, 7), II (2, 6), III (1, 5): latest first in each.
	if err != nil || incidentList(got) != "I-000007,I-000003,I-000006,I-000002,I-000005" || total != 8 {
		t.Fatalf("open %s of %d %v", incidentList(got), total, err)
	}
	if n, _ := st.Client().ZCard(ctx, st.Key("incidents", "open")).Result(); n != 8 {
		t.Fatalf("the index holds %d", n)
	}
}

// TestLatestActivationsRankedOnceWhenTheRankingIsNew: activations ended
// or rejected before their ranking was kept are ranked at the first read
// of the latest, beside one ended by the upgraded instance first.
func TestLatestActivationsRankedOnceWhenTheRankingIsNew(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewActivations(st)
	t0 := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	write := func(id, status string, at time.Duration) {
		a := &plan.Activation{ID: id, Status: status, UpdatedAt: t0.Add(at)}
		if _, err := x.Apply(ctx, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindActivation, ID: id, Value: a, Fields: map[string]string{"status": status}}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		write(fmt.Sprintf("A-%d", i), []string{plan.Ended, plan.Rejected, plan.Active}[i%3], time.Duration(i)*time.Minute)
	}
	if err := st.Client().Del(ctx, st.Key("activations", "ended", "latest"), st.Key("activations", "rejected", "latest"), st.Key("activations", "latest")).Err(); err != nil {
		t.Fatal(err)
	}
	write("A-9", plan.Ended, -time.Minute) // the upgraded instance's first write
	for _, c := range []struct {
		status, want string
		total        int
	}{{plan.Ended, "A-3,A-0,A-9", 3}, {plan.Rejected, "A-4,A-1", 2}} {
		list, total, err := x.Latest(ctx, c.status, 10)
		ids := []string{}
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		if got := strings.Join(ids, ","); err != nil || got != c.want || total != c.total {
			t.Errorf("latest %s: %s of %d (%v), want %s of %d", c.status, got, total, err, c.want, c.total)
		}
	}
}

// BenchmarkEndedActivations3000: a leader page's history (15 ended) with
// 3,000 plans ended over the years, each with two groups of 20 units: as
// the page read it before (every ended one) and as it reads it now.
func BenchmarkEndedActivations3000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewActivations(st)
	t0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	units := make([]string, 20)
	for i := range units {
		units[i] = fmt.Sprintf("car-%02d", i)
	}
	for chunk := range 30 {
		c := &change.Change{At: t0}
		for i := chunk * 100; i < (chunk+1)*100; i++ {
			at := t0.Add(time.Duration(i) * 7 * time.Hour)
			a := &plan.Activation{ID: fmt.Sprintf("A-%s-%04d", at.Format("20060102"), i), PlanID: "mass-incident", IncidentID: fmt.Sprintf("INC-%d", i),
				Status: plan.Ended, ProposedAt: at, UpdatedAt: at.Add(time.Hour), Reason: "处置完毕",
				Groups: []plan.Group{{ID: "onsite-control", Units: units, Progress: plan.Progress{Total: 20}}, {ID: "medical", Units: units, Progress: plan.Progress{Total: 20}}}}
			c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}})
		}
		if _, err := x.Apply(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("every-ended", func(b *testing.B) {
		for b.Loop() {
			if list, err := x.List(ctx, plan.Ended); err != nil || len(list) != 3000 {
				b.Fatalf("%d, %v", len(list), err)
			}
		}
	})
	b.Run("latest-15", func(b *testing.B) {
		for b.Loop() {
			if list, total, err := x.Latest(ctx, plan.Ended, 15); err != nil || len(list) != 15 || total != 3000 {
				b.Fatalf("%d of %d, %v", len(list), total, err)
			}
		}
	})
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
	if _, _, err := x.Open(ctx, 500); err != nil { // the first read marks the index filled
		b.Fatal(err)
	}
	rdb := st.Client()
	watchSlowLog(b, rdb)
	for b.Loop() {
		list, total, err := x.Open(ctx, 500)
		if err != nil || len(list) != 500 || total != 20000 {
			b.Fatal(len(list), total, err)
		}
	}
	reportLongestHeld(b, rdb)
}

// BenchmarkNearIncidents20000 is a call-taker's duplicate search (300 m,
// half an hour) with 20,000 incidents of its category open across the
// city: the longest time Redis was held by one search is what every other
// writer waited at most.
func BenchmarkNearIncidents20000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(b, x, 0, 20000, incident.StatusOpen)
	rdb := st.Client()
	now := time.Date(2026, 12, 5, 9, 10, 0, 0, time.UTC)
	svc := incident.NewService(x, alerts.NewGrader([]alerts.Category{{ID: "traffic"}}, nil, time.UTC), nil,
		incident.Options{Location: time.UTC, Duplicates: config.Duplicates{RadiusM: 300, Window: 30 * time.Minute}}, func() time.Time { return now }, incident.Hooks{})
	near := incident.Near{Category: "traffic", Location: &vocab.Location{Lon: 117.15, Lat: 39.05}}
	if _, err := svc.Duplicates(ctx, near); err != nil { // the index's first read ranks what was stored
		b.Fatal(err)
	}
	watchSlowLog(b, rdb)
	for b.Loop() {
		d, err := svc.Duplicates(ctx, near)
		if err != nil || len(d.Duplicates) < 10 || len(d.Duplicates) > 40 {
			b.Fatal(len(d.Duplicates), err)
		}
	}
	reportLongestHeld(b, rdb)
}

// TestNearIncidentsFoundOnceWhenTheIndexIsNew: incidents stored before
// the geo index existed are put in it on the first search, closed ones
// left out; an incident where Redis's geo sets cannot go (beyond 85°) is
// stored all the same, and only never found near a point.
func TestNearIncidentsFoundOnceWhenTheIndexIsNew(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(t, x, 0, 4, incident.StatusOpen)
	storeIncidents(t, x, 4, 2, incident.StatusClosed)
	polar := &incident.Incident{ID: "I-polar", Category: "traffic", Status: incident.StatusOpen, Location: &vocab.Location{Lon: 117, Lat: 89.5},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if _, err := x.Apply(ctx, &change.Change{At: time.Now(), Docs: []change.Doc{{Kind: change.KindIncident, ID: polar.ID, Value: polar}}}); err != nil {
		t.Fatalf("an incident at 89.5°: %v", err)
	}
	if err := st.Client().Del(ctx, st.Key("incidents", "near"), st.Key("incidents", "near", "traffic")).Err(); err != nil {
		t.Fatal(err)
	}
	storeIncidents(t, x, 3, 1, incident.StatusOpen) // the upgraded instance's first write
	// Ids 0 to 5 lie 0.0015° of longitude apart from (117, 39).
	got, err := x.Near(ctx, "traffic", orb.Point{117, 39}, 1000)
	if err != nil || incidentList(got) != "I-000000,I-000001,I-000002,I-000003" {
		t.Fatalf("near %s %v", incidentList(got), err)
	}
	if got, err := x.Near(ctx, "traffic", orb.Point{117, 89.5}, 1000); err != nil || len(got) != 0 {
		t.Fatalf("near the pole %s %v", incidentList(got), err)
	}
}

// BenchmarkListOpenIncidents20000 is a page's list of the 200 incidents
// last changed among 20,000 open (GET /api/v1/incidents?status=open): the
// longest time Redis was held by one list is what every writer waited.
func BenchmarkListOpenIncidents20000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewIncidents(st)
	storeIncidents(b, x, 0, 20000, incident.StatusOpen)
	rdb := st.Client()
	watchSlowLog(b, rdb)
	for b.Loop() {
		list, err := x.List(ctx, incident.Query{Status: incident.StatusOpen, Limit: 200})
		if err != nil || len(list) != 200 || list[0].ID != "I-019999" {
			b.Fatal(len(list), err)
		}
	}
	reportLongestHeld(b, rdb)
}

// watchSlowLog makes Redis's slow log keep every command of 0.1 ms or more
// from now on: how long one command held Redis.
func watchSlowLog(b *testing.B, rdb redis.UniversalClient) {
	ctx := context.Background()
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "100"}, {"slowlog-max-len", "10000"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			b.Fatal(err)
		}
	}
	if err := rdb.SlowLogReset(ctx).Err(); err != nil {
		b.Fatal(err)
	}
}

// reportLongestHeld reports the longest command in the slow log: what every
// other client waited at most.
func reportLongestHeld(b *testing.B, rdb redis.UniversalClient) {
	logged, err := rdb.SlowLogGet(context.Background(), -1).Result()
	if err != nil {
		b.Fatal(err)
	}
	var held time.Duration
	for _, e := range logged {
		held = max(held, e.Duration)
	}
	b.ReportMetric(float64(held.Microseconds())/1000, "ms/longest-redis")
}

// BenchmarkListRareIncidents200000 lists the 200 closed floods last changed
// among a year of 200,000 incidents, whose floods all lie in its oldest
// 60,000 (a summer's): both filters are large, their newest matches far
// back. The longest time Redis was held by one list is what every writer
// waited.
func BenchmarkListRareIncidents200000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewIncidents(st)
	putIncidents(b, x, 0, 200000, func(j int, now time.Time) *incident.Incident {
		cat := "traffic"
		if j < 60000 && j%2 == 0 {
			cat = "flood"
		}
		return &incident.Incident{ID: fmt.Sprintf("I-%06d", j), Category: cat, Level: alerts.Level(1 + j%4), Status: incident.StatusClosed,
			Title: "积水", CreatedAt: now, UpdatedAt: now.Add(time.Duration(j) * time.Millisecond), OccurredAt: now}
	})
	rdb := st.Client()
	watchSlowLog(b, rdb)
	for b.Loop() {
		list, err := x.List(ctx, incident.Query{Status: incident.StatusClosed, Category: "flood", Limit: 200})
		if err != nil || len(list) != 200 || list[0].ID != "I-059998" || list[199].ID != "I-059600" {
			b.Fatal(len(list), err)
		}
	}
	reportLongestHeld(b, rdb)
}

// TestPoolRoomForPipelines: the ingest workers' pipelines get connections
// of their own beside the 64 for everything else.
func TestPoolRoomForPipelines(t *testing.T) {
	for _, c := range []struct{ pipelines, want int }{{0, 64}, {32, 96}} {
		st := storetest.Open(t, store.Options{Pipelines: c.pipelines})
		rc, ok := st.Client().(*redis.Client)
		if !ok {
			t.Fatalf("the store's client is a %T", st.Client())
		}
		if got := rc.Options().PoolSize; got != c.want {
			t.Errorf("%d pipelines: a pool of %d, want %d", c.pipelines, got, c.want)
		}
	}
}
