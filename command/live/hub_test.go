package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"watchfloor/command/vocab"
)

func TestArea(t *testing.T) {
	for in, want := range map[string]string{
		`{"seq":7,"type":"case.created","area":"440303001001","at":"x","data":{"area":"no"}}`: "440303001001",
		`{"seq":18446744073709551615,"type":"case.updated","area":"4403","at":"x","data":{}}`: "4403",
		`{"seq":7,"type":"incident.created","at":"x","data":{"area":"no"}}`:                   "",
		`{"type":"heartbeat","at":"x","data":{"seq":1}}`:                                      "",
		`{"seq":7,"type":"case.created","area":"unterminated`:                                 "",
		``: "",
	} {
		if got := string(Area([]byte(in))); got != want {
			t.Errorf("Area(%s) = %q, want %q", in, got, want)
		}
	}
}

// oneEvent is a Source whose stream holds one event after seq 0.
type oneEvent struct{ msg Message }

func (s oneEvent) Seq(context.Context, string) (uint64, error) { return 0, nil }
func (s oneEvent) Seqs(_ context.Context, streams []string) ([]uint64, error) {
	return make([]uint64, len(streams)), nil
}
func (s oneEvent) Range(context.Context, string, uint64, int64) ([]Message, uint64, error) {
	return []Message{s.msg}, 1, nil
}
func (s oneEvent) Tail(ctx context.Context, _ string, after uint64, _ time.Duration) ([]Message, error) {
	if after == 0 {
		return []Message{s.msg}, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestObserversBeforeSubscribers: a tailed event reaches the observers,
// decoded, before any subscriber can receive it.
func TestObserversBeforeSubscribers(t *testing.T) {
	msg := Message{Seq: 1, JSON: []byte(`{"seq":1,"type":"unit.status","at":"2026-01-02T03:04:05Z","data":{"unit_id":"u1","status":"off_duty"}}`)}
	seen := make(chan vocab.Envelope, 1)
	var sub *Sub
	queued := -1
	h := NewHub(oneEvent{msg}, nil, Observer{Types: []string{vocab.UnitStatus}, Fn: func(ev vocab.Envelope) {
		queued = sub.Len() // what the subscriber had received by now
		seen <- ev
	}})
	sub = h.Subscribe("screen", 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Tail(ctx, "screen")
	select {
	case ev := <-seen:
		if ev.Type != vocab.UnitStatus || ev.Seq != 1 || string(ev.Data) != `{"unit_id":"u1","status":"off_duty"}` {
			t.Fatalf("observer saw %+v", ev)
		}
		if queued != 0 {
			t.Fatal("a subscriber received the event before the observer saw it")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the observer never saw the tailed event")
	}
	select {
	case <-sub.Ready():
		if m, _ := sub.Next(); m.Seq != 1 {
			t.Fatalf("subscriber got seq %d", m.Seq)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the subscriber never got the event")
	}
}

// stream is a Source of one stream held in memory: msgs[i] has seq first+i.
type stream struct {
	mu    sync.Mutex
	first uint64
	msgs  []Message
}

func newStream(first uint64, n int) *stream {
	s := &stream{first: first}
	for range n {
		s.append()
	}
	return s
}

// append stores the next event and returns it.
func (s *stream) append() Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.first + uint64(len(s.msgs))
	m := Message{Seq: seq, JSON: []byte(fmt.Sprintf(`{"seq":%d,"type":"t","at":"2026-01-02T03:04:05Z","data":{}}`, seq))}
	s.msgs = append(s.msgs, m)
	return m
}

func (s *stream) Seq(context.Context, string) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first + uint64(len(s.msgs)) - 1, nil
}

func (s *stream) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	seq, _ := s.Seq(ctx, "")
	seqs := make([]uint64, len(streams))
	for i := range seqs {
		seqs[i] = seq
	}
	return seqs, nil
}

func (s *stream) Range(_ context.Context, _ string, from uint64, count int64) ([]Message, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if m.Seq >= from && int64(len(out)) < count {
			out = append(out, m)
		}
	}
	return out, s.first, nil
}

// Tail is not used: the tests publish what the hub would tail.
func (s *stream) Tail(ctx context.Context, _ string, _ uint64, _ time.Duration) ([]Message, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// serve runs a client of the stream from since and returns the seqs it
// writes (0 for the snapshot) as they come.
func serve(t *testing.T, h *Hub, since *uint64, snapSeq uint64) <-chan uint64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	got := make(chan uint64, 100)
	c := &Client{Hub: h, Stream: "s", Queue: 16, Heartbeat: time.Hour,
		Snapshot: func(context.Context) (Message, error) { return SnapshotOf([]byte(`{"type":"snapshot"}`), snapSeq, nil) }}
	go c.Serve(ctx, since, nil, func(b []byte) error {
		var m struct{ Seq uint64 }
		_ = json.Unmarshal(b, &m)
		got <- m.Seq
		return nil
	})
	return got
}

func expect(t *testing.T, got <-chan uint64, want ...uint64) {
	t.Helper()
	for _, w := range want {
		select {
		case g := <-got:
			if g != w {
				t.Fatalf("wrote seq %d, want %d", g, w)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("nothing written, want seq %d", w)
		}
	}
}

// TestServe: a snapshot or a resume, then live events in seq order without
// gaps or repeats.
func TestServe(t *testing.T) {
	seq := func(n uint64) *uint64 { return &n }
	for _, tc := range []struct {
		name  string
		first uint64
		held  int
		since *uint64
		snap  uint64
		want  []uint64 // before the live event
	}{
		{"snapshot", 1, 3, nil, 3, []uint64{0}},
		{"snapshot behind the stream catches up", 1, 3, nil, 1, []uint64{0, 2, 3}},
		{"resume", 1, 3, seq(1), 0, []uint64{2, 3}},
		{"resume older than the stream", 5, 3, seq(2), 7, []uint64{0}},
		{"resume from another life", 1, 3, seq(9), 3, []uint64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newStream(tc.first, tc.held)
			h := NewHub(src, nil)
			got := serve(t, h, tc.since, tc.snap)
			expect(t, got, tc.want...)
			for h.Clients("s") == 0 {
				time.Sleep(time.Millisecond)
			}
			// A repeat of what was sent is dropped; the next event is sent.
			h.Publish("s", Message{Seq: tc.first + uint64(tc.held) - 1, JSON: []byte(`{"seq":1}`)})
			next := src.append()
			h.Publish("s", next)
			expect(t, got, next.Seq)
			// An event past a gap makes the client catch up from storage.
			gap, last := src.append(), src.append()
			h.Publish("s", last)
			expect(t, got, gap.Seq, last.Seq)
		})
	}
}
