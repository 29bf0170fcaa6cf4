package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/gridcase"
	"watchfloor/command/store/views"
)

// TestCasesCreatedFilledOnce: cases stored before the ranking by creation
// was kept are ranked by the first read (cases:createdx marks it done), so
// the ledger of an old period finds them; later ones rank themselves.
func TestCasesCreatedFilledOnce(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	x := views.NewCases(st)
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	c := &change.Change{At: t0}
	for i := range 1200 { // more than one fill step of 500
		k := &gridcase.Case{ID: fmt.Sprintf("C-%04d", i), Kind: "litter", Status: gridcase.Collected,
			CreatedAt: t0.Add(time.Duration(i) * time.Minute), UpdatedAt: t0.Add(300 * 24 * time.Hour), Version: 1}
		c.Docs = append(c.Docs, change.Doc{Kind: change.KindCase, ID: k.ID, Value: k, Fields: map[string]string{"ver": "1"}})
	}
	if _, err := x.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	// As an older version left them: no ranking, no marker.
	if err := st.Client().Del(ctx, st.Key("cases", "created"), st.Key("cases", "createdx")).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := x.Created(ctx, t0.Add(600*time.Minute), t0.Add(1100*time.Minute), 10000)
	if err != nil || len(got) != 500 || got[0].ID != "C-0600" || got[499].ID != "C-1099" {
		t.Fatalf("created in the period: %d cases %v", len(got), err)
	}
	if n, _ := st.Client().Exists(ctx, st.Key("cases", "createdx")).Result(); n != 1 {
		t.Fatal("the fill is not marked done")
	}
	late := &gridcase.Case{ID: "C-9999", Kind: "litter", Status: gridcase.Collected, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0, Version: 1}
	if _, err := x.Apply(ctx, &change.Change{At: t0, Docs: []change.Doc{{Kind: change.KindCase, ID: late.ID, Value: late, Fields: map[string]string{"ver": "1"}}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := x.Created(ctx, t0.Add(-2*time.Hour), t0, 10); err != nil || len(got) != 1 || got[0].ID != "C-9999" {
		t.Fatalf("a case stored after the fill: %v %v", got, err)
	}
}
