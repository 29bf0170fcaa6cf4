package views

import (
	"context"
	"testing"
	"time"

	"watchfloor/command/change"
	"watchfloor/command/incident"
	"watchfloor/command/store"
	"watchfloor/command/store/storetest"
)

// TestDueFillSkipsWhatChangedSinceItsRead: the first fill of incidents:due
// puts an incident in only at the version it read, so an incident closed
// or reported between the fill's read and its write is not put back.
func TestDueFillSkipsWhatChangedSinceItsRead(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	ctx := context.Background()
	x := NewIncidents(st)
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	inc := &incident.Incident{ID: "I-1", Status: incident.StatusOpen, Version: 2, CreatedAt: now, UpdatedAt: now,
		Deadlines: []incident.Deadline{{ID: "report_higher", Kind: "report_higher", DueAt: now.Add(time.Hour), Status: "pending"}}}
	if _, err := x.Apply(ctx, &change.Change{At: now, Docs: []change.Doc{{Kind: change.KindIncident, ID: inc.ID, Value: inc, Fields: map[string]string{"ver": "2"}}}}); err != nil {
		t.Fatal(err)
	}
	key := st.Key("incidents", "due")
	if err := st.Client().Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	score := now.Add(time.Hour).UnixMilli()
	for _, c := range []struct {
		ver  string
		want int64
	}{{"1", 0}, {"2", 1}} { // read at version 1, written since; read at the version it holds
		if err := dueScript.Run(ctx, st.Client(), []string{key}, "I-1", c.ver, score, st.Key("incident", "")).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := st.Client().ZCard(ctx, key).Result(); err != nil || n != c.want {
			t.Errorf("read at version %s: %d in incidents:due (%v), want %d", c.ver, n, err, c.want)
		}
	}
}
