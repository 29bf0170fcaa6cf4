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
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/command/vocab"
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
	Role     vocab.Role
	Unit     string
	Area     string
	// Phone is shown on the duty roster (masked for viewers).
	Phone string
	hash  []byte
}

// Session is a logged-in account, as stored.
type Session struct {
	Username string     `json:"username"`
	Role     vocab.Role `json:"role"`
	Unit     string     `json:"unit,omitempty"`
	Area     string     `json:"area,omitempty"`
	// CreatedAt is the login; the session ends SessionMaxAge after it.
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Throttled is a login refused unchecked after too many failures from the
// same place; retry after RetryAfter.
type Throttled struct {
	RetryAfter time.Duration
}

func (e *Throttled) Error() string {
	return fmt.Sprintf("too many failed logins from this address: try again in %s", ceilSeconds(e.RetryAfter))
}

// Refused is a wrong password or unknown user; when Wait is positive the
// next attempt from the same address will be refused unchecked until then.
type Refused struct {
	Wait time.Duration
}

func (e *Refused) Error() string {
	if e.Wait > 0 {
		return fmt.Sprintf("unknown user or wrong password; the next attempt from this address is possible in %s", ceilSeconds(e.Wait))
	}
	return ErrBadCredentials.Error()
}

// Is makes errors.Is(err, ErrBadCredentials) hold for a *Refused.
func (e *Refused) Is(target error) bool { return target == ErrBadCredentials }

func ceilSeconds(d time.Duration) time.Duration {
	return max(time.Second, (d + time.Second - 1).Truncate(time.Second))
}

// Counter is one count of login attempts: Max attempts (0: no limit, only
// counted) start the delays.
type Counter struct {
	Key string
	Max int
}

// Delays are how long further attempts wait once a counter reaches its
// Max: Base, doubling with each attempt, up to Cap. Window is how long a
// count lasts after the last attempt.
type Delays struct {
	Base, Cap, Window time.Duration
}

// Attempt is what counting one login attempt found.
type Attempt struct {
	// Wait, when positive, refuses the attempt uncounted: a counter is
	// still delaying attempts for this long.
	Wait time.Duration
	// Counts are the counters after this attempt, in order.
	Counts []int
	// Next is the delay this attempt imposed on the next one (0: none).
	Next time.Duration
}

// SessionStore keeps sessions by the hash of their token, one-time
// websocket tickets, and counts login attempts (in Redis, so every
// instance sees them).
type SessionStore interface {
	// Attempt counts one login attempt atomically under every counter,
	// before the password is checked, unless one of them is delaying
	// attempts; see Attempt.
	Attempt(ctx context.Context, now time.Time, d Delays, counters ...Counter) (Attempt, error)
	// Succeeded takes back the attempt just counted under counters (it was
	// no failure); the first one's count is forgotten entirely.
	Succeeded(ctx context.Context, counters ...Counter) error
	PutSession(ctx context.Context, tokenHash string, s Session, ttl time.Duration) error
	// TouchSession returns the session and extends its expiry to ttl from now.
	TouchSession(ctx context.Context, tokenHash string, ttl time.Duration) (Session, error)
	// DeleteSession removes a session and tells every instance, so that
	// its websockets close at once.
	DeleteSession(ctx context.Context, tokenHash string) error
	// PutTicket stores a one-time ticket for the session tokenHash.
	PutTicket(ctx context.Context, ticketHash, tokenHash string, ttl time.Duration) error
	// TakeTicket returns and deletes the session hash of a ticket
	// (ErrUnauthenticated when unknown, used or expired).
	TakeTicket(ctx context.Context, ticketHash string) (string, error)
}

// Service logs accounts in and checks tokens.
type Service struct {
	accounts  map[string]*Account
	store     SessionStore
	ttl       time.Duration
	maxAge    time.Duration
	ticketTTL time.Duration
	now       func() time.Time
	dummy     []byte
	demo      []byte // the demo accounts' hash

	limits config.Limits
	// Checked counts passwords compared (bcrypt runs), for tests and metrics.
	Checked atomic.Int64
	// onFailures, when set, is told once when an account name (kind
	// "user", known accounts only) or an address (kind "addr") reaches
	// limits.login_alarm failed logins within the window.
	onFailures func(ctx context.Context, kind, subject string, n int)
	// DemoPassword is the demo accounts' password when one was generated
	// (empty when it came from the environment or there are none).
	DemoPassword string
}

// DemoRoles are the sample city's role accounts, each named after its role.
var DemoRoles = []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator, vocab.Viewer}

