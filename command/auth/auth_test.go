package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/command/vocab"
	"watchfloor/config"
)

// memStore is a SessionStore in memory that never delays attempts.
type memStore struct {
	mu       sync.Mutex
	sessions map[string]Session
	tickets  map[string]string
}

func (m *memStore) Attempt(context.Context, time.Time, Delays, ...Counter) (Attempt, error) {
	return Attempt{Counts: []int{1, 1, 1}}, nil
}
func (m *memStore) Succeeded(context.Context, ...Counter) error { return nil }
func (m *memStore) PutSession(_ context.Context, h string, s Session, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sessions[h] = s
	return nil
}
func (m *memStore) TouchSession(_ context.Context, h string, _ time.Duration) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[h]
	if !ok {
		return Session{}, ErrUnauthenticated
	}
	return s, nil
}
func (m *memStore) DeleteSession(_ context.Context, h string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, h)
	return nil
}
func (m *memStore) EndSessions(ctx context.Context, user string) error {
	return m.EndOtherSessions(ctx, user, "")
}
func (m *memStore) ReplaceSession(_ context.Context, h string, s Session, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[h]; !ok {
		return ErrUnauthenticated
	}
	m.sessions[h] = s
	return nil
}
func (m *memStore) EndOtherSessions(_ context.Context, user, keep string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, s := range m.sessions {
		if h != keep && s.Username == user {
			delete(m.sessions, h)
		}
	}
	return nil
}

// dir is a Directory of fixed accounts.
type dir map[string]struct {
	a    Account
	hash string
}

func (d dir) Credentials(_ context.Context, name string) (Account, string, bool, error) {
	e, ok := d[name]
	return e.a, e.hash, ok, nil
}
func (d dir) LoggedIn(context.Context, string, int, time.Time) error { return nil }

func (m *memStore) PutTicket(_ context.Context, t, h string, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tickets[t] = h
	return nil
}
func (m *memStore) TakeTicket(_ context.Context, t string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h, ok := m.tickets[t]
	if !ok {
		return "", ErrUnauthenticated
	}
	delete(m.tickets, t)
	return h, nil
}

func TestSessionAgeAndTickets(t *testing.T) {
	now := time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	cfg := config.Defaults()
	cfg.Auth.BcryptCost = 4
	cfg.Auth.SessionTTL, cfg.Auth.SessionMaxAge = time.Hour, 3*time.Hour
	st := &memStore{sessions: map[string]Session{}, tickets: map[string]string{}}
	h, err := bcrypt.GenerateFromPassword([]byte("demo-password"), 4)
	if err != nil {
		t.Fatal(err)
	}
	d := dir{"viewer": {Account{Username: "viewer", Role: vocab.Viewer}, string(h)}, "gone": {Account{Username: "gone", Role: vocab.Viewer, Disabled: true}, string(h)}}
	s, err := New(cfg.Auth, cfg.Limits, st, d, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(context.Background(), "viewer", "wrong", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := s.Login(context.Background(), "gone", "demo-password", "192.0.2.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("a disabled account: %v", err)
	}
	tok, sess, err := s.Login(context.Background(), "viewer", "demo-password", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if !sess.ExpiresAt.Equal(now.Add(time.Hour)) || !sess.CreatedAt.Equal(now) {
		t.Errorf("new session %+v", sess)
	}
	for _, tc := range []struct {
		after   time.Duration
		ok      bool
		expires time.Time
	}{
		{50 * time.Minute, true, now.Add(110 * time.Minute)},
		{2*time.Hour + 30*time.Minute, true, now.Add(3 * time.Hour)}, // cut at the maximum age
		{3*time.Hour + time.Second, false, time.Time{}},
	} {
		at := now
		now = at.Add(tc.after)
		got, err := s.Authenticate(context.Background(), tok)
		now = at
		if tc.ok != (err == nil) || tc.ok && !got.ExpiresAt.Equal(tc.expires) {
			t.Errorf("after %s: %+v %v", tc.after, got, err)
		}
	}
	if _, err := s.Authenticate(context.Background(), tok); err == nil {
		t.Error("a session refused for its age must be deleted")
	}

	tok, _, _ = s.Login(context.Background(), "viewer", "demo-password", "192.0.2.1")
	tk, err := s.NewTicket(context.Background(), HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	if _, hash, err := s.UseTicket(context.Background(), tk.Ticket); err != nil || hash != HashToken(tok) {
		t.Errorf("first use: %q %v", hash, err)
	}
	if _, _, err := s.UseTicket(context.Background(), tk.Ticket); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("second use: %v", err)
	}
}

// TestWellFormed: only what randomToken makes has a token's form.
func TestWellFormed(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{randomToken(), true},
		{strings.Repeat("A", 43), true},
		{strings.Repeat("-_", 21) + "z", true},
		{"", false},
		{"undefined", false},
		{"null", false},
		{strings.Repeat("A", 42), false},
		{strings.Repeat("A", 44), false},
		{strings.Repeat("A", 42) + "=", false},
		{strings.Repeat("A", 42) + "+", false},
		{strings.Repeat("A", 42) + "/", false},
		{strings.Repeat("A", 42) + " ", false},
		{strings.Repeat("A", 41) + "é", false}, // 43 bytes, not 43 characters of the alphabet
	} {
		if got := WellFormed(tc.s); got != tc.want {
			t.Errorf("WellFormed(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FuzzWellFormed: what has a token's form decodes as unpadded base64url
// to the bytes of a token, and what does not is no token randomToken made.
func FuzzWellFormed(f *testing.F) {
	for _, s := range []string{randomToken(), "", "undefined", strings.Repeat("A", 42) + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		// The decoder skips line breaks: a token's form is its length too.
		decodes := err == nil && len(raw) == tokenBytes && len(s) == 43
		if WellFormed(s) != decodes {
			t.Fatalf("WellFormed(%q) = %v, decodes to %d bytes: %v", s, WellFormed(s), len(raw), err)
		}
	})
}
