package main

import (
	"bytes"
	"strings"
	"testing"
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
