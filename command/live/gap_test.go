package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
)

// batches records each flush of a client's Batch as its seqs, and passes
// the messages on to s; hold, while set, keeps the first flush waiting
// until it is closed.
type batches struct {
	mu    sync.Mutex
	calls [][]string
	s     *sink
	hold  chan struct{}
	in    chan struct{} // closed once the first flush is under way
}

func newBatches(s *sink, hold bool) *batches {
	b := &batches{s: s, in: make(chan struct{})}
	if hold {
		b.hold = make(chan struct{})
	}
	return b
}

func (b *batches) write(msgs []live.Message) error {
	b.mu.Lock()
	first := len(b.calls) == 0
	var seqs []string
	for _, o := range msgs {
		var m struct{ Seq uint64 }
		_ = json.Unmarshal(o.JSON, &m)
		seqs = append(seqs, fmt.Sprint(m.Seq))
	}
	b.calls = append(b.calls, seqs)
	b.mu.Unlock()
	if first {
		close(b.in)
		if b.hold != nil {
			<-b.hold
		}
	}
	for _, o := range msgs {
		if err := b.s.write(o.JSON); err != nil {
			return err
		}
	}
	return nil
}

func (b *batches) got() [][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// gapClient serves a client of stream "screen" (WriteGap gap, a queue of
// that limit, filter) whose flushes b records, once its snapshot is written.
func gapClient(t *testing.T, gap time.Duration, queue int, filter func(live.Message) ([]byte, bool)) (*memstore.Store, *live.Hub, *batches) {
	t.Helper()
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	s := newSink()
	b := newBatches(s, false)
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: queue, Heartbeat: noBeat,
		Snapshot: snapshotAt(st, "screen"), Batch: b.write, Filter: filter, WriteGap: gap}, nil, s)
	synctest.Wait()
	s.wait(t, "snap@0")
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.beat > 0 {
			t.Error("a heartbeat was written: a write the gap did not make")
		}
	})
	return st, h, b
}

// noBeat is a heartbeat no gap test lives to see, so that every write a
// test sees is the gap's doing (a check the hub asks for, which no gap test
// makes, would write what waits).
const noBeat = 1000 * time.Hour

// heldClient serves a client of stream "screen" (a queue of that limit,
// WriteGap gap) whose first flush b holds until release, once its start
// is written and its catch-up has read storage (what is stored from then
// on comes only live).
func heldClient(t *testing.T, queue int, gap time.Duration) (*memstore.Store, *live.Hub, *sink, *batches, func()) {
	t.Helper()
	st := memstore.New(memstore.Options{})
	src := rangeSignal{st, make(chan struct{}, 10)}
	h := live.NewHub(src, quiet)
	s := newSink()
	b := newBatches(s, true)
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: queue, Heartbeat: time.Hour,
		Snapshot: snapshotAt(st, "screen"), Batch: b.write, WriteGap: gap}, nil, s)
	release := sync.OnceFunc(func() { close(b.hold) })
	t.Cleanup(release) // runs before serve's: a failure must not leave the writer held
	s.wait(t, "snap@0")
	within(t, src.ranged, "the start's catch-up")
	return st, h, s, b, release
}

// stored stores n more events on "screen" and returns them as the hub
// publishes them.
func stored(t *testing.T, st *memstore.Store, n int) []live.Message {
	t.Helper()
	seqs := emit(t, st, "screen", n, false)
	all, _, err := st.Range(context.Background(), "screen", seqs[0], int64(n))
	if err != nil || len(all) != n {
		t.Fatalf("stored %d of %d: %v", len(all), n, err)
	}
	return all
}

// want fails unless the client's flushes so far were calls (seqs each).
func (b *batches) want(t *testing.T, why string, calls ...[]string) {
	t.Helper()
	if got := b.got(); !slices.EqualFunc(got, calls, slices.Equal) {
		t.Fatalf("%s: flushes %v, want %v", why, got, calls)
	}
}

// TestWriteGapGathersWhatFollowsClosely: with a WriteGap, a live message
// after a quiet spell goes at once, and those that follow within the gap
// wait for its end and go together, in one flush, in seq order.
func TestWriteGapGathersWhatFollowsClosely(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, h, b := gapClient(t, time.Second, 100, nil)
		all := stored(t, st, 4)
		h.Publish("screen", all[0])
		synctest.Wait()
		b.want(t, "the first after a quiet spell", []string{"1"})
		h.Publish("screen", all[1])
		synctest.Wait()
		b.want(t, "one within the gap", []string{"1"})
		time.Sleep(time.Second / 2)
		h.Publish("screen", all[2])
		h.Publish("screen", all[3])
		synctest.Wait()
		b.want(t, "halfway through the gap", []string{"1"})
		time.Sleep(time.Second / 2)
		synctest.Wait()
		b.want(t, "the gap's end", []string{"1"}, []string{"2", "3", "4"})
		// The gap runs again after that flush; past it, quiet again.
		time.Sleep(2 * time.Second)
		more := stored(t, st, 1)
		h.Publish("screen", more[0])
		synctest.Wait()
		b.want(t, "after a quiet spell again", []string{"1"}, []string{"2", "3", "4"}, []string{"5"})
	})
}

