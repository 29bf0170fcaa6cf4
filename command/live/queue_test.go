package live

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// emptySource is a Source whose streams hold nothing.
type emptySource struct{}

func (emptySource) Seq(context.Context, string) (uint64, error) { return 0, nil }
func (emptySource) Seqs(_ context.Context, streams []string) ([]uint64, error) {
	return make([]uint64, len(streams)), nil
}
func (emptySource) Range(context.Context, string, uint64, int64) ([]Message, uint64, error) {
	return nil, 0, nil
}
func (emptySource) Tail(ctx context.Context, _ string, _ uint64, _ time.Duration) ([]Message, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestQueueAgainstASlice: random pushes and pops keep a slice's order; a
// push is refused exactly when limit messages wait; the ring never holds
// more than the limit, and lets a burst's ring go once it is emptied.
func TestQueueAgainstASlice(t *testing.T) {
	for _, limit := range []int{1, 3, queueMin, 100, 1024} {
		rng := rand.New(rand.NewPCG(uint64(limit), 7))
		q := newQueue(limit)
		var want []uint64
		seq, largest := uint64(0), 0
		for step := range 20000 {
			pushing := 70 // bursts that fill the queue, then writes that empty it
			if step/5000%2 == 1 {
				pushing = 30
			}
			if rng.IntN(100) < pushing {
				seq++
				ok := q.push(Message{Seq: seq})
				if ok != (len(want) < limit) {
					t.Fatalf("limit %d, step %d: push with %d waiting answered %v", limit, step, len(want), ok)
				}
				if ok {
					want = append(want, seq)
				}
			} else {
				m, ok := q.pop()
				if ok != (len(want) > 0) || ok && m.Seq != want[0] {
					t.Fatalf("limit %d, step %d: pop gave %d %v, want %v", limit, step, m.Seq, ok, want[:min(len(want), 1)])
				}
				if ok {
					want = want[1:]
				}
			}
			if q.len() != len(want) || len(q.ring) > limit {
				t.Fatalf("limit %d, step %d: %d waiting in a ring of %d, want %d", limit, step, q.len(), len(q.ring), len(want))
			}
			if len(want) == 0 && len(q.ring) > queueKeep {
				t.Fatalf("limit %d, step %d: an empty ring of %d kept", limit, step, len(q.ring))
			}
			largest = max(largest, len(q.ring))
		}
		if largest != limit {
			t.Errorf("limit %d: the ring grew to %d at most", limit, largest)
		}
	}
}

// TestQueueWakesOncePerWait: a push leaves the writer one token however
// many follow it, and a pop leaves none behind.
func TestQueueWakesOncePerWait(t *testing.T) {
	q := newQueue(10)
	for i := range 5 {
		q.push(Message{Seq: uint64(i + 1)})
	}
	if len(q.ready) != 1 {
		t.Fatalf("%d tokens after five pushes", len(q.ready))
	}
	<-q.ready
	for range 5 {
		q.pop()
	}
	if len(q.ready) != 0 {
		t.Fatal("a token left after the writer took the messages")
	}
}

// TestQueueUnderConcurrentPublishers: publishers pushing while one writer
// waits on the token and pops get every message to it, each publisher's
// in its order (run with -race: the ring is shared).
func TestQueueUnderConcurrentPublishers(t *testing.T) {
	const publishers, each = 4, 2000
	q := newQueue(publishers * each)
	done := make(chan struct{})
	for p := range publishers {
		go func() {
			for i := range each {
				q.push(Message{Seq: uint64(p*each + i)})
			}
		}()
	}
	last := make([]int, publishers)
	for i := range last {
		last[i] = -1
	}
	go func() {
		defer close(done)
		for got := 0; got < publishers*each; {
			<-q.ready
			for m, ok := q.pop(); ok; m, ok = q.pop() {
				p, i := int(m.Seq)/each, int(m.Seq)%each
				if i <= last[p] {
					t.Errorf("publisher %d: %d after %d", p, i, last[p])
				}
				last[p] = i
				got++
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the writer was not woken for every message: last taken %v", last)
	}
}

// TestIdleSubscriberHoldsNoQueue: a subscription's queue costs nothing
// until a message waits, and little for a few (a socket that hears a
// message now and then holds no send_queue-sized buffer).
func TestIdleSubscriberHoldsNoQueue(t *testing.T) {
	h := NewHub(emptySource{}, nil)
	s := h.Subscribe("unit:u1", 1024)
	if len(s.q.ring) != 0 {
		t.Fatalf("a new subscriber holds a ring of %d", len(s.q.ring))
	}
	h.Publish("unit:u1", Message{Seq: 1, JSON: []byte(`{}`)})
	if len(s.q.ring) != queueMin {
		t.Fatalf("one message waits in a ring of %d", len(s.q.ring))
	}
}

// TestABatchLeavesNoneWaiting: messages queued before the writer woke,
// more than one batch of them, all go out at once, not at the next
// heartbeat or the next message.
func TestABatchLeavesNoneWaiting(t *testing.T) {
	h := NewHub(emptySource{}, nil)
	release := make(chan struct{})
	got := make(chan int, 100)
	c := &Client{Hub: h, Stream: "s", Queue: 1024, Heartbeat: time.Hour,
		Snapshot: func(context.Context) (Message, error) {
			<-release // every message is queued while the snapshot is read
			return SnapshotOf([]byte(`{"type":"snapshot"}`), 0, nil)
		},
		Batch: func(msgs []Message) error { got <- len(msgs); return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Serve(ctx, nil, nil, func([]byte) error { return nil })
	deadline := time.After(3 * time.Second)
	for h.Clients("s") == 0 {
		select {
		case <-deadline:
			t.Fatal("the client did not subscribe within 3 s")
		case <-time.After(time.Millisecond):
		}
	}
	n := 3*BatchMessages + 5
	for range n {
		h.Publish("s", Message{JSON: []byte(`{"type":"x"}`)}) // no seq: taken as it is
	}
	close(release)
	for total := 0; total < n; {
		select {
		case k := <-got:
			total += k
		case <-time.After(3 * time.Second):
			t.Fatalf("%d of %d messages written; the rest wait", total, n)
		}
	}
}

// TestPushAllAllOrNone: a batch goes in whole while keep places stay free
// after it, else none of it, and pushAll says whether fewer than keep
// waited (the writer keeps up) or not; a ring that wrapped keeps its order.
func TestPushAllAllOrNone(t *testing.T) {
	for _, tc := range []struct {
		name              string
		queued, popped, n int
		want, wantLeft    int
	}{
		{"an empty queue, a batch leaving the headroom", 0, 0, 12, pushedAll, 12},
		{"an empty queue, a batch into the headroom", 0, 0, 13, tooMany, 0},
		{"a batch that fits what is left", 4, 0, 8, pushedAll, 12},
		{"a batch past what is left, a quarter waiting", 4, 0, 9, lagging, 4},
		{"a batch past what is left, less than a quarter waiting", 3, 0, 10, tooMany, 3},
		{"a queue with one place", 15, 0, 1, lagging, 15},
		{"a full queue", 16, 0, 1, lagging, 16},
		{"a full queue, a batch", 16, 0, 5, lagging, 16},
		{"a wrapped ring that grows", 12, 5, 5, pushedAll, 12},
	} {
		q := newQueue(16)
		seq := uint64(0)
		for range tc.queued {
			seq++
			q.push(Message{Seq: seq})
			if q.len() == 8 && tc.popped > 0 { // wrap the ring of 8 before it grows
				for range tc.popped {
					q.pop()
				}
			}
		}
		var batch []Message
		for range tc.n {
			batch = append(batch, Message{Seq: seq + uint64(len(batch)) + 1})
		}
		if got := q.pushAll(batch, 4); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
		if q.len() != tc.wantLeft {
			t.Errorf("%s: %d queued, want %d", tc.name, q.len(), tc.wantLeft)
		}
		var prev uint64
		for range q.len() { // in order, none lost
			m, _ := q.pop()
			if prev != 0 && m.Seq != prev+1 {
				t.Fatalf("%s: popped %d after %d", tc.name, m.Seq, prev)
			}
			prev = m.Seq
		}
	}
}

// TestStoredBatchesCutOffOnlyTheLagging: a batch of the tail too big for a
// subscriber that keeps up sends it to catch up from storage (counted, not
// cut off); the same batch to one with a quarter of its queue waiting
// already cuts it off, as a full queue does.
func TestStoredBatchesCutOffOnlyTheLagging(t *testing.T) {
	h := NewHub(emptySource{}, nil)
	keeping, lagging := h.Subscribe("s", 16), h.Subscribe("s", 16)
	for i := range 4 {
		lagging.offer(Message{Seq: uint64(i + 1)})
	}
	batch := make([]Message, 13)
	for i := range batch {
		batch[i] = Message{Seq: uint64(i + 5), JSON: []byte(`{}`)}
	}
	h.publishStored("s", batch)
	if why := keeping.check.Load(); why != int32(byBurst)+1 {
		t.Fatalf("check asked for %d, want byBurst+1 (the subscriber keeping up sent to catch up)", why)
	}
	select {
	case <-keeping.Ready():
	default:
		t.Fatal("the writer of the subscriber keeping up was not woken to catch up")
	}
	select {
	case <-keeping.Behind():
		t.Fatal("the subscriber keeping up was cut off")
	default:
	}
	if keeping.Len() != 0 || h.CatchUpsAfterBursts() != 1 {
		t.Fatalf("%d queued, %d counted; want none queued and 1", keeping.Len(), h.CatchUpsAfterBursts())
	}
	select {
	case <-lagging.Behind():
	default:
		t.Fatal("the subscriber with a quarter of its queue waiting was not cut off")
	}
}

// endless is a stream that always holds 500 more after any seq (up to its
// calls: then it ends), as one growing faster than its reader.
type endless struct {
	emptySource
	calls int
}

func (e *endless) Range(_ context.Context, _ string, from uint64, count int64) ([]Message, uint64, error) {
	e.calls++
	n := count
	if e.calls > 10 {
		n = 1
	}
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i] = Message{Seq: from + uint64(i), JSON: []byte(`{}`)}
	}
	return msgs, 1, nil
}

// TestCatchUpComesBackAtItsSeq: a catch-up up to a seq stops once past it,
// however much more storage holds, so that a client slower than its stream
// comes back to its loop (heartbeats, cut-offs); one up to 0 reads all.
func TestCatchUpComesBackAtItsSeq(t *testing.T) {
	src := &endless{}
	c := &Client{Hub: NewHub(src, nil), Stream: "s"}
	w := &writer{Client: c, ctx: context.Background(), sink: func([]byte) error { return nil }}
	if err := w.catchUp(1200); err != nil {
		t.Fatal(err)
	}
	if src.calls != 3 || w.last != 1500 {
		t.Fatalf("a catch-up to 1200 read %d ranges, up to %d; want 3, to 1500", src.calls, w.last)
	}
	if err := w.catchUp(0); err != nil {
		t.Fatal(err)
	}
	if src.calls != 11 {
		t.Fatalf("a catch-up to the end read %d ranges in all, want 11", src.calls)
	}
}

// TestQueueHeld: while held, pushes leave the writer no token until a
// batch's worth waits (an eighth of a small limit), by push or pushAll;
// not held, or released, every push leaves one; a hold with a crowd
// waiting already is refused.
func TestQueueHeld(t *testing.T) {
	woken := func(q *queue) bool {
		select {
		case <-q.ready:
			return true
		default:
			return false
		}
	}
	for _, tc := range []struct {
		limit, crowd int
		all          bool
	}{{1024, BatchMessages, false}, {1024, BatchMessages, true}, {16, 2, false}, {16, 2, true}, {200, 25, true}, {1, 1, false}} {
		q := newQueue(tc.limit)
		if q.crowd != tc.crowd {
			t.Fatalf("limit %d: crowd %d, want %d", tc.limit, q.crowd, tc.crowd)
		}
		if !q.hold() {
			t.Fatalf("limit %d: an empty queue refused a hold", tc.limit)
		}
		if tc.all {
			q.pushAll(make([]Message, tc.crowd-1), 0)
		} else {
			for range tc.crowd - 1 {
				q.push(Message{})
			}
		}
		if woken(q) {
			t.Fatalf("limit %d: held, woken with %d waiting", tc.limit, tc.crowd-1)
		}
		if tc.all {
			q.pushAll(make([]Message, 2), 0)
		} else {
			q.push(Message{})
		}
		if !woken(q) {
			t.Fatalf("limit %d (pushAll %v): held, not woken with %d waiting", tc.limit, tc.all, q.len())
		}
		if q.hold() {
			t.Fatalf("limit %d: held with a crowd of %d waiting", tc.limit, q.len())
		}
	}
	q := newQueue(1024)
	q.push(Message{})
	if !woken(q) {
		t.Fatal("never held, a push left no token")
	}
	if !q.hold() {
		t.Fatal("a queue with one waiting, fewer than a crowd, refused a hold")
	}
	q.push(Message{})
	if woken(q) {
		t.Fatal("held, a push left a token with two waiting")
	}
	q.release()
	q.push(Message{})
	if !woken(q) {
		t.Fatal("released, a push left no token")
	}
}
