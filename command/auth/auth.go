// Package auth is who may do what: logins against the accounts of a
// Directory (bcrypt password hashes), sessions with opaque random tokens
// stored hashed with a sliding expiry, and the table of which role may
// call which route.
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

	"watchfloor/command/fault"
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
	// Disabled accounts are refused at login as a wrong password is.
	Disabled bool
	// MustChange limits a session to changing the password.
	MustChange bool
	// Version is the account's version as read: a login is recorded only
	// if it is still the same (no reset or edit came in between).
	Version int
}

// Directory looks accounts up (in the store, so every instance sees a
// change at once).
type Directory interface {
	// Credentials returns the account named username and its bcrypt
	// hash; ok is false when there is none.
	Credentials(ctx context.Context, username string) (a Account, hash string, ok bool, err error)
	// LoggedIn records a successful login of the account at version; it
	// fails with a conflict when the account is disabled or at another
	// version by now.
	LoggedIn(ctx context.Context, username string, version int, at time.Time) error
}

// Session is a logged-in account, as stored.
type Session struct {
	Username string     `json:"username"`
	Role     vocab.Role `json:"role"`
	Unit     string     `json:"unit,omitempty"`
	Area     string     `json:"area,omitempty"`
	// MustChangePassword limits the session to changing the password
	// (BeforePasswordChange) until it is changed.
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// CreatedAt is the login; the session ends SessionMaxAge after it.
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// errDisabled is the right password of a disabled account: refused as a
// wrong one is.
var errDisabled = fmt.Errorf("account disabled: %w", ErrBadCredentials)

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
// Disabled tells the audit trail (never the client) that the password was
// right but the account is disabled.
type Refused struct {
	Wait     time.Duration
	Disabled bool
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
	// EndSessions deletes every session of username and tells every
	// instance, as DeleteSession does for one.
	EndSessions(ctx context.Context, username string) error
	// EndOtherSessions is EndSessions keeping the session keep.
	EndOtherSessions(ctx context.Context, username, keep string) error
	// ReplaceSession stores s as PutSession does, but only over a session
	// that still exists (ErrUnauthenticated when it is gone), so that a
	// session ended meanwhile is never brought back.
	ReplaceSession(ctx context.Context, tokenHash string, s Session, ttl time.Duration) error
}

// Service logs accounts in and checks tokens.
type Service struct {
	accounts  Directory
	store     SessionStore
	ttl       time.Duration
	maxAge    time.Duration
	ticketTTL time.Duration
	now       func() time.Time
	dummy     []byte

	limits config.Limits
	// Checked counts passwords compared (bcrypt runs), for tests and metrics.
	Checked atomic.Int64
	// onFailures, when set, is told once when an account name (kind
	// "user", known accounts only) or an address (kind "addr") reaches
	// limits.login_alarm failed logins within the window.
	onFailures func(ctx context.Context, kind, subject string, n int)
}

// New builds logins against the accounts of dir; limits bound failed
// logins. onFailures, which may be nil, is told of repeated failed logins
// (an alarm).
func New(cfg config.Auth, limits config.Limits, st SessionStore, dir Directory, now func() time.Time, onFailures func(ctx context.Context, kind, subject string, n int)) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	s := &Service{accounts: dir, store: st, ttl: cfg.SessionTTL, maxAge: cfg.SessionMaxAge,
		ticketTTL: cfg.TicketTTL, now: now, limits: limits, onFailures: onFailures}
	var err error
	if s.dummy, err = bcrypt.GenerateFromPassword([]byte("not a password"), cfg.BcryptCost); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	return s, nil
}

// RandomPassword returns 16 random URL-safe characters (the demo
// password when none is configured).
func RandomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Account returns the account named username, or nil (also when it
// cannot be read).
func (s *Service) Account(ctx context.Context, username string) *Account {
	a, _, ok, err := s.accounts.Credentials(ctx, username)
	if err != nil || !ok {
		return nil
	}
	return &a
}

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
	token, sess, known, err := s.login(ctx, username, password)
	if errors.Is(err, ErrBadCredentials) {
		if s.onFailures != nil && len(at.Counts) == 3 {
			if at.Counts[1] == l.LoginAlarm {
				s.onFailures(ctx, "addr", addr, at.Counts[1])
			}
			if at.Counts[2] == l.LoginAlarm && known {
				s.onFailures(ctx, "user", username, at.Counts[2])
			}
		}
		return "", Session{}, &Refused{Wait: at.Next, Disabled: errors.Is(err, errDisabled)}
	}
	if err == nil {
		_ = s.store.Succeeded(ctx, counters...)
	}
	return token, sess, err
}