// New builds the accounts of the auth section; limits bound failed logins.
// Demo accounts share one password: the configured one, or a random one
// reported in DemoPassword. onFailures, which may be nil, is told of
// repeated failed logins (an alarm).
func New(cfg config.Auth, limits config.Limits, st SessionStore, now func() time.Time, onFailures func(ctx context.Context, kind, subject string, n int)) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	s := &Service{accounts: map[string]*Account{}, store: st, ttl: cfg.SessionTTL, maxAge: cfg.SessionMaxAge,
		ticketTTL: cfg.TicketTTL, now: now, limits: limits, onFailures: onFailures}
	var err error
	if s.dummy, err = bcrypt.GenerateFromPassword([]byte("not a password"), cfg.BcryptCost); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	for _, a := range cfg.Accounts {
		s.accounts[a.Username] = &Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, Phone: a.Phone, hash: []byte(a.PasswordHash)}
	}
	if cfg.DemoAccounts {
		pw := cfg.DemoPassword
		if pw == "" {
			pw = randomPassword()
			s.DemoPassword = pw
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pw), cfg.BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("hashing the demo password: %w", err)
		}
		s.demo = h
		for _, role := range DemoRoles {
			if _, taken := s.accounts[string(role)]; !taken {
				s.accounts[string(role)] = &Account{Username: string(role), Name: string(role), Role: role, hash: h}
			}
		}
		for _, a := range cfg.DemoAreaAccounts {
			if _, taken := s.accounts[a.Username]; !taken {
				s.accounts[a.Username] = &Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, Phone: a.Phone, hash: h}
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
// Unknown users cost as much time as wrong passwords. Every attempt is
// counted before the password is checked, per name and address and per
// address: past their limits, attempts from that address wait a delay that
// doubles with each (*Throttled), while the same name may still log in
// from elsewhere.
func (s *Service) Login(ctx context.Context, username, password, addr string) (string, Session, error) {
	pair, addrKey, userKey := "pair:"+addr+"|"+username, "addr:"+addr, "user:"+username
	l := s.limits
	counters := []Counter{{Key: pair, Max: l.LoginFailures}, {Key: addrKey, Max: l.LoginAddressFailures}, {Key: userKey}}
	at, err := s.store.Attempt(ctx, s.now(), Delays{Base: l.LoginDelay, Cap: l.LoginMaxDelay, Window: l.LoginWindow}, counters...)
	if err != nil {
		return "", Session{}, err
	}
	if at.Wait > 0 {
		return "", Session{}, &Throttled{RetryAfter: at.Wait}
	}
	token, sess, err := s.login(ctx, username, password)
	if errors.Is(err, ErrBadCredentials) {
		if s.onFailures != nil && len(at.Counts) == 3 {
			if at.Counts[1] == l.LoginAlarm {
				s.onFailures(ctx, "addr", addr, at.Counts[1])
			}
			if at.Counts[2] == l.LoginAlarm && s.accounts[username] != nil {
				s.onFailures(ctx, "user", username, at.Counts[2])
			}
		}
		return "", Session{}, &Refused{Wait: at.Next}
	}
	if err == nil {
		_ = s.store.Succeeded(ctx, counters...)
	}
	return token, sess, err
}

func (s *Service) login(ctx context.Context, username, password string) (string, Session, error) {
	a := s.accounts[username]
	hash := s.dummy
	if a != nil {
		hash = a.hash
	}
	s.Checked.Add(1)
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || a == nil {
		return "", Session{}, ErrBadCredentials
	}
	token := randomToken()
	now := s.now().UTC()
	sess := Session{Username: a.Username, Role: a.Role, Unit: a.Unit, Area: a.Area, CreatedAt: now}
	ttl := s.sessionTTL(sess, now)
	sess.ExpiresAt = now.Add(ttl)
	if err := s.store.PutSession(ctx, HashToken(token), sess, ttl); err != nil {
		return "", Session{}, fmt.Errorf("storing session: %w", err)
	}
	return token, sess, nil
}

func randomToken() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// sessionTTL is how long sess may live from now: the sliding TTL, cut at
// its maximum age.
func (s *Service) sessionTTL(sess Session, now time.Time) time.Duration {
	return min(s.ttl, sess.CreatedAt.Add(s.maxAge).Sub(now))
}

// Authenticate returns the session of token and slides its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 128 {
		return Session{}, ErrUnauthenticated
	}
	return s.AuthenticateHash(ctx, HashToken(token))
}

// AuthenticateHash is Authenticate for a token known by its hash (a
// socket opened with a ticket). A session past its maximum age is ended,
// however active it was.
func (s *Service) AuthenticateHash(ctx context.Context, tokenHash string) (Session, error) {
	sess, err := s.store.TouchSession(ctx, tokenHash, s.ttl)
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	ttl := s.sessionTTL(sess, now)
	if sess.CreatedAt.IsZero() || ttl <= 0 || s.accounts[sess.Username] == nil {
		// Too old (or from before sessions had an age), or the account was
		// removed from the configuration.
		_ = s.store.DeleteSession(ctx, tokenHash)
		return Session{}, ErrUnauthenticated
	}
	if ttl < s.ttl {
		sess, err = s.store.TouchSession(ctx, tokenHash, ttl)
		if err != nil {
			return Session{}, err
		}
	}
	sess.ExpiresAt = now.Add(ttl).UTC()
	return sess, nil
}

// Ticket is a one-time websocket ticket.
type Ticket struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

// NewTicket issues a one-time ticket for the session tokenHash, so that a
// websocket address need not carry the token.
func (s *Service) NewTicket(ctx context.Context, tokenHash string) (Ticket, error) {
	t := randomToken()
	if err := s.store.PutTicket(ctx, HashToken(t), tokenHash, s.ticketTTL); err != nil {
		return Ticket{}, fmt.Errorf("storing a ticket: %w", err)
	}
	return Ticket{Ticket: t, ExpiresAt: s.now().Add(s.ticketTTL).UTC()}, nil
}

// UseTicket spends a ticket and returns its session and the session's
// token hash.
func (s *Service) UseTicket(ctx context.Context, ticket string) (Session, string, error) {
	if ticket == "" || len(ticket) > 128 {
		return Session{}, "", ErrUnauthenticated
	}
	hash, err := s.store.TakeTicket(ctx, HashToken(ticket))
	if err != nil {
		return Session{}, "", err
	}
	sess, err := s.AuthenticateHash(ctx, hash)
	return sess, hash, err
}

// Logout ends the session of token (on every instance).
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.EndSession(ctx, HashToken(token))
}

// EndSession ends the session known by its token hash, on every instance.
func (s *Service) EndSession(ctx context.Context, tokenHash string) error {
	return s.store.DeleteSession(ctx, tokenHash)
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
