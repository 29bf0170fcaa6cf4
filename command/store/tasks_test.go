package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// storeActive stores an active activation id, whose tasks may be stored.
func storeActive(tb testing.TB, x *views.Activations, id string) *plan.Activation {
	tb.Helper()
	a := &plan.Activation{ID: id, Status: plan.Active}
	if _, err := x.Apply(context.Background(), &change.Change{At: time.Now(),
		Docs: []change.Doc{{Kind: change.KindActivation, ID: id, Value: a, Fields: map[string]string{"status": plan.Active}}}}); err != nil {
		tb.Fatal(err)
	}
	return a
}

// TestAddTasksIdempotent: storing a plan's tasks again (a retried delivery)
// adds and announces only those missing, chunk by chunk.
func TestAddTasksIdempotent(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewActivations(st)
	a := storeActive(t, x, "A-1")
	var tasks []plan.Task
	for i := range 450 {
		u := fmt.Sprintf("u%03d", i)
		tasks = append(tasks, plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, GroupID: "g", UnitID: u, Status: plan.TaskAssigned})
	}
	now := time.Now()
	for i := 0; i < 400; i += plan.TaskChunk {
		if err := plan.AddTasks(ctx, x, a, tasks[i:min(i+plan.TaskChunk, 400)], now); err != nil {
			t.Fatal(err)
		}
	}
	// Delivered again, with 50 more: only those 50 are new.
	for i := 0; i < len(tasks); i += plan.TaskChunk {
		if err := plan.AddTasks(ctx, x, a, tasks[i:min(i+plan.TaskChunk, len(tasks))], now); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"u000", "u399", "u449"} {
		seq, err := st.Seq(ctx, "unit:"+u)
		if err != nil || seq != 1 {
			t.Errorf("unit %s got %d task.assigned events (%v)", u, seq, err)
		}
		got, err := x.LoadTask(ctx, plan.TaskID(a.ID, "g", u))
		if err != nil || got.UnitID != u || got.Status != plan.TaskAssigned {
			t.Errorf("task of %s: %+v %v", u, got, err)
		}
	}
}

// TestUnitTasksLeaveWithTheirPlan: a unit's tasks of plans ended leave
// its set at the next read (their documents stay), so a phone's snapshot
// reads only the tasks of plans still active, however many it was sent.
func TestUnitTasksLeaveWithTheirPlan(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewActivations(st)
	const plans = 40
	c := &change.Change{At: time.Now()}
	for i := range plans {
		a := &plan.Activation{ID: fmt.Sprintf("A-20261205-%04d", i), Status: plan.Ended}
		if i >= plans-2 {
			a.Status = plan.Active
		}
		task := &plan.Task{ID: plan.TaskID(a.ID, "g", "car-1"), ActivationID: a.ID, GroupID: "g", UnitID: "car-1", Status: plan.TaskAssigned,
			AssignedAt: time.Unix(int64(i), 0)}
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}},
			change.Doc{Kind: change.KindTask, ID: task.ID, Value: task, Fields: map[string]string{"status": task.Status}})
	}
	if _, err := x.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	rdb := st.Client()
	hgets := func() string {
		return strings.Split(infoField(t, rdb, "commandstats", "cmdstat_hget"), ",")[0]
	}
	for read := range 2 {
		if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		tasks, err := x.UnitTasks(ctx, "car-1")
		if err != nil || len(tasks) != 2 || tasks[0].ActivationID != "A-20261205-0038" || tasks[1].ActivationID != "A-20261205-0039" {
			t.Fatalf("read %d: tasks %+v %v", read, tasks, err)
		}
		// The first read asks each plan's status and the two tasks; the
		// second only what is left.
		want := []string{fmt.Sprintf("calls=%d", plans+2), "calls=4"}[read]
		if got := hgets(); got != want {
			t.Errorf("read %d: HGET %s, want %s", read, got, want)
		}
	}
	if n, err := rdb.SCard(ctx, st.Key("unit", "car-1", "tasks")).Result(); err != nil || n != 2 {
		t.Errorf("the unit's set holds %d tasks (%v), want the 2 of active plans", n, err)
	}
	if got, err := x.LoadTask(ctx, plan.TaskID("A-20261205-0000", "g", "car-1")); err != nil || got.UnitID != "car-1" {
		t.Errorf("an ended plan's task is gone: %+v %v", got, err)
	}
}

