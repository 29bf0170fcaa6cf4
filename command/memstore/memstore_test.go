package memstore_test

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

type doc struct {
	ID   string   `json:"id"`
	Tags []string `json:"tags"`
}

// TestReadsAreCopies: what is read back is decoded anew: changing it, or
// the value a change carried, changes nothing stored.
func TestReadsAreCopies(t *testing.T) {
	st := memstore.New(memstore.Options{})
	ctx := context.Background()
	d := &doc{ID: "d-1", Tags: []string{"a"}}
	if _, err := st.Apply(ctx, &change.Change{Docs: []change.Doc{{Kind: "thing", ID: "d-1", Value: d}}}); err != nil {
		t.Fatal(err)
	}
	d.Tags[0] = "changed by the caller"
	got, err := memstore.Doc[doc](st, "thing", "d-1")
	if err != nil || got.Tags[0] != "a" {
		t.Fatalf("stored %+v %v", got, err)
	}
	got.Tags[0] = "changed by a reader"
	all, err := memstore.Docs[doc](st, "thing", nil)
	if err != nil || len(all) != 1 || all[0].Tags[0] != "a" {
		t.Fatalf("read again %+v %v", all, err)
	}
	if _, err := memstore.Doc[doc](st, "thing", "d-2"); !fault.IsNotFound(err) {
		t.Fatalf("missing document: %v", err)
	}
}

// TestUnencodableChangeWritesNothing: a change with a value that cannot be
// encoded fails before anything is written.
func TestUnencodableChangeWritesNothing(t *testing.T) {
	st := memstore.New(memstore.Options{})
	ctx := context.Background()
	_, err := st.Apply(ctx, &change.Change{At: time.Now(),
		Fields: []change.Field{{Kind: "k", ID: "1", Field: "f", Value: "v"}},
		Events: []vocab.Event{{Stream: "s", Type: "ok"}, {Stream: "s", Type: "bad", Data: func() {}}}})
	if err == nil {
		t.Fatal("an unencodable event was applied")
	}
	if seq, _ := st.Seq(ctx, "s"); seq != 0 || st.Field("k", "1", "f") != "" {
		t.Fatalf("written anyway: seq %d, field %q", seq, st.Field("k", "1", "f"))
	}
}
