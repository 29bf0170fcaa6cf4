package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
	"watchfloor/config"
)

// TestAddTasksIdempotent: storing a plan's tasks again (a retried delivery)
// adds and announces only those missing, chunk by chunk.
func TestAddTasksIdempotent(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewActivations(st)
	a := &plan.Activation{ID: "A-1"}
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

// BenchmarkAddTasks2000 stores a plan's tasks for 2,000 units, a chunk to
// an atomic step as the delivery job does; the longest step is what the
// other writers wait for at most.
func BenchmarkAddTasks2000(b *testing.B) {
	st := storetest.Open(b, store.Options{Deployment: "bench"})
	ctx := context.Background()
	x := views.NewActivations(st)
	// Redis's slow log, logging every command, tells how long one atomic
	// step held Redis (every other write waits that long).
	rdb := st.Client()
	for _, kv := range [][2]string{{"slowlog-log-slower-than", "0"}, {"slowlog-max-len", "100000"}} {
		if err := rdb.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			b.Fatal(err)
		}
	}
	var longest time.Duration
	for n := 0; b.Loop(); n++ {
		a := &plan.Activation{ID: fmt.Sprintf("A-%d", n)}
		tasks := make([]plan.Task, 2000)
		for i := range tasks {
			u := fmt.Sprintf("u%04d", i)
			tasks[i] = plan.Task{ID: plan.TaskID(a.ID, "g", u), ActivationID: a.ID, GroupID: "g", UnitID: u, Status: plan.TaskAssigned,
				Tasks: []config.Text{{ZH: "控制现场秩序，防止事态扩大", EN: "Keep order on site"}}}
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
		held = max(held, e.Duration)
	}
	b.ReportMetric(float64(held.Microseconds())/1000, "ms/longest-redis-step")
}
