package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/live"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// emit stores n events on stream and returns their seqs.
func emit(t *testing.T, st *memstore.Store, stream string, n int, notify bool) []uint64 {
	t.Helper()
	c := &change.Change{At: time.Now()}
	for i := range n {
		c.Events = append(c.Events, vocab.Event{Stream: stream, Type: "x", Data: i, Notify: notify})
	}
	res, err := st.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return res.Seqs
}

// sink collects what a client is sent: the seq of each stored message,
// "snap@N" for a snapshot of seq N, and counts heartbeats.
type sink struct {
	mu   sync.Mutex
	got  []string
	beat int
	more chan struct{}
}

func newSink() *sink { return &sink{more: make(chan struct{}, 1000)} }

func (s *sink) write(b []byte) error {
	var m struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	s.mu.Lock()
	switch m.Type {
	case "heartbeat":
		s.beat++
	case "snapshot":
		s.got = append(s.got, fmt.Sprintf("snap@%d", m.Seq))
	default:
		s.got = append(s.got, fmt.Sprint(m.Seq))
	}
	s.mu.Unlock()
	s.more <- struct{}{}
	return nil
}

// wait waits until the sink holds want (and fails on anything else).
func (s *sink) wait(t *testing.T, want ...string) {
	t.Helper()
	s.until(t, want, func(got []string, _ int) bool { return len(got) >= len(want) })
}

// settle waits for a heartbeat, then checks the sink holds exactly want:
// nothing more came meanwhile.
func (s *sink) settle(t *testing.T, want ...string) {
	t.Helper()
	s.wait(t, want...)
	s.until(t, want, func(_ []string, beat int) bool { return beat > 0 })
}

// until waits up to 3 s for done to hold of what was sent, then checks
// that it was want.
func (s *sink) until(t *testing.T, want []string, done func(got []string, beat int) bool) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		s.mu.Lock()
		got, beat := slices.Clone(s.got), s.beat
		s.mu.Unlock()
		if done(got, beat) {
			if !slices.Equal(got, want) {
				t.Fatalf("sent %v, want %v", got, want)
			}
			return
		}
		select {
		case <-s.more:
		case <-deadline:
			t.Fatalf("sent %v and %d heartbeats within 3 s, want %v", got, beat, want)
		}
	}
}

// snapshot waits up to 3 s for the first message sent, which must be a
// snapshot, and returns it and its seq.
func (s *sink) snapshot(t *testing.T) (string, int) {
	t.Helper()
	select {
	case <-s.more:
	case <-time.After(3 * time.Second):
		t.Fatal("no snapshot within 3 s")
	}
	s.mu.Lock()
	snap := s.got[0]
	s.mu.Unlock()
	var at int
	if _, err := fmt.Sscanf(snap, "snap@%d", &at); err != nil {
		t.Fatalf("first sent %s, want a snapshot", snap)
	}
	return snap, at
}

// snapshotAt returns a snapshot of the stream as of its seq now.
func snapshotAt(st *memstore.Store, stream string) live.Snapshot {
	return func(ctx context.Context) (live.Message, error) {
		seq, err := st.Seq(ctx, stream)
		return live.SnapshotOf(fmt.Appendf(nil, `{"seq":%d,"type":"snapshot","data":{}}`, seq), seq, err)
	}
}

// snapshotOfSeq is a snapshot that reflects seq, whatever the stream holds.
func snapshotOfSeq(seq uint64) live.Snapshot {
	return func(context.Context) (live.Message, error) {
		return live.SnapshotOf(fmt.Appendf(nil, `{"seq":%d,"type":"snapshot","data":{}}`, seq), seq, nil)
	}
}

// serve runs a client of stream until the test ends.
func serve(t *testing.T, c *live.Client, since *uint64, s *sink) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx, since, nil, s.write) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return done
}

