package acceptance_test

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"watchfloor/command/vocab"
	"watchfloor/config"
)

// TestDemoAccountsRetiredWhenTurnedOff: a deployment that ran with demo
// accounts and restarts with them off keeps no demo account working on
// the shared password (its sessions end too), while a configured account
// and a demo account whose password was changed still sign in.
func TestDemoAccountsRetiredWhenTurnedOff(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("Chief-pass-2026"), 4)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *config.Config) {
		c.Auth.Accounts = append(c.Auth.Accounts, config.Account{Username: "duty-chief", Name: "值班长", Role: vocab.Admin, PasswordHash: string(hash)})
	})
	admin := h.token("admin")
	leader := h.token("leader")
	if res, body := h.do("PUT", "/api/v1/sessions/me/password", leader, map[string]string{"old_password": testPassword, "new_password": "Dongmen-own-2026"}); res.StatusCode != 200 {
		t.Fatalf("leader's change: %d %s", res.StatusCode, body)
	}
	h.cfg.Auth.DemoAccounts = false
	h.restart()

	for _, name := range []string{"admin", "operator", "car-01"} {
		if code, out := h.login(name, testPassword); code != 401 {
			t.Errorf("demo account %s after demo accounts were turned off: %d %v", name, code, out)
		}
	}
	if res, _ := h.do("GET", "/api/v1/sessions/me", admin, nil); res.StatusCode != 401 {
		t.Errorf("the demo admin's session: %d", res.StatusCode)
	}
	if code, out := h.login("duty-chief", "Chief-pass-2026"); code != 201 {
		t.Fatalf("a configured account: %d %v", code, out)
	}
	if code, out := h.login("leader", "Dongmen-own-2026"); code != 201 {
		t.Errorf("a demo account with its own password: %d %v", code, out)
	}
	chief := h.freshLogin("duty-chief", "Chief-pass-2026")
	res, body := h.do("GET", "/api/v1/audit?action=account.disabled", chief, nil)
	if res.StatusCode != 200 {
		t.Fatalf("audit: %d %s", res.StatusCode, body)
	}
	var out struct {
		Records []struct{ Who, Action, Object string }
	}
	mustJSON(t, body, &out)
	seen := map[string]bool{}
	for _, r := range out.Records {
		if r.Who == "config" && r.Action == "account.disabled" {
			seen[r.Object] = true
		}
	}
	if !seen["admin"] || !seen["car-01"] || seen["leader"] || seen["duty-chief"] {
		t.Errorf("audited as disabled by config: %v", seen)
	}
}

// freshLogin signs username in with password and returns the token.
func (h *harness) freshLogin(username, password string) string {
	h.t.Helper()
	code, out := h.login(username, password)
	if code != 201 {
		h.t.Fatalf("login %s: %d %v", username, code, out)
	}
	return out["token"].(string)
}

// TestPasswordChangeEndsOtherSessions: changing one's password signs out
// every other session of the account (a stolen token stops working and
// its socket closes), keeping the one that made the change.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	h := newHarness(t)
	mine, stolen := h.freshToken("operator"), h.freshToken("operator")
	sock := h.screen(stolen, nil)
	sock.next(2 * time.Second)
	if res, body := h.do("PUT", "/api/v1/sessions/me/password", mine, map[string]string{"old_password": testPassword, "new_password": "Dongmen-duty-7"}); res.StatusCode != 200 {
		t.Fatalf("change: %d %s", res.StatusCode, body)
	}
	if code, reason := closeCode(t, sock, 2*time.Second); code != 4001 || reason != "session ended" {
		t.Errorf("the other session's socket closed with %d %q, want 4001 session ended", code, reason)
	}
	if res, _ := h.do("GET", "/api/v1/sessions/me", stolen, nil); res.StatusCode != 401 {
		t.Errorf("the other session after the change: %d", res.StatusCode)
	}
	if res, _ := h.do("GET", "/api/v1/incidents", mine, nil); res.StatusCode != 200 {
		t.Errorf("the session that changed the password: %d", res.StatusCode)
	}
}
