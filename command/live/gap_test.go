package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
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

// TestWriteGapGathersWhatFollowsClosely: with a WriteGap, a live message
// after a quiet spell goes at once, and those that follow within the gap
// wait for its end and go together, in one flush, in seq order.
func TestWriteGapGathersWhatFollowsClosely(t *testing.T) {
	st := memstore.New(memstore.Options{})
	src := rangeSignal{st, make(chan struct{}, 10)}
	h := live.NewHub(src, quiet)
	s := newSink()
	b := newBatches(s, false)
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: time.Hour,
		Snapshot: snapshotAt(st, "screen"), Batch: b.write, WriteGap: 2 * time.Second}, nil, s)
	s.wait(t, "snap@0")
	within(t, src.ranged, "the start's catch-up")
	emit(t, st, "screen", 4, false)
	all, _, _ := st.Range(context.Background(), "screen", 1, 100)
	h.Publish("screen", all[0])
	s.wait(t, "snap@0", "1")
	h.Publish("screen", all[1])
	// Without the gap 2 would go now, alone; with it, not before 2 s
	// after 1 went.
	select {
	case <-s.more:
		t.Fatalf("sent %v within 0.2 s of 1, in the gap", b.got())
	case <-time.After(200 * time.Millisecond):
	}
	h.Publish("screen", all[2])
	h.Publish("screen", all[3])
	s.wait(t, "snap@0", "1", "2", "3", "4")
	if want := [][]string{{"1"}, {"2", "3", "4"}}; !slices.EqualFunc(b.got(), want, slices.Equal) {
		t.Fatalf("batches %v, want %v (2 to 4 within the gap after 1, together)", b.got(), want)
	}
}

// TestWriteGapDoesNotSlowABacklog: a writer that is behind (more queued
// than a batch takes, here while a write was held) writes on at once,
// batch after batch, whatever its WriteGap (an hour here).
func TestWriteGapDoesNotSlowABacklog(t *testing.T) {
	st := memstore.New(memstore.Options{})
	src := rangeSignal{st, make(chan struct{}, 10)}
	h := live.NewHub(src, quiet)
	s := newSink()
	b := newBatches(s, true)
	release := sync.OnceFunc(func() { close(b.hold) })
	serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 1000, Heartbeat: time.Hour,
		Snapshot: snapshotAt(st, "screen"), Batch: b.write, WriteGap: time.Hour}, nil, s)
	t.Cleanup(release)
	s.wait(t, "snap@0")
	within(t, src.ranged, "the start's catch-up")
	n := 2*live.BatchMessages + 5
	emit(t, st, "screen", n, false)
	all, _, _ := st.Range(context.Background(), "screen", 1, int64(n))
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
	if got := b.got(); len(got) != 4 || len(got[1]) != live.BatchMessages || len(got[2]) != live.BatchMessages {
		t.Fatalf("batches of %v, want 1, %d, %d and 4", lens(got), live.BatchMessages, live.BatchMessages)
	}
}

func lens(calls [][]string) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c))
	}
	return n
}