// untilEnd runs run until the test ends, and waits for it then.
func untilEnd(t *testing.T, run func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// sweep runs the hub's sweep every every until the test ends.
func sweep(t *testing.T, h *live.Hub, every time.Duration) {
	untilEnd(t, func(ctx context.Context) error { return h.Sweep(ctx, every) })
}

// tail runs the hub's tail of stream until the test ends and returns once
// it delivers: events are stored until a subscriber hears one.
func tail(t *testing.T, h *live.Hub, st *memstore.Store, stream string) {
	t.Helper()
	untilEnd(t, func(ctx context.Context) error { return h.Tail(ctx, stream) })
	probe := h.Subscribe(stream, 1000)
	defer h.Unsubscribe(probe)
	deadline := time.After(3 * time.Second)
	for {
		emit(t, st, stream, 1, false)
		select {
		case <-probe.Ready():
			return
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("the hub did not tail the stream within 3 s")
		}
	}
}

// next waits up to 3 s for sub's next message.
func next(t *testing.T, sub *live.Sub) live.Message {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		if m, ok := sub.Next(); ok {
			return m
		}
		select {
		case <-sub.Ready():
		case <-deadline:
			t.Fatal("no message within 3 s")
		}
	}
}

// TestHubFanOut: a message published to a stream reaches every subscriber
// of that stream and no other; an unsubscribed one gets nothing more.
func TestHubFanOut(t *testing.T) {
	h := live.NewHub(memstore.New(memstore.Options{}), quiet)
	a, b, other := h.Subscribe("screen", 4), h.Subscribe("screen", 4), h.Subscribe("leader", 4)
	if h.Clients("screen") != 2 || h.Clients("leader") != 1 || h.Clients("none") != 0 {
		t.Fatalf("clients %d %d", h.Clients("screen"), h.Clients("leader"))
	}
	h.Publish("screen", live.Message{Seq: 1, JSON: []byte(`1`)})
	h.Unsubscribe(b)
	h.Publish("screen", live.Message{Seq: 2, JSON: []byte(`2`)})
	if a.Len() != 2 || b.Len() != 1 || other.Len() != 0 || h.Clients("screen") != 1 {
		t.Fatalf("queued: a %d, b %d, other %d", a.Len(), b.Len(), other.Len())
	}
	if m := next(t, a); m.Seq != 1 {
		t.Fatalf("first message %d", m.Seq)
	}
}

// TestHubTailsInOrder: the hub delivers the stored events of a stream to
// its subscribers in seq order.
func TestHubTailsInOrder(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	tail(t, h, st, "screen")
	sub := h.Subscribe("screen", 100)
	seqs := append(emit(t, st, "screen", 3, false), emit(t, st, "screen", 2, false)...)
	for _, want := range seqs {
		if m := next(t, sub); m.Seq != want {
			t.Fatalf("got seq %d, want %d", m.Seq, want)
		}
	}
}

// TestServeSnapshotThenCatchUp: a client without since gets a snapshot,
// then every later event once, in order, whether it comes from storage
// (catching up) or live, and a repeat or a gap is mended from storage.
func TestServeSnapshotThenCatchUp(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	emit(t, st, "screen", 3, false)
	// The snapshot reflects seq 2: seq 3 must follow from storage.
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotOfSeq(2)}, nil, s)
	s.wait(t, "snap@2", "3")
	msgs, _, _ := st.Range(context.Background(), "screen", 3, 1)
	h.Publish("screen", msgs[0]) // a repeat is dropped
	emit(t, st, "screen", 2, false)
	all, _, _ := st.Range(context.Background(), "screen", 1, 100)
	h.Publish("screen", all[4]) // seq 5 arrives first: 4 is read from storage
	h.Publish("screen", all[3])
	s.wait(t, "snap@2", "3", "4", "5")
}

