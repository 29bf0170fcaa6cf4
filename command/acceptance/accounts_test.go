package acceptance_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"watchfloor/command/store/storetest"
)

// problemFields are the fields a problem+json answer names.
func problemFields(t testing.TB, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field, Message string }
	}
	mustJSON(t, body, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// login signs username in with password and returns the answer.
func (h *harness) login(username, password string) (int, map[string]any) {
	h.t.Helper()
	res, body := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": username, "password": password})
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return res.StatusCode, out
}

// TestAccountsRefuseBadInput: every bad field is named at once, a taken
// username, a unit already bound and an area outside the city are refused,
// and nothing is written.
func TestAccountsRefuseBadInput(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	for _, c := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"every field wrong", map[string]any{"username": "Bad Name", "name": "", "role": "chief", "area": "999999", "unit": "car-01", "phone": "call me", "password": "123456"},
			[]string{"username", "name", "role", "area", "unit", "phone", "password"}},
		{"nothing", map[string]any{}, []string{"username", "name", "role"}},
		{"taken username", map[string]any{"username": "operator", "name": "又一个", "role": "operator"}, []string{"username"}},
		{"unit bound twice", map[string]any{"username": "second-car", "name": "二号车", "role": "responder", "unit": "car-01"}, []string{"unit"}},
		{"unknown unit", map[string]any{"username": "ghost", "name": "幽灵", "role": "responder", "unit": "no-such-unit"}, []string{"unit"}},
		{"responder without unit", map[string]any{"username": "walker", "name": "步巡", "role": "responder"}, []string{"unit"}},
		{"area outside the city", map[string]any{"username": "faraway", "name": "远方", "role": "operator", "area": "110101"}, []string{"area"}},
		{"common password", map[string]any{"username": "weak", "name": "弱", "role": "viewer", "password": "woaini1314"}, []string{"password"}},
		{"one class", map[string]any{"username": "weak", "name": "弱", "role": "viewer", "password": "abcdefghijkl"}, []string{"password"}},
		{"password is the name", map[string]any{"username": "weakling", "name": "弱", "role": "viewer", "password": "Weakling2026"}, []string{"password"}},
		{"unknown field", map[string]any{"username": "x-1", "name": "x", "role": "viewer", "rank": "major"}, []string{"rank"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := h.do("POST", "/api/v1/accounts", admin, c.body)
			if res.StatusCode != 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
			got := problemFields(t, body)
			for _, f := range c.fields {
				if !slices.Contains(got, f) {
					t.Errorf("field %s not named: %s", f, body)
				}
			}
		})
	}
	res, body := h.do("GET", "/api/v1/accounts", admin, nil)
	if res.StatusCode != 200 {
		t.Fatalf("list: %d %s", res.StatusCode, body)
	}
	for _, name := range []string{"second-car", "ghost", "walker", "faraway", "weak", "weakling", "x-1"} {
		if strings.Contains(string(body), `"username":"`+name+`"`) {
			t.Errorf("refused account %s was written", name)
		}
	}
	if !strings.Contains(string(body), `"username":"car-01"`) || strings.Contains(string(body), "$2a$") {
		t.Errorf("the list must hold the seeded accounts and never a hash: %.300s", body)
	}
	if res, _ := h.do("GET", "/api/v1/accounts", h.token("leader"), nil); res.StatusCode != 403 {
		t.Errorf("a leader listing accounts: %d", res.StatusCode)
	}
}

