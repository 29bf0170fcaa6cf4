package account

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/command/auth"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// DemoRoles are the sample city's role accounts, each named after its role.
var DemoRoles = []vocab.Role{vocab.Admin, vocab.Leader, vocab.Deputy, vocab.Operator, vocab.Viewer}

// Seeds are the accounts the configuration brings: auth.accounts with
// their hashes and, with demo_accounts, the demo role accounts, the demo
// area accounts and one responder per unit named after it, sharing the
// demo password (generated when none is configured and then returned, so
// that it can be shown). The first of a name wins.
func Seeds(cfg config.Auth, units []config.Unit) ([]Seed, string, error) {
	var out []Seed
	seen := map[string]bool{}
	add := func(a Account, hash string) {
		if !seen[a.Username] {
			seen[a.Username] = true
			out = append(out, Seed{Account: a, Hash: hash})
		}
	}
	for _, a := range cfg.Accounts {
		add(Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, Phone: a.Phone}, a.PasswordHash)
	}
	if !cfg.DemoAccounts {
		return out, "", nil
	}
	pw, generated := cfg.DemoPassword, ""
	if pw == "" {
		pw = auth.RandomPassword()
		generated = pw
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cfg.BcryptCost)
	if err != nil {
		return nil, "", fmt.Errorf("hashing the demo password: %w", err)
	}
	for _, role := range DemoRoles {
		add(Account{Username: string(role), Name: string(role), Role: role, Demo: true}, string(h))
	}
	for _, a := range cfg.DemoAreaAccounts {
		add(Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area, Phone: a.Phone, Demo: true}, string(h))
	}
	for _, u := range units {
		add(Account{Username: u.ID, Name: u.Callsign, Role: vocab.Responder, Unit: u.ID, Demo: true}, string(h))
	}
	return out, generated, nil
}

// RetireDemo disables every active demo account still on the demo
// password and ends its sessions, audited as the system's: a start with
// demo_accounts off must not leave the shared password working. It
// returns the usernames disabled.
func (s *Service) RetireDemo(ctx context.Context) ([]string, error) {
	list, err := s.st.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	var retired []string
	for _, cur := range list {
		if !cur.Demo || cur.Disabled {
			continue
		}
		prev, a, _, err := s.next(ctx, cur.Username)
		if err != nil {
			return retired, fmt.Errorf("retiring demo account %s: %w", cur.Username, err)
		}
		if !prev.Demo || prev.Disabled {
			continue
		}
		a.Disabled = true
		c := s.write(a, prev, "", []string{Active}, "account "+a.Username+" changed meanwhile")
		r := record(a.UpdatedAt, vocab.Actor{Username: "config", Role: vocab.System}, "account.disabled", a.Username,
			map[string]any{"reason": "demo_accounts is off"})
		if err := s.commit(ctx, c, r); err != nil {
			return retired, fmt.Errorf("retiring demo account %s: %w", a.Username, err)
		}
		if err := s.endSessions(ctx, a.Username); err != nil {
			return retired, err
		}
		retired = append(retired, a.Username)
	}
	return retired, nil
}

// Directory is the service as logins see it (auth.Directory).
func (s *Service) Directory() auth.Directory { return directory{s} }

type directory struct{ s *Service }

// Credentials implements auth.Directory.
func (d directory) Credentials(ctx context.Context, username string) (auth.Account, string, bool, error) {
	if !UsernamePattern.MatchString(username) {
		return auth.Account{}, "", false, nil
	}
	st, err := d.s.st.Load(ctx, username)
	if err != nil {
		if fault.IsNotFound(err) {
			return auth.Account{}, "", false, nil
		}
		return auth.Account{}, "", false, err
	}
	a := st.Account
	return auth.Account{Username: a.Username, Name: a.Name, Role: a.Role, Unit: a.Unit, Area: a.Area,
		Disabled: a.Disabled, MustChange: a.MustChangePassword, Version: a.Version}, st.Hash, true, nil
}

// LoggedIn implements auth.Directory.
func (d directory) LoggedIn(ctx context.Context, username string, version int, at time.Time) error {
	return d.s.LoggedIn(ctx, username, version, at)
}
