package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestReadHead: a message whose head is wanted is read whole, however
// long, into the reused buffer; any other is dropped after its head; a
// message shorter than a head is judged whole.
func TestReadHead(t *testing.T) {
	task := `{"seq":7,"type":"task.assigned","at":"x","data":{"title":"` + strings.Repeat("长", 5000) + `"}}`
	snap := `{"seq":9,"type":"snapshot","data":{"units":[` + strings.Repeat(`{},`, 100000) + `{}]}}`
	want := func(head []byte) bool { return isType(head, `"task.assigned"`) }
	buf := make([]byte, 0, 16)
	for _, c := range []struct {
		msg   string
		whole bool
	}{{task, true}, {snap, false}, {`{"type":"task.assigned"}`, true}, {`{"type":"heartbeat"}`, false}, {task, true}} {
		got, whole, err := readHead(strings.NewReader(c.msg), buf[:0], want)
		if err != nil || whole != c.whole || (whole && !bytes.Equal(got, []byte(c.msg))) {
			t.Fatalf("%.30s…: whole %v (want %v), %d bytes, %v", c.msg, whole, c.whole, len(got), err)
		}
		buf = got
	}
	if cap(buf) > 4*len(task) {
		t.Fatalf("the buffer grew to %d bytes for messages of at most %d wanted", cap(buf), len(task))
	}
}

// TestFanSteps: a task's time is split at its assigned_at and its event's
// at; a message without them is not counted.
func TestFanSteps(t *testing.T) {
	sent := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var f fanSteps
	f.add([]byte(`{"seq":3,"type":"task.assigned","at":"2026-12-05T08:00:00.050Z","data":{"assigned_at":"2026-12-05T08:00:00.010Z","incident":{"id":"INC-1"}}}`),
		sent, sent.Add(80*time.Millisecond))
	f.add([]byte(`{"seq":4,"type":"task.assigned","data":{"assigned_at":"2026-12-05T08:00:00.010Z"}}`), sent, sent.Add(time.Second))
	f.add([]byte(`{"seq":5,"type":"task.assigned","at":"2026-12-05T08:00:00.050Z","data":{}}`), sent, sent.Add(time.Second))
	for _, c := range []struct {
		s    *series
		want time.Duration
	}{{&f.activated, 10 * time.Millisecond}, {&f.stored, 40 * time.Millisecond}, {&f.delivered, 30 * time.Millisecond}} {
		if len(c.s.d) != 1 || c.s.d[0] != c.want {
			t.Fatalf("step %v, want [%v]", c.s.d, c.want)
		}
	}
}
