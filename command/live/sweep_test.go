package live_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
)

// counting is a store that counts its seq reads: one stream's (a writer's
// check) and many streams' at once (the sweep's); it fails the latter while
// failing is set, and the next failOne of the former.
type counting struct {
	*memstore.Store
	failing atomic.Bool
	failOne atomic.Int32

	mu    sync.Mutex
	one   int   // Seq calls
	swept []int // the streams of each Seqs call
}

func (c *counting) Seq(ctx context.Context, stream string) (uint64, error) {
	c.mu.Lock()
	c.one++
	c.mu.Unlock()
	if c.failOne.Add(-1) >= 0 {
		return 0, errors.New("storage unreachable")
	}
	return c.Store.Seq(ctx, stream)
}

func (c *counting) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	if c.failing.Load() {
		return nil, errors.New("storage unreachable")
	}
	c.mu.Lock()
	c.swept = append(c.swept, len(streams))
	c.mu.Unlock()
	return c.Store.Seqs(ctx, streams)
}

// reads returns the Seq calls and each Seqs call's size so far.
func (c *counting) reads() (int, []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.one, slices.Clone(c.swept)
}

// TestSweepReadsEveryStreamTogether: 2,500 sockets of their own streams and
// three of one shared stream are checked by one sweep of three reads (a
// thousand streams at most each); the first has each socket of a stream
// with events check once (nothing was handed to them yet), and a sweep that
// finds nothing missing asks no socket to read, nor does one after an event
// that was published live (and a repeat of an older one). Events stored without a notification reach only
// their streams' sockets, at the next sweep, each counted as a catch-up; a
// sweep whose read fails leaves them to the next.
func TestSweepReadsEveryStreamTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		src := &counting{Store: st}
		h := live.NewHub(src, quiet)
		const n = 2500
		sinks := make([]*sink, n)
		for i := range sinks {
			stream := fmt.Sprintf("unit:u%04d", i)
			emit(t, st, stream, 1, true)
			sinks[i] = newSink()
			serve(t, &live.Client{Hub: h, Stream: stream, Queue: 16, Heartbeat: 5 * time.Second, Snapshot: snapshotAt(st, stream)}, nil, sinks[i])
		}
		for range 3 {
			serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 16, Heartbeat: 5 * time.Second, Snapshot: snapshotAt(st, "screen")}, nil, newSink())
		}
		sweep(t, h, 5*time.Second)
		synctest.Wait()
		time.Sleep(5*time.Second + time.Millisecond)
		synctest.Wait()
		one, swept := src.reads()
		if one != n || !slices.Equal(swept, []int{1000, 1000, 501}) {
			t.Fatalf("the first sweep: %d reads of a stream, reads of %v streams; want %d, and [1000 1000 501]", one, swept, n)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if one, swept := src.reads(); one != n || len(swept) != 6 {
			t.Fatalf("a sweep with nothing missing: %d reads of a stream, %d reads of many; want none more, and 3 more", one-n, len(swept)-3)
		}

		// Stream 7's event is published, as its notification would be.
		emit(t, st, "unit:u0007", 1, false)
		msgs, _, err := st.Range(context.Background(), "unit:u0007", 2, 1)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("reading the event back: %v, %d", err, len(msgs))
		}
		h.Publish("unit:u0007", msgs[0])
		// A repeat of an older event, which the socket drops, lowers nothing.
		older, _, err := st.Range(context.Background(), "unit:u0007", 1, 1)
		if err != nil || len(older) != 1 {
			t.Fatalf("reading the first event back: %v, %d", err, len(older))
		}
		h.Publish("unit:u0007", older[0])
		lost := []int{3, 1200, 2499}
		for _, i := range lost {
			emit(t, st, fmt.Sprintf("unit:u%04d", i), 1, false)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if one, _ := src.reads(); one != n+len(lost) {
			t.Fatalf("%d sockets read their stream's seq, want the %d whose streams moved", one-n, len(lost))
		}
		for i, s := range sinks {
			want := []string{"snap@1"}
			if i == 7 || slices.Contains(lost, i) {
				want = append(want, "2")
			}
			s.mu.Lock()
			got := slices.Clone(s.got)
			s.mu.Unlock()
			if !slices.Equal(got, want) {
				t.Fatalf("socket %d was sent %v, want %v", i, got, want)
			}
		}
		if hb, _ := h.CatchUps(); hb != int64(len(lost)) {
			t.Fatalf("%d catch-ups counted, want %d", hb, len(lost))
		}

		src.failing.Store(true)
		emit(t, st, "unit:u0000", 1, false)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		src.failing.Store(false)
		if one, _ := src.reads(); one != n+len(lost) {
			t.Fatalf("a failed sweep asked %d sockets to read their seq", one-n-len(lost))
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		sinks[0].mu.Lock()
		defer sinks[0].mu.Unlock()
		if !slices.Equal(sinks[0].got, []string{"snap@1", "2"}) {
			t.Fatalf("after a failed sweep and a working one, socket 0 was sent %v, want [snap@1 2]", sinks[0].got)
		}
	})
}

