package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/live"
	"watchfloor/command/vocab"
)

func seqs(msgs []live.Message) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

// eventEnvelope: every store writes the same bytes for an event: seq,
// type, the area header when set, the change's time in UTC, the data (raw
// JSON as it was given).
func eventEnvelope(t *testing.T, open Open) {
	st := open(t)
	at := t0.In(time.FixedZone("CST", 8*3600))
	apply(t, st, &change.Change{At: at, Events: []vocab.Event{
		{Stream: "env", Type: "x.one", Data: map[string]int{"a": 1}},
		{Stream: "env", Type: "case.created", Data: map[string]string{"area": "no"}, Area: "440303"},
		{Stream: "env", Type: "x.raw", Data: json.RawMessage(`{"raw": true}`)},
	}})
	msgs, oldest, err := st.Source.Range(context.Background(), "env", 1, 10)
	if err != nil || oldest != 1 || len(msgs) != 3 {
		t.Fatalf("range: %d messages, oldest %d, %v", len(msgs), oldest, err)
	}
	for i, want := range []string{
		`{"seq":1,"type":"x.one","at":"2026-12-04T02:11:12.5Z","data":{"a":1}}`,
		`{"seq":2,"type":"case.created","area":"440303","at":"2026-12-04T02:11:12.5Z","data":{"area":"no"}}`,
		`{"seq":3,"type":"x.raw","at":"2026-12-04T02:11:12.5Z","data":{"raw": true}}`,
	} {
		if string(msgs[i].JSON) != want || msgs[i].Seq != uint64(i+1) {
			t.Errorf("message %d:\n got %s\nwant %s", i, msgs[i].JSON, want)
		}
	}
	if a := live.Area(msgs[1].JSON); string(a) != "440303" {
		t.Errorf("area header %q", a)
	}
}

// eventSeqPerStream: each stream counts its own seqs from 1, read one
// stream or many at a time.
func eventSeqPerStream(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	if seq, err := st.Source.Seq(ctx, "a"); err != nil || seq != 0 {
		t.Fatalf("seq of a stream never written: %d %v", seq, err)
	}
	if msgs, oldest, err := st.Source.Range(ctx, "a", 1, 10); err != nil || len(msgs) != 0 || oldest != 0 {
		t.Fatalf("range of a stream never written: %v %d %v", msgs, oldest, err)
	}
	res := apply(t, st, &change.Change{At: t0, Events: []vocab.Event{{Stream: "a", Type: "x"}, {Stream: "b", Type: "x"}, {Stream: "a", Type: "x"}}})
	if !slices.Equal(res.Seqs, []uint64{1, 1, 2}) {
		t.Fatalf("seqs %v", res.Seqs)
	}
	if res := apply(t, st, &change.Change{At: t0, Events: []vocab.Event{{Stream: "b", Type: "x"}}}); !slices.Equal(res.Seqs, []uint64{2}) {
		t.Fatalf("seqs %v", res.Seqs)
	}
	for stream, want := range map[string]uint64{"a": 2, "b": 2} {
		if seq, err := st.Source.Seq(ctx, stream); err != nil || seq != want {
			t.Errorf("seq of %s: %d %v", stream, seq, err)
		}
	}
	// Many at once, in the order asked, a stream never written among them.
	apply(t, st, &change.Change{At: t0, Events: []vocab.Event{{Stream: "b", Type: "x"}}})
	if got, err := st.Source.Seqs(ctx, []string{"b", "never", "a", "b"}); err != nil || !slices.Equal(got, []uint64{3, 0, 2, 3}) {
		t.Errorf("seqs of b, never, a, b: %v %v", got, err)
	}
	if got, err := st.Source.Seqs(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("seqs of no stream: %v %v", got, err)
	}
	msgs, oldest, err := st.Source.Range(ctx, "a", 2, 10)
	if err != nil || oldest != 1 || !slices.Equal(seqs(msgs), []uint64{2}) {
		t.Fatalf("range from 2: %v oldest %d %v", seqs(msgs), oldest, err)
	}
	if msgs, _, _ := st.Source.Range(ctx, "a", 1, 1); !slices.Equal(seqs(msgs), []uint64{1}) {
		t.Fatalf("range of 1: %v", seqs(msgs))
	}
}