// TestWriteGapHoldsWhatCameDuringAWrite: messages queued while the write
// that starts a gap is under way wake the writer at once (the queue was
// not held yet), and still wait for the gap's end.
func TestWriteGapHoldsWhatCameDuringAWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		h := live.NewHub(st, quiet)
		s := newSink()
		b := newBatches(s, true)
		serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: noBeat,
			Snapshot: snapshotAt(st, "screen"), Batch: b.write, WriteGap: time.Second}, nil, s)
		release := sync.OnceFunc(func() { close(b.hold) })
		t.Cleanup(release)
		synctest.Wait()
		s.wait(t, "snap@0")
		all := stored(t, st, 3)
		h.Publish("screen", all[0])
		synctest.Wait() // the first flush is under way, held
		h.Publish("screen", all[1])
		h.Publish("screen", all[2])
		release()
		synctest.Wait()
		b.want(t, "what came during the first write", []string{"1"})
		time.Sleep(time.Second)
		synctest.Wait()
		b.want(t, "the gap's end", []string{"1"}, []string{"2", "3"})
	})
}

// TestWriteGapEndsForACrowd: a batch's worth waiting ends the gap at once
// (an hour here), so a busy stream does not wait out the gap; a full batch
// is a backlog, and what is left of it goes at once too. Once the queue is
// emptied by a batch not full, the gap runs again.
func TestWriteGapEndsForACrowd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, h, b := gapClient(t, time.Hour, 1000, nil)
		n := 1 + live.BatchMessages + 3
		all := stored(t, st, n+1)
		h.Publish("screen", all[0])
		synctest.Wait()
		for _, m := range all[1:live.BatchMessages] {
			h.Publish("screen", m)
		}
		synctest.Wait()
		if got := b.got(); len(got) != 1 {
			t.Fatalf("flushes of %v before a batch's worth waited, want only the first", lens(got))
		}
		// The crowd and three more, queued at once: the writer, which runs
		// beside the test (a bubble's clock is fake, not its processors),
		// finds all four.
		h.PublishStored("screen", all[live.BatchMessages:n])
		synctest.Wait()
		if got := b.got(); !slices.Equal(lens(got), []int{1, live.BatchMessages, 3}) {
			t.Fatalf("flushes of %v, want 1, then %d and 3 at once", lens(got), live.BatchMessages)
		}
		h.Publish("screen", all[n])
		synctest.Wait()
		if got := b.got(); len(got) != 3 {
			t.Fatalf("flushes of %v: one went within the gap after the 3", lens(got))
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := b.got(); !slices.Equal(lens(got), []int{1, live.BatchMessages, 3, 1}) {
			t.Fatalf("flushes of %v after the gap, want 1, %d, 3 and 1", lens(got), live.BatchMessages)
		}
	})
}

// TestWriteGapNotStartedByNothingWritten: a message the filter keeps from
// the client is no write, and starts no gap: the next goes at once.
func TestWriteGapNotStartedByNothingWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hide := func(m live.Message) ([]byte, bool) { return m.JSON, m.Seq != 1 }
		st, h, b := gapClient(t, time.Hour, 100, hide)
		all := stored(t, st, 2)
		h.Publish("screen", all[0])
		synctest.Wait()
		h.Publish("screen", all[1])
		synctest.Wait()
		b.want(t, "after a message filtered out", []string{"2"})
	})
}

// TestWriteGapDoesNotSlowABacklog: a writer that is behind (a batch's
// worth or more queued when a flush ends, here while one was held) writes
// on at once, batch after batch, whatever its WriteGap (an hour here).
func TestWriteGapDoesNotSlowABacklog(t *testing.T) {
	st, h, s, b, release := heldClient(t, 1000, time.Hour)
	n := 1 + 3*live.BatchMessages + 5
	all := stored(t, st, n)
	h.Publish("screen", all[0])
	within(t, b.in, "the first flush")
	for _, m := range all[1:] {
		h.Publish("screen", m)
	}
	release()
	want := []string{"snap@0"}
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprint(i))
	}
	s.wait(t, want...)
	if got := b.got(); !slices.Equal(lens(got), []int{1, live.BatchMessages, live.BatchMessages, live.BatchMessages, 5}) {
		t.Fatalf("flushes of %v, want 1, three of %d and 5", lens(got), live.BatchMessages)
	}
}

// TestWriteGapNotEndedByAnOldCrowd: a crowd reached while no gap ran (a
// burst queued before the writer woke) does not end the next gap: what
// follows the next write still waits for the gap's end.
func TestWriteGapNotEndedByAnOldCrowd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, h, b := gapClient(t, time.Hour, 1000, nil)
		all := stored(t, st, live.BatchMessages+2)
		h.PublishStored("screen", all[:live.BatchMessages]) // queued at once: a crowd with no gap running
		synctest.Wait()
		h.Publish("screen", all[live.BatchMessages])
		synctest.Wait()
		if got := b.got(); !slices.Equal(lens(got), []int{live.BatchMessages, 1}) {
			t.Fatalf("flushes of %v, want %d then 1", lens(got), live.BatchMessages)
		}
		h.Publish("screen", all[live.BatchMessages+1])
		synctest.Wait()
		if got := b.got(); len(got) != 2 {
			t.Fatalf("flushes of %v: the last went within the gap", lens(got))
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := b.got(); !slices.Equal(lens(got), []int{live.BatchMessages, 1, 1}) {
			t.Fatalf("flushes of %v after the gap, want %d, 1 and 1", lens(got), live.BatchMessages)
		}
	})
}

// lens is how many messages each flush of calls carried.
func lens(calls [][]string) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c))
	}
	return n
}
