package acceptance_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/store/storetest"
	"watchfloor/config"
)

// fastJobs makes follow-up jobs retry and change hands in milliseconds.
func fastJobs(c *config.Config) {
	c.Jobs.Poll = 20 * time.Millisecond
	c.Jobs.RetryBase = 50 * time.Millisecond
	c.Jobs.RetryMax = 200 * time.Millisecond
	c.Jobs.Lease = 300 * time.Millisecond
	c.Jobs.AlarmAfter = 1000
}

// breakDispatch makes numbering orders fail (the counter key holds a hash,
// so INCR answers WRONGTYPE), as a storage fault that hits the automatic
// dispatch after the incident itself was saved; the returned func mends it.
func breakDispatch(t testing.TB, h *harness) func() {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	ctx := context.Background()
	var keys []string
	for _, d := range []time.Duration{0, 24 * time.Hour} {
		day := time.Now().Add(d).In(h.cfg.Location).Format("20060102")
		keys = append(keys, "wf:{"+h.cfg.Deployment+"}:dispatches:n:"+day)
	}
	for _, k := range keys {
		if err := c.HSet(ctx, k, "broken", "1").Err(); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		t.Helper()
		if err := c.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
}

type order struct {
	ID     string
	UnitID string `json:"unit_id"`
	Rule   string
	Status string
}

func (h *harness) orders(incidentID string) []order {
	h.t.Helper()
	_, b := h.do("GET", "/api/v1/incidents/"+incidentID+"/dispatches", h.token("operator"), nil)
	var out struct{ Dispatches []order }
	mustJSON(h.t, b, &out)
	return out.Dispatches
}

// metric returns the value of a metric line on /metrics (0 when absent).
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	_, b := h.do("GET", "/metrics", "", nil)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// onceEach fails unless an incident has exactly n orders, each to a
// different unit, all by the automatic rule.
func onceEach(t testing.TB, id string, ds []order, n int) {
	t.Helper()
	units := map[string]bool{}
	for _, d := range ds {
		if units[d.UnitID] || d.Rule != "serious-mass-fire-crowd" {
			t.Errorf("%s: order %+v twice or not by the rule", id, d)
		}
		units[d.UnitID] = true
	}
	if len(ds) != n {
		t.Errorf("%s: %d orders, want %d: %+v", id, len(ds), n, ds)
	}
}

// TestJobRetriedAfterFailure: the automatic dispatch of a level II incident
// fails on a storage error after the incident was saved and answered 201;
// it is retried until the store works again, and the units are sent once.
func TestJobRetriedAfterFailure(t *testing.T) {
	h := newHarness(t, fastJobs)
	h.placeNear("foot-01", "car-01", "moto-01")
	mend := breakDispatch(t, h)
	inc := h.create(dongmen("聚集", 150))
	id := inc["id"].(string)
	if inc["level"] != "II" {
		t.Fatalf("level %v", inc["level"])
	}
	if ds := h.orders(id); len(ds) != 0 {
		t.Fatalf("units sent while numbering orders fails: %+v", ds)
	}
	// The plans were proposed all the same: one step failing does not stop
	// the other.
	if got := planIDs(h.activations(id)); got != "general@II mass-incident@II" {
		t.Errorf("proposals while dispatch fails: %s", got)
	}
	waitFor(t, 5*time.Second, "a failed attempt retried", func() bool {
		return h.metric(`watchfloor_jobs_total{result="failed"}`) >= 2 && h.metric(`watchfloor_jobs_total{result="retried"}`) >= 1
	})
	mend()
	waitFor(t, 3*time.Second, "the units sent after the store recovered", func() bool { return len(h.orders(id)) >= 2 })
	time.Sleep(300 * time.Millisecond) // a second dispatch has every chance to happen
	onceEach(t, id, h.orders(id), 2)
	if got := planIDs(h.activations(id)); got != "general@II mass-incident@II" {
		t.Errorf("proposals after the retries: %s", got)
	}
	waitFor(t, 2*time.Second, "the incident responding", func() bool {
		_, b := h.do("GET", "/api/v1/incidents/"+id, h.token("operator"), nil)
		return strings.Contains(string(b), `"status":"responding"`)
	})
	if h.metric(`watchfloor_jobs_total{result="failed"}`) < 2 || h.metric(`watchfloor_jobs_total{result="retried"}`) < 1 {
		t.Errorf("metrics: failed %v retried %v", h.metric(`watchfloor_jobs_total{result="failed"}`), h.metric(`watchfloor_jobs_total{result="retried"}`))
	}
	waitFor(t, 2*time.Second, "nothing pending", func() bool { return h.metric("watchfloor_jobs_pending") == 0 })
}

// TestJobCarriedOutByAnotherInstanceAfterCrash: the instance that saved an
// incident goes away before its follow-up is done; another instance on the
// same Redis carries it out.
func TestJobCarriedOutByAnotherInstanceAfterCrash(t *testing.T) {
	r := storetest.Start(t)
	a := newHarnessOn(t, r, fastJobs)
	a.placeNear("foot-01", "car-01", "moto-01", "car-02", "foot-02")

	// 1. The follow-up failed and is pending on A when A goes away.
	mend := breakDispatch(t, a)
	first := a.create(dongmen("聚集一", 150))["id"].(string)
	time.Sleep(200 * time.Millisecond)
	a.stop()
	mend()
	b := newHarnessOn(t, r, fastJobs)
	waitFor(t, 5*time.Second, "B sending the units of A's incident", func() bool { return len(b.orders(first)) >= 2 })

	// 2. A saves an incident and dies before running any follow-up (it
	// runs no jobs at all): B carries it out.
	a.opts.NoJobRunner = true
	a.start()
	second := a.create(dongmen("聚集二", 150))["id"].(string)
	if ds := a.orders(second); len(ds) != 0 {
		t.Fatalf("A ran the follow-up: %+v", ds)
	}
	waitFor(t, 5*time.Second, "B sending the units of the second incident", func() bool { return len(b.orders(second)) >= 2 })
	waitFor(t, 2*time.Second, "B proposing its plans", func() bool {
		return planIDs(b.activations(second)) == "general@II mass-incident@II"
	})
	time.Sleep(300 * time.Millisecond)
	onceEach(t, first, b.orders(first), 2)
	onceEach(t, second, b.orders(second), 2)
}

// TestJobFailingRaisesAlarm: a follow-up that keeps failing raises a
// job.failing alarm naming the incident, and is still retried after it.
func TestJobFailingRaisesAlarm(t *testing.T) {
	h := newHarness(t, fastJobs, func(c *config.Config) { c.Jobs.AlarmAfter = 3 })
	h.placeNear("foot-01", "car-01")
	mend := breakDispatch(t, h)
	screen := h.screen(h.token("viewer"), nil)
	screen.next(2 * time.Second)
	id := h.create(dongmen("聚集", 150))["id"].(string)
	var alarms struct {
		Alarms []struct {
			ID, Kind, Detail string
			IncidentID       string `json:"incident_id"`
		}
	}
	waitFor(t, 3*time.Second, "a job.failing alarm", func() bool {
		_, b := h.do("GET", "/api/v1/alarms?state=open", h.token("operator"), nil)
		mustJSON(t, b, &alarms)
		for _, a := range alarms.Alarms {
			if a.Kind == "job.failing" {
				return true
			}
		}
		return false
	})
	n := 0
	for _, a := range alarms.Alarms {
		if a.Kind == "job.failing" {
			n++
			if a.IncidentID != id || !strings.Contains(a.Detail, "still being retried") {
				t.Errorf("alarm %+v", a)
			}
		}
	}
	for {
		m := screen.await("alarm.raised", 2*time.Second)
		if strings.Contains(string(m.Data), `"kind":"job.failing"`) {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // more failures: still one alarm
	_, b := h.do("GET", "/api/v1/alarms", h.token("operator"), nil)
	if c := strings.Count(string(b), `"kind":"job.failing"`); c != 1 || n != 1 {
		t.Errorf("%d/%d job.failing alarms: %s", n, c, b)
	}
	mend()
	waitFor(t, 3*time.Second, "the units sent after the alarm", func() bool { return len(h.orders(id)) >= 2 })
	time.Sleep(200 * time.Millisecond)
	onceEach(t, id, h.orders(id), 2)
}

// TestJobRunsOnceWithTwoInstances: follow-ups delivered more than once
// (each job recorded four times, as after redeliveries) to two live
// instances, both eager to take jobs over, send each incident's units once
// and propose each plan once.
func TestJobRunsOnceWithTwoInstances(t *testing.T) {
	r := storetest.Start(t)
	a := newHarnessOn(t, r, fastJobs)
	a.placeNear("foot-01", "car-01", "moto-01", "car-02", "foot-02", "moto-04", "car-12", "foot-03")
	a.stop()
	a.opts.NoJobRunner = true
	a.start()
	var ids []string
	for i := range 3 {
		ids = append(ids, a.create(dongmen(fmt.Sprintf("聚集%d", i), 150))["id"].(string))
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer c.Close()
	ctx := context.Background()
	key := "wf:{" + a.cfg.Deployment + "}:jobs"
	recorded, err := c.XRange(ctx, key, "-", "+").Result()
	if err != nil || len(recorded) != len(ids) {
		t.Fatalf("recorded jobs: %v %v", recorded, err)
	}
	for range 3 {
		for _, m := range recorded {
			if err := c.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: m.Values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	eager := func(c *config.Config) { c.Jobs.Lease = c.Jobs.RetryBase } // take over at once
	b := newHarnessOn(t, r, fastJobs, eager)
	newHarnessOn(t, r, fastJobs, eager)
	for _, id := range ids {
		waitFor(t, 5*time.Second, "the units of "+id, func() bool { return len(b.orders(id)) >= 2 })
	}
	waitFor(t, 5*time.Second, "every copy done", func() bool {
		n, err := c.XPending(ctx, key, "runners").Result()
		return err == nil && n.Count == 0
	})
	busy := map[string]string{}
	for _, id := range ids {
		ds := b.orders(id)
		onceEach(t, id, ds, 2)
		for _, d := range ds {
			if other, ok := busy[d.UnitID]; ok {
				t.Errorf("unit %s sent to %s and %s", d.UnitID, other, id)
			}
			busy[d.UnitID] = id
		}
		if got := planIDs(b.activations(id)); got != "general@II mass-incident@II" {
			t.Errorf("%s: proposals %s", id, got)
		}
	}
}
