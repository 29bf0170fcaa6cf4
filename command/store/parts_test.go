package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"watchfloor/command/plan"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
	"watchfloor/command/store/views"
)

// TestTasksKeepTheirGroupsPartOnce: a plan's tasks are stored and announced
// with their group's orders kept once in Redis, and every read gives them
// whole: the task, the unit's tasks, its stream and what is published, on
// the instance that wrote them and on another that never saw the part.
func TestTasksKeepTheirGroupsPartOnce(t *testing.T) {
	r := storetest.Start(t)
	ctx := context.Background()
	openOn := func() *store.Store {
		st, err := store.Open(ctx, store.Options{URL: r.URL(), Deployment: "test"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	writer, reader := openOn(), openOn()
	published := make(chan store.Message, 10)
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	up := make(chan struct{}, 1)
	go func() {
		_ = reader.Notifications(subCtx, func(stream string, m store.Message) {
			if stream == "unit:u001" {
				published <- m
			}
		}, func() { up <- struct{}{} })
	}()
	select {
	case <-up:
	case <-time.After(5 * time.Second):
		t.Fatal("not subscribed within 5 s")
	}
	x := views.NewActivations(writer)
	a := storeActive(t, x, "A-1")
	var tasks []plan.Task
	for i := range 30 {
		task := benchTask(a.ID, fmt.Sprintf("u%03d", i))
		if i >= 20 {
			task.GroupID, task.ID = "h", plan.TaskID(a.ID, "h", task.UnitID)
			task.GroupName.ZH = "交通管制组"
		}
		tasks = append(tasks, task)
	}
	if err := plan.AddTasks(ctx, x, a, tasks, time.Now()); err != nil {
		t.Fatal(err)
	}

	rdb := writer.Client()
	parts, err := rdb.Keys(ctx, writer.Key("part", "*")).Result()
	if err != nil || len(parts) != 2 {
		t.Fatalf("parts %v %v, want one for each of the 2 groups", parts, err)
	}
	stored, err := rdb.HGet(ctx, writer.Key("task", tasks[1].ID), "doc").Result()
	if err != nil || strings.Contains(stored, "控制现场秩序") || len(stored) > 400 {
		t.Fatalf("the task is stored with its orders (%d bytes): %q %v", len(stored), stored, err)
	}

	whole := func(what string, got []byte, want plan.Task) {
		t.Helper()
		var back plan.Task
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%s: %v in %q", what, err, got)
		}
		back.AssignedAt, want.AssignedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(back, want) {
			t.Fatalf("%s read back\n%+v\nwant\n%+v", what, back, want)
		}
	}
	for _, st := range []*store.Store{writer, reader} {
		y := views.NewActivations(st)
		for _, i := range []int{1, 25} {
			got, err := y.LoadTask(ctx, tasks[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			whole("the task", b, tasks[i])
		}
		mine, err := y.UnitTasks(ctx, "u025")
		if err != nil || len(mine) != 1 {
			t.Fatalf("the unit's tasks %v %v", mine, err)
		}
		b, _ := json.Marshal(mine[0])
		whole("the unit's task", b, tasks[25])
		msgs, _, err := st.Range(ctx, "unit:u001", 1, 10)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("the unit's stream %v %v", msgs, err)
		}
		var env struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(msgs[0].JSON, &env); err != nil || env.Type != "task.assigned" {
			t.Fatalf("the unit's stream holds %q: %v", msgs[0].JSON, err)
		}
		whole("the stream's task", env.Data, tasks[1])
	}
	select {
	case m := <-published:
		msgs, _, _ := reader.Range(ctx, "unit:u001", m.Seq, 1)
		if len(msgs) != 1 || string(msgs[0].JSON) != string(m.JSON) {
			t.Fatalf("published %q, stored %v", m.JSON, msgs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the task was not published within 5 s")
	}
}