// TestServeResumesSince: a client resuming with since gets what followed
// it; one whose since the stream no longer holds (or from another life of
// the stream) starts again from a snapshot.
func TestServeResumesSince(t *testing.T) {
	st := memstore.New(memstore.Options{MaxLen: 5})
	h := live.NewHub(st, quiet)
	emit(t, st, "screen", 8, false) // holds 4..8
	for _, c := range []struct {
		name  string
		since uint64
		want  []string
	}{
		{"held", 5, []string{"6", "7", "8"}},
		{"current", 8, nil},
		{"trimmed", 1, []string{"snap@8"}},
		{"fromAnotherLife", 99, []string{"snap@8"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSink()
			since := c.since
			serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: 20 * time.Millisecond, Snapshot: snapshotAt(st, "screen")}, &since, s)
			s.settle(t, c.want...)
		})
	}
}

// TestServeSnapshotPastTheQueue: a client resuming with since more events
// behind the stream than its queue holds starts again from a snapshot
// instead of being replayed every event one by one (up to streams.max_len
// of them); one within its queue is replayed. A sweep that finds the
// client behind storage, however far, catches it up event by event: its
// distance to storage says nothing of what the hub will still deliver live.
func TestServeSnapshotPastTheQueue(t *testing.T) {
	for _, c := range []struct {
		name   string
		since  uint64
		stored int // stored after the client started (the sweep finds them)
		want   []string
	}{
		{"resumeWithinTheQueue", 24, 0, seqs(25, 40)},
		{"resumePastTheQueue", 1, 0, []string{"snap@40"}},
		{"sweepWithinTheQueue", 40, 16, seqs(41, 56)},
		{"sweepPastTheQueue", 40, 17, seqs(41, 57)},
		{"sweepTwiceTheQueue", 40, 32, seqs(41, 72)},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := memstore.New(memstore.Options{})
			h := live.NewHub(st, quiet) // not tailed: only storage reaches the client
			sweep(t, h, 20*time.Millisecond)
			emit(t, st, "screen", 40, false)
			s := newSink()
			since := c.since
			serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 16, Heartbeat: 20 * time.Millisecond, Snapshot: snapshotAt(st, "screen")}, &since, s)
			if c.stored > 0 {
				s.until(t, nil, func(_ []string, beat int) bool { return beat > 0 }) // started
				emit(t, st, "screen", c.stored, false)
			}
			s.settle(t, c.want...)
		})
	}
}

// seqs are the seqs from to to, as a sink lists them.
func seqs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

// stalling is a source whose tail can be held, as an instance's tail is
// by a burst, a GC or a Redis stall: once held, what the tail reads is
// never handed on.
type stalling struct {
	*memstore.Store
	held atomic.Bool
}

func (s *stalling) Tail(ctx context.Context, stream string, after uint64, block time.Duration) ([]live.Message, error) {
	msgs, err := s.Store.Tail(ctx, stream, after, block)
	if s.held.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return msgs, err
}

// TestServeTailStalled: while this instance's tail is held, twice the
// client's queue of events are stored; the sweep sends it each of them
// from storage, not a snapshot (as it would every socket of the instance,
// at each sweep, for as long as the tail lags).
func TestServeTailStalled(t *testing.T) {
	st := memstore.New(memstore.Options{})
	src := &stalling{Store: st}
	h := live.NewHub(src, quiet)
	tail(t, h, st, "screen")
	sweep(t, h, 20*time.Millisecond)
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 16, Heartbeat: 20 * time.Millisecond, Snapshot: snapshotAt(st, "screen")}, nil, s)
	// The snapshot's seq is that of the tail's probes (see tail).
	snap, at := s.snapshot(t)
	emit(t, st, "screen", 1, false)
	s.wait(t, snap, fmt.Sprint(at+1)) // live, through the tail
	src.held.Store(true)
	emit(t, st, "screen", 32, false)
	s.settle(t, append([]string{snap}, seqs(at+1, at+33)...)...)
}

