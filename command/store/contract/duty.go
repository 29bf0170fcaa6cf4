package contract

import (
	"context"
	"testing"

	"watchfloor/command/change"
	"watchfloor/command/duty"
)

// dutyReads: the roster's and the handovers' month maps read back whole,
// an empty month as an empty map, one field by itself (absent: not ok); a guard on a day's version holds against
// a stale write; handover numbers count per day from 1.
func dutyReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	put := func(ver string, allowed string) error {
		_, err := st.Changes.Apply(ctx, &change.Change{At: t0,
			Guards: []change.Guard{{Kind: duty.KindRoster, ID: "2026-12", Field: "v:2026-12-04", Allowed: []string{allowed}, Why: "changed"}},
			Fields: []change.Field{{Kind: duty.KindRoster, ID: "2026-12", Field: "2026-12-04", Value: `{"date":"2026-12-04","version":` + ver + `}`},
				{Kind: duty.KindRoster, ID: "2026-12", Field: "v:2026-12-04", Value: ver}}})
		return err
	}
	if err := put("1", ""); err != nil {
		t.Fatal(err)
	}
	if err := put("2", ""); err == nil {
		t.Fatal("a write guarded by a stale version went through")
	}
	m, err := st.Duty.Month(ctx, duty.KindRoster, "2026-12")
	if err != nil || len(m) != 2 || m["v:2026-12-04"] != "1" || m["2026-12-04"] != `{"date":"2026-12-04","version":1}` {
		t.Fatalf("month %v %v", m, err)
	}
	if v, ok, err := st.Duty.Field(ctx, duty.KindRoster, "2026-12", "v:2026-12-04"); err != nil || !ok || v != "1" {
		t.Fatalf("one field: %q %v %v", v, ok, err)
	}
	if v, ok, err := st.Duty.Field(ctx, duty.KindRoster, "2026-12", "v:2026-12-05"); err != nil || ok || v != "" {
		t.Fatalf("a field not set: %q %v %v", v, ok, err)
	}
	if _, ok, err := st.Duty.Field(ctx, duty.KindHandovers, "2026-11", "H-20261101-1"); err != nil || ok {
		t.Fatalf("a field of a month not kept: %v %v", ok, err)
	}
	if m, err := st.Duty.Month(ctx, duty.KindHandovers, "2026-12"); err != nil || len(m) != 0 {
		t.Fatalf("an empty month: %v %v", m, err)
	}
	for want := int64(1); want <= 2; want++ {
		if n, err := st.Duty.NextID(ctx, "20261204"); err != nil || n != want {
			t.Fatalf("handover number %d, want %d (%v)", n, want, err)
		}
	}
}
