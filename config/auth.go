package config

import (
	"fmt"
	"strings"
	"time"

	"watchfloor/command/vocab"
)

// Auth holds accounts and session settings.
type Auth struct {
	SessionTTL time.Duration `yaml:"session_ttl"`
	// SessionMaxAge ends a session this long after its login, however
	// active it stays.
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	// SessionCache is how long a session read from Redis answers this
	// instance's requests from memory (0: every request reads Redis). A
	// session ended while the revocations subscription was broken unnoticed
	// is honoured at most this much longer.
	SessionCache time.Duration `yaml:"session_cache"`
	// TicketTTL is how long a one-time websocket ticket stays valid.
	TicketTTL  time.Duration `yaml:"ticket_ttl"`
	BcryptCost int           `yaml:"bcrypt_cost"`
	// DemoAccounts adds the sample city's accounts (admin, leader, deputy,
	// operator, viewer) sharing WATCHFLOOR_DEMO_PASSWORD; refused when
	// listening beyond loopback.
	DemoAccounts bool `yaml:"demo_accounts"`
	// DemoPassword comes from WATCHFLOOR_DEMO_PASSWORD, never from the file.
	DemoPassword string `yaml:"-"`
	// DemoAreaAccounts are further demo accounts (no password hash: they
	// share the demo password), such as operators limited to an area.
	DemoAreaAccounts []Account `yaml:"demo_area_accounts"`
	Accounts         []Account `yaml:"accounts"`
	// AllowedOrigins are extra Origins accepted on websockets besides the
	// server's own host.
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// Account is a configured user.
type Account struct {
	Username string     `yaml:"username"`
	Name     string     `yaml:"name"`
	Role     vocab.Role `yaml:"role"`
	// Unit binds a responder account to its unit.
	Unit string `yaml:"unit"`
	// Area limits the account to a grid code and below (cases).
	Area string `yaml:"area"`
	// Phone is shown on the duty roster (masked for viewers).
	Phone string `yaml:"phone"`
	// PasswordHash is a bcrypt hash; PasswordHashEnv names an environment
	// variable that holds one, so secrets stay out of the file.
	PasswordHash    string `yaml:"password_hash"`
	PasswordHashEnv string `yaml:"password_hash_env"`
}

// resolve reads the password hashes that password_hash_env names (none
// without getenv); an empty variable leaves password_hash as written.
func (a *Auth) resolve(getenv func(string) string) {
	if getenv == nil {
		return
	}
	for i := range a.Accounts {
		acc := &a.Accounts[i]
		if acc.PasswordHashEnv == "" {
			continue
		}
		if v := getenv(acc.PasswordHashEnv); v != "" {
			acc.PasswordHash = v
		}
	}
}

// validate checks auth.*: session and ticket lifetimes, the bcrypt cost, and
// the accounts.
func (a Auth) validate(in scope) []error {
	p := broken([]bound{
		{a.SessionTTL < time.Minute, "auth.session_ttl: at least 1m"},
		{a.SessionMaxAge < a.SessionTTL, "auth.session_max_age: at least auth.session_ttl"},
		{a.SessionCache < 0 || a.SessionCache > 10*time.Second, "auth.session_cache: between 0s and 10s"},
		{a.TicketTTL < time.Second || a.TicketTTL > 5*time.Minute, "auth.ticket_ttl: between 1s and 5m"},
		{a.BcryptCost < 4 || a.BcryptCost > 31, "auth.bcrypt_cost: between 4 and 31"},
	})
	seen := idSet{}
	for i, acc := range a.Accounts {
		at := fmt.Sprintf("auth.accounts[%d]", i)
		if !seen.fresh(acc.Username) {
			p.add("%s.username: %q must be a unique lowercase name", at, acc.Username)
		}
		p = append(p, acc.validate(at, in)...)
	}
	return p
}

// validate checks the account at path at: a known role, a unit that is
// configured (and one for a responder), a bcrypt hash.
func (acc Account) validate(at string, in scope) []error {
	var p problems
	if !vocab.ValidRole(acc.Role) {
		p.add("%s.role: %q is not one of %s", at, acc.Role, vocab.JoinRoles(vocab.Roles(), ", "))
	}
	if acc.Role == vocab.Responder && acc.Unit == "" {
		p.add("%s.unit: a responder account is bound to a unit", at)
	}
	if acc.Unit != "" && !in.units[acc.Unit] {
		p.add("%s.unit: %q is not a configured unit", at, acc.Unit)
	}
	if !strings.HasPrefix(acc.PasswordHash, "$2") {
		p.add("%s.password_hash: a bcrypt hash is required (or password_hash_env naming a variable that holds one)", at)
	}
	return p
}