// BenchmarkUnitTasksAfterAYear: a phone's tasks read (its snapshot) when
// its unit was sent 1,000 plans since ended and 3 still active, as the
// sample city's plans give them: the first read, which drops the ended
// ones from the unit's set, then each read after.
func BenchmarkUnitTasksAfterAYear(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewActivations(st)
	for chunk := range 10 {
		c := &change.Change{At: time.Now()}
		for i := chunk * 100; i < (chunk+1)*100+min(chunk/9, 1)*3; i++ {
			a := &plan.Activation{ID: fmt.Sprintf("A-20261205-%04d", i), Status: plan.Ended}
			if i >= 1000 {
				a.Status = plan.Active
			}
			task := benchTask(a.ID, "car-1")
			c.Docs = append(c.Docs, change.Doc{Kind: change.KindActivation, ID: a.ID, Value: a, Fields: map[string]string{"status": a.Status}},
				change.Doc{Kind: change.KindTask, ID: task.ID, Value: &task, Fields: map[string]string{"status": task.Status}})
		}
		if _, err := x.Apply(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	if tasks, err := x.UnitTasks(ctx, "car-1"); err != nil || len(tasks) != 3 {
		b.Fatalf("%d tasks, %v", len(tasks), err)
	}
	first := time.Since(start)
	for b.Loop() {
		if tasks, err := x.UnitTasks(ctx, "car-1"); err != nil || len(tasks) != 3 {
			b.Fatalf("%d tasks, %v", len(tasks), err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "ms/first-read")
}

// BenchmarkAddTasks2000 stores a plan's tasks for 2,000 units, a chunk to
// an atomic step, one step after another; the longest step is what another
// writer waits behind each step (the delivery job has TaskSteps under way,
// so at most that many).
func BenchmarkAddTasks2000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewActivations(st)
	// Redis's slow log tells how long one atomic step held Redis (every
	// other write waits that long). It logs the commands a script runs too:
	// logging every command would time the log itself, so it logs what
	// took 1 ms or more, which every step does.
	rdb := st.Client()
	// The AOF is rewritten as the deployments have it (make run, compose):
	// from 1 GB, not from Redis's 64 MB, which this benchmark passes in
	// seconds (each rewrite made a step take 70–110 ms instead of 10).
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "1000"}, {"slowlog-max-len", "10000"}, {"auto-aof-rewrite-min-size", "1gb"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			b.Fatal(err)
		}
	}
	// Only the steps: not the server's start (its first AOF rewrite) or
	// the settings above.
	if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	if err := rdb.SlowLogReset(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	var longest time.Duration
	for n := 0; b.Loop(); n++ {
		a := storeActive(b, x, fmt.Sprintf("A-%d", n))
		tasks := make([]plan.Task, 2000)
		for i := range tasks {
			u := fmt.Sprintf("u%04d", i)
			tasks[i] = benchTask(a.ID, u)
		}
		for i := 0; i < len(tasks); i += plan.TaskChunk {
			start := time.Now()
			if err := plan.AddTasks(ctx, x, a, tasks[i:min(i+plan.TaskChunk, len(tasks))], start); err != nil {
				b.Fatal(err)
			}
			longest = max(longest, time.Since(start))
		}
	}
	b.ReportMetric(float64(longest.Microseconds())/1000, "ms/longest-chunk")
	logged, err := rdb.SlowLogGet(ctx, -1).Result()
	if err != nil {
		b.Fatal(err)
	}
	var held time.Duration
	for _, e := range logged {
		if len(e.Args) > 0 && e.Args[0] == "evalsha" {
			held = max(held, e.Duration)
		}
	}
	b.ReportMetric(float64(held.Microseconds())/1000, "ms/longest-redis-step")
	b.ReportMetric(redisMicrosPerCall(b, rdb, "evalsha")/plan.TaskChunk, "µs/task-in-redis")
}

// BenchmarkDeliverTasks2000: a plan's tasks to 2,000 units as its job
// delivers them (AddTaskChunks), timed whole: the last phone's wait, and
// Redis's whole CPU per delivery (its script, reading the steps, the
// append-only file), which tells how much of the wait is Redis's.
func BenchmarkDeliverTasks2000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewActivations(st)
	if err := st.Client().ConfigSet(ctx, "auto-aof-rewrite-min-size", "1gb").Err(); err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	cpu0 := redisCPU(b, st.Client())
	for n := 0; b.Loop(); n++ {
		a := storeActive(b, x, fmt.Sprintf("A-%d", n))
		tasks := make([]plan.Task, 2000)
		for i := range tasks {
			tasks[i] = benchTask(a.ID, fmt.Sprintf("u%04d", i))
		}
		start := time.Now()
		if err := plan.AddTaskChunks(ctx, x, a, tasks, time.Now); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	b.ReportMetric((redisCPU(b, st.Client())-cpu0)*1000/float64(len(took)), "ms/redis-cpu")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms/delivery-p50")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "ms/delivery-max")
}

// benchTask is a task as the sample city's plans give one (about 1.6 KB
// of JSON: the plan, its group, six lines of orders and the incident).
func benchTask(activationID, unitID string) plan.Task {
	lines := make([]config.Text, 6)
	for i := range lines {
		lines[i] = config.Text{ZH: "控制现场秩序，疏散周边群众，设置警戒区域，防止事态扩大", EN: "Keep order on site, move people away and cordon the area off"}
	}
	return plan.Task{ID: plan.TaskID(activationID, "g", unitID), ActivationID: activationID, PlanID: "flood-iv", GroupID: "g",
		PlanName:  config.Text{ZH: "城市内涝Ⅳ级应急预案", EN: "Urban flooding, level IV"},
		GroupName: config.Text{ZH: "现场处置组", EN: "On-site group"}, Tasks: lines, UnitID: unitID, Status: plan.TaskAssigned,
		Incident: &incident.Brief{ID: "I-20261205-000123", Category: "urban_flooding", Title: "解放路下穿隧道积水，两辆车被困",
			Level: alerts.LevelIV, Location: &vocab.Location{Lon: 117.2001, Lat: 39.1203}, Address: "和平区解放路与南京路交口下穿隧道",
			OccurredAt: time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)}}
}

// redisCPU is the CPU Redis has used, user and system, in seconds.
func redisCPU(b *testing.B, rdb redis.UniversalClient) float64 {
	var sum float64
	for _, f := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := strconv.ParseFloat(infoField(b, rdb, "cpu", f), 64)
		if err != nil {
			b.Fatal(err)
		}
		sum += v
	}
	return sum
}