// TestServeDropsSlowClient: a client whose queue overflows is cut off with
// ErrBehind instead of holding the others up.
func TestServeDropsSlowClient(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	release := make(chan struct{})
	snap := func(ctx context.Context) (live.Message, error) {
		return live.SnapshotOf([]byte(`{"seq":0,"type":"snapshot","data":{}}`), 0, nil)
	}
	blocked := func(b []byte) error { <-release; return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- (&live.Client{Hub: h, Stream: "screen", Queue: 2, Heartbeat: time.Hour, Snapshot: snap}).Serve(ctx, nil, nil, blocked)
	}()
	fast := h.Subscribe("screen", 100)
	deadline := time.After(3 * time.Second)
	for h.Clients("screen") < 2 {
		select {
		case <-deadline:
			t.Fatal("the client did not subscribe within 3 s")
		case <-time.After(time.Millisecond):
		}
	}
	for i := range 10 {
		h.Publish("screen", live.Message{Seq: uint64(i + 1), JSON: []byte(`{}`)})
	}
	close(release)
	select {
	case err := <-done:
		if !errors.Is(err, live.ErrBehind) {
			t.Fatalf("slow client ended with %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the slow client was not cut off within 3 s")
	}
	if fast.Len() != 10 {
		t.Fatalf("the other subscriber got %d of 10", fast.Len())
	}
}

// TestFollowNotifications: events stored with Notify reach the local
// subscribers of their stream through Follow, and the sweep mends one
// that was not notified from storage, counted as a catch-up.
func TestFollowNotifications(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Follow(ctx, st) }()
	defer func() { cancel(); <-done }()
	sweep(t, h, 20*time.Millisecond)
	sub := h.Subscribe("unit:car-1", 100)
	deadline := time.After(3 * time.Second)
	for sub.Len() == 0 {
		emit(t, st, "unit:car-1", 1, true)
		select {
		case <-deadline:
			t.Fatal("no notification within 3 s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	h.Unsubscribe(sub)

	last, _ := st.Seq(ctx, "unit:car-1")
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 100, Heartbeat: 20 * time.Millisecond, Snapshot: snapshotAt(st, "unit:car-1")}, &last, s)
	seqs := append(emit(t, st, "unit:car-1", 1, true), emit(t, st, "unit:car-1", 1, false)...)
	s.wait(t, fmt.Sprint(seqs[0]), fmt.Sprint(seqs[1]))
	// The client is serving now: only the sweep can mend this one.
	seqs = append(seqs, emit(t, st, "unit:car-1", 1, false)...)
	s.wait(t, fmt.Sprint(seqs[0]), fmt.Sprint(seqs[1]), fmt.Sprint(seqs[2]))
	if hb, _ := h.CatchUps(); hb == 0 {
		t.Error("the sweep's check that mended the client is not counted as a catch-up")
	}
}

// TestStalledClientsDoNotStallOthers: while one client is stuck reading
// its snapshot and another is stuck writing, a third gets every live event
// at once and in order, as the very bytes the hub was handed (one encoding
// shared by every socket, none per client); released, the stuck ones go on
// in order without gaps or repeats.
func TestStalledClientsDoNotStallOthers(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	tail(t, h, st, "screen")
	probe := h.Subscribe("screen", 1000)
	start, _ := st.Seq(context.Background(), "screen")
	snapGate, writeGate := make(chan struct{}), make(chan struct{})
	inSnapshot, inWrite := make(chan struct{}), make(chan struct{})
	slowSnap := func(ctx context.Context) (live.Message, error) {
		close(inSnapshot)
		<-snapGate
		return snapshotAt(st, "screen")(ctx)
	}
	stuck, writer, fast := newSink(), newSink(), newSink()
	var writes sync.Once
	blockedWrite := func(b []byte) error {
		writes.Do(func() { close(inWrite); <-writeGate }) // its snapshot waits to be written
		return writer.write(b)
	}
	var mu sync.Mutex
	sent := map[uint64][]byte{} // what the fast client was handed, by seq
	fastWrite := func(b []byte) error {
		var m struct{ Seq uint64 }
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		sent[m.Seq] = b
		mu.Unlock()
		return fast.write(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	release := sync.OnceFunc(func() { close(snapGate); close(writeGate) })
	t.Cleanup(func() { cancel(); release(); wg.Wait() }) // a failure before the release must not hang the run
	run := func(c *live.Client, sink live.Sink) {
		wg.Go(func() { _ = c.Serve(ctx, nil, nil, sink) })
	}
	run(&live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: slowSnap}, stuck.write)
	run(&live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "screen")}, blockedWrite)
	run(&live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "screen")}, fastWrite)
	<-inSnapshot // each subscribed before its snapshot
	<-inWrite
	fast.wait(t, fmt.Sprintf("snap@%d", start))
	// One event first: once the fast client has written it, its start's
	// catch-up from storage is over, and what follows reaches it from the
	// hub only (an event stored before that read goes out as storage's copy).
	first := emit(t, st, "screen", 1, false)
	want := []string{fmt.Sprintf("snap@%d", start), fmt.Sprint(first[0])}
	fast.wait(t, want...)
	next(t, probe)
	for _, seq := range emit(t, st, "screen", 5, false) {
		want = append(want, fmt.Sprint(seq))
	}
	fast.wait(t, want...)
	for range 5 {
		m := next(t, probe)
		mu.Lock()
		b := sent[m.Seq]
		mu.Unlock()
		if len(b) == 0 || &b[0] != &m.JSON[0] {
			t.Fatalf("seq %d was sent as a copy of its own, not the hub's encoding (%d bytes sent: %.80s)", m.Seq, len(b), b)
		}
	}
	release()
	stuck.wait(t, fmt.Sprintf("snap@%d", start+6))
	writer.wait(t, want...)
	more := emit(t, st, "screen", 2, false)
	stuck.wait(t, fmt.Sprintf("snap@%d", start+6), fmt.Sprint(more[0]), fmt.Sprint(more[1]))
	writer.wait(t, append(want, fmt.Sprint(more[0]), fmt.Sprint(more[1]))...)
	fast.wait(t, append(want, fmt.Sprint(more[0]), fmt.Sprint(more[1]))...)
}

