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

// TestHeartbeatsKeepTheirCadence: a heartbeat is due every Heartbeat from
// the start of the last, however long its seq check took: with 5 s beats
// and 3 s checks, written at 8 s and 13 s, not 8 s and 16 s.
func TestHeartbeatsKeepTheirCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := memstore.New(memstore.Options{})
		s := newSink()
		serve(t, &live.Client{Hub: live.NewHub(slowSeq{st}, quiet), Stream: "screen", Queue: 100, Heartbeat: 5 * time.Second,
			Snapshot: snapshotAt(st, "screen")}, nil, s)
		synctest.Wait()
		s.wait(t, "snap@0")
		time.Sleep(13*time.Second + time.Second/2)
		synctest.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.beat != 2 {
			t.Fatalf("%d heartbeats after 13.5 s, want 2 (at 8 and 13 s)", s.beat)
		}
	})
}
