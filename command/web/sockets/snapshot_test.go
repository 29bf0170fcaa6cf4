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
)

// TestScreenSnapshotSharedWithItsCompressedForm: sockets of one area that
// connect within a second get the same snapshot and the same compressed
// form, so a wall of screens connecting at once costs one compression;
// another area has its own.
func TestScreenSnapshotSharedWithItsCompressedForm(t *testing.T) {
	st := memstore.New(memstore.Options{})
	a := &Server{Kit: &rest.Kit{Deps: rest.Deps{Source: st}}}
	// The parts read at seq 0, as a first socket would have them: a
	// city's worth of units, enough to compress.
	a.ws.parts = &snapshotParts{at: time.Now(), units: strings.Repeat("car-0001 ", 1000)}
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