// TestServeBatchesQueuedMessages: with Batch, the live messages queued
// while a write was under way go out together in one flush, in seq order;
// a repeat is dropped, and a gap is filled from storage, in a batch of its
// own, after what was pending is written.
func TestServeBatchesQueuedMessages(t *testing.T) {
	st, h, s, b, release := heldClient(t, 100, 0)
	emit(t, st, "screen", 6, false)
	all, _, _ := st.Range(context.Background(), "screen", 1, 100)
	h.Publish("screen", all[0])
	within(t, b.in, "the first batch")
	for _, i := range []int{1, 2, 2, 4, 5} { // 2, 3, a repeat of 3, then 5 before 4
		h.Publish("screen", all[i])
	}
	release()
	s.wait(t, "snap@0", "1", "2", "3", "4", "5", "6")
	if want := [][]string{{"1"}, {"2", "3"}, {"4", "5", "6"}}; !slices.EqualFunc(b.got(), want, slices.Equal) {
		t.Fatalf("batches %v, want %v (4 to 6 caught up from storage in one batch)", b.got(), want)
	}
}

// rangeSignal is a store that tells ranged each time a range was read.
type rangeSignal struct {
	*memstore.Store
	ranged chan struct{}
}

func (r rangeSignal) Range(ctx context.Context, stream string, from uint64, count int64) ([]live.Message, uint64, error) {
	msgs, oldest, err := r.Store.Range(ctx, stream, from, count)
	select {
	case r.ranged <- struct{}{}:
	default:
	}
	return msgs, oldest, err
}

// within waits up to 3 s for ch, failing with what it was waiting for.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		t.Fatalf("waited 3 s for %s", what)
	}
}

// breakingNotifier follows st's notifications and breaks off each time brk
// is signalled, as a lost connection does (what is stored meanwhile is
// never notified); ups hears each subscription.
type breakingNotifier struct {
	st  *memstore.Store
	brk chan struct{}
	ups chan struct{}
}