// redisMicrosPerCall reads Redis's own time per call of cmd since the
// last CONFIG RESETSTAT.
func redisMicrosPerCall(b *testing.B, rdb redis.UniversalClient, cmd string) float64 {
	for _, kv := range strings.Split(infoField(b, rdb, "commandstats", "cmdstat_"+cmd), ",") {
		if v, ok := strings.CutPrefix(kv, "usec_per_call="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("no time per call of %s in Redis's command statistics", cmd)
	return 0
}

// TestTaskAnswersAtOnceAllCount: a plan's units answering their tasks at
// once, 32 at a time, all succeed (none runs out of retries on the group's
// counts), the counts end exact, and the leaders' task.done events carry
// each count from 1 to n once: every answer moved them by one.
func TestTaskAnswersAtOnceAllCount(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	const n = 300
	f := fanOut(t, st, "INC-1", n)
	for _, err := range f.answerAll(32) {
		t.Error(err)
	}
	a, err := f.svc.Load(ctx, f.activation)
	if err != nil || a.Groups[0].Progress != (plan.Progress{Total: n, Acknowledged: n, Done: n}) {
		t.Fatalf("progress %+v %v", a.Groups[0].Progress, err)
	}
	msgs, _, err := st.Range(ctx, vocab.LeaderStream, 1, 10*n)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, m := range msgs {
		var env struct {
			Type string         `json:"type"`
			Data plan.TaskEvent `json:"data"`
		}
		if err := json.Unmarshal(m.JSON, &env); err != nil {
			t.Fatalf("%s: %v", m.JSON, err)
		}
		if env.Type == vocab.TaskDone {
			seen[env.Data.Progress.Done] = true
		}
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Fatalf("no task.done event says %d of %d done (%d events)", i, n, len(seen))
		}
	}
}

// BenchmarkTaskAnswers2000 is a plan's 2,000 members marking their tasks
// done, 32 at a time (the plan's proposal and delivery not timed).
func BenchmarkTaskAnswers2000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	refused := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := fanOut(b, st, fmt.Sprintf("INC-%d", i), 2000)
		b.StartTimer()
		refused += len(f.answerAll(32))
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "answers/s")
	b.ReportMetric(float64(refused)/float64(b.N), "refused/op")
}

