package live_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"watchfloor/command/live"
	"watchfloor/command/memstore"
)

// TestStartsTakeTheirTurnAtTheGate: with a gate of one place, a client's
// start reads storage only once the one before has read; one whose context
// ends while it waits returns with the cause, reading nothing; a client
// already live fills a gap from storage while the gate is full.
func TestStartsTakeTheirTurnAtTheGate(t *testing.T) {
	st := memstore.New(memstore.Options{})
	h := live.NewHub(st, quiet)
	gate := live.NewGate(1)
	client := func(stream string, snap live.Snapshot) *live.Client {
		return &live.Client{Hub: h, Stream: stream, Queue: 100, Heartbeat: time.Hour, Snapshot: snap, Starts: gate}
	}
	// Live already, before the gate fills.
	live1 := newSink()
	serve(t, client("live", snapshotAt(st, "live")), nil, live1)
	live1.wait(t, "snap@0")

	// The first start holds the gate until released.
	entered, release := make(chan struct{}), make(chan struct{})
	holding := func(ctx context.Context) (live.Message, error) {
		close(entered)
		<-release
		return snapshotAt(st, "a")(ctx)
	}
	a := newSink()
	serve(t, client("a", holding), nil, a)
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before serve's own cleanup waits for the client
	<-entered

	// The second waits its turn: its snapshot is not read meanwhile.
	readB := make(chan struct{}, 1)
	b := newSink()
	serve(t, client("b", func(ctx context.Context) (live.Message, error) {
		readB <- struct{}{}
		return snapshotAt(st, "b")(ctx)
	}), nil, b)
	// A third gives up waiting.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- client("c", func(context.Context) (live.Message, error) {
			t.Error("a client that gave up read its snapshot")
			return live.Message{}, nil
		}).Serve(ctx, nil, nil, newSink().write)
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a client that gave up waiting returned %v", err)
	}

	// The live client fills a gap from storage with the gate full: seq 1
	// is read back when only seq 2 is heard.
	seqs := emit(t, st, "live", 2, false)
	all, _, _ := st.Range(context.Background(), "live", seqs[1], 1)
	h.Publish("live", all[0])
	live1.wait(t, "snap@0", "1", "2")

	select {
	case <-readB:
		t.Fatal("a second start read storage while the first held the gate")
	case <-time.After(300 * time.Millisecond):
	}
	free()
	a.wait(t, "snap@0")
	b.wait(t, "snap@0")
}
