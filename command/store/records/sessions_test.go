package records_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/store"
	"watchfloor/command/store/records"
	"watchfloor/command/store/storetest"
	"watchfloor/command/vocab"
)

// TestAccountSessionSetStaysNearTheLiveOnes: the set of an account's
// sessions (kept so that disabling it ends them all) drops members whose
// session expired as new ones are stored, and never a live one.
func TestAccountSessionSetStaysNearTheLiveOnes(t *testing.T) {
	st := storetest.Open(t, store.Options{})
	x := records.NewSessions(st)
	ctx := context.Background()
	sess := auth.Session{Username: "alice", Role: vocab.Operator, CreatedAt: time.Now()}
	if err := x.PutSession(ctx, "live", sess, time.Hour); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := x.PutSession(ctx, fmt.Sprintf("old-%d", i), sess, 20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	set := st.Key("sessions", "of", "alice")
	deadline := time.Now().Add(5 * time.Second)
	for st.Client().Exists(ctx, st.Key("session", "old-19")).Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("old-19 never expired")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Each new session is live: the set should come to hold exactly the
	// live ones, the 20 expired dropped on the way.
	live := int64(1)
	for n := int64(0); n != live; live++ {
		if live > 200 {
			t.Fatalf("the set holds %d members for %d live sessions", n, live)
		}
		if err := x.PutSession(ctx, fmt.Sprintf("new-%d", live), sess, time.Hour); err != nil {
			t.Fatal(err)
		}
		var err error
		if n, err = st.Client().SCard(ctx, set).Result(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := st.Client().SIsMember(ctx, set, "live").Result(); !ok {
		t.Error("a live session was dropped from its account's set")
	}
}