// fanned is a plan whose tasks went to n units.
type fanned struct {
	svc        *plan.Service
	activation string
	units      []string
}

// fanOut stores an incident that a plan responds to by procedure, with
// tasks for n units.
func fanOut(tb testing.TB, st *store.Store, incidentID string, n int) *fanned {
	tb.Helper()
	ctx := context.Background()
	f := &fanned{units: make([]string, n)}
	for i := range f.units {
		f.units[i] = fmt.Sprintf("R%04d", i)
	}
	everyone := map[string][]vocab.Role{"IV": {vocab.Leader}}
	cfg := plan.Options{Location: time.UTC, Members: func([]string) []string { return f.units },
		Plans: []config.Plan{{ID: "all", Categories: []string{"flood"}, MinLevel: alerts.LevelIV, Approvers: everyone, AutoActivate: true,
			Groups: []config.Group{{ID: "g", Teams: []string{"everyone"}, Tasks: []config.Text{{ZH: "确认收到", EN: "Acknowledge"}}}}}}}
	inc := &incident.Incident{ID: incidentID, Category: "flood", Level: alerts.LevelIV, Status: incident.StatusOpen, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	incs := views.NewIncidents(st)
	if _, err := incs.Apply(ctx, &change.Change{At: time.Now(), Docs: []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "0"}}}}); err != nil {
		tb.Fatal(err)
	}
	f.svc = plan.NewService(views.NewActivations(st), incs, nil, cfg, time.Now, nil, nil)
	as, err := f.svc.Propose(ctx, inc)
	if err != nil || len(as) != 1 {
		tb.Fatalf("proposed %v %v", as, err)
	}
	f.activation = as[0].ID
	return f
}

// answerAll marks every unit's task done, at most at once, and returns the
// answers refused.
func (f *fanned) answerAll(at int) []error {
	ctx := context.Background()
	var next atomic.Int64
	var mu sync.Mutex
	var refused []error
	var wg sync.WaitGroup
	for range at {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(f.units)); i = next.Add(1) - 1 {
				u := f.units[i]
				if _, err := f.svc.TaskAction(ctx, vocab.Actor{Username: u, Role: vocab.Responder}, u, plan.TaskID(f.activation, "g", u), plan.ActDone, ""); err != nil {
					mu.Lock()
					refused = append(refused, fmt.Errorf("%s: %w", u, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return refused
}