// TestAccountLifecycle: an admin creates an account with a one-time
// password that must be changed before anything else; edits need the
// version read; a used account cannot be deleted but can be disabled
// (refused at login, its sessions ended) and enabled; a reset gives a new
// one-time password; everything is in the audit trail, no password is.
func TestAccountLifecycle(t *testing.T) {
	h := newHarness(t)
	admin := h.token("admin")
	res, body := h.do("POST", "/api/v1/accounts", admin, map[string]any{"username": "li-si", "name": "李四", "role": "operator", "area": "440303001", "phone": "138 0013 8000"})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var created struct {
		Account  map[string]any
		Password string
	}
	mustJSON(t, body, &created)
	if created.Password == "" || created.Account["must_change_password"] != true || created.Account["version"] != 1.0 {
		t.Fatalf("created: %s", body)
	}
	if res, body := h.do("POST", "/api/v1/accounts", admin, map[string]any{"username": "li-si", "name": "李四", "role": "operator"}); res.StatusCode != 400 || !slices.Contains(problemFields(t, body), "username") {
		t.Fatalf("duplicate username: %d %s", res.StatusCode, body)
	}

	code, sess := h.login("li-si", created.Password)
	if code != 201 || sess["must_change_password"] != true {
		t.Fatalf("first login: %d %v", code, sess)
	}
	tok := sess["token"].(string)
	res, body = h.do("GET", "/api/v1/incidents", tok, nil)
	if res.StatusCode != 403 || !strings.Contains(string(body), "password-change-required") {
		t.Fatalf("before the change: %d %s", res.StatusCode, body)
	}
	if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 200 {
		t.Fatalf("sessions/me before the change: %d", res.StatusCode)
	}
	res, body = h.do("PUT", "/api/v1/sessions/me/password", tok, map[string]string{"old_password": "wrong", "new_password": "password"})
	if got := problemFields(t, body); res.StatusCode != 400 || !slices.Contains(got, "old_password") || !slices.Contains(got, "new_password") {
		t.Fatalf("bad change: %d %s", res.StatusCode, body)
	}
	const mine = "Dongmen-duty-7"
	if res, body := h.do("PUT", "/api/v1/sessions/me/password", tok, map[string]string{"old_password": created.Password, "new_password": mine}); res.StatusCode != 200 {
		t.Fatalf("change: %d %s", res.StatusCode, body)
	}
	if res, body := h.do("GET", "/api/v1/incidents", tok, nil); res.StatusCode != 200 {
		t.Fatalf("after the change: %d %s", res.StatusCode, body)
	}

	// Edits are guarded by the version read.
	if res, body := h.do("PATCH", "/api/v1/accounts/li-si", admin, map[string]any{"phone": "13900139000", "version": 1}); res.StatusCode != 400 || !slices.Contains(problemFields(t, body), "version") {
		t.Fatalf("stale edit: %d %s", res.StatusCode, body)
	}
	res, body = h.do("GET", "/api/v1/accounts/li-si", admin, nil)
	var cur map[string]any
	mustJSON(t, body, &cur)
	if res.StatusCode != 200 || cur["last_login"] == nil || cur["must_change_password"] != false {
		t.Fatalf("after login and change: %s", body)
	}
	res, body = h.do("PATCH", "/api/v1/accounts/li-si", admin, map[string]any{"phone": "13900139000", "role": "leader", "version": cur["version"]})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"role":"leader"`) {
		t.Fatalf("edit: %d %s", res.StatusCode, body)
	}
	// A session carries its role: a change of role ends it.
	if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("a session after its role changed: %d", res.StatusCode)
	}
	code, sess = h.login("li-si", mine)
	if code != 201 || sess["role"] != "leader" {
		t.Fatalf("login after the edit: %d %v", code, sess)
	}
	tok = sess["token"].(string)

	// Used: refused deletion; disabled instead.
	if res, body := h.do("DELETE", "/api/v1/accounts/li-si", admin, nil); res.StatusCode != 409 || !strings.Contains(string(body), "disable") {
		t.Fatalf("deleting a used account: %d %s", res.StatusCode, body)
	}
	if res, body := h.do("POST", "/api/v1/accounts/li-si/disable", admin, nil); res.StatusCode != 200 {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("a disabled account's session: %d", res.StatusCode)
	}
	wrong, _ := h.login("li-si", "Not-the-password-1")
	if code, _ := h.login("li-si", mine); code != 401 || wrong != 401 {
		t.Errorf("login of a disabled account: %d (wrong password: %d)", code, wrong)
	}
	res, body = h.do("GET", "/api/v1/audit?action=session.refused&object=li-si", h.token("leader"), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"disabled":true`) {
		t.Errorf("the refused login of a disabled account in the audit trail: %d %s", res.StatusCode, body)
	}
	if res, body := h.do("POST", "/api/v1/accounts/li-si/enable", admin, nil); res.StatusCode != 200 {
		t.Fatalf("enable: %d %s", res.StatusCode, body)
	}
	if code, _ := h.login("li-si", mine); code != 201 {
		t.Errorf("login after enabling: %d", code)
	}

	// A reset: a new one-time password, the old one refused.
	res, body = h.do("POST", "/api/v1/accounts/li-si/password-reset", admin, nil)
	var reset struct{ Password string }
	mustJSON(t, body, &reset)
	if res.StatusCode != 200 || reset.Password == "" {
		t.Fatalf("reset: %d %s", res.StatusCode, body)
	}
	if code, _ := h.login("li-si", mine); code != 401 {
		t.Errorf("old password after a reset: %d", code)
	}
	if code, s := h.login("li-si", reset.Password); code != 201 || s["must_change_password"] != true {
		t.Errorf("one-time password after a reset: %d %v", code, s)
	}

	// Never used: deleted, and the name free again.
	if res, body := h.do("POST", "/api/v1/accounts", admin, map[string]any{"username": "wang-wu", "name": "王五", "role": "viewer"}); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	if res, body := h.do("DELETE", "/api/v1/accounts/wang-wu", admin, nil); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, body)
	}
	if res, _ := h.do("GET", "/api/v1/accounts/wang-wu", admin, nil); res.StatusCode != 404 {
		t.Errorf("a deleted account: %d", res.StatusCode)
	}
	if res, body := h.do("POST", "/api/v1/accounts", admin, map[string]any{"username": "wang-wu", "name": "王五", "role": "viewer"}); res.StatusCode != 201 {
		t.Fatalf("create again: %d %s", res.StatusCode, body)
	}

	res, body = h.do("GET", "/api/v1/audit?action=account", h.token("leader"), nil)
	if res.StatusCode != 200 {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	for _, a := range []string{"account.created", "account.password_changed", "account.updated", "account.disabled", "account.enabled", "account.password_reset", "account.deleted"} {
		if !strings.Contains(string(body), a) {
			t.Errorf("no %s in the audit trail", a)
		}
	}
	for _, pw := range []string{created.Password, mine, reset.Password} {
		if strings.Contains(string(body), pw) {
			t.Errorf("a password in the audit trail")
		}
	}
}

