package sockets

import (
	"context"
	"strings"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
	"watchfloor/command/web/rest"
	"watchfloor/config"
)

// TestScreenSnapshotSharedWithItsCompressedForm: sockets of one area that
// connect within a second get the same snapshot and the same compressed
// form, so a wall of screens connecting at once costs one compression;
// another area has its own.
func TestScreenSnapshotSharedWithItsCompressedForm(t *testing.T) {
	st := memstore.New(memstore.Options{})
	a := &Server{Kit: &rest.Kit{Deps: rest.Deps{Source: st, Config: &config.Config{Streams: config.Streams{MaxLen: 100}}}}}
	// The parts read at seq 0, as a first socket would have them: a
	// city's worth of units, enough to compress (read "later", so that a
	// pause of the test never makes them stale: this server has nothing
	// to read them again from).
	a.ws.parts = &snapshotParts{read: read{at: time.Now().Add(time.Hour)}, units: strings.Repeat("car-0001 ", 1000)}
	ctx := context.Background()
	first, err := a.screenSnapshot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if first.Deflated == nil || first.Deflated.Bytes() == nil {
		t.Fatalf("a snapshot of %d bytes has no compressed form", len(first.JSON))
	}
	second, err := a.screenSnapshot(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if second.Deflated != first.Deflated || &second.JSON[0] != &first.JSON[0] {
		t.Error("a second socket at the same seq got a snapshot or a compressed form of its own")
	}
	// The stream moved on (incidents every few milliseconds): a socket
	// within the second still gets the snapshot built, at its seq, and
	// replays what came after.
	if _, err := st.Apply(ctx, &change.Change{At: time.Now(), Events: []vocab.Event{{Stream: vocab.ScreenStream, Type: "incident.created"}}}); err != nil {
		t.Fatal(err)
	}
	if seq, _ := st.Seq(ctx, vocab.ScreenStream); seq != 1 {
		t.Fatalf("the screen stream is at %d", seq)
	}
	third, err := a.screenSnapshot(ctx, "")
	if err != nil || third.Deflated != first.Deflated || third.Seq != first.Seq {
		t.Errorf("a socket after the stream moved got seq %d (first %d), its own compressed form %v: %v", third.Seq, first.Seq, third.Deflated != first.Deflated, err)
	}
	other, err := a.screenSnapshot(ctx, "district-2")
	if err != nil {
		t.Fatal(err)
	}
	if other.Deflated == nil || other.Deflated == first.Deflated {
		t.Error("another area shares the first area's compressed form")
	}
}

// TestSnapshotReplayable: a snapshot serves a socket while it is young, not
// ahead of the stream (a stream that lost data starts again lower) and
// what followed it is still in the stream (max_len 100 here).
func TestSnapshotReplayable(t *testing.T) {
	a := &Server{Kit: &rest.Kit{Deps: rest.Deps{Config: &config.Config{Streams: config.Streams{MaxLen: 100}}}}}
	now := time.Now()
	for _, tc := range []struct {
		name        string
		seq, stream uint64
		age         time.Duration
		want        bool
	}{
		{"same seq", 40, 40, 0, true},
		{"events since", 40, 139, 500 * time.Millisecond, true},
		{"a second old", 40, 40, time.Second, false},
		{"the stream lost data", 40, 12, 0, false},
		{"what followed trimmed", 40, 140, 0, false},
	} {
		if got := a.replayable(read{tc.seq, now.Add(-tc.age)}, tc.stream); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