func (n breakingNotifier) Notifications(ctx context.Context, fn func(string, live.Message), up func()) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-n.brk:
			cancel()
		case <-inner.Done():
		}
	}()
	err := n.st.Notifications(inner, fn, func() {
		up()
		select {
		case n.ups <- struct{}{}:
		default:
		}
	})
	if ctx.Err() == nil {
		return errors.New("connection broke")
	}
	return err
}

// TestResubscribedClientsCatchUpAtOnce: an event stored while the
// notifications were down reaches a client as soon as they are subscribed
// again, not at its heartbeat (an hour away), and is counted so.
func TestResubscribedClientsCatchUpAtOnce(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	n := breakingNotifier{st: st, brk: make(chan struct{}), ups: make(chan struct{}, 10)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Follow(ctx, n) }()
	defer func() { cancel(); <-done }()
	// Subscribed first: a break before it would make the next subscription
	// the first, not a resubscription.
	within(t, n.ups, "the notifications to be subscribed")
	last, _ := st.Seq(ctx, "unit:car-1")
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "unit:car-1")}, &last, s)
	// Live first: notify until the client hears the last event notified
	// (an event stored before the client is in the hub reaches it only
	// from storage, at its start).
	var want []string
	for deadline := time.Now().Add(3 * time.Second); ; {
		want = append(want, fmt.Sprint(emit(t, st, "unit:car-1", 1, true)[0]))
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
		heard := len(s.got) > 0 && s.got[len(s.got)-1] == want[len(want)-1]
		s.mu.Unlock()
		if heard {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no notification within 3 s")
		}
	}
	s.wait(t, want...)
	// Stored unnotified before the break, so that only the check at the
	// resubscription can bring them, however late the test gets here.
	lost := emit(t, st, "unit:car-1", 2, false)
	n.brk <- struct{}{}
	s.wait(t, append(want, fmt.Sprint(lost[0]), fmt.Sprint(lost[1]))...)
	if hb, re := h.CatchUps(); hb != 0 || re != 1 || h.Resubscribed() != 1 {
		t.Fatalf("catch-ups: heartbeat %d, resubscribed %d; resubscriptions %d; want 0, 1, 1", hb, re, h.Resubscribed())
	}
}

// TestClientsServedBeforeTheFirstSubscriptionCatchUpAtOnce: a client served
// while the instance has not yet subscribed the notifications (it starts
// under load) hears an event notified meanwhile as soon as they are
// subscribed, not at its heartbeat an hour away.
func TestClientsServedBeforeTheFirstSubscriptionCatchUpAtOnce(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	last, _ := st.Seq(context.Background(), "unit:car-1")
	// An event stored before the client is read from storage at its start:
	// once it is heard, the start is over.
	first := emit(t, st, "unit:car-1", 1, true)
	s := newSink()
	serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 100, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "unit:car-1")}, &last, s)
	s.wait(t, fmt.Sprint(first[0]))
	unheard := emit(t, st, "unit:car-1", 1, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Follow(ctx, st) }()
	defer func() { cancel(); <-done }()
	s.wait(t, fmt.Sprint(first[0]), fmt.Sprint(unheard[0]))
	if n := h.CatchUpsAtSubscribe(); n != 1 {
		t.Errorf("catch-ups at the first subscription: %d, want 1", n)
	}
}

