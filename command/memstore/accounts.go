package memstore

import (
	"context"
	"slices"

	"watchfloor/command/account"
	"watchfloor/command/change"
)

// Accounts is the account storage (account.Store).
type Accounts struct{ s *Store }

// Accounts returns the account storage.
func (s *Store) Accounts() *Accounts { return &Accounts{s} }

var _ account.Store = (*Accounts)(nil)

// Load implements account.Store.
func (x *Accounts) Load(ctx context.Context, username string) (account.Stored, error) {
	return account.Decode(username, x.fields(username))
}

// fields are the account's document and the fields beside it, as the
// Redis hash holds them.
func (x *Accounts) fields(username string) map[string]string {
	m := x.s.Fields(account.Kind, username)
	x.s.mu.Lock()
	if b, ok := x.s.docs[ref{account.Kind, username}]; ok {
		m["doc"] = string(b)
	}
	x.s.mu.Unlock()
	return m
}

// List implements account.Store.
func (x *Accounts) List(ctx context.Context) ([]*account.Account, error) {
	x.s.mu.Lock()
	var names []string
	for r := range x.s.docs {
		if r.kind == account.Kind {
			names = append(names, r.id)
		}
	}
	x.s.mu.Unlock()
	slices.Sort(names)
	out := make([]*account.Account, 0, len(names))
	for _, n := range names {
		if st, err := x.Load(ctx, n); err == nil {
			out = append(out, st.Account)
		}
	}
	return out, nil
}

// UnitHolder implements account.Store.
func (x *Accounts) UnitHolder(ctx context.Context, unit string) (string, error) {
	return x.s.Field(account.KindUnits, "", unit), nil
}

// Apply implements account.Store.
func (x *Accounts) Apply(ctx context.Context, c *change.Change) (change.Result, error) {
	return x.s.Apply(ctx, c)
}
