package contract

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"watchfloor/command/auth"
	"watchfloor/command/vocab"
)

// sessions: a session is read back and kept alive by use until its TTL
// runs out unused; a deleted one is gone and every follower hears of it.
func sessions(t *testing.T, open Open) {
	st := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := auth.Session{Username: "alice", Role: vocab.Leader, Area: "4403", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := st.Sessions.PutSession(ctx, "h1", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Sessions.TouchSession(ctx, "h1", time.Hour); err != nil || got.Username != "alice" || got.Role != vocab.Leader || !got.CreatedAt.Equal(t0) {
		t.Fatalf("touch: %+v %v", got, err)
	}
	if _, err := st.Sessions.TouchSession(ctx, "none", time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("touch of no session: %v", err)
	}
	// Windows of a second or more: Redis keeps time on the real clock, and
	// a loaded machine may pause the test for a few hundred milliseconds.
	if err := st.Sessions.PutSession(ctx, "h2", s, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sessions.TouchSession(ctx, "h2", 3*time.Second); err != nil {
		t.Fatal(err)
	}
	st.Elapse(1500 * time.Millisecond)
	if _, err := st.Sessions.TouchSession(ctx, "h2", 500*time.Millisecond); err != nil {
		t.Fatalf("a session touched was not kept: %v", err)
	}
	st.Elapse(time.Second)
	if _, err := st.Sessions.TouchSession(ctx, "h2", time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a session past its TTL: %v", err)
	}

	heard := make(chan string, 100)
	up := make(chan struct{}, 1)
	go func() {
		_ = st.Revocations(ctx, func(h string) { heard <- h }, func() {
			select { // and again after a reconnection, which must not block
			case up <- struct{}{}:
			default:
			}
		})
	}()
	select { // up says it follows: the session cache relies on it
	case <-up:
	case <-time.After(5 * time.Second):
		t.Fatal("following revocations never reported it was up")
	}
	// Once up, a revocation is heard the first time.
	if err := st.Sessions.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-heard:
		if got != "h1" {
			t.Fatalf("heard %q, want h1", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a session deleted once following was up was not heard")
	}
	if _, err := st.Sessions.TouchSession(ctx, "h1", time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a deleted session: %v", err)
	}
	// A replace never brings an ended session back, and changes a live one.
	if err := st.Sessions.ReplaceSession(ctx, "h1", s, time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("replacing a deleted session: %v", err)
	}
	if _, err := st.Sessions.TouchSession(ctx, "h1", time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("a deleted session came back: %v", err)
	}
	s.MustChangePassword = true
	if err := st.Sessions.PutSession(ctx, "h3", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	s.MustChangePassword = false
	if err := st.Sessions.ReplaceSession(ctx, "h3", s, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Sessions.TouchSession(ctx, "h3", time.Hour); err != nil || got.MustChangePassword {
		t.Fatalf("a replaced session: %+v %v", got, err)
	}
}

// until does again and again until a follower started in the background
// hears want on heard (within 5 s).
func until(t *testing.T, heard <-chan string, want string, do func() error) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for got := ""; got != want; {
		if err := do(); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-heard:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%q not heard within 5 s", want)
		}
	}
}

// tickets: a ticket is taken once, and not after its TTL.
func tickets(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	if err := st.Sessions.PutTicket(ctx, "t1", "h1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.Sessions.PutTicket(ctx, "t2", "h2", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if h, err := st.Sessions.TakeTicket(ctx, "t1"); h != "h1" || err != nil {
		t.Fatalf("take: %q %v", h, err)
	}
	if _, err := st.Sessions.TakeTicket(ctx, "t1"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("second take: %v", err)
	}
	st.Elapse(100 * time.Millisecond)
	if _, err := st.Sessions.TakeTicket(ctx, "t2"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("take after the TTL: %v", err)
	}
}

// loginAttempts: attempts are counted under every counter; from its max a
// counter delays the next attempt, doubling up to the cap, and refuses
// attempts uncounted meanwhile; a success forgets the first counter and
// takes the attempt back from the others.
func loginAttempts(t *testing.T, open Open) {
	st := open(t)
	ctx := context.Background()
	d := auth.Delays{Base: time.Second, Cap: 4 * time.Second, Window: time.Hour}
	user, addr := auth.Counter{Key: "user:alice", Max: 3}, auth.Counter{Key: "addr:10.0.0.1", Max: 0}
	for _, c := range []struct {
		at     time.Duration
		counts []int
		next   time.Duration
		wait   time.Duration
	}{
		{0, []int{1, 1}, 0, 0},
		{0, []int{2, 2}, 0, 0},
		{0, []int{3, 3}, time.Second, 0},
		{500 * time.Millisecond, nil, 0, 500 * time.Millisecond},
		{time.Second, []int{4, 4}, 2 * time.Second, 0},
		{3 * time.Second, []int{5, 5}, 4 * time.Second, 0},
		{7 * time.Second, []int{6, 6}, 4 * time.Second, 0},
	} {
		a, err := st.Sessions.Attempt(ctx, t0.Add(c.at), d, user, addr)
		if err != nil || !slices.Equal(a.Counts, c.counts) || a.Next != c.next || a.Wait != c.wait {
			t.Fatalf("attempt at +%s: %+v %v, want counts %v next %s wait %s", c.at, a, err, c.counts, c.next, c.wait)
		}
	}
	if err := st.Sessions.Succeeded(ctx, user, addr); err != nil {
		t.Fatal(err)
	}
	if a, err := st.Sessions.Attempt(ctx, t0.Add(11*time.Second), d, user, addr); err != nil || !slices.Equal(a.Counts, []int{1, 6}) {
		t.Fatalf("after a success: %+v %v", a, err)
	}
	// A counter taken back below its max stops delaying.
	ip := auth.Counter{Key: "addr:10.0.0.2", Max: 2}
	for range 2 {
		if _, err := st.Sessions.Attempt(ctx, t0, d, auth.Counter{Key: "user:bob"}, ip); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Sessions.Succeeded(ctx, auth.Counter{Key: "user:bob"}, ip); err != nil {
		t.Fatal(err)
	}
	if a, err := st.Sessions.Attempt(ctx, t0, d, auth.Counter{Key: "user:bob"}, ip); err != nil || a.Wait != 0 || !slices.Equal(a.Counts, []int{1, 2}) {
		t.Fatalf("after taking back: %+v %v", a, err)
	}
}
