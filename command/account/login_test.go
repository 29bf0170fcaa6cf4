package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/auth"
	"watchfloor/command/memstore/memsession"
	"watchfloor/command/vocab"
	"watchfloor/config"
)

// racedDirectory runs between once after the first read of credentials:
// the account changes while the login spends its bcrypt time.
type racedDirectory struct {
	auth.Directory
	once    sync.Once
	between func()
}

func (d *racedDirectory) Credentials(ctx context.Context, username string) (auth.Account, string, bool, error) {
	a, h, ok, err := d.Directory.Credentials(ctx, username)
	d.once.Do(d.between)
	return a, h, ok, err
}

// keptSessions remembers the hashes of the sessions stored.
type keptSessions struct {
	*memsession.Sessions
	mu     sync.Mutex
	hashes []string
}

func (k *keptSessions) PutSession(ctx context.Context, hash string, sess auth.Session, ttl time.Duration) error {
	k.mu.Lock()
	k.hashes = append(k.hashes, hash)
	k.mu.Unlock()
	return k.Sessions.PutSession(ctx, hash, sess, ttl)
}

// TestLoginRacingAChange: a login whose account is reset, demoted or
// rebound between reading its credentials and recording the login is
// refused and leaves no session.
func TestLoginRacingAChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(ctx context.Context, s *account.Service) error
	}{
		{"reset", func(ctx context.Context, s *account.Service) error {
			_, err := s.ResetPassword(ctx, admin, "zhou")
			return err
		}},
		{"demotion", func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, admin, "zhou", account.Input{Role: ptr(vocab.Viewer), Version: ptr(2)})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newService(t)
			ctx := context.Background()
			out, err := s.Create(ctx, admin, account.Input{Username: ptr("zhou"), Name: ptr("周"), Role: ptr(vocab.Operator)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ChangePassword(ctx, vocab.Actor{Username: "zhou"}, out.Password, "Dongmen-duty-7"); err != nil {
				t.Fatal(err)
			}
			cfg := config.Defaults()
			cfg.Auth.BcryptCost = 4
			sessions := &keptSessions{Sessions: memsession.New(nil)}
			var changeErr error
			dir := &racedDirectory{Directory: s.Directory(), between: func() { changeErr = tc.change(ctx, s) }}
			a, err := auth.New(cfg.Auth, cfg.Limits, sessions, dir, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = a.Login(ctx, "zhou", "Dongmen-duty-7", "192.0.2.1")
			if changeErr != nil {
				t.Fatal(changeErr)
			}
			if !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("a login racing a %s: %v", tc.name, err)
			}
			if len(sessions.hashes) != 1 {
				t.Fatalf("sessions stored: %d", len(sessions.hashes))
			}
			if _, err := sessions.TouchSession(ctx, sessions.hashes[0], time.Hour); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("the refused login's session is still there: %v", err)
			}
			// Without a change in between, the same login goes through.
			if tc.name == "demotion" {
				if _, _, err := a.Login(ctx, "zhou", "Dongmen-duty-7", "192.0.2.1"); err != nil {
					t.Errorf("a login after the change: %v", err)
				}
			}
		})
	}
}
