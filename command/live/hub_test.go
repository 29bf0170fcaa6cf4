package live

import (
	"context"
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
	h := NewHub(oneEvent{msg}, nil, func(ev vocab.Envelope) {
		queued = len(sub.C) // what the subscriber had received by now
		seen <- ev
	})
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
	case m := <-sub.C:
		if m.Seq != 1 {
			t.Fatalf("subscriber got seq %d", m.Seq)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the subscriber never got the event")
	}
}
