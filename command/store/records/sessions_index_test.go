package records_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
)

// Sessions stored before accounts kept the set of their sessions (a plain
// SET) are added to those sets at start, so ending an account's sessions
// ends them too; the second start finds its mark and scans nothing.
func TestOldSessionsIndexedOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.Options{})
	for _, s := range []struct{ hash, user string }{{"h1", "alice"}, {"h2", "alice"}, {"h3", "bob"}} {
		b, _ := json.Marshal(auth.Session{Username: s.user, Role: vocab.Operator, CreatedAt: time.Now()})
		if err := st.Client().Set(ctx, st.Key("session", s.hash), b, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	x := records.NewSessions(st)
	if err := x.IndexOldSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := x.EndSessions(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]int64{"h1": 0, "h2": 0, "h3": 1} {
		if got := st.Client().Exists(ctx, st.Key("session", hash)).Val(); got != want {
			t.Errorf("session %s exists %d after alice's were ended, want %d", hash, got, want)
		}
	}
	// Marked: a session stored the old way now is not indexed again.
	b, _ := json.Marshal(auth.Session{Username: "carol", Role: vocab.Operator})
	st.Client().Set(ctx, st.Key("session", "h4"), b, time.Hour)
	if err := x.IndexOldSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if n := st.Client().SCard(ctx, st.Key("sessions", "of", "carol")).Val(); n != 0 {
		t.Errorf("indexed again after the mark: %d", n)
	}
}
