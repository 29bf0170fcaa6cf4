// Package auth is who may do what: accounts from configuration with bcrypt
// password hashes, sessions with opaque random tokens stored hashed with a
// sliding expiry, and the table of which role may call which route.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/config"
)

// Errors of authentication.
var (
	ErrBadCredentials  = errors.New("unknown user or wrong password")
	ErrUnauthenticated = errors.New("no valid session")
)

// Account is a user who may log in.
type Account struct {
	Username string
	Name     string
	Role     string
	Unit     string
	Area     string
	hash     []byte
}

// Session is a logged-in account, as stored.
type Session struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Unit      string    `json:"unit,omitempty"`
	Area      string    `json:"area,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Throttled is a login refused for too many failures; retry after RetryAfter.
type Throttled struct {
	RetryAfter time.Duration
}

func (e *Throttled) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %s", e.RetryAfter.Round(time.Second))
}

// SessionStore keeps sessions by the hash of their token, and counts
// failed logins (in Redis, so every instance sees them).
type SessionStore interface {
	// Failures returns the failures counted under key and how long until
	// the count lapses.
	Failures(ctx context.Context, key string) (int, time.Duration, error)
	// Fail counts a failure under each key, for window from the first.
	Fail(ctx context.Context, window time.Duration, keys ...string) error
	// ClearFailures forgets the failures under key.
	ClearFailures(ctx context.Context, key string) error
	PutSession(ctx context.Context, tokenHash string, s Session, ttl time.Duration) error
	// TouchSession returns the session and extends its expiry to ttl from now.
	TouchSession(ctx context.Context, tokenHash string, ttl time.Duration) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Service logs accounts in and checks tokens.
type Service struct {
	accounts map[string]*Account
	store    SessionStore
	ttl      time.Duration
	now      func() time.Time
	dummy    []byte
	demo     []byte // the demo accounts' hash

	maxFailures int
	window      time.Duration
	// DemoPassword is the demo accounts' password when one was generated
	// (empty when it came from the environment or there are none).
	DemoPassword string
}

// DemoRoles are the sample city's role accounts, each named after its role.
var DemoRoles = []string{"admin", "leader", "deputy", "operator", "viewer"}

// New builds the accounts of cfg. Demo accounts share one password: the
// configured one, or a random one reported in DemoPassword.
func New(cfg *config.Config, st SessionStore, now func() time.Time) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	s := &Service{accounts: map[string]*Account{}, store: st, ttl: cfg.Auth.SessionTTL, now: now,
		maxFailures: cfg.Limits.LoginFailures, window: cfg.Limits.LoginWindow}
	var err error
	if s.dummy, err = bcrypt.GenerateFromPassword([]byte("not a password"), cfg.Auth.BcryptCost); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	for _, a := range cfg.Auth.Accounts {
		s.accounts[a.Username] = &Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, hash: []byte(a.PasswordHash)}
	}
	if cfg.Auth.DemoAccounts {
		pw := cfg.Auth.DemoPassword
		if pw == "" {
			pw = randomPassword()
			s.DemoPassword = pw
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pw), cfg.Auth.BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("hashing the demo password: %w", err)
		}
		s.demo = h
		for _, role := range DemoRoles {
			if _, taken := s.accounts[role]; !taken {
				s.accounts[role] = &Account{Username: role, Name: role, Role: role, hash: h}
			}
		}
		for _, a := range cfg.Auth.DemoAreaAccounts {
			if _, taken := s.accounts[a.Username]; !taken {
				s.accounts[a.Username] = &Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, hash: h}
			}
		}
	}
	return s, nil
}

// AddDemo adds a demo account sharing the demo accounts' password (the
// responder of each sample unit).
func (s *Service) AddDemo(a Account) {
	if _, taken := s.accounts[a.Username]; taken {
		return
	}
	if s.demo != nil {
		a.hash = s.demo
		s.accounts[a.Username] = &a
	}
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Account returns the account named username, or nil.
func (s *Service) Account(username string) *Account { return s.accounts[username] }

// Login checks a password and opens a session, returning its token.
// Unknown users cost as much time as wrong passwords. After repeated
// failures for a name, or many from one address, logins are refused
// (*Throttled) until the window passes, right password or not.
func (s *Service) Login(ctx context.Context, username, password, addr string) (string, Session, error) {
	userKey, addrKey := "user:"+username, "addr:"+addr
	for _, k := range []struct {
		key string
		max int
	}{{userKey, s.maxFailures}, {addrKey, 4 * s.maxFailures}} {
		n, ttl, err := s.store.Failures(ctx, k.key)
		if err != nil {
			return "", Session{}, err
		}
		if n >= k.max {
			return "", Session{}, &Throttled{RetryAfter: ttl}
		}
	}
	token, sess, err := s.login(ctx, username, password)
	if errors.Is(err, ErrBadCredentials) {
		if ferr := s.store.Fail(ctx, s.window, userKey, addrKey); ferr != nil {
			return "", Session{}, ferr
		}
	} else if err == nil {
		_ = s.store.ClearFailures(ctx, userKey)
	}
	return token, sess, err
}

func (s *Service) login(ctx context.Context, username, password string) (string, Session, error) {
	a := s.accounts[username]
	hash := s.dummy
	if a != nil {
		hash = a.hash
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || a == nil {
		return "", Session{}, ErrBadCredentials
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, fmt.Errorf("making a token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sess := Session{Username: a.Username, Role: a.Role, Unit: a.Unit, Area: a.Area, ExpiresAt: s.now().Add(s.ttl).UTC()}
	if err := s.store.PutSession(ctx, HashToken(token), sess, s.ttl); err != nil {
		return "", Session{}, fmt.Errorf("storing session: %w", err)
	}
	return token, sess, nil
}

// Authenticate returns the session of token and slides its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrUnauthenticated
	}
	sess, err := s.store.TouchSession(ctx, HashToken(token), s.ttl)
	if err != nil {
		return Session{}, err
	}
	if s.accounts[sess.Username] == nil {
		return Session{}, ErrUnauthenticated // the account was removed from the configuration
	}
	sess.ExpiresAt = s.now().Add(s.ttl).UTC()
	return sess, nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, HashToken(token))
}

// HashToken is how tokens are stored: never in the clear.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// HashPassword returns the bcrypt hash of a password, for accounts in the
// configuration (watchfloor --hash-password).
func HashPassword(password string, cost int) (string, error) {
	if len(password) < 8 {
		return "", errors.New("a password needs at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hashing: %w", err)
	}
	return string(h), nil
}
