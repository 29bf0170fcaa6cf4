package sockets

import (
	"context"
	"strings"
	"testing"
	"time"

	"watchfloor/command/memstore"
	"watchfloor/command/web/rest"
)

// TestScreenSnapshotSharedWithItsCompressedForm: sockets of one area that
// connect at the same seq get the same snapshot and the same compressed
// form, so a wall of screens connecting at once costs one compression;
// another area has its own.
func TestScreenSnapshotSharedWithItsCompressedForm(t *testing.T) {
	a := &Server{Kit: &rest.Kit{Deps: rest.Deps{Source: memstore.New(memstore.Options{})}}}
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
	other, err := a.screenSnapshot(ctx, "district-2")
	if err != nil {
		t.Fatal(err)
	}
	if other.Deflated == nil || other.Deflated == first.Deflated {
		t.Error("another area shares the first area's compressed form")
	}
}