// TestStartedOnceTheStartIsWritten: Started is called once, when the
// snapshot and the catch-up after it are written and before anything
// live; a start that fails calls it too, so a place it holds is freed.
func TestStartedOnceTheStartIsWritten(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	emit(t, st, "screen", 3, false)
	snap := snapshotOfSeq(2) // seq 3 follows from storage
	s := newSink()
	var calls atomic.Int32
	var atStart []string
	c := &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Snapshot: snap, Started: func() {
		if calls.Add(1) == 1 {
			s.mu.Lock()
			atStart = slices.Clone(s.got)
			s.mu.Unlock()
		}
	}}
	serve(t, c, nil, s)
	s.wait(t, "snap@2", "3")
	h.Publish("screen", live.Message{Seq: 4, JSON: []byte(`{"seq":4,"type":"x"}`)})
	s.wait(t, "snap@2", "3", "4")
	if calls.Load() != 1 || !slices.Equal(atStart, []string{"snap@2", "3"}) {
		t.Fatalf("Started called %d times, with %v written; want once, with the snapshot and the catch-up", calls.Load(), atStart)
	}

	failed := false
	broken := &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour, Started: func() { failed = true },
		Snapshot: func(context.Context) (live.Message, error) { return live.Message{}, errors.New("storage away") }}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a start that went on would serve for ever
	defer cancel()
	if err := broken.Serve(ctx, nil, nil, newSink().write); err == nil || errors.Is(err, context.DeadlineExceeded) || !failed {
		t.Fatalf("a failed start: %v, Started called %v", err, failed)
	}
}

// gated is a store whose tail's reads after seq from (when set) wait until
// open is closed: what is stored meanwhile comes in the first read after,
// as one batch (a tail that lagged).
type gated struct {
	*memstore.Store
	from atomic.Uint64
	open chan struct{}
}

func (g *gated) Tail(ctx context.Context, stream string, after uint64, block time.Duration) ([]live.Message, error) {
	if from := g.from.Load(); from > 0 && after >= from {
		select {
		case <-g.open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.Tail(ctx, stream, after, block)
}

// TestALaggingTailCatchesItsClientsUpInPlace: a batch of the tail larger
// than a client's queue (the tail lagged: a GC or Redis stall) does not cut
// the client off: it is sent every event of the batch from storage, in
// order, counted, written one by one or in batches; a subscriber with room
// takes the batch as it is.
func TestALaggingTailCatchesItsClientsUpInPlace(t *testing.T) {
	t.Run("one write a message", func(t *testing.T) { lagOnce(t, false) })
	t.Run("batched writes", func(t *testing.T) { lagOnce(t, true) })
}

func lagOnce(t *testing.T, batched bool) {
	st := memstore.New(memstore.Options{})
	src := &gated{Store: st, open: make(chan struct{})}
	h := live.NewHub(src, quiet)
	tail(t, h, st, "screen")
	s := newSink()
	c := &live.Client{Hub: h, Stream: "screen", Queue: 16, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "screen")}
	var batches atomic.Int64
	if batched {
		c.Batch = func(msgs []live.Message) error {
			batches.Add(1)
			for _, m := range msgs {
				if err := s.write(m.JSON); err != nil {
					return err
				}
			}
			return nil
		}
	}
	done := serve(t, c, nil, s)
	roomy := h.Subscribe("screen", 1000)
	defer h.Unsubscribe(roomy)
	snap, at := s.snapshot(t)
	// The tail's read after at returns with the next event; the reads
	// after that wait for open.
	src.from.Store(uint64(at + 1))
	emit(t, st, "screen", 1, false)
	s.wait(t, snap, fmt.Sprint(at+1))
	if m := next(t, roomy); m.Seq != uint64(at+1) {
		t.Fatalf("the roomy subscriber got %d, want %d", m.Seq, at+1)
	}
	emit(t, st, "screen", 64, false) // four times the client's queue
	close(src.open)
	s.wait(t, append([]string{snap}, seqs(at+1, at+65)...)...)
	select {
	case err := <-done:
		t.Fatalf("the client was cut off: %v", err)
	default:
	}
	if n := h.CatchUpsAfterBursts(); n != 1 {
		t.Fatalf("catch-ups after a burst counted %d, want 1", n)
	}
	if batched && batches.Load() > 10 {
		t.Fatalf("%d batches written for 65 messages: the catch-up was not batched", batches.Load())
	}
	for want := at + 2; want <= at+65; want++ {
		if m := next(t, roomy); m.Seq != uint64(want) {
			t.Fatalf("the roomy subscriber got %d, want %d", m.Seq, want)
		}
	}
}