// swapping is a source whose storage can be replaced, as a Redis that lost
// its data (restarted empty, or failed over to a replica behind it).
type swapping struct {
	live.Source
	mu sync.Mutex
}

func (s *swapping) now() live.Source { s.mu.Lock(); defer s.mu.Unlock(); return s.Source }

func (s *swapping) swap(to live.Source) { s.mu.Lock(); s.Source = to; s.mu.Unlock() }

func (s *swapping) Seq(ctx context.Context, stream string) (uint64, error) {
	return s.now().Seq(ctx, stream)
}

func (s *swapping) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	return s.now().Seqs(ctx, streams)
}

func (s *swapping) Range(ctx context.Context, stream string, from uint64, count int64) ([]live.Message, uint64, error) {
	return s.now().Range(ctx, stream, from, count)
}

// TestSweepAfterStorageLostData: storage comes back with a stream below
// what a socket was sent; the sweep has it start again from a snapshot of
// the stream's new life and follow that life from there, and asks nothing
// more of it while nothing moves.
func TestSweepAfterStorageLostData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before, after := memstore.New(memstore.Options{}), memstore.New(memstore.Options{})
		emit(t, before, "unit:car-1", 5, false)
		emit(t, after, "unit:car-1", 2, false)
		src := &swapping{Source: before}
		h := live.NewHub(src, quiet)
		s := newSink()
		snap := func(ctx context.Context) (live.Message, error) {
			seq, err := src.Seq(ctx, "unit:car-1")
			return live.SnapshotOf(fmt.Appendf(nil, `{"seq":%d,"type":"snapshot","data":{}}`, seq), seq, err)
		}
		serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 16, Heartbeat: time.Hour, Snapshot: snap}, nil, s)
		sweep(t, h, 5*time.Second)
		synctest.Wait()
		time.Sleep(5*time.Second + time.Millisecond) // a sweep: the stream's 5 handed out
		synctest.Wait()
		src.swap(&counting{Store: after})
		time.Sleep(5 * time.Second)
		synctest.Wait()
		emit(t, after, "unit:car-1", 1, false)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		s.mu.Lock()
		got := slices.Clone(s.got)
		s.mu.Unlock()
		if want := []string{"snap@5", "snap@2", "3"}; !slices.Equal(got, want) {
			t.Fatalf("sent %v, want %v", got, want)
		}
		reads, _ := src.now().(*counting).reads()
		time.Sleep(15 * time.Second)
		synctest.Wait()
		if again, _ := src.now().(*counting).reads(); again != reads {
			t.Fatalf("%d seq reads in three sweeps with nothing stored", again-reads)
		}
	})
}

// sent is what s was sent so far.
func (s *sink) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// TestSweepSiblingReadsAhead: an event of a stream with two sockets is
// stored without a notification, and a third socket starts, reading it:
// the two others are sent it too at the next sweep (a socket's own read
// does not count as the stream's handed out).
func TestSweepSiblingReadsAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		emit(t, st, "unit:car-1", 1, false)
		h := live.NewHub(st, quiet)
		sweep(t, h, 5*time.Second)
		start := func() *sink {
			s := newSink()
			serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 16, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "unit:car-1")}, nil, s)
			synctest.Wait()
			return s
		}
		a, b := start(), start()
		emit(t, st, "unit:car-1", 1, false)
		c := start()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		for name, s := range map[string]*sink{"a": a, "b": b} {
			if got := s.sent(); !slices.Equal(got, []string{"snap@1", "2"}) {
				t.Errorf("socket %s was sent %v, want [snap@1 2]", name, got)
			}
		}
		if got := c.sent(); !slices.Equal(got, []string{"snap@2"}) {
			t.Errorf("the third socket was sent %v, want [snap@2]", got)
		}
	})
}

// TestSweepAfterAFailedCheck: a socket asked to check whose read of its
// seq fails is asked again at the next sweep, and sent the event then.
func TestSweepAfterAFailedCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		emit(t, st, "unit:car-1", 1, false)
		src := &counting{Store: st}
		h := live.NewHub(src, quiet)
		s := newSink()
		serve(t, &live.Client{Hub: h, Stream: "unit:car-1", Queue: 16, Heartbeat: time.Hour, Snapshot: snapshotAt(st, "unit:car-1")}, nil, s)
		sweep(t, h, 5*time.Second)
		synctest.Wait()
		src.failOne.Store(1)
		emit(t, st, "unit:car-1", 1, false)
		time.Sleep(5*time.Second + time.Millisecond)
		synctest.Wait()
		if got := s.sent(); !slices.Equal(got, []string{"snap@1"}) {
			t.Fatalf("sent %v while the check's read failed, want [snap@1]", got)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := s.sent(); !slices.Equal(got, []string{"snap@1", "2"}) {
			t.Fatalf("sent %v after the next sweep, want [snap@1 2]", got)
		}
	})
}
