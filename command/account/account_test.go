package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"watchfloor/command/account"
	"watchfloor/command/audit"
	"watchfloor/command/fault"
	"watchfloor/command/memstore"
	"watchfloor/command/vocab"
)

var admin = vocab.Actor{Username: "admin", Role: vocab.Admin}

// ended records the accounts whose sessions were ended.
type ended struct {
	mu    sync.Mutex
	names []string
}

func (e *ended) EndSessions(_ context.Context, username string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names = append(e.names, username)
	return nil
}

func newService(t *testing.T) (*account.Service, *memstore.Store, *ended) {
	t.Helper()
	st := memstore.New(memstore.Options{})
	e := &ended{}
	s := account.New(st.Accounts(), account.Rules{
		Area:       func(code string) bool { return strings.HasPrefix(code, "440303") },
		Unit:       func(id string) bool { return strings.HasPrefix(id, "car-") },
		BcryptCost: 4,
	}, e, func() time.Time { return time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC) })
	return s, st, e
}

func ptr[T any](v T) *T { return &v }

func fields(err error) []string {
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		return nil
	}
	var out []string
	for _, e := range inv.Errors {
		out = append(out, e.Field)
	}
	return out
}

// version is the stored version of the account username.
func version(t *testing.T, s *account.Service, username string) int {
	t.Helper()
	a, err := s.Get(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.Version
}

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		user, pw string
		ok       bool
	}{
		{"li-si", "Dongmen-duty-7", true},
		{"li-si", "短密码但是中文也算字符1", true},
		{"li-si", "", false},
		{"li-si", "Ab1!", false},                   // short
		{"li-si", "abcdefghijkl", false},           // one class
		{"li-si", "123456789012", false},           // one class
		{"li-si", "WOAINI1314", false},             // common, any case
		{"li-si", "woaini1314520", false},          // common
		{"li-si", "1qaz2wsx3edc", false},           // common
		{"li-si", "a1b2c3d4e5", false},             // common
		{"zhangsan", "Zhangsan2026", false},        // holds the username
		{"li", "li-is-fine-2026", true},            // a short name is only refused whole
		{"li", "li", false},                        // the name itself
		{"li-si", strings.Repeat("a1", 40), false}, // over 72 bytes
	} {
		got := account.CheckPassword(c.user, c.pw)
		if (len(got) == 0) != c.ok {
			t.Errorf("%s / %q: %v, want ok %v", c.user, c.pw, got, c.ok)
		}
	}
	if !account.Common("5201314") || !account.Common("PASSWORD") || account.Common("Dongmen-duty-7") {
		t.Error("the common list")
	}
	for range 20 {
		if pw := account.OneTimePassword(); len(account.CheckPassword("someone", pw)) != 0 {
			t.Errorf("a one-time password fails the policy: %s %v", pw, account.CheckPassword("someone", pw))
		}
	}
}

func TestCreateRules(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, admin, account.Input{Username: ptr("car-01"), Name: ptr("一号车"), Role: ptr(vocab.Responder), Unit: ptr("car-01")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   account.Input
		want []string
	}{
		{"missing", account.Input{}, []string{"username", "name", "role"}},
		{"bad username", account.Input{Username: ptr("Li Si"), Name: ptr("李四"), Role: ptr(vocab.Operator)}, []string{"username"}},
		{"taken", account.Input{Username: ptr("car-01"), Name: ptr("x"), Role: ptr(vocab.Viewer)}, []string{"username"}},
		{"role", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Role("chief"))}, []string{"role"}},
		{"area", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Viewer), Area: ptr("110101")}, []string{"area"}},
		{"unit bound", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Responder), Unit: ptr("car-01")}, []string{"unit"}},
		{"unit unknown", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Responder), Unit: ptr("bus-9")}, []string{"unit"}},
		{"responder alone", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Responder)}, []string{"unit"}},
		{"phone", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Viewer), Phone: ptr("<b>")}, []string{"phone"}},
		{"password", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Viewer), Password: ptr("qwerty123")}, []string{"password"}},
		{"version", account.Input{Username: ptr("a-1"), Name: ptr("x"), Role: ptr(vocab.Viewer), Version: ptr(1)}, []string{"version"}},
	} {
		_, err := s.Create(ctx, admin, c.in)
		got := fields(err)
		for _, f := range c.want {
			if !slices.Contains(got, f) {
				t.Errorf("%s: %v does not name %s", c.name, err, f)
			}
		}
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("only the first account may exist: %d %v", len(list), err)
	}
}

