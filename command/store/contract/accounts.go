package contract

import (
	"context"
	"errors"
	"testing"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// accountReads: an account is read back with its hash and last login
// beside its document; the list holds those not deleted, by username; a
// unit's holder follows the binding; a deleted account is not found.
func accountReads(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	s := account.New(st.Accounts, account.Rules{Unit: func(string) bool { return true }, BcryptCost: 4}, nil, func() time.Time { return t0 })
	seeds := []account.Seed{
		{Account: account.Account{Username: "zhao", Name: "赵", Role: vocab.Operator}, Hash: "$2a$04$zhao"},
		{Account: account.Account{Username: "car-01", Name: "一号车", Role: vocab.Responder, Unit: "car-01"}, Hash: "$2a$04$car"},
		{Account: account.Account{Username: "ann", Name: "Ann", Role: vocab.Viewer}, Hash: "$2a$04$ann"},
	}
	if _, err := s.SeedAll(ctx, seeds); err != nil {
		t.Fatal(err)
	}
	got, err := st.Accounts.Load(ctx, "car-01")
	if err != nil || got.Hash != "$2a$04$car" || got.Account.Unit != "car-01" || got.Account.Version != 1 || !got.Account.CreatedAt.Equal(t0) {
		t.Fatalf("load: %+v %v", got, err)
	}
	if h, err := st.Accounts.UnitHolder(ctx, "car-01"); h != "car-01" || err != nil {
		t.Fatalf("holder: %q %v", h, err)
	}
	if h, err := st.Accounts.UnitHolder(ctx, "car-09"); h != "" || err != nil {
		t.Fatalf("holder of a free unit: %q %v", h, err)
	}
	if err := s.LoggedIn(ctx, "zhao", 2, t0.Add(time.Minute)); !fault.IsConflict(err) {
		t.Fatalf("a login of another version recorded: %v", err)
	}
	if err := s.LoggedIn(ctx, "zhao", 1, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Accounts.Load(ctx, "zhao"); err != nil || got.Account.LastLogin == nil || !got.Account.LastLogin.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last login: %+v %v", got.Account, err)
	}
	if err := s.Delete(ctx, vocab.Actor{Username: "root", Role: vocab.Admin}, "car-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Accounts.Load(ctx, "car-01"); !fault.IsNotFound(err) {
		t.Fatalf("a deleted account: %v", err)
	}
	if h, _ := st.Accounts.UnitHolder(ctx, "car-01"); h != "" {
		t.Fatalf("a deleted account's unit: %q", h)
	}
	list, err := st.Accounts.List(ctx)
	if err != nil || len(list) != 2 || list[0].Username != "ann" || list[1].Username != "zhao" || list[1].LastLogin == nil {
		t.Fatalf("list: %v %v", list, err)
	}
	if _, err := st.Accounts.Load(ctx, "nobody"); !fault.IsNotFound(err) {
		t.Fatalf("no such account: %v", err)
	}
}

// accountSessionsEnd: ending an account's sessions ends all of them and
// no other account's, and every follower hears of each.
func accountSessionsEnd(t *testing.T, open Open) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct{ hash, user string }{{"a1", "alice"}, {"a2", "alice"}, {"b1", "bob"}} {
		s := auth.Session{Username: c.user, Role: vocab.Operator, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := st.Sessions.PutSession(ctx, c.hash, s, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	heard := make(chan string, 100)
	go func() { _ = st.Revocations(ctx, func(h string) { heard <- h }, nil) }()
	until(t, heard, "a1", func() error {
		// Sessions ended by an earlier try are gone; put them back.
		for _, h := range []string{"a1", "a2"} {
			if err := st.Sessions.PutSession(ctx, h, auth.Session{Username: "alice", Role: vocab.Operator, CreatedAt: t0}, time.Hour); err != nil {
				return err
			}
		}
		return st.Sessions.EndSessions(ctx, "alice")
	})
	for _, h := range []string{"a1", "a2"} {
		if _, err := st.Sessions.TouchSession(ctx, h, time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("session %s of an ended account: %v", h, err)
		}
	}
	if s, err := st.Sessions.TouchSession(ctx, "b1", time.Hour); err != nil || s.Username != "bob" {
		t.Errorf("another account's session: %+v %v", s, err)
	}
	if err := st.Sessions.EndSessions(ctx, "nobody"); err != nil {
		t.Errorf("an account without sessions: %v", err)
	}
	// Ending the others keeps the one named.
	for _, h := range []string{"b2", "b3"} {
		if err := st.Sessions.PutSession(ctx, h, auth.Session{Username: "bob", Role: vocab.Operator, CreatedAt: t0}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Sessions.EndOtherSessions(ctx, "bob", "b2"); err != nil {
		t.Fatal(err)
	}
	for h, live := range map[string]bool{"b1": false, "b2": true, "b3": false} {
		if _, err := st.Sessions.TouchSession(ctx, h, time.Hour); (err == nil) != live {
			t.Errorf("session %s after ending the others of b2: %v", h, err)
		}
	}
	if err := st.Sessions.EndSessions(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sessions.TouchSession(ctx, "b2", time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the kept session is still one of the account's: %v", err)
	}
}
