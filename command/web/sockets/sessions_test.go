package sockets

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestSessionsDue: a session's check is due every interval from its first
// socket's registration, once however many sockets it has, not again until
// the next interval, and no more once its last socket is gone.
func TestSessionsDue(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	const every = 15 * time.Minute
	s := socketSessions{open: map[string]*sessionSockets{}}
	var cancel context.CancelCauseFunc = func(error) {}
	removeA1 := s.add("a", cancel, t0.Add(15*time.Minute))
	removeA2 := s.add("a", cancel, t0.Add(20*time.Minute)) // a's check stays at 09:15
	removeB := s.add("b", cancel, t0.Add(25*time.Minute))
	steps := []struct {
		at   time.Duration
		want []string
		then func()
	}{
		{at: 14 * time.Minute},
		{at: 15 * time.Minute, want: []string{"a"}},
		{at: 15*time.Minute + time.Second}, // a not again until 09:30
		{at: 25 * time.Minute, want: []string{"b"}},
		{at: 30 * time.Minute, want: []string{"a"}, then: removeA1},
		{at: 45 * time.Minute, want: []string{"a", "b"}, then: removeA2}, // a2 still open
		{at: 60 * time.Minute, want: []string{"b"}, then: removeB},       // a gone
		{at: 120 * time.Minute},
	}
	for _, st := range steps {
		got := s.due(t0.Add(st.at), every)
		slices.Sort(got)
		if !slices.Equal(got, st.want) {
			t.Errorf("due at +%v: %v, want %v", st.at, got, st.want)
		}
		if st.then != nil {
			st.then()
		}
	}
	if len(s.open) != 0 {
		t.Errorf("left open %v; want none", s.open)
	}
}

// TestRevokedEndsEverySocketOfTheSession: a revocation cancels each socket
// of its session, with errSessionEnded, and no other session's.
func TestRevokedEndsEverySocketOfTheSession(t *testing.T) {
	a := &Server{}
	a.sessions.open = map[string]*sessionSockets{}
	causes := map[string]error{}
	cancelOf := func(name string) context.CancelCauseFunc {
		return func(err error) { causes[name] = err }
	}
	next := time.Now().Add(time.Minute)
	a.sessions.add("a", cancelOf("a1"), next)
	a.sessions.add("a", cancelOf("a2"), next)
	a.sessions.add("b", cancelOf("b"), next)
	a.Revoked("a")
	a.Revoked("nobody")
	if len(causes) != 2 || !errors.Is(causes["a1"], errSessionEnded) || !errors.Is(causes["a2"], errSessionEnded) {
		t.Errorf("ended %v, want a1 and a2 with errSessionEnded", causes)
	}
}
