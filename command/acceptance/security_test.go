package acceptance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"watchfloor/command/auth"
	"watchfloor/config"
)

func TestRateLimits(t *testing.T) {
	h := newHarness(t, func(c *config.Config) {
		c.Limits.TokenRate, c.Limits.TokenBurst = 1, 3
		c.Limits.DeviceRate, c.Limits.DeviceBurst = 1, 2
	})
	tok := h.token("viewer")
	var last int
	var retry string
	for range 5 {
		res, _ := h.do("GET", "/api/v1/units", tok, nil)
		last, retry = res.StatusCode, res.Header.Get("Retry-After")
	}
	if last != 429 || retry == "" {
		t.Errorf("a token over its rate: %d, Retry-After %q", last, retry)
	}
	// Another session is not held back by the first.
	if res, _ := h.do("GET", "/api/v1/units", h.token("operator"), nil); res.StatusCode != 200 {
		t.Errorf("another token: %d", res.StatusCode)
	}
	codes := []int{}
	for i := range 4 {
		code, _ := h.osmand("GET", "id=860000000000017&lat=22.54&lon=114.11&timestamp="+jsonUint(uint64(time.Now().Add(time.Duration(i-10)*time.Second).Unix())), "", "")
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[3] != 429 {
		t.Errorf("a device over its rate: %v", codes)
	}
	if code, _ := h.osmand("GET", "id=860000000000018&lat=22.54&lon=114.11", "", ""); code != 200 {
		t.Errorf("another device: %d", code)
	}
}

func TestLoginThrottling(t *testing.T) {
	// A delay longer than a slow machine takes between two requests.
	h := newHarness(t, func(c *config.Config) { c.Limits.LoginDelay = time.Minute })
	login := func(user, pw string) (int, string) {
		res, b := h.do("POST", "/api/v1/sessions", "", map[string]string{"username": user, "password": pw})
		return res.StatusCode, res.Header.Get("Retry-After") + " " + string(b)
	}
	for i := range 5 {
		if code, _ := login("operator", "guess"); code != 401 {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	// From this address the name waits, even with the right password; others do not.
	code, body := login("operator", testPassword)
	if code != 429 || !strings.Contains(body, "too many failed logins") || strings.HasPrefix(body, " ") {
		t.Errorf("after 5 failures: %d %s", code, body)
	}
	if code, _ := login("leader", testPassword); code != 201 {
		t.Errorf("another account: %d", code)
	}
	_, b := h.do("GET", "/api/v1/audit?action=session", h.token("admin"), nil)
	if !strings.Contains(string(b), "session.throttled") || !strings.Contains(string(b), "session.refused") {
		t.Errorf("throttling not audited: %s", b)
	}
}

func TestSessionExpiryAndLogout(t *testing.T) {
	// Every request reads Redis here: the session cache answers from
	// memory for auth.session_cache after a read, which a TTL's expiry
	// (after session_ttl unused) never meets; TestLogoutClosesSocketsOnEveryInstance
	// and TestSessionCache* test it.
	h := newHarness(t, func(c *config.Config) { c.Auth.SessionCache = 0 })
	tok := h.freshToken("viewer")
	if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	// Expire the session in Redis, as its TTL would.
	c := redis.NewClient(&redis.Options{Addr: h.redis.Addr})
	defer c.Close()
	if err := c.Del(context.Background(), "wf:{luohu}:session:"+auth.HashToken(tok)).Err(); err != nil {
		t.Fatal(err)
	}
	if res, _ := h.do("GET", "/api/v1/sessions/me", tok, nil); res.StatusCode != 401 {
		t.Errorf("an expired session: %d", res.StatusCode)
	}
	// A session's TTL slides with use.
	tok = h.freshToken("viewer")
	key := "wf:{luohu}:session:" + auth.HashToken(tok)
	c.PExpire(context.Background(), key, time.Minute)
	h.do("GET", "/api/v1/sessions/me", tok, nil)
	if ttl := c.PTTL(context.Background(), key).Val(); ttl < time.Hour {
		t.Errorf("TTL after use %s, want the full session TTL again", ttl)
	}
	// Logging out closes the session's open websocket too (checked on its next slide).
	if res, _ := h.do("DELETE", "/api/v1/sessions", tok, nil); res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if res, _ := h.do("GET", "/api/v1/units", tok, nil); res.StatusCode != 401 {
		t.Errorf("after logout: %d", res.StatusCode)
	}
}
