package account_test

import (
	"context"
	"slices"
	"testing"

	"watchfloor/command/account"
	"watchfloor/command/fault"
	"watchfloor/command/vocab"
)

// TestAdminsKeepTheirPowersInCheck: an administrator cannot change their
// own role or area (400 naming it), an administrator's account takes no
// area, and the last active administrator cannot be disabled, deleted or
// demoted (409), while with another one left each goes through.
func TestAdminsKeepTheirPowersInCheck(t *testing.T) {
	ann := vocab.Actor{Username: "ann", Role: vocab.Admin}
	for _, tc := range []struct {
		name string
		// second makes bob an active administrator first.
		second bool
		do     func(ctx context.Context, s *account.Service) error
		// field is the field a 400 names; conflict a 409; neither: done.
		field    string
		conflict bool
	}{
		{name: "own role", second: true, field: "role", do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, ann, "ann", account.Input{Role: ptr(vocab.Viewer), Version: ptr(1)})
			return err
		}},
		{name: "own area", second: true, field: "area", do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, ann, "ann", account.Input{Area: ptr("440303001"), Version: ptr(1)})
			return err
		}},
		{name: "own name", do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, ann, "ann", account.Input{Name: ptr("安"), Role: ptr(vocab.Admin), Area: ptr(""), Version: ptr(1)})
			return err
		}},
		{name: "area on a new admin", field: "area", do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Create(ctx, ann, account.Input{Username: ptr("cai"), Name: ptr("蔡"), Role: ptr(vocab.Admin), Area: ptr("440303001")})
			return err
		}},
		{name: "promoting an area account", field: "area", do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, ann, "dong", account.Input{Role: ptr(vocab.Admin), Version: ptr(1)})
			return err
		}},
		{name: "disable the last admin", conflict: true, do: func(ctx context.Context, s *account.Service) error {
			_, err := s.SetDisabled(ctx, vocab.Actor{Username: "config", Role: vocab.System}, "ann", true)
			return err
		}},
		{name: "demote the last admin", conflict: true, do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, vocab.Actor{Username: "config", Role: vocab.System}, "ann", account.Input{Role: ptr(vocab.Leader), Version: ptr(1)})
			return err
		}},
		{name: "delete the last admin", conflict: true, do: func(ctx context.Context, s *account.Service) error {
			return s.Delete(ctx, vocab.Actor{Username: "config", Role: vocab.System}, "ann")
		}},
		{name: "demote with another admin left", second: true, do: func(ctx context.Context, s *account.Service) error {
			_, err := s.Update(ctx, vocab.Actor{Username: "bob", Role: vocab.Admin}, "ann", account.Input{Role: ptr(vocab.Leader), Version: ptr(1)})
			return err
		}},
		{name: "disable with another admin left", second: true, do: func(ctx context.Context, s *account.Service) error {
			_, err := s.SetDisabled(ctx, vocab.Actor{Username: "bob", Role: vocab.Admin}, "ann", true)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newService(t)
			ctx := context.Background()
			seeds := []account.Seed{{Account: account.Account{Username: "ann", Name: "Ann", Role: vocab.Admin}, Hash: "$2a$04$x"},
				{Account: account.Account{Username: "dong", Name: "东", Role: vocab.Operator, Area: "440303001"}, Hash: "$2a$04$x"},
				{Account: account.Account{Username: "bob", Name: "Bob", Role: vocab.Admin, Disabled: !tc.second}, Hash: "$2a$04$x"}}
			if _, err := s.SeedAll(ctx, seeds); err != nil {
				t.Fatal(err)
			}
			err := tc.do(ctx, s)
			switch {
			case tc.field != "":
				if !slices.Equal(fields(err), []string{tc.field}) {
					t.Errorf("want 400 naming %s, got %v", tc.field, err)
				}
			case tc.conflict:
				if !fault.IsConflict(err) {
					t.Errorf("want 409, got %v", err)
				}
			case err != nil:
				t.Errorf("refused: %v", err)
			}
		})
	}
}
