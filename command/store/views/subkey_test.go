package views

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/fault"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
)

// An id from a path that names one of a document's sub-keys (incident X's
// timeline list, unit car-1's set of orders) is a document not found, not
// Redis's WRONGTYPE answered as a 500.
func TestLoadByIDNamingASubKeyIsNotFound(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	rdb := st.Client()
	if err := rdb.RPush(ctx, st.Key("incident", "X", "timeline"), "{}").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.RPush(ctx, st.Key("case", "C", "timeline"), "{}").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.SAdd(ctx, st.Key("unit", "car-1", "orders"), "D-1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.HSet(ctx, st.Key("activation", "A", "progress"), "g:total", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.SAdd(ctx, st.Key("warning", "W", "activations"), "A").Err(); err != nil {
		t.Fatal(err)
	}
	units := NewUnits(st, time.Hour, nil)
	for _, tc := range []struct {
		name string
		load func() error
	}{
		{"incident X:timeline", func() error { _, err := NewIncidents(st).Load(ctx, "X:timeline"); return err }},
		{"case C:timeline", func() error { _, err := NewCases(st).Load(ctx, "C:timeline"); return err }},
		{"unit car-1:orders", func() error { _, err := units.LoadUnit(ctx, "car-1:orders"); return err }},
		{"warning W:activations", func() error { _, err := NewWarnings(st).Load(ctx, "W:activations"); return err }},
		{"activation A:progress", func() error { _, err := NewActivations(st).Load(ctx, "A:progress"); return err }},
	} {
		if err := tc.load(); !fault.IsNotFound(err) {
			t.Errorf("%s: %v, want not found", tc.name, err)
		}
	}
}
