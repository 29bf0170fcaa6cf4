package live

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWritersFanOut publishes one event at a time to 200 screens'
// writers (Serve's loop, each waking, batching and flushing to a sink that
// only counts) and waits until every one has written it: a wake-up of each
// socket's writer per event, as 200 screens take each incident.
func BenchmarkWritersFanOut(b *testing.B) {
	const screens = 200
	h := NewHub(emptySource{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // a failed run's writers too
	var wrote atomic.Int64
	all := make(chan struct{}, 1)
	ended := make(chan error, screens) // a writer that returned before the end
	var wg sync.WaitGroup
	for range screens {
		c := &Client{Hub: h, Stream: "s", Queue: 1024, Heartbeat: time.Hour,
			Snapshot: func(context.Context) (Message, error) { return Message{JSON: []byte(`{}`)}, nil }}
		c.Batch = func(msgs []Message) error {
			if wrote.Add(int64(len(msgs)))%screens == 0 {
				select {
				case all <- struct{}{}:
				default:
				}
			}
			return nil
		}
		// Each socket's own context, as the server gives each.
		sctx, scancel := context.WithCancel(ctx)
		wg.Go(func() {
			defer scancel()
			if err := c.Serve(sctx, nil, nil, func([]byte) error { return nil }); ctx.Err() == nil {
				ended <- fmt.Errorf("a writer returned: %v", err)
			}
		})
	}
	for h.Clients("s") < screens {
		select {
		case err := <-ended:
			b.Fatal(err)
		case <-time.After(time.Millisecond):
		}
	}
	ev := []byte(`{"type":"incident.created","seq":1}`)
	var seq uint64
	b.ReportAllocs()
	for b.Loop() {
		seq++
		h.Publish("s", Message{Seq: seq, JSON: ev})
		for wrote.Load() < int64(seq)*screens {
			select {
			case <-all:
			case err := <-ended:
				b.Fatal(err)
			}
		}
	}
	cancel()
	wg.Wait()
}
