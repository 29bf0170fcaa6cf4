package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

// A display name is cleaned before it is checked (as every text typed):
// one with nothing visible is refused naming name, on create and edit,
// and one with invisible characters is stored without them.
func TestDisplayNameIsCleaned(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, admin, account.Input{Username: ptr("li-si"), Name: ptr("李四"), Role: ptr(vocab.Operator)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, in string }{
		{"empty", ""}, {"space", " "}, {"zero-width space", "\u200b"}, {"override", "\u202e"},
		{"filler", "\u3164"}, {"control", "\x01\x02"}, {"too long", strings.Repeat("名", 65)},
	} {
		_, err := s.Create(ctx, admin, account.Input{Username: ptr("wang-wu"), Name: ptr(c.in), Role: ptr(vocab.Operator)})
		if got := fields(err); !slices.Equal(got, []string{"name"}) {
			t.Errorf("create, %s: %v, want a field error on name", c.name, err)
		}
		_, err = s.Update(ctx, admin, "li-si", account.Input{Name: ptr(c.in), Version: ptr(version(t, s, "li-si"))})
		if got := fields(err); !slices.Equal(got, []string{"name"}) {
			t.Errorf("edit, %s: %v, want a field error on name", c.name, err)
		}
	}
	a, err := s.Update(ctx, admin, "li-si", account.Input{Name: ptr(" \u202e李\u200b四 "), Version: ptr(version(t, s, "li-si"))})
	if err != nil || a.Name != "李四" {
		t.Fatalf("edit: %+v %v, want the name cleaned to 李四", a, err)
	}
}

// failingHolder is the memory store whose unit lookup fails as Redis away does.
type failingHolder struct{ *memstore.Accounts }

func (failingHolder) UnitHolder(context.Context, string) (string, error) {
	return "", fmt.Errorf("reading a unit's account: %w: dial tcp 127.0.0.1:6379: connection refused", fault.ErrUnavailable)
}

// A unit binding that cannot be checked is the storage's failure (503),
// not a field error carrying its text; nothing is written.
func TestUnitLookupFailureIsNotABadField(t *testing.T) {
	st := memstore.New(memstore.Options{})
	s := account.New(failingHolder{st.Accounts()}, account.Rules{Unit: func(string) bool { return true }, BcryptCost: 4},
		nil, func() time.Time { return time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC) })
	ctx := context.Background()
	in := account.Input{Username: ptr("car-01"), Name: ptr("一号车"), Role: ptr(vocab.Responder), Unit: ptr("car-01")}
	_, err := s.Create(ctx, admin, in)
	var inv *fault.Invalid
	if errors.As(err, &inv) || !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("create: %v, want the storage failure (unavailable), not a field error", err)
	}
	if _, err := st.Accounts().Load(ctx, "car-01"); !fault.IsNotFound(err) {
		t.Fatalf("an account was stored: %v", err)
	}
	if _, err := s.Create(ctx, admin, account.Input{Username: ptr("op"), Name: ptr("op"), Role: ptr(vocab.Operator)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Update(ctx, admin, "op", account.Input{Unit: ptr("car-01"), Version: ptr(1)})
	if errors.As(err, &inv) || !errors.Is(err, fault.ErrUnavailable) {
		t.Fatalf("edit: %v, want the storage failure (unavailable), not a field error", err)
	}
}