// TestAccountDisabledOnEveryInstance: an account disabled on one instance
// is refused on the other at once, and its sockets there close.
func TestAccountDisabledOnEveryInstance(t *testing.T) {
	r := storetest.Start(t)
	a, b := newHarnessOn(t, r), newHarnessOn(t, r)
	tok := b.freshToken("deputy")
	onB := b.screen(tok, nil)
	onB.next(2 * time.Second)
	other := b.screen(b.freshToken("viewer"), nil)
	other.next(2 * time.Second)

	if res, body := a.do("POST", "/api/v1/accounts/deputy/disable", a.token("admin"), nil); res.StatusCode != 200 {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	// Closed when told, well before its 12 h session would end: 3 s allows
	// for a loaded machine.
	if code, reason := closeCode(t, onB, 3*time.Second); code != 4001 || reason != "session ended" {
		t.Errorf("socket on B closed with %d %q, want 4001 session ended", code, reason)
	}
	if res, _ := b.do("GET", "/api/v1/incidents", tok, nil); res.StatusCode != 401 {
		t.Errorf("the session on B: %d", res.StatusCode)
	}
	if code, _ := b.login("deputy", testPassword); code != 401 {
		t.Errorf("login on B: %d", code)
	}
	other.quiet(300 * time.Millisecond)
}
