package views

import (
	"context"
	"errors"
	"slices"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/account"
	"watchfloor/command/store"
)

// Accounts stores accounts: account:{username} hash (doc; ver, state,
// hash, last_login beside it), accounts:all (the set of those not
// deleted, kept by Apply) and accounts:units (unit → username).
type Accounts struct{ base }

// NewAccounts returns the account storage of s.
func NewAccounts(s *store.Store) *Accounts { return &Accounts{base{s}} }

var _ account.Store = (*Accounts)(nil)

// Load implements account.Store: one HGETALL.
func (x *Accounts) Load(ctx context.Context, username string) (account.Stored, error) {
	if err := x.s.Check("loading an account"); err != nil {
		return account.Stored{}, err
	}
	m, err := x.s.Client().HGetAll(ctx, x.s.Key(account.Kind, username)).Result()
	if err != nil {
		return account.Stored{}, x.s.Wrap("loading an account", err)
	}
	return account.Decode(username, m)
}

// List implements account.Store.
func (x *Accounts) List(ctx context.Context) ([]*account.Account, error) {
	if err := x.s.Check("listing accounts"); err != nil {
		return nil, err
	}
	names, err := x.s.Client().SMembers(ctx, x.s.Key("accounts", "all")).Result()
	if err != nil {
		return nil, x.s.Wrap("listing accounts", err)
	}
	slices.Sort(names)
	pipe := x.s.Client().Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(names))
	for i, n := range names {
		cmds[i] = pipe.HGetAll(ctx, x.s.Key(account.Kind, n))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, x.s.Wrap("listing accounts", err)
	}
	out := make([]*account.Account, 0, len(names))
	for i, c := range cmds {
		st, err := account.Decode(names[i], c.Val())
		if err == nil {
			out = append(out, st.Account)
		}
	}
	return out, nil
}

// UnitHolder implements account.Store.
func (x *Accounts) UnitHolder(ctx context.Context, unit string) (string, error) {
	if err := x.s.Check("reading a unit's account"); err != nil {
		return "", err
	}
	v, err := x.s.Client().HGet(ctx, x.s.Key("accounts", "units"), unit).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, x.s.Wrap("reading a unit's account", err)
}