func TestLifecycle(t *testing.T) {
	s, st, e := newService(t)
	ctx := context.Background()
	out, err := s.Create(ctx, admin, account.Input{Username: ptr("li-si"), Name: ptr("李四"), Role: ptr(vocab.Responder), Unit: ptr("car-02")})
	if err != nil {
		t.Fatal(err)
	}
	if holder, _ := st.Accounts().UnitHolder(ctx, "car-02"); holder != "li-si" {
		t.Fatalf("car-02 bound to %q", holder)
	}
	// Moving to another unit frees the first.
	a, err := s.Update(ctx, admin, "li-si", account.Input{Unit: ptr("car-03"), Version: ptr(1)})
	if err != nil || a.Version != 2 {
		t.Fatalf("update: %+v %v", a, err)
	}
	if h2, _ := st.Accounts().UnitHolder(ctx, "car-02"); h2 != "" {
		t.Errorf("car-02 still bound to %q", h2)
	}
	if _, err := s.Update(ctx, admin, "li-si", account.Input{Name: ptr("李四四"), Version: ptr(1)}); !slices.Contains(fields(err), "version") {
		t.Errorf("a stale edit: %v", err)
	}
	if _, err := s.ChangePassword(ctx, vocab.Actor{Username: "li-si"}, out.Password, "Dongmen-duty-7"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetDisabled(ctx, admin, "li-si", true); err != nil {
		t.Fatal(err)
	}
	// Moving to another unit ended the sessions (they carry the unit), and
	// so did disabling.
	if !slices.Equal(e.names, []string{"li-si", "li-si"}) {
		t.Errorf("sessions ended: %v", e.names)
	}
	if _, err := s.ChangePassword(ctx, vocab.Actor{Username: "li-si"}, "Dongmen-duty-7", "Another-pass-8"); !fault.IsConflict(err) {
		t.Errorf("a disabled account changing its password: %v", err)
	}
	if _, err := s.ResetPassword(ctx, admin, "li-si"); err != nil {
		t.Fatal(err)
	}
	if len(e.names) != 3 {
		t.Errorf("a reset must end the sessions: %v", e.names)
	}
	if err := s.LoggedIn(ctx, "li-si", version(t, s, "li-si"), time.Now()); !fault.IsConflict(err) {
		t.Errorf("a login of a disabled account recorded: %v", err)
	}
	if _, err := s.SetDisabled(ctx, admin, "li-si", false); err != nil {
		t.Fatal(err)
	}
	if err := s.LoggedIn(ctx, "li-si", version(t, s, "li-si"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, admin, "li-si"); !fault.IsConflict(err) {
		t.Errorf("deleting a used account: %v", err)
	}
	if err := s.Delete(ctx, admin, "admin"); !slices.Contains(fields(err), "username") {
		t.Errorf("deleting oneself: %v", err)
	}
	if _, err := s.Create(ctx, admin, account.Input{Username: ptr("wang-wu"), Name: ptr("王五"), Role: ptr(vocab.Responder), Unit: ptr("car-02")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, admin, "wang-wu"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "wang-wu"); !fault.IsNotFound(err) {
		t.Errorf("a deleted account: %v", err)
	}
	if h, _ := st.Accounts().UnitHolder(ctx, "car-02"); h != "" {
		t.Errorf("a deleted account keeps car-02: %q", h)
	}
	audit, err := st.Audit(ctx, auditAll())
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range audit {
		actions = append(actions, r.Action)
	}
	for _, want := range []string{"account.created", "account.updated", "account.password_changed", "account.disabled", "account.password_reset", "account.deleted"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %s in %v", want, actions)
		}
	}
}

func TestSeedsNeverOverwrite(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	seeds := []account.Seed{{Account: account.Account{Username: "admin", Name: "管理员", Role: vocab.Admin}, Hash: "$2a$04$x"},
		{Account: account.Account{Username: "car-01", Name: "一号车", Role: vocab.Responder, Unit: "car-01"}, Hash: "$2a$04$y"},
		{Account: account.Account{Username: "root", Name: "根", Role: vocab.Admin}, Hash: "$2a$04$z"}}
	created, err := s.SeedAll(ctx, seeds)
	if err != nil || len(created) != 3 {
		t.Fatalf("first start: %v %v", created, err)
	}
	if _, err := s.Update(ctx, admin, "car-01", account.Input{Name: ptr("改名"), Version: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, vocab.Actor{Username: "root", Role: vocab.Admin}, "admin"); err != nil {
		t.Fatal(err)
	}
	created, err = s.SeedAll(ctx, seeds)
	if err != nil || len(created) != 0 {
		t.Fatalf("second start: %v %v", created, err)
	}
	if a, _ := s.Get(ctx, "car-01"); a == nil || a.Name != "改名" {
		t.Errorf("a seed overwrote an edit: %+v", a)
	}
	if _, err := s.Get(ctx, "admin"); !fault.IsNotFound(err) {
		t.Errorf("a deleted account came back: %v", err)
	}
}

func auditAll() audit.Query {
	return audit.Query{From: time.Unix(0, 0), To: time.Now().Add(24 * time.Hour), Limit: 100}
}
