package live_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
)

// slowSeq is a store whose seq reads take 3 s (of a bubble's clock), as a
// hung Redis's do until they fail.
type slowSeq struct{ *memstore.Store }

func (s slowSeq) Seq(ctx context.Context, stream string) (uint64, error) {
	time.Sleep(3 * time.Second)
	return s.Store.Seq(ctx, stream)
}

func (s slowSeq) Seqs(ctx context.Context, streams []string) ([]uint64, error) {
	time.Sleep(3 * time.Second)
	return s.Store.Seqs(ctx, streams)
}

// TestHeartbeatsKeepTheirCadence: a heartbeat reads nothing from storage,
// and is written every Heartbeat while the sweep's seq reads take 3 s: at
// 5 s and 10 s, not 8 s and 13 s.
func TestHeartbeatsKeepTheirCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		h := live.NewHub(slowSeq{st}, quiet)
		s := newSink()
		serve(t, &live.Client{Hub: h, Stream: "screen", Queue: 100, Heartbeat: 5 * time.Second,
			Snapshot: snapshotAt(st, "screen")}, nil, s)
		sweep(t, h, 5*time.Second)
		synctest.Wait()
		s.wait(t, "snap@0")
		time.Sleep(10*time.Second + time.Second/2)
		synctest.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.beat != 2 {
			t.Fatalf("%d heartbeats after 10.5 s, want 2 (at 5 and 10 s)", s.beat)
		}
	})
}