// streamCapped: a stream keeps at least MaxLen of its newest events and
// drops old ones; what it keeps has no gap.
func streamCapped(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	for i := range 25 {
		c := &change.Change{At: t0}
		for j := range 10 {
			c.Emit("x", fmt.Sprint(10*i+j), "capped")
		}
		apply(t, st, c)
	}
	msgs, oldest, err := st.Source.Range(ctx, "capped", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if oldest <= 1 || len(msgs) < MaxLen || msgs[0].Seq != oldest || msgs[len(msgs)-1].Seq != 250 || uint64(len(msgs)) != 251-oldest {
		t.Fatalf("after 250 events capped at %d: %d held, oldest %d", MaxLen, len(msgs), oldest)
	}
}

// streamTail: Tail returns what follows a seq at once, waits for the next
// event when there is none, and gives up after its block time.
func streamTail(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	if msgs, err := st.Source.Tail(ctx, "tail", 0, 50*time.Millisecond); err != nil || len(msgs) != 0 {
		t.Fatalf("tail of an empty stream: %v %v", msgs, err)
	}
	apply(t, st, &change.Change{At: t0, Events: []vocab.Event{{Stream: "tail", Type: "x"}, {Stream: "tail", Type: "x"}, {Stream: "tail", Type: "x"}}})
	if msgs, err := st.Source.Tail(ctx, "tail", 1, time.Second); err != nil || !slices.Equal(seqs(msgs), []uint64{2, 3}) {
		t.Fatalf("tail after 1: %v %v", seqs(msgs), err)
	}
	type result struct {
		msgs []live.Message
		err  error
	}
	done := make(chan result, 1)
	go func() {
		msgs, err := st.Source.Tail(ctx, "tail", 3, 10*time.Second)
		done <- result{msgs, err}
	}()
	apply(t, st, &change.Change{At: t0, Events: []vocab.Event{{Stream: "other", Type: "x"}, {Stream: "tail", Type: "x"}}})
	select {
	case r := <-done:
		if r.err != nil || !slices.Equal(seqs(r.msgs), []uint64{4}) {
			t.Fatalf("tail woken: %v %v", seqs(r.msgs), r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting tail did not see the next event within 5 s")
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		_, err := st.Source.Tail(cctx, "tail", 4, 10*time.Second)
		done <- result{err: err}
	}()
	cancel()
	select {
	case r := <-done:
		if r.err == nil {
			t.Fatal("a cancelled tail returned no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled tail did not return within 5 s")
	}
}

// notify: followers see events stored with Notify (stream, seq and the
// stored bytes), never the others.
func notify(t *testing.T, open Open) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type notice struct {
		stream string
		m      live.Message
	}
	got := make(chan notice, 100)
	go func() {
		_ = st.Notifier.Notifications(ctx, func(stream string, m live.Message) { got <- notice{stream, m} }, nil)
	}()
	// The follower subscribes in the background: notify until it hears.
	deadline := time.After(5 * time.Second)
	for {
		apply(t, st, &change.Change{At: t0, Events: []vocab.Event{
			{Stream: "unit:quiet", Type: "x"},
			{Stream: "unit:car-1", Type: "task.assigned", Data: map[string]string{"unit_id": "car-1"}, Notify: true},
		}})
		select {
		case n := <-got:
			if n.stream != "unit:car-1" {
				t.Fatalf("notified of %s", n.stream)
			}
			stored, _, err := st.Source.Range(ctx, "unit:car-1", n.m.Seq, 1)
			if err != nil || len(stored) != 1 || string(stored[0].JSON) != string(n.m.JSON) {
				t.Fatalf("notified %d %s, stored %v %v", n.m.Seq, n.m.JSON, stored, err)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification within 5 s")
		}
	}
}