// login checks the password of username and opens a session; known
// tells whether the account exists. A disabled account is refused as a
// wrong password is, after the same work.
func (s *Service) login(ctx context.Context, username, password string) (string, Session, bool, error) {
	a, hash, known, err := s.accounts.Credentials(ctx, username)
	if err != nil {
		return "", Session{}, false, fmt.Errorf("reading account: %w", err)
	}
	h := s.dummy
	if known && hash != "" {
		h = []byte(hash)
	}
	s.Checked.Add(1)
	if err := bcrypt.CompareHashAndPassword(h, []byte(password)); err != nil || !known || hash == "" {
		return "", Session{}, known, ErrBadCredentials
	}
	if a.Disabled {
		return "", Session{}, known, errDisabled
	}
	token := randomToken()
	now := s.now().UTC()
	sess := Session{Username: a.Username, Role: a.Role, Unit: a.Unit, Area: a.Area, MustChangePassword: a.MustChange, CreatedAt: now}
	ttl := s.sessionTTL(sess, now)
	sess.ExpiresAt = now.Add(ttl)
	if err := s.store.PutSession(ctx, HashToken(token), sess, ttl); err != nil {
		return "", Session{}, true, fmt.Errorf("storing session: %w", err)
	}
	// Recorded after the session is stored: an account disabled, edited or
	// reset meanwhile fails here, or has this session ended with its others.
	if err := s.accounts.LoggedIn(ctx, a.Username, a.Version, now); err != nil {
		_ = s.store.DeleteSession(ctx, HashToken(token))
		if errors.Is(err, fault.ErrConflict) {
			return "", Session{}, true, ErrBadCredentials
		}
		return "", Session{}, true, fmt.Errorf("recording the login: %w", err)
	}
	return token, sess, true, nil
}

// tokenBytes is the randomness of a session token or a ticket.
const tokenBytes = 32

func randomToken() string {
	raw := make([]byte, tokenBytes)
	_, _ = rand.Read(raw) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// WellFormed says whether s has the form of a session token or a ticket
// (tokenBytes in unpadded base64url), so that what none could be (empty,
// "undefined", a username) is refused before storage is asked.
func WellFormed(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// sessionTTL is how long sess may live from now: the sliding TTL, cut at
// its maximum age.
func (s *Service) sessionTTL(sess Session, now time.Time) time.Duration {
	return min(s.ttl, sess.CreatedAt.Add(s.maxAge).Sub(now))
}

// Authenticate returns the session of token and slides its expiry.
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if !WellFormed(token) {
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
	if sess.CreatedAt.IsZero() || ttl <= 0 {
		// Too old (or from before sessions had an age). A disabled
		// account's sessions were ended with it (EndAccount).
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
	if !WellFormed(ticket) {
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

// EndAccount ends every session of username on every instance (its
// account was disabled or its password reset).
func (s *Service) EndAccount(ctx context.Context, username string) error {
	return s.store.EndSessions(ctx, username)
}

// PasswordChanged lifts the must-change mark from the session tokenHash
// and ends the account's other sessions, after its password was changed.
func (s *Service) PasswordChanged(ctx context.Context, tokenHash string) (Session, error) {
	sess, err := s.store.TouchSession(ctx, tokenHash, s.ttl)
	if err != nil {
		return Session{}, err
	}
	sess.MustChangePassword = false
	now := s.now()
	ttl := s.sessionTTL(sess, now)
	if ttl <= 0 {
		return Session{}, ErrUnauthenticated
	}
	sess.ExpiresAt = now.Add(ttl).UTC()
	if err := s.store.ReplaceSession(ctx, tokenHash, sess, ttl); err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return Session{}, err
		}
		return Session{}, fmt.Errorf("storing session: %w", err)
	}
	// Whoever else holds a session of the account (a stolen token) is
	// signed out: only this one survives the change.
	if err := s.store.EndOtherSessions(ctx, sess.Username, tokenHash); err != nil {
		return Session{}, fmt.Errorf("ending the other sessions: %w", err)
	}
	return sess, nil
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
